"""`evalkit run --decoder turbo-hunyuan,taehv-hunyuan`: several students of one teacher on the same latents.

Each student gets a complete run of its own in ``<folder>/<student>``; the teacher cache they share makes the
teacher's encode and decode happen once per clip (the first run fills it, the others read the same latents and
teacher frames), so adding a student to a finished comparison costs only that student. ``students.json`` then
holds one block per student and, for every pair of students, the paired bootstrap of their per-clip difference
on every per-clip metric; ``students.html`` shows them side by side.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from evalkit.atomic import atomic_write_text
from evalkit.models.registry import DECODERS
from evalkit.pipeline.config import ConfigError, RunConfig
from evalkit.pipeline.runner import RunResult, run
from evalkit.pipeline.sweep import runs_dir
from evalkit.results.io import read_per_clip
from evalkit.results.schema import COMPARISONS, per_clip_column
from evalkit.results.stats import mean_estimate

STUDENTS_FILE = "students.json"
STUDENTS_KIND = "evalkit.students"


@dataclass(frozen=True)
class StudentsResult:
    """The comparison folder, the ``students.json`` document, and each student's run."""

    folder: Path
    document: dict[str, Any]
    runs: dict[str, RunResult]


def shared_teacher(names: list[str]) -> str:
    """The teacher every named student decodes for; students of different teachers cannot share latents."""
    if len(names) < 2 or len(set(names)) != len(names):
        raise ConfigError(f"a student comparison needs two or more different decoders; got {', '.join(names)}")
    teachers = {name: DECODERS.get(name).teacher for name in names}
    missing = [name for name in names if DECODERS.get(name).student_preset is None or teachers[name] is None]
    if missing:
        raise ConfigError(f"{', '.join(missing)}: not a student with a teacher; compare students of one teacher")
    if len(set(teachers.values())) > 1:
        pairs = ", ".join(f"{name} -> {teacher}" for name, teacher in teachers.items())
        raise ConfigError(f"students must share a teacher to decode the same latents; got {pairs}")
    return next(iter(teachers.values()))


def comparison_dir(config: RunConfig, names: list[str], teacher: str) -> Path:
    """``config.out``, or ``reports/<teacher>-<dataset>-students-<hash of the settings and students>``."""
    return runs_dir(config, "decoder", {"students": names}, "students", teacher)


def run_students(config: RunConfig, names: list[str]) -> StudentsResult:
    """One run per student (the teacher's work shared through the teacher cache), then ``students.json``."""
    teacher = shared_teacher(names)
    if config.no_cache:
        raise ConfigError("students share the teacher's work through the teacher cache; drop --no-cache")
    folder = comparison_dir(config, names, teacher)
    runs = {name: run(replace(config, decoder=name, out=str(folder / name))) for name in names}
    done = {name: result for name, result in runs.items() if result.results is not None}
    document = {
        "kind": STUDENTS_KIND,
        "created_utc": datetime.now(UTC).isoformat(timespec="seconds"),
        "teacher": teacher,
        "dataset": config.dataset,
        "students": [_student_entry(folder, name, result) for name, result in done.items()],
        "pairs": _pairs(done, seed=config.seed, resamples=config.bootstrap_resamples),
    }
    if done:
        atomic_write_text(folder / STUDENTS_FILE, json.dumps(document, indent=1, sort_keys=True) + "\n")
        from evalkit.report.students_report import render_students_report

        render_students_report(folder)
    return StudentsResult(folder, document, runs)


def _student_entry(folder: Path, name: str, result: RunResult) -> dict[str, Any]:
    results = result.results
    metrics = {
        metric: {
            "label": entry.get("label", metric),
            "higher_is_better": entry["higher_is_better"],
            "values": {key: entry["values"][key] for key in COMPARISONS if key in entry.get("values", {})},
        }
        for metric, entry in results["metrics"].items()
        if entry.get("available")
    }
    return {
        "name": name,
        "run_dir": str(result.run_dir.relative_to(folder)),
        "status": results["status"],
        "random_weights": results["random_weights"],
        "clips": results["clips"]["evaluated"],
        "teacher_cache": results["cache"],
        "metrics": metrics,
    }


def _pairs(runs: dict[str, RunResult], *, seed: int, resamples: int) -> list[dict[str, Any]]:
    """For each pair (a, b) and per-clip metric: mean of b - a over the clips both evaluated, with a 95% CI."""
    tables = {name: read_per_clip(result.run_dir).set_index("clip_id") for name, result in runs.items()}
    pairs = []
    for first, second in itertools.combinations(runs, 2):
        metrics = runs[first].results["metrics"]
        for metric, entry in metrics.items():
            column = per_clip_column(metric, "student")
            if not entry.get("available") or column not in tables[first] or column not in tables[second]:
                continue
            joined = tables[first][[column]].merge(
                tables[second][[column]], left_index=True, right_index=True, suffixes=(".a", ".b")
            )
            difference = joined[f"{column}.b"].to_numpy(np.float64) - joined[f"{column}.a"].to_numpy(np.float64)
            estimate = mean_estimate(difference, seed=seed, resamples=resamples)
            pairs.append(
                {
                    "a": first,
                    "b": second,
                    "metric": metric,
                    "higher_is_better": entry["higher_is_better"],
                    "difference": estimate.to_dict(),
                }
            )
    return pairs
