"""The size-and-speed table of a run, from the optional ``profile`` section of ``results.json``.

Reads each decoder's entry as `evalkit bench` stores it: ``profile[role]`` for role in teacher/student,
holding ``params`` (int), ``shapes`` (a list of ``DecoderProfile.to_dict()``: ``output_shape``,
``flops``, ``latency``, ``memory``, ``status``) and ``onnx`` (``OnnxReport.to_dict()`` or null).
Rows pair the teacher and the student at the same output shape; anything absent reads "not measured".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from evalkit.report.environment import format_number, format_si

NOT_MEASURED = "not measured"
ROLES = ("teacher", "student")


@dataclass(frozen=True)
class CostRow:
    """One measure for both decoders and the student's gain: teacher / student, or student / teacher for
    higher-is-better measures (FPS), so above 1 always means the student is cheaper or faster."""

    key: str
    title: str
    teacher: float | None
    student: float | None
    higher_is_better: bool = False
    render: Callable[[float], str] = field(repr=False, compare=False, default=format_number)

    @property
    def teacher_text(self) -> str:
        """The teacher's value for display."""
        return NOT_MEASURED if self.teacher is None else self.render(self.teacher)

    @property
    def student_text(self) -> str:
        """The student's value for display."""
        return NOT_MEASURED if self.student is None else self.render(self.student)

    @property
    def gain(self) -> float | None:
        """How many times cheaper (or faster) the student is; ``None`` unless both are measured and non-zero."""
        if not self.teacher or not self.student:
            return None
        return self.student / self.teacher if self.higher_is_better else self.teacher / self.student

    @property
    def gain_text(self) -> str:
        """The gain as ``"4.20×"``, or an em dash."""
        return "\u2014" if self.gain is None else f"{self.gain:.2f}\u00d7"


@dataclass(frozen=True)
class CostView:
    """The cost table, notes under it, and the (teacher FPS, student FPS, where) pair for the chart."""

    rows: list[CostRow]
    notes: list[str]
    chart_fps: tuple[float, float | None, str] | None


def shape_label(output_shape: list[int]) -> str:
    """``(B, C, T, H, W)`` → ``"17×256×256"`` (frames × height × width)."""
    return "\u00d7".join(str(n) for n in output_shape[2:])


def _get(data: dict[str, Any] | None, *path: str) -> Any:
    for key in path:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def _shapes(entry: dict[str, Any] | None) -> dict[str, dict[str, Any]]:
    shapes = _get(entry, "shapes") or []
    return {
        shape_label(item["output_shape"]): item
        for item in shapes
        if item.get("output_shape") and item.get("status", "ok") == "ok"
    }


def _one_decimal(value: float) -> str:
    return format_number(value, 1)


def _bytes(value: float) -> str:
    return format_si(value, "B")


def _integer(value: float) -> str:
    return format_number(int(value))


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else 1000.0 * seconds


def _count(items: list[Any] | None) -> int | None:
    return None if items is None else len(items)


def _same(value: Any) -> Any:
    return value


@dataclass(frozen=True)
class Measure:
    """Where one cost figure lives in a profile entry, how to convert and show it, and its direction."""

    key: str
    title: str
    path: tuple[str, ...]
    convert: Callable[[Any], float | None] = _same
    display: Callable[[float], str] = format_number
    higher_is_better: bool = False

    def row(self, key: str, title: str, teacher: dict[str, Any] | None, student: dict[str, Any] | None) -> CostRow:
        """This measure for both decoders (``None`` entries read as not measured)."""
        return CostRow(
            key,
            title,
            self.convert(_get(teacher, *self.path)),
            self.convert(_get(student, *self.path)),
            self.higher_is_better,
            self.display,
        )


PARAMS = Measure("params", "decoder parameters", ("params",), display=format_si)
SHAPE_MEASURES = (  # paths inside one DecoderProfile dict (one output shape)
    Measure("flops", "FLOPs per call", ("flops", "total_flops"), display=format_si),
    Measure("latency", "latency, median ms", ("latency", "median_s"), _ms, _one_decimal),
    Measure("fps", "frames per second", ("latency", "fps"), display=_one_decimal, higher_is_better=True),
    Measure("memory", "peak memory", ("memory", "peak_bytes"), display=_bytes),
)
ONNX_MEASURES = (  # paths inside a decoder's profile entry
    Measure("onnx_bytes", "ONNX model size", ("onnx", "model_bytes"), display=_bytes),
    Measure("onnx_latency", "ONNX Runtime latency, median ms", ("onnx", "ort_latency", "median_s"), _ms, _one_decimal),
    Measure("onnx_flags", "mobile-runtime flags (ONNX proxy)", ("onnx", "flags"), _count, _integer),
)


def cost_view(profile: dict[str, Any] | None) -> CostView | None:
    """The cost table for a ``profile`` section, or ``None`` when the run was never profiled."""
    if not profile or not any(isinstance(profile.get(role), dict) for role in ROLES):
        return None
    teacher, student = profile.get("teacher"), profile.get("student")
    teacher_shapes, student_shapes = _shapes(teacher), _shapes(student)
    rows = [PARAMS.row(PARAMS.key, PARAMS.title, teacher, student)]
    for label in sorted(set(teacher_shapes) | set(student_shapes), key=_pixels):
        rows += [
            m.row(f"{m.key}@{label}", f"{m.title} @ {label}", teacher_shapes.get(label), student_shapes.get(label))
            for m in SHAPE_MEASURES
        ]
    rows += [m.row(m.key, m.title, teacher, student) for m in ONNX_MEASURES]
    units = {_get(item, "flops", "unit") for item in [*teacher_shapes.values(), *student_shapes.values()]}
    notes = [f"FLOPs are counted as {unit}." for unit in sorted(unit for unit in units if unit)]
    device = _get(profile, "env", "device_name") or _get(profile, "env", "device")
    if device:
        notes.append(f"Measured on {device}.")
    for role, shapes in (("teacher", teacher_shapes), ("student", student_shapes)):
        notes += filter(None, (_conditions_note(role, label, shapes[label]) for label in sorted(shapes, key=_pixels)))
    for role, entry in (("teacher", teacher), ("student", student)):
        if _get(entry, "onnx", "error"):
            notes.append(f"ONNX proxy of the {role} failed: {_get(entry, 'onnx', 'error')}")
    onnx_note = _get(teacher, "onnx", "note") or _get(student, "onnx", "note")
    if onnx_note:
        notes.append(f"ONNX proxy: {onnx_note}")
    return CostView(rows, notes, _chart_fps(teacher_shapes, student_shapes))


def _conditions_note(role: str, label: str, shape: dict[str, Any]) -> str | None:
    """When and under what load the latency of ``role`` at ``label`` was measured (``None`` if not recorded)."""
    conditions = _get(shape, "latency", "conditions")
    if not isinstance(conditions, dict):
        return None
    load, ratio = conditions.get("load_avg_1m"), conditions.get("cpu_wall_ratio")
    facts = [f"measured {conditions.get('measured_utc')}"]
    if load is not None:
        facts.append(f"load average {load:.2f} on {conditions.get('logical_cpus')} logical CPUs")
    if ratio is not None:
        facts.append(f"{ratio:.2f} CPU-seconds per second, {conditions.get('threads')} threads")
    text = ", ".join(facts)
    if conditions.get("contended"):
        return (
            f"CONTENDED: the latency of the {role} @ {label} ({text}) was taken while other work competed for the "
            f"machine ({conditions.get('reason')}); it describes that load as much as the decoder, was not cached, "
            "and should be measured again on a quiet machine."
        )
    return f"Latency of the {role} @ {label}: {text}."


def _chart_fps(
    teacher_shapes: dict[str, dict[str, Any]], student_shapes: dict[str, dict[str, Any]]
) -> tuple[float, float | None, str] | None:
    """FPS of both decoders at the largest shape where the teacher was timed (student there if timed)."""
    timed = [label for label in teacher_shapes if _get(teacher_shapes[label], "latency", "fps")]
    if not timed:
        return None
    label = max(timed, key=_pixels)
    return teacher_shapes[label]["latency"]["fps"], _get(student_shapes.get(label), "latency", "fps"), label


def _pixels(label: str) -> int:
    product = 1
    for part in label.split("\u00d7"):
        product *= int(part)
    return product
