"""Rank 0's last step: per-clip table, metric aggregates and ``results.json``, manifest and the run report
(built from those files and the saved samples), each written atomically into the run folder."""

from __future__ import annotations

import logging
from functools import partial
from pathlib import Path
from typing import Any

from evalkit.atomic import atomic_path
from evalkit.data import ClipManifest
from evalkit.metrics import METRICS, UnavailableMetric
from evalkit.metrics.three_way import ThreeWay
from evalkit.models.interfaces import DecoderPair
from evalkit.pipeline.config import RunConfig
from evalkit.pipeline.floors import FloorSettings
from evalkit.pipeline.metric_entries import metric_entries, pooled_entry
from evalkit.pipeline.tiling_compare import tiling_section
from evalkit.report.run_report import render_run_report
from evalkit.results.document import clips_block, decoders_block, per_clip_table, results_document, write_document
from evalkit.results.floors import floor_results
from evalkit.results.frame_curves import frame_curves
from evalkit.results.schema import FLOORS, MANIFEST_FILE, floor_column, per_clip_column, run_status

logger = logging.getLogger(__name__)


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
    table = per_clip_table(_rows(manifest, records), columns)
    metrics = metric_entries(
        config.metrics,
        table,
        per_clip=per_clip_metrics,
        pooled={name: partial(pooled_entry, name, three_way.metrics) for name, three_way in pooled.items()},
        unavailable=unavailable,
        seed=config.seed,
        resamples=config.bootstrap_resamples,
    )
    manifest_skips = [
        {"clip_id": skip.clip_id, "stage": "manifest", "reason": skip.reason} for skip in manifest.skipped
    ]
    clips = clips_block(table, total=len(manifest.clips) + len(manifest.skipped), skipped=manifest_skips)
    clips["decode_warnings"] = {
        clip_id: record["decode_warnings"]
        for clip_id, record in sorted(records.items())
        if record.get("decode_warnings")
    }
    sections: dict[str, Any] = {
        "floors": floor_results(
            table,
            FloorSettings.of_teacher(pair).describe(),
            list(per_clip_metrics),
            seed=config.seed,
            resamples=config.bootstrap_resamples,
        ),
        "per_frame": frame_curves(
            records.values(),
            {name: METRICS.get(name).higher_is_better for name in per_clip_metrics},
            period=pair.spec.temporal_compression,
        ),
    }
    tiling = tiling_section(records.values(), seed=config.seed, resamples=config.bootstrap_resamples)
    if tiling is not None:
        sections["tiling"] = tiling
    doc = results_document(
        run_id=config.run_id,
        status=run_status(clips["evaluated"], len(manifest.clips)),
        random_weights=pair.random_weights,
        config=config.to_dict(),
        protocol=protocol_block,
        dataset={
            "name": manifest.dataset,
            "root": manifest.root,
            "split": manifest.split,
            "fold": manifest.fold,
            "manifest_hash": manifest.hash(),
        },
        decoders=decoders_block(
            pair.name,
            pair.spec.teacher,
            pair.info,
            init=config.init,
            posterior=config.posterior,
            dtype=config.dtype,
            state_sha256=state_sha256,
        ),
        metrics=metrics,
        clips=clips,
        seed=config.seed,
        resamples=config.bootstrap_resamples,
        device=device,
        timings=timings,
        manifest_file=MANIFEST_FILE,
        cache=cache,
        profile=profile,
        **sections,
    )
    run_dir.mkdir(parents=True, exist_ok=True)
    with atomic_path(run_dir / MANIFEST_FILE) as tmp:
        manifest.write(tmp)
    write_document(run_dir, doc, table)
    render_run_report(run_dir)
    return doc


def _rows(manifest: ClipManifest, records: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per manifest clip (manifest order): its record with the per-clip values, or "not evaluated"."""
    rows = []
    for clip in manifest.clips:
        record = records.get(clip.clip_id)
        if record is None:
            rows.append({"clip_id": clip.clip_id, "status": "failed", "stage": None, "reason": "not evaluated"})
        else:
            rows.append({**record, **record.get("values", {})})
    return rows
