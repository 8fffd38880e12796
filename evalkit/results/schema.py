"""The versioned results schema of `evalkit run`: names, shapes and a validator for ``results.json``.

docs/results-schema.md is the prose version of this module; the two change together, and
``SCHEMA_VERSION`` goes up whenever a reader written for the old layout would misread the new one.
Documents are plain JSON dicts (what the report and leaderboard read from disk); the dataclasses here
give typed access to the parts that are read most (metric estimates).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from evalkit.errors import InputError
from evalkit.options import COMPARISONS

SCHEMA_VERSION = 1
RESULTS_KIND = "evalkit.run"

RESULTS_FILE = "results.json"
PER_CLIP_FILE = "per_clip.parquet"
PER_CLIP_CSV_FILE = "per_clip.csv"
MANIFEST_FILE = "manifest.json"
REPORT_FILE = "report.html"

"""teacher = metric(ground truth, teacher output); student = metric(ground truth, student output);
student_vs_teacher = metric(teacher output, student output)."""

DELTAS: tuple[str, ...] = ("drop", "increase", "retention")
"""Paired student-against-reference figures: drop = ref - student, increase = student - ref,
retention = student / ref when higher is better, ref / student when lower is better (1.0 = nothing lost)."""

FLOORS: tuple[str, ...] = ("resample", "flat")
"""Trivial reconstructions scored beside every decoder (``results["floors"]``): ``resample`` = the clip through a
latent-sized grid with no learning, ``flat`` = every frame the clip's mean colour."""

METRIC_ALIASES: dict[str, str] = {"rfvd": "fvd"}
"""Names accepted for a metric besides its results key (gate rules say ``rfvd``; results say ``fvd``)."""

PER_CLIP_BASE_COLUMNS: tuple[str, ...] = ("clip_id", "status", "stage", "reason", "rank")

_TOP_LEVEL: dict[str, type] = {
    "schema_version": int,
    "kind": str,
    "run_id": str,
    "status": str,
    "random_weights": bool,
    "created_utc": str,
    "config": dict,
    "protocol": dict,
    "dataset": dict,
    "decoders": dict,
    "metrics": dict,
    "ci": dict,
    "clips": dict,
    "provenance": dict,
    "device": dict,
    "seed": int,
    "timings": dict,
    "cache": dict,
    "files": dict,
}
RUN_STATUSES: tuple[str, ...] = ("complete", "partial", "empty")
"""complete = every manifest clip evaluated; partial = some clips failed or were not reached; empty = none
evaluated (no numbers to read: `evalkit run` and `evalkit score` exit 2, the gate refuses it)."""


def run_status(evaluated: int, clips: int) -> str:
    """The run ``status`` for ``evaluated`` of ``clips`` clips to evaluate (manifest skips not counted)."""
    if evaluated == 0:
        return "empty"
    return "complete" if evaluated == clips else "partial"


class ResultsSchemaError(InputError, ValueError):
    """A results document that this evalkit cannot read; the message names the file, key and fix."""


def per_clip_column(metric: str, comparison: str) -> str:
    """The per-clip table column holding ``metric`` for ``comparison``, e.g. ``psnr.student``."""
    if comparison not in COMPARISONS:
        raise ValueError(f"unknown comparison {comparison!r}; choose one of: {', '.join(COMPARISONS)}")
    return f"{metric}.{comparison}"


def floor_comparison(floor: str) -> str:
    """The comparison name of a floor, metric(ground truth, floor), e.g. ``floor_resample``."""
    if floor not in FLOORS:
        raise ValueError(f"unknown floor {floor!r}; choose one of: {', '.join(FLOORS)}")
    return f"floor_{floor}"


def floor_column(metric: str, floor: str) -> str:
    """The per-clip table column holding ``metric`` for a floor, e.g. ``psnr.floor_resample``."""
    return f"{metric}.{floor_comparison(floor)}"


def canonical_metric(name: str) -> str:
    """The results key for a metric name or alias (``rfvd`` -> ``fvd``)."""
    return METRIC_ALIASES.get(name, name)


@dataclass(frozen=True)
class Estimate:
    """One aggregate number with its 95% confidence interval (``None`` bounds when no CI exists, e.g. FVD)."""

    value: float
    ci_low: float | None = None
    ci_high: float | None = None
    n: int = 0

    def to_dict(self) -> dict[str, Any]:
        """JSON form; non-finite floats become ``None`` (JSON has no NaN)."""
        return {key: _json_float(val) if isinstance(val, float) else val for key, val in asdict(self).items()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Estimate:
        """Inverse of :meth:`to_dict`; a ``None`` value reads back as NaN."""
        value = data.get("value")
        return cls(
            value=math.nan if value is None else float(value),
            ci_low=None if data.get("ci_low") is None else float(data["ci_low"]),
            ci_high=None if data.get("ci_high") is None else float(data["ci_high"]),
            n=int(data.get("n", 0)),
        )

    def bound(self, side: str) -> float | None:
        """``"value"``, ``"lower"`` (ci_low) or ``"upper"`` (ci_high)."""
        return {"value": self.value, "lower": self.ci_low, "upper": self.ci_high}[side]


@dataclass(frozen=True)
class MetricResult:
    """The ``metrics.<name>`` entry: availability, labels, three-way values and paired deltas."""

    name: str
    available: bool
    higher_is_better: bool
    label: str
    variant: dict[str, Any] = field(default_factory=dict)
    unit: str = ""
    per_clip: bool = True
    reason: str | None = None
    fetch: str | None = None
    values: dict[str, Estimate] = field(default_factory=dict)
    paired: dict[str, Estimate] = field(default_factory=dict)
    extrapolated: dict[str, Any] | None = None
    """FVD only: FVD∞ per comparison (``label``, ``method``, ``values.<comparison>`` with ``value``,
    ``fit_residual``, ``subset_sizes``... or ``available: false`` and the ``reason``)."""

    def to_dict(self) -> dict[str, Any]:
        """JSON form (the ``name`` is the key it is stored under, so it is not repeated)."""
        data = {entry.name: getattr(self, entry.name) for entry in fields(self) if entry.name != "name"}
        data["values"] = {key: est.to_dict() for key, est in self.values.items()}
        data["paired"] = {key: est.to_dict() for key, est in self.paired.items()}
        if self.extrapolated is None:
            del data["extrapolated"]
        return data

    @classmethod
    def from_dict(cls, name: str, data: dict[str, Any]) -> MetricResult:
        """Inverse of :meth:`to_dict`."""
        return cls(
            name=name,
            available=bool(data["available"]),
            higher_is_better=bool(data["higher_is_better"]),
            label=str(data.get("label", name)),
            variant=dict(data.get("variant") or {}),
            unit=str(data.get("unit", "")),
            per_clip=bool(data.get("per_clip", True)),
            reason=data.get("reason"),
            fetch=data.get("fetch"),
            values={key: Estimate.from_dict(val) for key, val in (data.get("values") or {}).items()},
            paired={key: Estimate.from_dict(val) for key, val in (data.get("paired") or {}).items()},
            extrapolated=data.get("extrapolated"),
        )


def metric_results(doc: dict[str, Any]) -> dict[str, MetricResult]:
    """Every ``metrics`` entry of a validated results document, typed."""
    return {name: MetricResult.from_dict(name, entry) for name, entry in doc["metrics"].items()}


def validate_results(doc: Any, source: str = "results") -> dict[str, Any]:
    """Check ``doc`` against this schema version; return it unchanged or raise :class:`ResultsSchemaError`."""
    if not isinstance(doc, dict):
        raise ResultsSchemaError(f"{source}: expected a JSON object, got {type(doc).__name__}")
    version = doc.get("schema_version")
    if version != SCHEMA_VERSION:
        hint = "upgrade evalkit" if isinstance(version, int) and version > SCHEMA_VERSION else "re-run evalkit run"
        raise ResultsSchemaError(
            f"{source}: schema_version {version!r} is not supported (this evalkit reads {SCHEMA_VERSION}); {hint}"
        )
    if doc.get("kind") != RESULTS_KIND:
        raise ResultsSchemaError(f"{source}: kind {doc.get('kind')!r} is not {RESULTS_KIND!r}")
    for key, expected in _TOP_LEVEL.items():
        if key not in doc:
            raise ResultsSchemaError(f"{source}: required key {key!r} is missing")
        if not isinstance(doc[key], expected) or (expected is int and isinstance(doc[key], bool)):
            raise ResultsSchemaError(f"{source}: {key!r} must be {expected.__name__}, got {type(doc[key]).__name__}")
    if doc["status"] not in RUN_STATUSES:
        raise ResultsSchemaError(f"{source}: status {doc['status']!r} is not one of {', '.join(RUN_STATUSES)}")
    for key in ("hash", "params"):
        if key not in doc["protocol"]:
            raise ResultsSchemaError(f"{source}: protocol.{key} is missing")
    _validate_clip_counts(source, doc["clips"])
    for name, entry in doc["metrics"].items():
        _validate_metric(source, name, entry)
    if "floors" in doc:
        _validate_floors(source, doc["floors"])
    if "profile" in doc and doc["profile"] is not None and not isinstance(doc["profile"], dict):
        raise ResultsSchemaError(f"{source}: profile must be an object or null")
    if "tiling" in doc:
        _validate_tiling(source, doc["tiling"])
    return doc


def _validate_tiling(source: str, tiling: Any) -> None:
    """The optional ``--tiling compare`` section: its three estimates."""
    if not isinstance(tiling, dict) or not isinstance(tiling.get("seam_score"), dict):
        raise ResultsSchemaError(f"{source}: tiling must be an object with a seam_score object")
    _validate_estimate(f"{source}: tiling.tiled_vs_untiled_psnr", tiling.get("tiled_vs_untiled_psnr"))
    for side in ("tiled", "untiled"):
        _validate_estimate(f"{source}: tiling.seam_score.{side}", tiling["seam_score"].get(side))


def _validate_metric(source: str, name: str, entry: Any) -> None:
    where = f"{source}: metrics.{name}"
    if not isinstance(entry, dict):
        raise ResultsSchemaError(f"{where} must be an object")
    for key in ("available", "higher_is_better", "label", "values", "paired"):
        if key not in entry:
            raise ResultsSchemaError(f"{where}.{key} is missing")
    if not entry["available"] and not entry.get("reason"):
        raise ResultsSchemaError(f"{where} is unavailable but gives no reason")
    for group, allowed in (("values", COMPARISONS), ("paired", DELTAS)):
        if not isinstance(entry[group], dict):
            raise ResultsSchemaError(f"{where}.{group} must be an object, got {type(entry[group]).__name__}")
        for key, estimate in entry[group].items():
            if key not in allowed:
                raise ResultsSchemaError(f"{where}.{group}.{key} is not one of {', '.join(allowed)}")
            _validate_estimate(f"{where}.{group}.{key}", estimate)


def _validate_estimate(where: str, estimate: Any) -> None:
    """An estimate holds numbers (``null`` for a missing value or bound) and an integer clip count."""
    if not isinstance(estimate, dict):
        raise ResultsSchemaError(f"{where} must be an object, got {type(estimate).__name__}")
    for key in ("value", "ci_low", "ci_high"):
        if not _is_number_or_null(estimate.get(key)):
            raise ResultsSchemaError(f"{where}.{key} must be a number or null, got {estimate[key]!r}")
    count = estimate.get("n", 0)
    if not isinstance(count, int) or isinstance(count, bool) or count < 0:
        raise ResultsSchemaError(f"{where}.n must be a whole number of clips, got {count!r}")


def _validate_clip_counts(source: str, clips: dict[str, Any]) -> None:
    for key in ("total", "evaluated", "failed"):
        count = clips.get(key)
        if count is not None and (not isinstance(count, int) or isinstance(count, bool) or count < 0):
            raise ResultsSchemaError(f"{source}: clips.{key} must be a whole number, got {count!r}")


def _is_number_or_null(value: Any) -> bool:
    return value is None or (isinstance(value, int | float) and not isinstance(value, bool))


def _validate_floors(source: str, floors: Any) -> None:
    """``floors``: ``{floor: {"params": {...}, "label": str, "values": {metric: Estimate}}}``; ``resample`` params
    hold its integer ``spatial`` and ``temporal`` factors."""
    if not isinstance(floors, dict):
        raise ResultsSchemaError(f"{source}: floors must be an object")
    for floor, entry in floors.items():
        where = f"{source}: floors.{floor}"
        if floor not in FLOORS:
            raise ResultsSchemaError(f"{where} is not one of {', '.join(FLOORS)}")
        if not isinstance(entry, dict) or not isinstance(entry.get("params"), dict):
            raise ResultsSchemaError(f"{where}.params must be an object")
        if not isinstance(entry.get("label"), str) or not isinstance(entry.get("values"), dict):
            raise ResultsSchemaError(f"{where} needs a str label and a values object")
        if floor == "resample":
            for factor in ("spatial", "temporal"):
                value = entry["params"].get(factor)
                if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                    raise ResultsSchemaError(f"{where}.params.{factor} must be an integer >= 1, got {value!r}")
        for metric, estimate in entry["values"].items():
            if not isinstance(estimate, dict) or "value" not in estimate or not isinstance(estimate.get("n"), int):
                raise ResultsSchemaError(f"{where}.values.{metric} must be an estimate {{value, ci_low, ci_high, n}}")


def _json_float(value: float) -> float | None:
    return value if math.isfinite(value) else None
