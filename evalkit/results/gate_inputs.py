"""What the gate reads and what it refuses to judge: results files, per-clip tables, run-level refusals.

Every problem becomes one :class:`GateInputError` line naming the file, what is wrong and the fix (exit 2),
never a traceback. A run is refused unless the caller allows it when its numbers cannot stand for a
trained decoder on the whole dataset: random weights, an unfinished run, demonstration models, and FVDs
over too few clips. A run that evaluated no clip is always refused.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from evalkit import __version__
from evalkit.results.gate_rules import GateInputError
from evalkit.results.io import read_per_clip, read_results
from evalkit.results.schema import (
    PER_CLIP_CSV_FILE,
    PER_CLIP_FILE,
    Estimate,
    MetricResult,
    ResultsSchemaError,
)

FLOOR = "resample"
"""The floor ``over_floor`` is measured against (``results.json["floors"]``)."""


def read_run(path: str | os.PathLike[str]) -> dict[str, Any]:
    """A validated results document; unreadable, binary, truncated or invalid files raise :class:`GateInputError`."""
    try:
        return read_results(path)
    except ResultsSchemaError as exc:
        raise GateInputError(str(exc)) from None
    except UnicodeDecodeError as exc:
        raise GateInputError(
            f"{path}: not UTF-8 text (byte {exc.start}: {exc.reason}); pass the results.json that `evalkit run` wrote"
        ) from None
    except OSError as exc:
        raise GateInputError(f"{path}: cannot read ({exc.strerror}); pass a readable results.json") from None


def refuse_run(doc: dict[str, Any], path: str | os.PathLike[str], allow: frozenset[str]) -> None:
    """Raise :class:`GateInputError` naming everything found that ``allow`` does not admit."""
    status = doc["status"]
    if status == "empty":
        raise GateInputError(
            f"refusing to judge {path}: run status 'empty' (no clip was evaluated, so there is nothing to judge; "
            "--allow partial does not admit it); fix the dataset or decoder and re-run"
        )
    found = []
    if doc["random_weights"] and "random" not in allow:
        found.append(
            "random weights (random_weights: true; its numbers say nothing about a trained decoder) [--allow random]"
        )
    if status != "complete" and "partial" not in allow:
        clips = doc["clips"]
        found.append(
            f"run status {status!r} ({clips.get('evaluated', '?')} of {clips.get('total', '?')} clips evaluated; "
            "re-run the same `evalkit run` command to finish it) [--allow partial]"
        )
    demo = demo_note(doc)
    if demo and "demo" not in allow:
        found.append(f"demonstration models (decoders.info.demo: {demo}) [--allow demo]")
    if found:
        raise GateInputError(
            f"refusing to judge {path}: " + "; ".join(found) + "; pass the bracketed --allow to judge it anyway"
        )


def demo_note(doc: dict[str, Any]) -> str | None:
    """The note a run of the shipped demonstration models carries (``decoders.info.demo``), else ``None``."""
    info = doc["decoders"].get("info")
    note = info.get("demo") if isinstance(info, dict) else None
    return str(note) if note else None


def metrics_of(entries: Any, path: str | os.PathLike[str], where: str = "metrics") -> dict[str, MetricResult]:
    """The typed ``metrics`` entries of a document; a malformed entry (non-numeric value...) names itself."""
    if not isinstance(entries, dict):
        raise GateInputError(f"{path}: {where} must be an object; re-run evalkit to write it again")
    metrics = {}
    for name, entry in entries.items():
        try:
            metrics[name] = MetricResult.from_dict(name, entry)
        except (TypeError, ValueError, KeyError, AttributeError) as exc:
            raise GateInputError(
                f"{path}: {where}.{name} is malformed ({type(exc).__name__}: {exc}); re-run evalkit to write it again"
            ) from None
    return metrics


def bootstrap_settings(doc: dict[str, Any], path: str | os.PathLike[str], default_resamples: int) -> tuple[int, int]:
    """``(seed, resamples)`` of the run's ``ci`` block, for paired CIs against a baseline."""
    ci = doc["ci"]
    try:
        return int(ci.get("seed", 0)), int(ci.get("resamples", default_resamples))
    except (TypeError, ValueError):
        raise GateInputError(
            f"{path}: ci.seed and ci.resamples must be integers, got {ci.get('seed')!r} and {ci.get('resamples')!r}"
        ) from None


def per_clip_column_values(results_path: str | os.PathLike[str], column: str) -> pd.DataFrame:
    """``clip_id`` and ``column`` (as floats) of the evaluated clips in a run's per-clip table."""
    run_dir = Path(results_path)
    run_dir = run_dir.parent if run_dir.suffix == ".json" else run_dir
    names = f"{run_dir / PER_CLIP_FILE} (or {PER_CLIP_CSV_FILE})"
    fix = "the gate pairs clips from both runs' per-clip tables; restore it beside results.json or re-run that run"
    if not (run_dir / PER_CLIP_FILE).exists() and not (run_dir / PER_CLIP_CSV_FILE).exists():
        raise GateInputError(f"{names}: missing; {fix}")
    try:
        table = read_per_clip(run_dir)
    except ResultsSchemaError as exc:
        raise GateInputError(f"{names}: cannot be read ({exc}); {fix}") from None
    missing = [key for key in ("clip_id", "status", column) if key not in table.columns]
    if missing:
        raise GateInputError(f"{names}: no column {', '.join(map(repr, missing))}; {fix}")
    rows = table.loc[table["status"] == "ok"]
    try:
        values = rows[column].to_numpy(np.float64)
    except (TypeError, ValueError):
        raise GateInputError(f"{names}: column {column!r} is not numeric; {fix}") from None
    return pd.DataFrame({"clip_id": rows["clip_id"].astype(str).to_numpy(), column: values})


def is_fvd(metric: MetricResult) -> bool:
    """Whether ``metric`` is an FVD (a pooled distance whose bias depends on the number of clips)."""
    return "comparable" in metric.variant or metric.name.startswith("fvd")


def refuse_small_fvd(metric: MetricResult, path: str | os.PathLike[str]) -> None:
    """Raise :class:`GateInputError` unless ``metric.variant`` says its FVD rests on enough clips per set.

    A document from before evalkit recorded FVD sample sizes (no ``variant.comparable``) is refused too:
    the gate cannot tell whether its N was enough.
    """
    variant = metric.variant
    allow = "pass --allow small-fvd to judge it anyway"
    if "comparable" not in variant:
        n = next((est.n for est in metric.values.values() if est.n), None)
        raise GateInputError(
            f"{path}: {metric.name} does not record whether its N={n if n is not None else '?'} clips per set are "
            "enough for a comparable FVD (written by an evalkit that did not record FVD sample sizes); "
            f"re-run it with evalkit {__version__} or later, or {allow}"
        )
    if variant["comparable"] is not True:
        raise GateInputError(
            f"{path}: {metric.name} rests on N={variant.get('n_clips', '?')} clips per set "
            f"({variant.get('frames', '?')} frames), below the minimum of {variant.get('min_clips', '?')} for a "
            f"comparable FVD (small sets bias FVD upward); evaluate more clips, or {allow}"
        )


def floor_estimate(doc: dict[str, Any], metric: str, path: str | os.PathLike[str]) -> tuple[Estimate, str]:
    """The resample floor's value of ``metric`` (floor reconstruction against ground truth) and its label."""
    floors = doc.get("floors")
    if not isinstance(floors, dict) or not floors:
        raise GateInputError(f"{path}: this run has no floors; re-run with evalkit >= {__version__}")
    floor = floors.get(FLOOR)
    if not isinstance(floor, dict) or not isinstance(floor.get("values"), dict):
        raise GateInputError(f"{path}: floors.{FLOOR} is missing or malformed; re-run with evalkit >= {__version__}")
    entry = floor["values"].get(metric)
    if not isinstance(entry, dict):
        covered = ", ".join(sorted(floor["values"])) or "(none)"
        raise GateInputError(f"{path}: floors.{FLOOR} has no {metric} (it covers: {covered})")
    try:
        estimate = Estimate.from_dict(entry)
    except (TypeError, ValueError) as exc:
        raise GateInputError(f"{path}: floors.{FLOOR}.values.{metric} is malformed ({exc})") from None
    if not math.isfinite(estimate.value):
        raise GateInputError(f"{path}: floors.{FLOOR}.values.{metric} has no finite value")
    return estimate, str(floor.get("label") or FLOOR)


def select_student(path: str | os.PathLike[str], student: str | None) -> str:
    """The results to judge: ``path`` itself, or in a students comparison (``students.json``) the named student's."""
    given = Path(path)
    document = given / "students.json" if given.is_dir() else given
    if document.name != "students.json" or not document.is_file():
        if student is not None:
            raise GateInputError(f"{path}: --student {student} names a student of a comparison; this is a single run")
        return str(path)
    try:
        students = {entry["name"]: entry["run_dir"] for entry in json.loads(document.read_text("utf-8"))["students"]}
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError) as exc:
        raise GateInputError(f"{document}: not a readable students comparison ({exc}); re-run evalkit run") from None
    if student is None or student not in students:
        said = "names no student" if student is None else f"has no student {student!r}"
        raise GateInputError(f"{document} {said}; pick one with --student: {', '.join(students)}")
    return str(document.parent / students[student] / "results.json")


def tiling_metrics(doc: dict[str, Any], path: str | os.PathLike[str]) -> dict[str, MetricResult]:
    """The ``tiling`` section (``evalkit run --tiling compare``) as gate metrics: ``tiling_psnr`` (tiled vs untiled
    student PSNR, ``.student``) and ``seam`` (tiled seam score as ``.student``, the untiled decode's as ``.teacher``,
    so ``seam.loss`` is how much tiling raises it); none when the run did not compare tiling."""
    section = doc.get("tiling")
    if not isinstance(section, dict):
        return {}
    try:
        psnr = Estimate.from_dict(section["tiled_vs_untiled_psnr"])
        tiled, untiled = (Estimate.from_dict(section["seam_score"][key]) for key in ("tiled", "untiled"))
    except (KeyError, TypeError, ValueError) as exc:
        raise GateInputError(
            f"{path}: tiling section is malformed ({exc}); re-run evalkit run --tiling compare"
        ) from None
    increase = Estimate(value=tiled.value - untiled.value, n=min(tiled.n, untiled.n))
    label = f"tiles of {section.get('tile_latent')} latents, overlap {section.get('overlap_latent')}"
    return {
        "tiling_psnr": MetricResult(
            "tiling_psnr", True, True, f"tiled vs untiled PSNR ({label})", per_clip=False, values={"student": psnr}
        ),
        "seam": MetricResult(
            "seam",
            True,
            False,
            f"seam score, 1 = no seam ({label})",
            per_clip=False,
            values={"student": tiled, "teacher": untiled},
            paired={"increase": increase, "drop": Estimate(value=-increase.value, n=increase.n)},
        ),
    }
