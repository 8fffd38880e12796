"""The real-video reference set of generation FVD: any evalkit dataset, cut and sized like the generated clips.

Clips take the generated clip length (protocol ``num_frames``, native resolution), then each is resized so it
covers the generated height x width (antialiased bilinear, aspect kept) and centre-cropped to exactly that
size, so the detector sees real and generated clips of the same shape. Only the pooled detector statistics
are kept.
"""

from __future__ import annotations

import logging
import math
from dataclasses import asdict, dataclass
from typing import Any

import torch
from torchvision.transforms.v2 import functional as tvf

from evalkit.data import ClipDataset, ClipProtocol, build_manifest
from evalkit.metrics.frechet import FeatureStats
from evalkit.metrics.fvd import FVD

logger = logging.getLogger(__name__)

REFERENCE_TRANSFORM = "resize to cover HxW (bilinear, antialias, aspect kept), centre crop HxW, uint8"


@dataclass(frozen=True)
class ReferenceSet:
    """Which real videos FVD compares the generated sets with (an evalkit dataset name and its options)."""

    dataset: str
    root: str | None = None
    split: str | None = None
    fold: int | None = None
    max_clips: int | None = None


def cover_and_crop(frames: torch.Tensor, height: int, width: int) -> torch.Tensor:
    """uint8 ``(T, H0, W0, 3)`` -> ``(T, height, width, 3)``: resize to cover the target, centre crop."""
    video = frames.permute(0, 3, 1, 2)
    scale = max(height / video.shape[-2], width / video.shape[-1])
    size = [max(height, math.ceil(video.shape[-2] * scale)), max(width, math.ceil(video.shape[-1] * scale))]
    if size != list(video.shape[-2:]):
        video = tvf.resize(video, size, interpolation=tvf.InterpolationMode.BILINEAR, antialias=True)
    return tvf.center_crop(video, [height, width]).permute(0, 2, 3, 1).contiguous()


def reference_features(
    reference: ReferenceSet, fvd: FVD, *, num_frames: int, height: int, width: int, batch_size: int = 4
) -> tuple[FeatureStats, dict[str, Any]]:
    """Pooled detector statistics of the reference clips, and the record of what was used.

    Raises:
        LayoutError: the dataset root lacks its layout (the message names the missing path).
        ValueError: no reference clip could be used.
    """
    protocol = ClipProtocol(num_frames=num_frames, resolution=None, crop="none")
    manifest = build_manifest(
        reference.dataset,
        reference.root,
        protocol,
        split=reference.split,
        fold=reference.fold,
        max_clips=reference.max_clips,
    )
    stats, failed, batch = FeatureStats(), [], []
    for item in ClipDataset(manifest):
        if "error" in item:
            failed.append({"clip_id": item["clip_id"], "reason": item["error"]})
            continue
        batch.append(cover_and_crop(torch.as_tensor(item["frames"]), height, width))
        if len(batch) == batch_size:
            stats.add(fvd.features(torch.stack(batch)))
            batch = []
    if batch:
        stats.add(fvd.features(torch.stack(batch)))
    if stats.count == 0:
        raise ValueError(
            f"reference dataset {reference.dataset!r} gave no usable clip of {num_frames} frames "
            f"({len(manifest.skipped)} skipped by the manifest, {len(failed)} failed to decode)"
        )
    record = {
        **asdict(reference),
        "manifest_hash": manifest.hash(),
        "clips": stats.count,
        "skipped": [{"clip_id": s.clip_id, "reason": s.reason} for s in manifest.skipped] + failed,
        "protocol": {"hash": protocol.hash(), "params": protocol.to_dict()},
        "transform": f"{REFERENCE_TRANSFORM} with H={height}, W={width}",
    }
    logger.info("reference %s: %d clips", reference.dataset, stats.count)
    return stats, record
