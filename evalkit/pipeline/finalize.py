"""Rank 0's last step: per-clip table, metric aggregates and ``results.json``, manifest and the run report
(built from those files and the saved samples), each written atomically into the run folder."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from evalkit.atomic import atomic_path
from evalkit.data import ClipManifest
from evalkit.metrics import METRICS, UnavailableMetric
from evalkit.metrics.three_way import ThreeWay
from evalkit.models.interfaces import DecoderPair
from evalkit.pipeline.config import RunConfig
from evalkit.pipeline.floors import FloorSettings
from evalkit.pipeline.metric_entries import per_clip_entry, pooled_entry, unavailable_entry
from evalkit.pipeline.tiling_compare import tiling_section
from evalkit.report.run_report import render_run_report
from evalkit.results.floors import floor_results
from evalkit.results.frame_curves import frame_curves
from evalkit.results.io import write_per_clip, write_results
from evalkit.results.provenance import provenance
from evalkit.results.schema import (
    FLOORS,
    MANIFEST_FILE,
    PER_CLIP_BASE_COLUMNS,
    REPORT_FILE,
    RESULTS_KIND,
    SCHEMA_VERSION,
    MetricResult,
    floor_column,
    per_clip_column,
    run_status,
)
from evalkit.results.stats import CI_LEVEL, CI_METHOD

logger = logging.getLogger(__name__)


def per_clip_table(manifest: ClipManifest, records: dict[str, dict[str, Any]], columns: list[str]) -> pd.DataFrame:
    """One row per manifest clip (manifest order) with status, failure and every per-clip value (NaN if none)."""
    rows = []
    for clip in manifest.clips:
        record = records.get(clip.clip_id)
        if record is None:
            rows.append({"clip_id": clip.clip_id, "status": "failed", "stage": None, "reason": "not evaluated"})
            continue
        values = record.get("values", {})
        rows.append(
            {
                **{key: record[key] for key in PER_CLIP_BASE_COLUMNS},
                **{column: values.get(column, np.nan) for column in columns},
            }
        )
    table = pd.DataFrame(rows, columns=[*PER_CLIP_BASE_COLUMNS, *columns])
    table[columns] = table[columns].astype(np.float64)
    return table


def metric_entries(
    table: pd.DataFrame,
    per_clip_metrics: dict[str, Any],
    pooled: dict[str, ThreeWay],
    unavailable: dict[str, UnavailableMetric],
    order: tuple[str, ...],
    *,
    seed: int,
    resamples: int,
) -> dict[str, MetricResult]:
    """The ``metrics`` block: per-clip aggregates, pooled scores, and unavailable metrics with their reasons."""
    entries: dict[str, MetricResult] = {}
    for name in order:
        if name in unavailable:
            entries[name] = unavailable_entry(name, unavailable[name])
        elif name in per_clip_metrics:
            entries[name] = per_clip_entry(name, table, per_clip_metrics[name].variant, seed=seed, resamples=resamples)
        else:
            entries[name] = pooled_entry(name, pooled[name].metrics)
    return entries


def write_run(
    run_dir: Path,
    *,
    config: RunConfig,
    manifest: ClipManifest,
    protocol_block: dict[str, Any],
    pair: DecoderPair,
    state_sha256: dict[str, str | None],
    records: dict[str, dict[str, Any]],
    per_clip_metrics: dict[str, Any],
    pooled: dict[str, ThreeWay],
    unavailable: dict[str, UnavailableMetric],
    device: dict[str, Any],
    timings: dict[str, Any],
    cache: dict[str, Any],
    profile: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Write every file of the run folder; returns the results document (``profile``: its cost section)."""
    comparisons = ("teacher",) if pair.student is None else ("teacher", "student", "student_vs_teacher")
    columns = [per_clip_column(name, comparison) for name in per_clip_metrics for comparison in comparisons]
    columns += [floor_column(name, floor) for name in per_clip_metrics for floor in FLOORS]
    table = per_clip_table(manifest, records, columns)
    metrics = metric_entries(
        table,
        per_clip_metrics,
        pooled,
        unavailable,
        tuple(config.metrics),
        seed=config.seed,
        resamples=config.bootstrap_resamples,
    )
    evaluated = int((table["status"] == "ok").sum())
    failed = table.loc[table["status"] != "ok"]
    skipped = [{"clip_id": skip.clip_id, "stage": "manifest", "reason": skip.reason} for skip in manifest.skipped]
    skipped += [
        {"clip_id": row.clip_id, "stage": row.stage, "reason": row.reason} for row in failed.itertuples(index=False)
    ]
    timings = {**timings, "clips_per_s": evaluated / timings["wall_s"] if timings["wall_s"] > 0 else None}
    doc = {
        "schema_version": SCHEMA_VERSION,
        "kind": RESULTS_KIND,
        "run_id": config.run_id,
        "status": run_status(evaluated, len(manifest.clips)),
        "random_weights": bool(pair.random_weights),
        "created_utc": datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        "config": config.to_dict(),
        "protocol": protocol_block,
        "dataset": {
            "name": manifest.dataset,
            "root": manifest.root,
            "split": manifest.split,
            "fold": manifest.fold,
            "manifest_hash": manifest.hash(),
            "clips_total": len(manifest.clips) + len(manifest.skipped),
        },
        "decoders": _decoders(pair, config, state_sha256),
        "metrics": {name: entry.to_dict() for name, entry in metrics.items()},
        "floors": floor_results(
            table,
            FloorSettings.of_teacher(pair).describe(),
            list(per_clip_metrics),
            seed=config.seed,
            resamples=config.bootstrap_resamples,
        ),
        "ci": {"method": CI_METHOD, "level": CI_LEVEL, "resamples": config.bootstrap_resamples, "seed": config.seed},
        "clips": {
            "total": len(manifest.clips) + len(manifest.skipped),
            "evaluated": evaluated,
            "failed": len(failed),
            "skipped": skipped,
            "decode_warnings": {
                clip_id: record["decode_warnings"]
                for clip_id, record in sorted(records.items())
                if record.get("decode_warnings")
            },
        },
        "provenance": provenance(),
        "device": device,
        "seed": config.seed,
        "timings": timings,
        "cache": cache,
        "files": {"per_clip": None, "manifest": MANIFEST_FILE, "report": REPORT_FILE},
        "profile": profile,
        "per_frame": frame_curves(
            records.values(),
            {name: METRICS.get(name).higher_is_better for name in per_clip_metrics},
            period=pair.spec.temporal_compression,
        ),
    }
    tiling = tiling_section(records.values(), seed=config.seed, resamples=config.bootstrap_resamples)
    if tiling is not None:
        doc["tiling"] = tiling
    run_dir.mkdir(parents=True, exist_ok=True)
    with atomic_path(run_dir / MANIFEST_FILE) as tmp:
        manifest.write(tmp)
    doc["files"]["per_clip"] = write_per_clip(run_dir, table).name
    write_results(run_dir, doc)
    render_run_report(run_dir)
    return doc


def _decoders(pair: DecoderPair, config: RunConfig, state_sha256: dict[str, str | None]) -> dict[str, Any]:
    info = pair.info
    student = None
    if pair.student is not None:
        student = {"name": pair.name, "weights": info.get("student_weights"), "state_sha256": state_sha256["student"]}
    return {
        "pair": pair.name,
        "init": config.init,
        "posterior": config.posterior,
        "dtype": config.dtype,
        "teacher": {
            "name": pair.spec.teacher,
            "weights": info.get("teacher_weights"),
            "state_sha256": state_sha256["teacher"],
        },
        "student": student,
        "info": info,
    }
