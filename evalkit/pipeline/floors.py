"""Trivial reconstructions ("floors") scored beside every decoder, so a run says whether its decoders beat no model.

* ``flat``: every frame replaced by the clip's mean colour.
* ``resample``: the clip reduced to the teacher's latent grid with 3 channels (area average over
  ``spatial`` x ``spatial`` pixels, every ``temporal``-th frame from the first kept) and brought back (bicubic
  in space, the nearest kept frame in time): what a latent of that size holds with no learning.

Both map uint8 clips ``(B, T, H, W, 3)`` to uint8 clips of the same shape, rounded half to even like decoder
outputs, and are scored by the run's own per-clip metrics as comparisons ``floor_<name>``.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Any

import torch
from torch.nn.functional import interpolate

from evalkit.options import FLOOR_FACTORS_DEFAULT
from evalkit.results.schema import FLOORS, floor_comparison

SPACE_METHOD = "area average down; bicubic up (torch, a=-0.75, half-pixel centres, align_corners=False)"
TIME_METHOD = "every k-th frame from the first; each frame takes the nearest kept one (ties to the even index)"
FLAT_METHOD = "per-channel mean of the clip's pixels, every frame"
OUTPUT_METHOD = "clamp to [0, 255], round half to even, uint8"


def flat_floor(clips: torch.Tensor) -> torch.Tensor:
    """Every frame of each uint8 clip ``(B, T, H, W, 3)`` replaced by the clip's mean colour (uint8)."""
    batch, frames, height, width, channels = clips.shape
    sums = sum(clips[:, t].to(torch.int64).sum(dim=(1, 2)) for t in range(frames))  # exact, one frame at a time
    means = sums.to(torch.float64) / (frames * height * width)
    return _to_uint8(means).reshape(batch, 1, 1, 1, channels).expand(clips.shape).contiguous()


def resample_floor(clips: torch.Tensor, spatial: int, temporal: int) -> torch.Tensor:
    """Each uint8 clip ``(B, T, H, W, 3)`` through a ``ceil(T/temporal)`` x ``ceil(H/spatial)`` x ``ceil(W/spatial)``
    RGB grid and back to its own size (uint8); see the module docstring. One kept frame at a time, so a long
    full-resolution clip (`evalkit score --resolution native`) needs no float copy of the whole clip."""
    height, width = clips.shape[2:4]
    grid = (math.ceil(height / spatial), math.ceil(width / spatial))
    kept = clips[:, ::temporal]
    back = torch.empty_like(kept)
    for clip, frame in itertools.product(range(kept.shape[0]), range(kept.shape[1])):
        pixels = kept[clip, frame].permute(2, 0, 1)[None].to(torch.float64)
        small = interpolate(pixels, size=grid, mode="area")
        up = interpolate(small, size=(height, width), mode="bicubic", align_corners=False)
        back[clip, frame] = _to_uint8(up)[0].permute(1, 2, 0)
    nearest = torch.round(torch.arange(clips.shape[1], dtype=torch.float64) / temporal).long()
    return back[:, nearest.clamp(max=kept.shape[1] - 1)]


def _to_uint8(values: torch.Tensor) -> torch.Tensor:
    return values.clamp(0.0, 255.0).round().to(torch.uint8)


@dataclass(frozen=True)
class FloorSettings:
    """The factors of the ``resample`` floor and where they came from (``"teacher <name>"`` or ``"options"``)."""

    spatial: int = FLOOR_FACTORS_DEFAULT[0]
    temporal: int = FLOOR_FACTORS_DEFAULT[1]
    source: str = "options"

    def __post_init__(self) -> None:
        for name in ("spatial", "temporal"):
            if getattr(self, name) < 1:
                raise ValueError(f"floor {name} factor must be >= 1, got {getattr(self, name)}")

    @classmethod
    def of_teacher(cls, pair: Any) -> FloorSettings:
        """The ``resample`` floor at the pair's teacher compression."""
        teacher = pair.teacher
        return cls(teacher.spatial_compression, teacher.temporal_compression, f"teacher {pair.spec.teacher}")

    def describe(self) -> dict[str, dict[str, Any]]:
        """``{floor: {"params", "label"}}``, as ``results["floors"]`` records them."""
        s, k = self.spatial, self.temporal
        return {
            "resample": {
                "params": {
                    "spatial": s,
                    "temporal": k,
                    "factors_from": self.source,
                    "space": SPACE_METHOD,
                    "time": TIME_METHOD,
                    "output": OUTPUT_METHOD,
                },
                "label": f"resample {s}\u00d7{s}\u00d7{k}",
            },
            "flat": {"params": {"colour": FLAT_METHOD, "output": OUTPUT_METHOD}, "label": "flat mean colour"},
        }

    def comparisons(self, reference: str = "ground_truth") -> dict[str, tuple[str, str]]:
        """``{floor_<name>: (reference, floor_<name>)}`` for ``score_comparisons``."""
        return {floor_comparison(floor): (reference, floor_comparison(floor)) for floor in FLOORS}

    def reconstruct(self, clips: torch.Tensor) -> dict[str, torch.Tensor]:
        """``{floor_<name>: uint8 clips}`` of every floor for uint8 clips ``(B, T, H, W, 3)`` (on their device)."""
        made = {"resample": resample_floor(clips, self.spatial, self.temporal), "flat": flat_floor(clips)}
        return {floor_comparison(floor): made[floor] for floor in FLOORS}
