"""Score videos decoded elsewhere against their references (`evalkit score`), with the metrics and clip
protocol of `evalkit run`, and write the same run-folder files (results.json, per-clip table, report).

Files are paired by their path relative to the two roots, extension ignored (``a/b.avi`` pairs with
``a/b.mp4``); a file without a partner is reported, never re-paired by position. The one comparison is
stored as ``student`` = metric(reference, reconstruction), the decoder under test; the trivial floors of each
reference (``evalkit.pipeline.floors``, factors from options) are scored beside it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

import pandas as pd
import torch

from evalkit.data.backends import DecodeError, count_frames, read_video
from evalkit.data.protocol import ClipProtocol
from evalkit.metrics.factory import METRICS, MetricOptions, build_metrics, set_aside_for_clip_count
from evalkit.pipeline.floors import FloorSettings
from evalkit.pipeline.metric_entries import metric_entries, pooled_entry
from evalkit.report.run_report import render_run_report
from evalkit.results.document import clips_block, per_clip_table, results_document, session_timings, write_document
from evalkit.results.floors import floor_results
from evalkit.results.schema import FLOORS, floor_column, floor_comparison, per_clip_column, run_status
from evalkit.results.stats import DEFAULT_RESAMPLES

logger = logging.getLogger(__name__)

VIDEO_SUFFIXES = (".mp4", ".avi", ".mkv", ".webm", ".mov", ".m4v")
COMPARISON = "student"


@dataclass
class VideoPairs:
    """Reference/reconstruction files matched by relative path, and the files left without a partner."""

    pairs: dict[str, tuple[Path, Path]] = field(default_factory=dict)
    unmatched: list[dict[str, str]] = field(default_factory=list)


@dataclass
class ScoreResult:
    """What `evalkit score` computed: the per-clip table and the results document written to ``run_dir``."""

    table: pd.DataFrame
    results: dict[str, Any]
    run_dir: Path


def _videos(root: Path) -> dict[str, Path]:
    """Videos under ``root`` keyed by relative path without extension (a single file keys by its stem)."""
    if root.is_file():
        return {root.stem: root}
    if not root.is_dir():
        raise FileNotFoundError(f"{root} is neither a video file nor a folder")
    found: dict[str, Path] = {}
    for path in sorted(root.rglob("*")):
        if path.is_file() and path.suffix.lower() in VIDEO_SUFFIXES:
            key = path.relative_to(root).with_suffix("").as_posix()
            if key in found:
                raise ValueError(f"{found[key]} and {path} differ only in extension; keep one of them")
            found[key] = path
    return found


def pair_videos(reference: str | Path, reconstruction: str | Path) -> VideoPairs:
    """Match files of two folders (or two single files) by relative path; list the ones without a partner."""
    reference, reconstruction = Path(reference), Path(reconstruction)
    if reference.is_file() and reconstruction.is_file():
        return VideoPairs({reference.stem: (reference, reconstruction)})
    if reference.is_file() != reconstruction.is_file() and reference.exists() and reconstruction.exists():
        raise ValueError(f"--reference {reference} and --reconstruction {reconstruction} must both be files or folders")
    refs, recs = _videos(reference), _videos(reconstruction)
    result = VideoPairs({key: (refs[key], recs[key]) for key in sorted(refs.keys() & recs.keys())})
    result.unmatched = [
        {"clip_id": key, "stage": "load", "reason": f"no reconstruction for reference {refs[key]}"}
        for key in sorted(refs.keys() - recs.keys())
    ] + [
        {"clip_id": key, "stage": "load", "reason": f"no reference for reconstruction {recs[key]}"}
        for key in sorted(recs.keys() - refs.keys())
    ]
    return result


def load_pair(
    clip_id: str, paths: tuple[Path, Path], protocol: ClipProtocol, allow_resize: bool = False
) -> tuple[torch.Tensor, torch.Tensor]:
    """Both videos' frames under ``protocol`` as uint8 ``(T, H, W, 3)``; the frame indices come from the reference.

    Decoded frames of different sizes are refused unless ``allow_resize`` (the protocol's resize would
    otherwise silently stretch one onto the other: a transposed 144x176 scored 10.1 dB against 176x144).
    """
    reference_path, reconstruction_path = paths
    available = count_frames(reference_path)
    indices = protocol.select_indices(available, clip_id)
    if indices is None:
        raise ValueError(protocol.too_short_reason(available))
    partner = count_frames(reconstruction_path)
    if protocol.num_frames is None and partner != available:
        raise ValueError(f"frame counts differ: reference {available}, reconstruction {partner}")
    if max(indices) >= partner:
        raise ValueError(f"reconstruction has {partner} frames, the clip needs frame {max(indices)}")
    decoded = [read_video(path, indices) for path in paths]
    sizes = [f"{video.shape[2]}x{video.shape[1]}" for video in decoded]
    if sizes[0] != sizes[1] and not allow_resize:
        raise ValueError(
            f"frame sizes differ: reference {sizes[0]}, reconstruction {sizes[1]} (width x height); "
            "pass --allow-resize to resize both by the clip protocol anyway"
        )
    frames = [torch.from_numpy(protocol.transform(video)) for video in decoded]
    if frames[0].shape != frames[1].shape:
        raise ValueError(
            f"frame sizes differ: reference {tuple(frames[0].shape)}, reconstruction {tuple(frames[1].shape)}"
        )
    return frames[0], frames[1]


def score_videos(
    reference: str | Path,
    reconstruction: str | Path,
    out: str | Path,
    *,
    protocol: ClipProtocol,
    metrics: tuple[str, ...],
    options: MetricOptions | None = None,
    seed: int = 0,
    resamples: int = DEFAULT_RESAMPLES,
    floors: FloorSettings | None = None,
    allow_resize: bool = False,
) -> ScoreResult:
    """Score every reference/reconstruction pair, and the trivial floors of each reference (``floors``: the
    ``resample`` factors, default 8x8x4), and write results.json, the per-clip table and report.html."""
    options = options or MetricOptions()
    floors = floors or FloorSettings()
    started = datetime.now(UTC)
    pairs = pair_videos(reference, reconstruction)
    for missing in pairs.unmatched:
        logger.warning("%s: %s", missing["clip_id"], missing["reason"])
    built, unavailable = build_metrics(list(metrics), options, min_side=protocol.resolution)
    set_aside_for_clip_count(built, unavailable, len(pairs.pairs))
    per_clip_names = [name for name in built if METRICS.get(name).per_clip]
    rows = []
    for clip_id, paths in pairs.pairs.items():
        row = {"clip_id": clip_id, "status": "ok", "stage": None, "reason": None, "rank": 0}
        try:
            ref, rec = load_pair(clip_id, paths, protocol, allow_resize)
        except (DecodeError, ValueError) as exc:
            logger.warning("%s: skipped: %s", clip_id, exc)
            rows.append({**row, "status": "failed", "stage": "load", "reason": str(exc)})
            continue
        clips = {"ground_truth": ref[None], COMPARISON: rec[None], **floors.reconstruct(ref[None])}
        comparisons = {COMPARISON: ("ground_truth", COMPARISON), **floors.comparisons()}
        for name, metric in built.items():
            if name not in per_clip_names:
                metric.update(ref[None], rec[None], [clip_id])
                continue
            scores = metric.score_comparisons(clips, comparisons, [clip_id])
            row[per_clip_column(name, COMPARISON)] = scores[COMPARISON][clip_id]
            row.update({floor_column(name, floor): scores[floor_comparison(floor)][clip_id] for floor in FLOORS})
        rows.append(row)
    columns = [per_clip_column(name, COMPARISON) for name in per_clip_names]
    columns += [floor_column(name, floor) for name in per_clip_names for floor in FLOORS]
    table = per_clip_table(rows, columns)
    per_clip = {name: built[name] for name in per_clip_names}
    entries = metric_entries(
        metrics,
        table,
        per_clip=per_clip,
        pooled={
            name: partial(pooled_entry, name, {COMPARISON: m}) for name, m in built.items() if name not in per_clip
        },
        unavailable=unavailable,
        seed=seed,
        resamples=resamples,
    )
    run_dir = Path(out)
    finished = datetime.now(UTC)
    clips = clips_block(table, total=len(pairs.pairs) + len(pairs.unmatched), skipped=pairs.unmatched)
    doc = results_document(
        run_id=run_dir.name,
        status=run_status(clips["evaluated"], clips["total"]),
        random_weights=False,
        config={
            "command": "score",
            "reference": str(reference),
            "reconstruction": str(reconstruction),
            "comparison": f"{COMPARISON} = metric(reference, reconstruction)",
            "metrics": list(metrics),
            "metric_options": options.to_dict(),
            "bootstrap_resamples": resamples,
        },
        protocol={"hash": protocol.hash(), "params": protocol.to_dict()},
        dataset={"name": "files", "root": str(reference), "split": None, "fold": None, "manifest_hash": None},
        decoders={"pair": None, "reconstruction": str(reconstruction), "teacher": None, "student": None},
        metrics=entries,
        clips=clips,
        seed=seed,
        resamples=resamples,
        device={"type": options.device, "name": None, "dtype": "float32", "batch_size": 1, "world_size": 1},
        timings=session_timings(started, finished, {}),
        floors=floor_results(table, floors.describe(), per_clip_names, seed=seed, resamples=resamples),
    )
    write_document(run_dir, doc, table)
    render_run_report(run_dir)
    return ScoreResult(table=table, results=doc, run_dir=run_dir)
