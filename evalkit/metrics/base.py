"""Input checks and the shared per-clip accumulator behind the frame-averaged metrics (PSNR, SSIM, LPIPS).

Every metric receives uint8 clips ``(B, T, H, W, 3)`` and maps them to float RGB in [0, 1] by ``x / 255``
exactly once, here. A frame-averaged metric scores each frame, averages the frames of a clip, then averages
the clips; the clip-level sums are its whole state, so ``merge`` of per-rank states is exact.
"""

from __future__ import annotations

import copy
from abc import abstractmethod
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar

import torch

from evalkit.metrics.contract import Metric

if TYPE_CHECKING:
    from evalkit.metrics.factory import MetricOptions

STATE_VERSION = 1
CPU_CHUNK_PIXELS = 2**17  # frame pixels per metric call on CPU (see FrameAveragedMetric.chunk_frames)
ACCELERATOR_FRAME_BATCH = 32


def check_clip_pair(reference: torch.Tensor, candidate: torch.Tensor, clip_ids: Sequence[str]) -> list[str]:
    """Validate a batch of paired uint8 clips ``(B, T, H, W, 3)``; returns the clip ids as a list."""
    for role, clips in (("reference", reference), ("candidate", candidate)):
        if not isinstance(clips, torch.Tensor):
            raise TypeError(f"{role} must be a torch.Tensor of uint8 clips (B, T, H, W, 3), got {type(clips).__name__}")
        if clips.dtype != torch.uint8:
            raise TypeError(
                f"{role} must be uint8 in [0, 255] (quantise decoder output first), got dtype {clips.dtype}"
            )
        if clips.ndim != 5 or clips.shape[-1] != 3:
            raise ValueError(f"{role} must have shape (B, T, H, W, 3), got {tuple(clips.shape)}")
    if reference.shape != candidate.shape:
        raise ValueError(f"reference and candidate shapes differ: {tuple(reference.shape)} vs {tuple(candidate.shape)}")
    ids = [str(clip_id) for clip_id in clip_ids]
    if len(ids) != reference.shape[0]:
        raise ValueError(f"got {len(ids)} clip ids for a batch of {reference.shape[0]} clips")
    if len(set(ids)) != len(ids):
        raise ValueError(f"clip ids repeat within one batch: {sorted(ids)}")
    return ids


def channels_first_frames(clips: torch.Tensor) -> torch.Tensor:
    """uint8 clips ``(B, T, H, W, 3)`` as frames ``(B*T, 3, H, W)``, still uint8."""
    batch, frames, height, width, _ = clips.shape
    return clips.permute(0, 1, 4, 2, 3).reshape(batch * frames, 3, height, width)


def to_unit_frames(clips: torch.Tensor, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """Map uint8 clips ``(B, T, H, W, 3)`` to float frames ``(B*T, 3, H, W)`` in [0, 1] (the one x/255)."""
    return channels_first_frames(clips).to(dtype) / 255.0


def check_state_header(state: dict[str, Any], name: str, variant: dict[str, Any]) -> None:
    """Refuse a saved state from another metric, variant or state version (it would mix incomparable numbers)."""
    if state.get("version") != STATE_VERSION:
        raise ValueError(f"{name}: state version {state.get('version')!r} is not {STATE_VERSION}")
    if state.get("metric") != name:
        raise ValueError(f"{name}: cannot load a state saved by metric {state.get('metric')!r}")
    if state.get("variant") != variant:
        raise ValueError(f"{name}: saved variant {state.get('variant')!r} differs from this metric's {variant!r}")


class FrameAveragedMetric(Metric):
    """Streaming metric scored per frame: per clip = mean of its frames; dataset = mean over clips.

    Subclasses implement ``_frame_values(reference, candidate)`` on float frames ``(N, 3, H, W)`` in [0, 1]
    returning ``{"score": (N,), ...}``; extra keys are summed per clip too (PSNR keeps the MSE this way).
    ``frame_batch`` fixes the frames per call; None chooses by device (:meth:`chunk_frames`).
    """

    unit_dtype: ClassVar[torch.dtype] = torch.float32

    def __init__(self, device: str | torch.device = "cpu", frame_batch: int | None = None) -> None:
        if frame_batch is not None and frame_batch < 1:
            raise ValueError(f"frame_batch must be >= 1, got {frame_batch}")
        self.device = torch.device(device)
        self.frame_batch = frame_batch
        self._clips: dict[str, dict[str, float]] = {}

    @classmethod
    def from_options(cls, options: MetricOptions) -> FrameAveragedMetric:
        """The metric on ``options.device`` with ``options.frame_batch`` frames per call."""
        return cls(device=options.device, frame_batch=options.frame_batch)

    @abstractmethod
    def _frame_values(self, reference: torch.Tensor, candidate: torch.Tensor) -> dict[str, torch.Tensor]:
        """Per-frame values for float frames ``(N, 3, H, W)`` in [0, 1]; must include ``"score"``."""

    def _unit_frames(self, clips: torch.Tensor) -> torch.Tensor:
        return to_unit_frames(clips.to(self.device), self.unit_dtype)

    def chunk_frames(self, height: int, width: int) -> int:
        """Frames per ``_frame_values`` call: ``frame_batch`` when set; else 32 on an accelerator, and on CPU
        as many frames as hold :data:`CPU_CHUNK_PIXELS` pixels, so the working set stays in the CPU cache
        (SSIM at 256x256 ran 3.9 ms per frame in chunks of 2 frames and 15 ms in chunks of 32)."""
        if self.frame_batch is not None:
            return self.frame_batch
        if self.device.type != "cpu":
            return ACCELERATOR_FRAME_BATCH
        return max(1, CPU_CHUNK_PIXELS // (height * width))

    @torch.no_grad()
    def update(self, reference: torch.Tensor, candidate: torch.Tensor, clip_ids: Sequence[str]) -> None:
        ids = check_clip_pair(reference, candidate, clip_ids)
        self._check_new(ids)
        clips = {"reference": reference, "candidate": candidate}
        self._store(ids, self._per_frame(clips, {"pair": ("reference", "candidate")})["pair"])

    @torch.no_grad()
    def score_comparisons(
        self, clips: dict[str, torch.Tensor], comparisons: dict[str, tuple[str, str]], clip_ids: Sequence[str]
    ) -> dict[str, dict[str, float]]:
        """Per-clip scores of several comparisons between named uint8 batches of the same clips.

        ``comparisons`` maps a comparison name to its (reference, candidate) names in ``clips``, e.g.
        ``{"student": ("ground_truth", "student"), "student_vs_teacher": ("teacher", "student")}``. The values
        are those of one fresh ``update`` per comparison; each batch is converted to float once per chunk of
        frames, and a metric may share work between comparisons (:meth:`_comparison_values`).
        """
        return self.score_comparisons_by_frame(clips, comparisons, clip_ids)[0]

    @torch.no_grad()
    def score_comparisons_by_frame(
        self, clips: dict[str, torch.Tensor], comparisons: dict[str, tuple[str, str]], clip_ids: Sequence[str]
    ) -> tuple[dict[str, dict[str, float]], dict[str, dict[str, list[float]]]]:
        """:meth:`score_comparisons` plus each clip's per-frame scores ``{comparison: {clip_id: [score, ...]}}``
        (one per frame, or per consecutive frame pair for temporal metrics), for curves over frame index."""
        ids: list[str] = []
        for reference, candidate in comparisons.values():
            ids = check_clip_pair(clips[reference], clips[candidate], clip_ids)
        scores, frames = {}, {}
        for comparison, per_frame in self._per_frame(clips, comparisons).items():
            scorer = self.fresh()
            scorer._store(ids, per_frame)
            scores[comparison] = scorer.per_clip()
            values = per_frame["score"].to("cpu", torch.float64)
            frames[comparison] = {clip_id: values[row].tolist() for row, clip_id in enumerate(ids)}
        return scores, frames

    def _per_frame(
        self, clips: dict[str, torch.Tensor], comparisons: dict[str, tuple[str, str]]
    ) -> dict[str, dict[str, torch.Tensor]]:
        """``{comparison: {key: (B, T) per-frame values}}``, computed in chunks of :meth:`chunk_frames` frames."""
        used = sorted({name for pair in comparisons.values() for name in pair})
        frames = {name: channels_first_frames(clips[name]) for name in used}
        num_clips, num_frames = clips[used[0]].shape[:2]
        step = self.chunk_frames(*frames[used[0]].shape[-2:])

        def unit(uint8_frames: torch.Tensor) -> torch.Tensor:  # per chunk, so the float copies stay small
            return uint8_frames.to(self.device, self.unit_dtype) / 255.0

        chunks = [
            self._comparison_values({name: unit(f[i : i + step]) for name, f in frames.items()}, comparisons)
            for i in range(0, num_clips * num_frames, step)
        ]
        return {
            comparison: {
                key: torch.cat([chunk[comparison][key] for chunk in chunks]).reshape(num_clips, num_frames)
                for key in chunks[0][comparison]
            }
            for comparison in comparisons
        }

    def _comparison_values(
        self, frames: dict[str, torch.Tensor], comparisons: dict[str, tuple[str, str]]
    ) -> dict[str, dict[str, torch.Tensor]]:
        """Per-frame values of every comparison on one chunk of float frames; override to share work."""
        return {name: self._frame_values(frames[ref], frames[cand]) for name, (ref, cand) in comparisons.items()}

    def _check_new(self, ids: list[str]) -> None:
        seen = [clip_id for clip_id in ids if clip_id in self._clips]
        if seen:
            raise ValueError(f"{self.name}: clip ids already scored (duplicates would be double-counted): {seen}")

    def _store(self, ids: list[str], per_frame: dict[str, torch.Tensor]) -> None:
        """Keep per-clip sums of per-frame values ``(B, T)`` (``"score"`` plus any extras)."""
        per_frame = {key: values.to("cpu", torch.float64) for key, values in per_frame.items()}
        num_frames = per_frame["score"].shape[1]
        for row, clip_id in enumerate(ids):
            sums = {f"{key}_sum": float(values[row].sum()) for key, values in per_frame.items()}
            self._clips[clip_id] = {"frames": float(num_frames), **sums}

    def per_clip(self) -> dict[str, float]:
        """Mean per-frame score of each clip, keyed by clip id."""
        return {clip_id: sums["score_sum"] / sums["frames"] for clip_id, sums in self._clips.items()}

    def compute(self) -> dict[str, Any]:
        """Mean over clips of the per-clip scores, with counts and the variant label."""
        if not self._clips:
            raise ValueError(f"{self.name}: no clips were scored; call update() first")
        per_clip = self.per_clip()
        return {
            "value": sum(per_clip.values()) / len(per_clip),
            "num_clips": len(per_clip),
            "num_frames": int(sum(sums["frames"] for sums in self._clips.values())),
            "higher_is_better": self.higher_is_better,
            "variant": self.variant,
        }

    def fresh(self) -> FrameAveragedMetric:
        twin = copy.copy(self)
        twin._clips = {}
        return twin

    def state_dict(self) -> dict[str, Any]:
        """Plain-Python state (JSON- and torch.save-safe) for resume and for gathering ranks."""
        return {
            "version": STATE_VERSION,
            "metric": self.name,
            "variant": self.variant,
            "clips": copy.deepcopy(self._clips),
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        check_state_header(state, self.name, self.variant)
        self._clips = copy.deepcopy(state["clips"])

    def merge(self, other: Metric | dict[str, Any]) -> None:
        """Add another rank's clips (a metric or its ``state_dict()``); a clip scored twice is an error."""
        state = other.state_dict() if isinstance(other, Metric) else other
        check_state_header(state, self.name, self.variant)
        overlap = sorted(set(state["clips"]) & set(self._clips))
        if overlap:
            raise ValueError(f"{self.name}: cannot merge, clips scored on both sides: {overlap[:5]}")
        self._clips.update(copy.deepcopy(state["clips"]))
