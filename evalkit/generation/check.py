"""Decode every generated latent with the teacher and the student and score the two sets.

There is no ground truth for a generated video, so the per-sample PSNR/SSIM/LPIPS compare the student's
decode against the teacher's decode of the same latent (the teacher output is the reference), stored as
``student_vs_teacher``. FVD compares whole sets: ``teacher`` = FVD(real reference set, teacher-decoded set),
``student`` = FVD(real reference set, student-decoded set), ``student_vs_teacher`` = FVD(teacher set,
student set); the paired ``increase`` is then student minus teacher FVD (the paper's "OpenVid FVD" pair).
Decoder outputs are clamped and quantised to uint8 exactly as in ``evalkit run``.
"""

from __future__ import annotations

import logging
import os
import time
from collections import defaultdict
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch

from evalkit.atomic import atomic_path
from evalkit.generation.flicker import FlickerCurves
from evalkit.generation.latents import GeneratedLatent, check_latent
from evalkit.generation.reference import ReferenceSet, reference_features
from evalkit.metrics import METRICS, MetricOptions, build_metrics
from evalkit.metrics.contract import PooledMetric
from evalkit.metrics.three_way import ThreeWay
from evalkit.models.interfaces import DecoderPair
from evalkit.models.placement import Placement
from evalkit.models.quantize import finite_clips, to_uint8_clips
from evalkit.models.registry import denormalize_pipeline_latents
from evalkit.pipeline.metric_entries import metric_entries
from evalkit.results.aggregate import pooled_metric_result, unavailable_metric_result
from evalkit.results.schema import PER_CLIP_BASE_COLUMNS, MetricResult, per_clip_column
from evalkit.results.stats import DEFAULT_RESAMPLES

logger = logging.getLogger(__name__)

COMPARISON = "student_vs_teacher"
CLIPS_DIR = "generated"
SAMPLE_COLUMNS = (*PER_CLIP_BASE_COLUMNS, "prompt", "seed")
REFERENCE_NOTE = (
    "per-sample PSNR/SSIM/LPIPS: metric(teacher decode, student decode) of the same generated latent; "
    "the teacher output is the reference (generated videos have no ground truth)"
)


@dataclass(frozen=True)
class CheckOptions:
    """What to score and keep: metric names and settings, the real videos of FVD(teacher/student set) (None scores
    only FVD(student, teacher)), how many samples' decoded frames to keep, flicker curves, bootstrap seed and size."""

    metrics: tuple[str, ...] = ("psnr", "ssim", "lpips", "fvd")
    metric_options: MetricOptions = field(default_factory=MetricOptions)
    reference: ReferenceSet | None = None
    save_clips: int = 4
    flicker: bool = False
    seed: int = 0
    resamples: int = DEFAULT_RESAMPLES


@dataclass
class CheckOutcome:
    """What the check computed: one row per sample, metric entries, reference record, flicker, saved clips."""

    table: pd.DataFrame
    metrics: dict[str, MetricResult]
    reference: dict[str, Any] | None
    flicker: dict[str, Any] | None
    saved_clips: list[str]
    stage_s: dict[str, float]


class SampleDecodeError(RuntimeError):
    """One sample could not be decoded usefully (NaN/Inf or wrong output shape); the rest go on."""

    def __init__(self, stage: str, reason: str) -> None:
        super().__init__(reason)
        self.stage, self.reason = stage, reason


def raw_latent(item: GeneratedLatent, pair: DecoderPair) -> torch.Tensor:
    """The latent as the decoders take it, ``(1, C, t, h, w)`` float32: pipeline-normalised latents are mapped
    back with the teacher VAE's statistics (SPEC §8), raw ones pass unchanged."""
    z = item.latent[None].float()
    return denormalize_pipeline_latents(pair.name, z, pair.teacher) if item.meta.normalized else z


def decode_sample(
    item: GeneratedLatent, pair: DecoderPair, placement: Placement, stage_s: dict[str, float]
) -> dict[str, torch.Tensor]:
    """``{"teacher": clip, "student": clip}``, uint8 ``(T, H, W, 3)``; raises :class:`SampleDecodeError`."""
    z = raw_latent(item, pair)
    meta = item.meta
    clips = {}
    for role, decoder in (("teacher", pair.teacher), ("student", pair.student)):
        started = time.perf_counter()
        with placement.use(decoder):
            pixels = decoder.decode(z)
        stage_s[f"{role}_decode"] += time.perf_counter() - started
        if not bool(finite_clips(pixels)[0]):
            raise SampleDecodeError(role, f"{role} decoder output has NaN/Inf values")
        if tuple(pixels.shape[1:]) != (3, meta.num_frames, meta.height, meta.width):
            raise SampleDecodeError(
                role,
                f"{role} decoded {tuple(pixels.shape[2:])} (T, H, W); the latent's metadata says "
                f"({meta.num_frames}, {meta.height}, {meta.width})",
            )
        clips[role] = to_uint8_clips(pixels)[0]
    return clips


def save_clip(run_dir: Path, index: int, item: GeneratedLatent, clips: dict[str, torch.Tensor]) -> Path:
    """Store one sample's decoded frames as ``generated/NNN.npz`` (clip_id, prompt, seed, teacher, student)."""
    target = run_dir / CLIPS_DIR / f"{index:03d}.npz"
    target.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(target) as tmp, open(tmp, "wb") as handle:
        np.savez_compressed(
            handle,
            clip_id=np.array(item.meta.sample_id),
            prompt=np.array(item.meta.prompt),
            seed=np.array(-1 if item.meta.seed is None else item.meta.seed),
            teacher=clips["teacher"].numpy(),
            student=clips["student"].numpy(),
        )
    return target


def _check_inputs(items: list[GeneratedLatent], pair: DecoderPair, metrics: tuple[str, ...]) -> None:
    if pair.teacher is None or pair.student is None:
        missing = "teacher" if pair.teacher is None else "student"
        raise ValueError(f"decoder {pair.name!r} has no {missing}; the generation check needs a teacher/student pair")
    if not items:
        raise ValueError("no generated latents to check")
    for item in items:
        check_latent(item, pair.name, pair.spec.teacher, pair.teacher)
    shapes = sorted({(i.meta.num_frames, i.meta.height, i.meta.width) for i in items})
    if "fvd" in metrics and len(shapes) > 1:
        raise ValueError(f"FVD needs one clip shape for the whole set; the latents decode to {shapes} (T, H, W)")


def _fvd_entry(comparisons: dict[str, PooledMetric]) -> MetricResult:
    """The set-level FVDs, student vs teacher first; unavailable when no sample, or too few, were decoded."""
    spec = METRICS.get("fvd")
    unavailable = partial(unavailable_metric_result, "fvd", label=spec.label, higher_is_better=False, per_clip=False)
    count = comparisons[COMPARISON].candidate_stats.count
    if count == 0:
        return unavailable(reason="no sample was decoded")
    try:
        computed = {key: comparisons[key].compute() for key in sorted(comparisons, key=lambda key: key != COMPARISON)}
    except ValueError as exc:  # too few samples for the covariance convention
        return unavailable(reason=f"fvd: {exc}")
    return pooled_metric_result(
        "fvd",
        {key: result["value"] for key, result in computed.items()},
        num_clips=count,
        label=spec.label,
        higher_is_better=False,
        variant=computed[COMPARISON]["variant"],
        unit=spec.unit,
    )


def check_latents(
    items: list[GeneratedLatent],
    pair: DecoderPair,
    run_dir: str | os.PathLike[str],
    options: CheckOptions | None = None,
    *,
    device: str | torch.device = "cpu",
    offload: bool = False,
) -> CheckOutcome:
    """Decode each latent with teacher and student, score them and keep a bounded sample of the clips.

    ``offload`` keeps one decoder at a time on ``device``. Every latent is validated against the pair first
    (teacher, channels, frame rule, size), so a wrong folder fails before any decoding.
    """
    options = options or CheckOptions()
    _check_inputs(items, pair, options.metrics)
    run_dir = Path(run_dir)
    built, unavailable = build_metrics(list(options.metrics), options.metric_options)
    per_sample = {name: metric for name, metric in built.items() if METRICS.get(name).per_clip}
    first = items[0].meta
    stage_s: dict[str, float] = defaultdict(float)
    three_way, reference = None, None
    if "fvd" in built:
        reference_stats = None
        if options.reference is not None:
            started = time.perf_counter()
            reference_stats, reference = reference_features(
                options.reference, built["fvd"], num_frames=first.num_frames, height=first.height, width=first.width
            )
            stage_s["reference"] += time.perf_counter() - started
        three_way = ThreeWay(built["fvd"], reference_stats=reference_stats, against_truth=reference_stats is not None)
    placement = Placement(torch.device(device), offload)
    placement.place(pair.teacher, pair.student)
    flicker = FlickerCurves() if options.flicker else None
    rows, saved = [], []
    for item in items:
        sample_id = item.meta.sample_id
        row = {"clip_id": sample_id, "status": "ok", "stage": None, "reason": None, "rank": 0}
        row.update(prompt=item.meta.prompt, seed=item.meta.seed)
        try:
            with torch.inference_mode():
                clips = decode_sample(item, pair, placement, stage_s)
        except SampleDecodeError as failure:
            logger.warning("%s: %s", sample_id, failure.reason)
            rows.append({**row, "status": "failed", "stage": failure.stage, "reason": failure.reason})
            continue
        started = time.perf_counter()
        for name, metric in per_sample.items():
            metric.update(clips["teacher"][None], clips["student"][None], [sample_id])
            row[per_clip_column(name, COMPARISON)] = metric.per_clip()[sample_id]
        if three_way is not None:
            three_way.update(None, clips["teacher"][None], clips["student"][None], [sample_id])
        stage_s["metrics"] += time.perf_counter() - started
        if flicker is not None:
            for role, clip in clips.items():
                flicker.update(role, clip)
        if len(saved) < options.save_clips:
            saved.append(save_clip(run_dir, len(saved), item, clips).relative_to(run_dir).as_posix())
        rows.append(row)
    columns = [per_clip_column(name, COMPARISON) for name in per_sample]
    table = pd.DataFrame(rows, columns=[*SAMPLE_COLUMNS, *columns])
    table = table.astype({**dict.fromkeys(columns, np.float64), "seed": "Int64"})
    metrics = metric_entries(
        options.metrics,
        table,
        per_clip=per_sample,
        pooled={} if three_way is None else {"fvd": partial(_fvd_entry, three_way.metrics)},
        unavailable=unavailable,
        seed=options.seed,
        resamples=options.resamples,
    )
    return CheckOutcome(
        table=table,
        metrics=metrics,
        reference=reference,
        flicker=flicker.to_dict() if flicker is not None else None,
        saved_clips=saved,
        stage_s=dict(stage_s),
    )
