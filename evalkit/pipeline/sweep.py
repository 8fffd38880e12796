"""`evalkit run --resolution 256,512`: the same clips evaluated at several sizes, one run folder per size.

Each size is a complete run of its own (its own manifest, protocol hash, caches, resume and report) in
``<sweep folder>/r<size>``; ``sweep.json`` beside them gathers every metric by size for teacher and student, and
``sweep.html`` shows it as a table and a chart per metric. Quality moves with resolution (one Wan VAE clip scored
36.3 / 33.9 / 31.7 dB at 720p / 480p / 360p), so a decoder is judged at the sizes it will be used at.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from evalkit.atomic import atomic_write_text
from evalkit.hashing import canonical_sha256
from evalkit.pipeline.config import OPERATIONAL_FIELDS, REPORTS_DIR, ConfigError, RunConfig
from evalkit.pipeline.runner import RunResult, run
from evalkit.results.schema import COMPARISONS

SWEEP_FILE = "sweep.json"
SWEEP_KIND = "evalkit.sweep"


@dataclass(frozen=True)
class SweepResult:
    """The sweep folder, the document written to ``sweep.json``, and each size's run."""

    sweep_dir: Path
    document: dict[str, Any]
    runs: dict[int, RunResult]


def runs_dir(config: RunConfig, varied: str, values: dict[str, list[Any]], kind: str, name: str) -> Path:
    """``config.out``, or ``reports/<name>-<dataset>-<kind>-<hash of the settings but ``varied``, and values>``."""
    if config.out:
        return Path(config.out)
    identity = {k: v for k, v in config.to_dict().items() if k not in OPERATIONAL_FIELDS | {varied}}
    digest = canonical_sha256({**identity, **values}, length=12, compact=False)
    return Path(REPORTS_DIR) / f"{name}-{config.dataset}-{kind}-{digest}"


def sweep_dir(config: RunConfig, resolutions: list[int]) -> Path:
    """``config.out``, or ``reports/<decoder>-<dataset>-sweep-<hash of the settings and sizes>``."""
    return runs_dir(config, "resolution", {"resolutions": resolutions}, "sweep", config.require_decoder())


def run_sweep(config: RunConfig, resolutions: list[int]) -> SweepResult:
    """Run ``config`` once per size in ``resolutions`` and write ``sweep.json`` and ``sweep.html``."""
    if len(resolutions) < 2 or len(set(resolutions)) != len(resolutions):
        raise ConfigError(f"a resolution sweep needs two or more different sizes; got {resolutions}")
    folder = sweep_dir(config, resolutions)
    runs = {size: run(replace(config, resolution=size, out=str(folder / f"r{size}"))) for size in resolutions}
    document = {
        "kind": SWEEP_KIND,
        "created_utc": datetime.now(UTC).isoformat(timespec="seconds"),
        "decoder": config.require_decoder(),
        "dataset": config.dataset,
        "resolutions": resolutions,
        "runs": [_run_entry(folder, size, result) for size, result in runs.items() if result.results is not None],
    }
    if document["runs"]:
        atomic_write_text(folder / SWEEP_FILE, json.dumps(document, indent=1, sort_keys=True) + "\n")
        from evalkit.report.sweep_report import render_sweep_report

        render_sweep_report(folder)
    return SweepResult(folder, document, runs)


def _run_entry(folder: Path, size: int, result: RunResult) -> dict[str, Any]:
    """One size: where its run is, its protocol hash and status, and each metric's three-way values."""
    results = result.results
    metrics = {}
    for name, entry in results["metrics"].items():
        if not entry.get("available"):
            metrics[name] = {"available": False, "reason": entry.get("reason")}
            continue
        values = {key: entry["values"][key] for key in COMPARISONS if key in entry.get("values", {})}
        metrics[name] = {
            "available": True,
            "label": entry.get("label", name),
            "higher_is_better": entry["higher_is_better"],
            "values": values,
        }
    return {
        "resolution": size,
        "run_dir": str(result.run_dir.relative_to(folder)),
        "protocol_hash": results["protocol"]["hash"],
        "status": results["status"],
        "clips": results["clips"]["evaluated"],
        "random_weights": results["random_weights"],
        "metrics": metrics,
    }
