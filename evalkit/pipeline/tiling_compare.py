"""``--tiling compare``: each clip's student latent decoded again in evalkit's overlapped tiles, then scored
against the untiled decode (PSNR) and for seams at the tile joins (``evalkit.metrics.seams``) on both.

The tile is half the latent's longer side (rounded up) and overlaps by an eighth of it (rounded down, as
diffusers' LTX overlaps 2 of 16 latents), so every clip of at least 2 latents has joins; both are recorded
per clip and in ``results.json``'s ``tiling`` section.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
import torch

from evalkit.metrics.psnr import psnr
from evalkit.metrics.seams import seam_score
from evalkit.models.quantize import to_uint8_clips
from evalkit.models.tiling import decode_in_tiles, tile_origins
from evalkit.results.stats import mean_estimate

SCHEME = "evalkit.models.tiling.decode_in_tiles: overlapped spatial tiles, linear blend over the overlap"


def tile_layout(latent_height: int, latent_width: int) -> tuple[int, int] | None:
    """(tile, overlap) in latents for a latent of this size, or None when it is too small to split."""
    longer = max(latent_height, latent_width)
    if longer < 2:
        return None
    tile = math.ceil(longer / 2)
    return tile, tile // 8


def compare_clip(
    decode: Callable[[torch.Tensor], torch.Tensor],
    latent: torch.Tensor,
    untiled: torch.Tensor,
    spatial_compression: int,
) -> dict[str, Any]:
    """Decode ``latent`` ``(C, t, h, w)`` in tiles and compare with its uint8 ``untiled`` decode ``(T, H, W, 3)``:
    layout, mean per-frame PSNR tiled vs untiled (capped at 100 dB) and the seam score of each."""
    height, width = latent.shape[-2:]
    layout = tile_layout(height, width)
    if layout is None:
        return {"status": "unavailable", "reason": f"latent {height}x{width} is too small to split into tiles"}
    tile, overlap = layout
    tiled = to_uint8_clips(decode_in_tiles(decode, latent.unsqueeze(0), spatial_compression, tile, overlap))[0]
    stride_px = (tile - overlap) * spatial_compression
    rows = [origin * spatial_compression for origin in tile_origins(height, tile, overlap)[1:]]
    columns = [origin * spatial_compression for origin in tile_origins(width, tile, overlap)[1:]]
    blend = overlap * spatial_compression
    return {
        "status": "ok",
        "tile_latent": tile,
        "overlap_latent": overlap,
        "stride_px": stride_px,
        "tiled_vs_untiled_psnr": float(psnr(_as_frames(untiled), _as_frames(tiled)).mean()),
        "seam_tiled": seam_score(tiled, rows, columns, blend),
        "seam_untiled": seam_score(untiled, rows, columns, blend),
    }


def tiling_section(records: Iterable[dict[str, Any]], *, seed: int, resamples: int) -> dict[str, Any] | None:
    """The results ``tiling`` section from the clip records' ``tiling`` entries; None when no clip has one."""
    per_clip = [{"clip_id": record["clip_id"], **record["tiling"]} for record in records if record.get("tiling")]
    if not per_clip:
        return None
    ok = [clip for clip in per_clip if clip["status"] == "ok"]
    layouts = sorted({(clip["tile_latent"], clip["overlap_latent"]) for clip in ok})
    estimate = {
        key: mean_estimate(np.array([clip[key] for clip in ok], dtype=np.float64), seed=seed, resamples=resamples)
        for key in ("tiled_vs_untiled_psnr", "seam_tiled", "seam_untiled")
    }
    return {
        "scheme": SCHEME,
        "tile_latent": layouts[0][0] if len(layouts) == 1 else None,
        "overlap_latent": layouts[0][1] if len(layouts) == 1 else None,
        "layouts": [{"tile_latent": tile, "overlap_latent": overlap} for tile, overlap in layouts],
        "clips_compared": len(ok),
        "tiled_vs_untiled_psnr": estimate["tiled_vs_untiled_psnr"].to_dict(),
        "seam_score": {"tiled": estimate["seam_tiled"].to_dict(), "untiled": estimate["seam_untiled"].to_dict()},
        "per_clip": per_clip,
    }


def _as_frames(clip: torch.Tensor) -> torch.Tensor:
    """uint8 ``(T, H, W, 3)`` -> float frames ``(T, 3, H, W)`` in [0, 1], as PSNR takes them."""
    return clip.permute(0, 3, 1, 2).double() / 255.0
