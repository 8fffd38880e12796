"""The ``generation`` section of ``results.json``: written into a run folder of its own or into an existing run.

The section's ``metrics`` entries have the layout of ``results.json`` ``metrics`` (values, paired deltas,
variant labels), so the gate reads them with the same code (rules ``gen.<metric>.<quantity>``). A standalone
folder holds a complete schema-v1 document whose top-level ``metrics`` is empty (nothing was reconstructed)
and whose ``dataset`` is the generated set.
"""

from __future__ import annotations

import hashlib
import logging
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from evalkit.atomic import atomic_path
from evalkit.generation.check import COMPARISON, REFERENCE_NOTE, CheckOutcome
from evalkit.generation.flicker import save_flicker_figure
from evalkit.hashing import canonical_sha256
from evalkit.models.interfaces import DecoderPair
from evalkit.models.quantize import OUTPUT_QUANTISATION
from evalkit.models.state_hash import state_dict_sha256
from evalkit.report.run_report import render_run_report
from evalkit.results.io import read_results, write_results
from evalkit.results.provenance import provenance
from evalkit.results.sample_size import comparability_note, metric_caption
from evalkit.results.schema import (
    COMPARISONS,
    DELTAS,
    REPORT_FILE,
    RESULTS_KIND,
    SCHEMA_VERSION,
    MetricResult,
    ResultsSchemaError,
)
from evalkit.results.stats import CI_LEVEL, CI_METHOD
from evalkit.results.summary import format_estimate

logger = logging.getLogger(__name__)

GENERATION_VERSION = 1
PER_SAMPLE_FILE = "generation.parquet"
PER_SAMPLE_CSV_FILE = "generation.csv"
FLICKER_FIGURE = "generation_flicker.png"


def _utc(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


def write_per_sample(run_dir: Path, table: pd.DataFrame) -> str:
    """The per-sample table as parquet (CSV when no parquet engine is installed); returns the file name."""
    try:
        with atomic_path(run_dir / PER_SAMPLE_FILE) as tmp:
            table.to_parquet(tmp, index=False)
        return PER_SAMPLE_FILE
    except ImportError as exc:
        logger.warning("parquet unavailable (%s); writing %s instead", exc, PER_SAMPLE_CSV_FILE)
    with atomic_path(run_dir / PER_SAMPLE_CSV_FILE) as tmp:
        table.to_csv(tmp, index=False)
    return PER_SAMPLE_CSV_FILE


def generation_section(
    outcome: CheckOutcome,
    run_dir: Path,
    *,
    pair: DecoderPair,
    source: dict[str, Any],
    latents: dict[str, Any],
    random_pipeline: bool = False,
    wall_s: float | None = None,
) -> dict[str, Any]:
    """Build the section and write its files (per-sample table, flicker figure) into ``run_dir``."""
    run_dir.mkdir(parents=True, exist_ok=True)
    table = outcome.table
    failed = table.loc[table["status"] != "ok"]
    figure = None
    if outcome.flicker is not None:
        title = f"{pair.name}: frame-to-frame change of generated videos"
        figure = save_flicker_figure(outcome.flicker["curves"], run_dir / FLICKER_FIGURE, title).name
    return {
        "version": GENERATION_VERSION,
        "decoder": pair.name,
        "random_weights": bool(pair.random_weights or random_pipeline),
        "source": source,
        "latents": latents,
        "comparison_note": REFERENCE_NOTE,
        "reference": outcome.reference,
        "metrics": {name: entry.to_dict() for name, entry in outcome.metrics.items()},
        "samples": {
            "total": len(table),
            "ids_hash": hashlib.sha256(",".join(sorted(map(str, table["clip_id"]))).encode()).hexdigest()[:12],
            "evaluated": int((table["status"] == "ok").sum()),
            "failed": len(failed),
            "skipped": [
                {"clip_id": row.clip_id, "stage": row.stage, "reason": row.reason}
                for row in failed.itertuples(index=False)
            ],
        },
        "flicker": None if outcome.flicker is None else {**outcome.flicker, "figure": figure},
        "files": {
            "per_sample": write_per_sample(run_dir, table),
            "clips": outcome.saved_clips,
            "flicker_figure": figure,
        },
        "timings": {"wall_s": wall_s, "stages_s": outcome.stage_s},
    }


def validate_generation(section: Any, source: str = "results") -> dict[str, Any]:
    """Check a ``generation`` section; return it or raise :class:`ResultsSchemaError` naming the key."""
    where = f"{source}: generation"
    if not isinstance(section, dict):
        raise ResultsSchemaError(f"{where} must be an object")
    if section.get("version") != GENERATION_VERSION:
        raise ResultsSchemaError(f"{where}.version {section.get('version')!r} is not {GENERATION_VERSION}")
    for key in ("decoder", "random_weights", "source", "latents", "metrics", "samples", "files"):
        if key not in section:
            raise ResultsSchemaError(f"{where}.{key} is missing")
    for name, entry in section["metrics"].items():
        metric = MetricResult.from_dict(name, entry)
        unknown = sorted(set(metric.values) - set(COMPARISONS)) + sorted(set(metric.paired) - set(DELTAS))
        if unknown:
            raise ResultsSchemaError(f"{where}.metrics.{name}: unknown keys {unknown}")
    return section


def _decoders(pair: DecoderPair) -> dict[str, Any]:
    """The ``decoders`` block, laid out as `evalkit run` writes it."""
    info = pair.info
    return {
        "pair": pair.name,
        "init": info.get("init"),
        "posterior": info.get("posterior"),
        "dtype": info.get("dtype"),
        "teacher": {
            "name": pair.spec.teacher,
            "weights": info.get("teacher_weights"),
            "state_sha256": state_dict_sha256(pair.teacher),
        },
        "student": {
            "name": pair.name,
            "weights": info.get("student_weights"),
            "state_sha256": state_dict_sha256(pair.student),
        },
        "info": info,
    }


def generation_protocol(latents: dict[str, Any], source: dict[str, Any]) -> dict[str, Any]:
    """The results ``protocol`` block of a standalone check: what was generated and how it was quantised."""
    params = {"latents": latents, "source": source, "output_quantisation": OUTPUT_QUANTISATION}
    return {"hash": canonical_sha256(params, length=12, compact=False), "params": params}


def write_generation_run(
    run_dir: str | os.PathLike[str],
    section: dict[str, Any],
    *,
    pair: DecoderPair,
    config: dict[str, Any],
    device: dict[str, Any],
    seed: int,
    resamples: int,
    started: datetime,
) -> dict[str, Any]:
    """Write a standalone run folder: ``results.json`` (schema v1 with ``generation``) and the run report."""
    run_dir = Path(run_dir)
    finished = datetime.now(UTC)
    samples = section["samples"]
    wall_s = (finished - started).total_seconds()
    doc = {
        "schema_version": SCHEMA_VERSION,
        "kind": RESULTS_KIND,
        "run_id": run_dir.name,
        "status": "complete" if samples["failed"] == 0 else "partial",
        "random_weights": section["random_weights"],
        "created_utc": _utc(finished),
        "config": config,
        "protocol": generation_protocol(section["latents"], section["source"]),
        "dataset": {
            "name": "generated",
            "root": section["source"].get("prompts") or section["source"].get("latents_dir"),
            "split": None,
            "fold": None,
            "manifest_hash": samples["ids_hash"],
            "clips_total": samples["total"],
        },
        "decoders": _decoders(pair),
        "metrics": {},
        "ci": {"method": CI_METHOD, "level": CI_LEVEL, "resamples": resamples, "seed": seed},
        "clips": {key: samples[key] for key in ("total", "evaluated", "failed", "skipped")},
        "provenance": provenance(),
        "device": device,
        "seed": seed,
        "timings": {
            "started_utc": _utc(started),
            "finished_utc": _utc(finished),
            "wall_s": wall_s,
            "clips_per_s": samples["evaluated"] / wall_s if wall_s > 0 else None,
            "sessions": 1,
            "stages_s": section["timings"]["stages_s"],
        },
        "cache": {"enabled": False, "dir": None, "teacher_hits": 0, "teacher_misses": 0, "fvd_reference": None},
        "files": {"per_clip": None, "manifest": None, "report": REPORT_FILE},
        "profile": None,
        "generation": validate_generation(section, str(run_dir)),
    }
    write_results(run_dir, doc)
    render_run_report(run_dir)
    return doc


def attach_generation(run_dir: str | os.PathLike[str], section: dict[str, Any]) -> dict[str, Any]:
    """Store ``section`` as ``generation`` in an existing run's ``results.json`` (replacing an older one) and
    render the run's report again so it shows the section."""
    doc = read_results(run_dir)
    doc["generation"] = validate_generation(section, str(run_dir))
    doc["random_weights"] = bool(doc["random_weights"] or section["random_weights"])
    write_results(run_dir, doc)
    render_run_report(run_dir)
    return doc


def format_generation_summary(section: dict[str, Any]) -> str:
    """A few lines for the terminal: FVDs against the reference and the student-vs-teacher per-sample means."""
    samples = section["samples"]
    lines = [
        f"generation check: {section['decoder']} on {samples['evaluated']}/{samples['total']} generated samples"
        + (" [RANDOM WEIGHTS]" if section["random_weights"] else "")
    ]
    for name, entry in section["metrics"].items():
        metric = MetricResult.from_dict(name, entry)
        if not metric.available:
            lines.append(f"  {metric.label}: unavailable ({metric.reason})")
            continue
        parts = [f"{key} {format_estimate(metric.values.get(key))}" for key in COMPARISONS if key in metric.values]
        if "increase" in metric.paired:
            parts.append(f"increase {format_estimate(metric.paired['increase'])}")
        caveat = comparability_note(metric)
        lines.append(f"  {metric_caption(metric)}: " + ", ".join(parts) + (f" ({caveat})" if caveat else ""))
    lines.append(f"  ({COMPARISON}: the teacher's decode is the reference)")
    return "\n".join(lines)
