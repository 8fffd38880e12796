"""Temporal difference error ("tdiff"): how far the reconstruction's frame-to-frame change is from the truth's.

For each pair of consecutive frames, the mean absolute difference between ``cand[t+1] - cand[t]`` and
``ref[t+1] - ref[t]`` over pixels and RGB channels, in [0, 1] units; per clip = mean over its T-1 pairs,
dataset = mean over clips; lower is better. A static per-frame error (e.g. a constant colour shift) scores
0 here while flicker scores high, so it complements PSNR/SSIM, which cannot see flicker. This is evalkit's
flicker measure: it is the mean change of the error ``c - r`` between frames, so it is comparable across
decoders scored on the same clips (a static clip whose frames alternate by ``a`` levels scores ``a/255``).
Its per-pair values are the ``tdiff`` curve of ``results.json``'s ``per_frame``; the generation check's
flicker curves (:mod:`evalkit.generation.flicker`) are the raw change ``|x[t+1] - x[t]|`` without a reference.
"""

from __future__ import annotations

from typing import Any, ClassVar

import torch

from evalkit.metrics.base import FrameAveragedMetric


def temporal_diff_error(reference: torch.Tensor, candidate: torch.Tensor) -> torch.Tensor:
    """Per frame pair error of float clips ``(T, 3, H, W)`` in [0, 1]; returns ``(T-1,)``."""
    change_error = (candidate[1:] - candidate[:-1]) - (reference[1:] - reference[:-1])
    return change_error.abs().flatten(1).mean(dim=1)


class TemporalDiffError(FrameAveragedMetric):
    """Streaming temporal difference error: per consecutive-frame pair, mean per clip, mean over clips."""

    name: ClassVar[str] = "tdiff"
    higher_is_better: ClassVar[bool] = False

    @property
    def variant(self) -> dict[str, Any]:
        """Settings recorded with every result."""
        return {"definition": "mean |(c[t+1]-c[t]) - (r[t+1]-r[t])|, RGB in [0,1], per consecutive pair"}

    def _frame_values(self, reference: torch.Tensor, candidate: torch.Tensor) -> dict[str, torch.Tensor]:
        return {"score": temporal_diff_error(reference, candidate)}

    def _per_frame(
        self, clips: dict[str, torch.Tensor], comparisons: dict[str, tuple[str, str]]
    ) -> dict[str, dict[str, torch.Tensor]]:
        """``{comparison: {"score": (B, T-1)}}``, clip by clip: differences between frames need whole clips."""
        num_frames = next(iter(clips.values())).shape[1]
        if num_frames < 2:
            raise ValueError(f"tdiff needs clips of at least 2 frames, got {num_frames}")
        return {
            comparison: {
                "score": torch.stack(
                    [
                        self._frame_values(self._unit_frames(ref[None]), self._unit_frames(cand[None]))["score"]
                        for ref, cand in zip(clips[reference], clips[candidate], strict=True)
                    ]
                )
            }
            for comparison, (reference, candidate) in comparisons.items()
        }
