"""One batch of clips through teacher and student, into per-clip records and pooled metric states.

Clips arrive with ground-truth frames (cache miss) or with the cached teacher entry (hit). Misses are
encoded and decoded by the teacher; every clip's latent is decoded by the student; both outputs are
quantised to uint8 the same way, then scored, beside the trivial floors (``evalkit.pipeline.floors``) made from
the ground truth at the teacher's compression. A clip whose decoder output is NaN/Inf is marked failed with
the stage and reason, and the rest of the batch goes on. Decoder calls that run out of memory back off as
``evalkit.pipeline.decode_backoff`` says.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import torch

from evalkit.data import ClipProtocol, ClipRecord
from evalkit.metrics.three_way import ThreeWay
from evalkit.models.interfaces import DecoderPair
from evalkit.models.placement import Placement
from evalkit.models.quantize import finite_clips, to_uint8_clips
from evalkit.models.tiling import decode_in_tiles
from evalkit.pipeline.decode_backoff import DecodeBackoff
from evalkit.pipeline.floors import FloorSettings
from evalkit.pipeline.samples import SampleKeeper
from evalkit.pipeline.stage_clock import StageClock
from evalkit.pipeline.teacher_cache import TeacherCache, TeacherEntry
from evalkit.pipeline.tiling_compare import compare_clip
from evalkit.results.schema import FLOORS, floor_column, floor_comparison, per_clip_column

logger = logging.getLogger(__name__)

FLOOR_OF_COMPARISON = {floor_comparison(floor): floor for floor in FLOORS}


@dataclass
class ClipInput:
    """A clip ready for the decoders: ground-truth frames (miss), a cached teacher entry (hit), or a load error;
    ``warnings``: FFmpeg's warnings while decoding it."""

    clip: ClipRecord
    frames: torch.Tensor | None = None
    cached: TeacherEntry | None = None
    error: str | None = None
    warnings: list[str] = field(default_factory=list)


@dataclass
class _Live:
    """A clip in flight: what is known about it so far."""

    clip: ClipRecord
    reference: torch.Tensor
    latent: torch.Tensor | None = None
    teacher: torch.Tensor | None = None
    student: torch.Tensor | None = None
    cached: TeacherEntry | None = None
    values: dict[str, float] = field(default_factory=dict)
    frame_values: dict[str, list[float]] = field(default_factory=dict)
    features: dict[str, torch.Tensor] = field(default_factory=dict)
    tiling: dict[str, Any] | None = None


class BatchEvaluator:
    """Runs batches of :class:`ClipInput` and returns one journal record per clip.

    Args:
        pair: the built decoders (teacher required; student may be None).
        per_clip_metrics: metric objects scored clip by clip (PSNR, SSIM, LPIPS...), used as templates.
        pooled: cumulative three-way metrics without per-clip values (FVD), updated in place.
        placement: where the decoders run (offload).
        precision: context manager factory for autocast.
        teacher_cache: where teacher work is stored (None: caching off).
        posterior_seed: seed of per-clip posterior samples (``posterior="sample"`` only).
        rank: recorded in every record.
        samples: saves the report's sample clips (None: keep none).
        batch_limit: most clips per decoder call; lowered (and kept) when a call runs out of memory
            (``self.backoff`` holds the limit, the out-of-memory events and the clips decoded in tiles).
        tiling: ``compare`` also decodes every student clip in tiles (``evalkit.pipeline.tiling_compare``).
    """

    def __init__(
        self,
        pair: DecoderPair,
        per_clip_metrics: dict[str, Any],
        pooled: dict[str, ThreeWay],
        placement: Placement,
        precision: Callable[[], Any],
        teacher_cache: TeacherCache | None,
        posterior_seed: int,
        rank: int = 0,
        samples: SampleKeeper | None = None,
        batch_limit: int | None = None,
        tiling: str = "off",
    ) -> None:
        self.pair = pair
        self.tiling = tiling
        self.backoff = DecodeBackoff(placement.device, batch_limit)
        self.per_clip_metrics = per_clip_metrics
        self.pooled = pooled
        self.placement = placement
        self.precision = precision
        self.teacher_cache = teacher_cache
        self.posterior_seed = posterior_seed
        self.rank = rank
        self.samples = samples
        self.clock = StageClock(placement.device)
        self.stage_s = self.clock.seconds
        self.floors = FloorSettings.of_teacher(pair)
        self.floor_params = {floor: described["params"] for floor, described in self.floors.describe().items()}
        self._weight_notes: dict[str, str] = {}

    def __call__(self, batch: list[ClipInput]) -> list[dict[str, Any]]:
        """Evaluate ``batch``; records come back in the batch's order."""
        records: dict[str, dict[str, Any]] = {}
        live: list[_Live] = []
        for item in batch:
            if item.error is not None:
                records[item.clip.clip_id] = self._failed(item.clip, "load", item.error)
            elif item.cached is not None:
                entry = item.cached
                live.append(_Live(item.clip, entry.reference, entry.latent, entry.teacher, cached=entry))
            else:
                live.append(_Live(item.clip, item.frames))
        misses = [clip for clip in live if clip.cached is None]
        for group in _same_shape(misses):
            for clip, reason in self.backoff.run(group, self._run_teacher, "teacher"):
                records[clip.clip.clip_id] = self._failed(clip.clip, "teacher", reason)
        live = [clip for clip in live if clip.clip.clip_id not in records]
        if self.pair.student is not None:
            for group in _same_shape(live, key=lambda clip: tuple(clip.latent.shape)):
                for clip, reason in self.backoff.run(group, self._run_student, "student", self._run_student_tiled):
                    records[clip.clip.clip_id] = self._failed(clip.clip, "student", reason)
            live = [clip for clip in live if clip.clip.clip_id not in records]
            if self.tiling == "compare":
                for clip in live:
                    clip.tiling = self._compare_tiling(clip)
        with self.clock.stage("metrics"):
            for group in _same_shape(live):
                self._score(group)
        for clip in live:
            if self.teacher_cache is not None and clip.cached is None:
                self.teacher_cache.store(clip.clip, self._entry(clip))
            if self.samples is not None and clip.student is not None:
                self.samples.offer(clip.clip.clip_id, clip.reference, clip.teacher, clip.student)
            records[clip.clip.clip_id] = {
                **self._record(clip.clip, "ok"),
                "values": clip.values,
                "frame_values": clip.frame_values,
                "teacher_cache": "hit" if clip.cached is not None else "miss",
            }
            if clip.tiling is not None:
                records[clip.clip.clip_id]["tiling"] = clip.tiling
        for item in batch:
            if item.warnings:
                records[item.clip.clip_id]["decode_warnings"] = item.warnings
        return [records[item.clip.clip_id] for item in batch]

    def _run_teacher(self, group: list[_Live]) -> list[tuple[_Live, str]]:
        teacher = self.pair.teacher
        frames = torch.stack([clip.reference for clip in group])
        pixels_in = ClipProtocol.to_model_input(frames)
        with self.placement.use(teacher), self.precision():
            with self.clock.stage("teacher_encode"):
                latents = self._encode(pixels_in, group)
            with self.clock.stage("teacher_decode"):
                decoded = teacher.decode(latents)
        ok_latent, ok_pixels = finite_clips(latents), finite_clips(decoded)
        quantised = to_uint8_clips(decoded)
        failed = []
        for row, clip in enumerate(group):
            if not ok_latent[row]:
                failed.append(
                    (clip, "teacher encoder output (latent) has NaN/Inf values" + self._weights_note("teacher"))
                )
            elif not ok_pixels[row]:
                failed.append((clip, "teacher decoder output has NaN/Inf values" + self._weights_note("teacher")))
            else:
                clip.latent, clip.teacher = latents[row].detach().to("cpu"), quantised[row]
        return failed

    def _weights_note(self, decoder: str) -> str:
        """`` (N of its weights are NaN/Inf ...)`` when the decoder's own weights explain a NaN output, else ""."""
        if decoder not in self._weight_notes:
            module = getattr(self.pair, decoder)
            tensors = [tensor for tensor in module.state_dict().values() if tensor.is_floating_point()]
            bad = sum(int((~torch.isfinite(tensor)).sum()) for tensor in tensors)
            self._weight_notes[decoder] = f" ({bad} of its weights are NaN/Inf: a broken checkpoint)" if bad else ""
        return self._weight_notes[decoder]

    def _encode(self, pixels: torch.Tensor, group: list[_Live]) -> torch.Tensor:
        """Posterior mode for the batch, or one seeded sample per clip (independent of batching and ranks)."""
        teacher = self.pair.teacher
        if teacher.posterior == "mode":
            return teacher.encode(pixels)
        samples = []
        for row, clip in enumerate(group):
            digest = hashlib.sha256(f"{self.posterior_seed}:{clip.clip.clip_id}".encode()).digest()
            generator = torch.Generator(device=teacher.device).manual_seed(int.from_bytes(digest[:8], "big") >> 1)
            samples.append(teacher.encode(pixels[row : row + 1], generator=generator))
        return torch.cat(samples)

    def _run_student_tiled(self, clip: _Live, message: str) -> list[tuple[_Live, str]]:
        """Decode one clip in spatial tiles (``DecodeBackoff.in_tiles``)."""
        latent_size = tuple(clip.latent.shape[-2:])
        decode = partial(self._run_student, [clip])
        return self.backoff.in_tiles(clip, clip.clip.clip_id, latent_size, decode, message)

    def _compare_tiling(self, clip: _Live) -> dict[str, Any]:
        """The clip's student latent decoded again in tiles, compared with its untiled decode."""
        if any(tiled["clip_id"] == clip.clip.clip_id for tiled in self.backoff.tiled_clips):
            return {"status": "unavailable", "reason": "the student decoded this clip in tiles only (out of memory)"}
        student = self.pair.student
        with self.placement.use(student), self.precision(), self.clock.stage("tiling_compare"):
            try:
                return compare_clip(
                    student.decode,
                    clip.latent.to(self.placement.device),
                    clip.student,
                    self.pair.spec.spatial_compression,
                )
            except torch.OutOfMemoryError as exc:
                reason = f"tiled decode ran out of memory ({self.backoff.recover(exc)})"
                return {"status": "unavailable", "reason": reason}

    def _run_student(self, group: list[_Live], tiles: tuple[int, int] | None = None) -> list[tuple[_Live, str]]:
        student = self.pair.student
        latents = torch.stack([clip.latent for clip in group])
        with self.placement.use(student), self.precision(), self.clock.stage("student_decode"):
            latents = latents.to(self.placement.device)
            if tiles is None:
                decoded = student.decode(latents)
            else:
                decoded = decode_in_tiles(student.decode, latents, self.pair.spec.spatial_compression, *tiles)
        ok = finite_clips(decoded)
        quantised = to_uint8_clips(decoded)
        failed = []
        for row, clip in enumerate(group):
            if ok[row]:
                clip.student = quantised[row]
            else:
                failed.append((clip, "student decoder output has NaN/Inf values" + self._weights_note("student")))
        return failed

    def _score(self, group: list[_Live]) -> None:
        """Every per-clip metric on the student comparisons, and on the teacher and floor comparisons unless
        every clip of the group has them cached; pooled metrics after."""
        ids = [clip.clip.clip_id for clip in group]
        clips = {
            "ground_truth": torch.stack([clip.reference for clip in group]),
            "teacher": torch.stack([clip.teacher for clip in group]),
        }
        student_comparisons = {}
        if self.pair.student is not None:
            clips["student"] = torch.stack([clip.student for clip in group])
            student_comparisons = {"student": ("ground_truth", "student"), "student_vs_teacher": ("teacher", "student")}
        reusable = {"teacher": ("ground_truth", "teacher"), **self.floors.comparisons()}
        for name, metric in self.per_clip_metrics.items():
            columns = self._columns(name)
            cached = {
                comparison: [self._cached(clip, name, metric, comparison) for clip in group] for comparison in reusable
            }
            comparisons = dict(student_comparisons)
            comparisons.update({key: reusable[key] for key, values in cached.items() if None in values})
            if comparisons.keys() & FLOOR_OF_COMPARISON.keys() and not FLOOR_OF_COMPARISON.keys() <= clips.keys():
                clips.update(self.floors.reconstruct(clips["ground_truth"]))
            scores, frames = metric.score_comparisons_by_frame(clips, comparisons, ids)
            for row, clip in enumerate(group):
                clip_id = clip.clip.clip_id
                for comparison, column in columns.items():
                    hit = cached[comparison][row] if comparison in cached else None
                    value, per_frame = (
                        hit if hit is not None else (scores[comparison][clip_id], frames[comparison][clip_id])
                    )
                    clip.values[column] = value
                    if comparison not in FLOOR_OF_COMPARISON:  # curves over frame index are drawn for decoders only
                        clip.frame_values[column] = per_frame
        for name, three_way in self.pooled.items():
            self._score_pooled(name, three_way, group, clips["ground_truth"], clips["teacher"], clips.get("student"))

    def _columns(self, metric: str) -> dict[str, str]:
        """Comparison -> per-clip table column of ``metric``: teacher, student ones (if any) and the floors."""
        comparisons = ("teacher",) if self.pair.student is None else ("teacher", "student", "student_vs_teacher")
        columns = {comparison: per_clip_column(metric, comparison) for comparison in comparisons}
        columns.update({comparison: floor_column(metric, floor) for comparison, floor in FLOOR_OF_COMPARISON.items()})
        return columns

    def _cached(self, clip: _Live, name: str, metric: Any, comparison: str) -> tuple[float, list[float] | None] | None:
        """The cached (value, per-frame scores) of a teacher or floor comparison, if scored with the same metric
        variant (and floor); floors keep no per-frame scores."""
        if clip.cached is None:
            return None
        if comparison == "teacher":
            return clip.cached.metric_scores(name, metric.variant)
        floor = FLOOR_OF_COMPARISON[comparison]
        value = clip.cached.metric_value(floor_column(name, floor), self._floor_variant(metric, floor))
        return None if value is None else (value, None)

    def _floor_variant(self, metric: Any, floor: str) -> dict[str, Any]:
        return {**metric.variant, "floor": self.floor_params[floor]}

    def _score_pooled(self, name: str, three_way: ThreeWay, group: list[_Live], reference, teacher, student) -> None:
        """Pooled (FVD) update, with each clip's ground-truth and teacher features from the cache where they are."""
        variant = three_way.metrics["teacher"].variant
        cached = [None if clip.cached is None else clip.cached.metric_features(name, variant) for clip in group]
        ids = [clip.clip.clip_id for clip in group]
        features = three_way.update_pooled(reference, teacher, student, ids, cached)
        for clip, pair in zip(group, features, strict=True):
            clip.features[name] = pair

    def _entry(self, clip: _Live) -> TeacherEntry:
        metrics = {
            name: {
                "variant": metric.variant,
                "value": clip.values[per_clip_column(name, "teacher")],
                "frames": clip.frame_values[per_clip_column(name, "teacher")],
            }
            for name, metric in self.per_clip_metrics.items()
        }
        metrics.update(
            {
                floor_column(name, floor): {
                    "variant": self._floor_variant(metric, floor),
                    "value": clip.values[floor_column(name, floor)],
                }
                for name, metric in self.per_clip_metrics.items()
                for floor in FLOORS
            }
        )
        metrics.update({name: {"variant": tw.metrics["teacher"].variant} for name, tw in self.pooled.items()})
        return TeacherEntry(clip.latent, clip.reference, clip.teacher, metrics, dict(clip.features))

    def _record(self, clip: ClipRecord, status: str, stage: str | None = None, reason: str | None = None) -> dict:
        return {"clip_id": clip.clip_id, "status": status, "stage": stage, "reason": reason, "rank": self.rank}

    def _failed(self, clip: ClipRecord, stage: str, reason: str) -> dict[str, Any]:
        logger.warning("clip %s failed at %s: %s", clip.clip_id, stage, reason)
        return {**self._record(clip, "failed", stage, reason), "values": {}, "teacher_cache": None}


def _same_shape(clips: list[_Live], key: Callable[[_Live], tuple] | None = None) -> Iterator[list[_Live]]:
    """Groups of clips that can be stacked into one tensor, in first-seen order."""
    key = key or (lambda clip: tuple(clip.reference.shape))
    groups: dict[tuple, list[_Live]] = {}
    for clip in clips:
        groups.setdefault(key(clip), []).append(clip)
    yield from groups.values()
