"""MS-SSIM per frame: five scales with the Wang et al. 2003 weights, on the same [0, 1] frames as SSIM.

At each scale the SSIM terms come from :mod:`evalkit.metrics.ssim`'s separable Gaussian (window 11, sigma 1.5,
K1 0.01, K2 0.03, data range 1, reflect padding, RGB channels averaged); scales 1-4 contribute their
contrast-structure term averaged over the valid interior (the 5-pixel border cropped), scale 5 the mean of its
whole SSIM map, each term clipped at 0 before its weight is applied, and frames are halved by 2x2 averaging
between scales. These are torchmetrics' ``multiscale_structural_similarity_index_measure`` settings (its
default ``normalize="relu"``); the per-frame values agree with it to 1e-6. Five scales need the 11-pixel
window to fit the 1/16 scale, so frames under :data:`MIN_SIDE` pixels on a side are refused (unavailable),
never scored on fewer scales.
"""

from __future__ import annotations

from typing import Any, ClassVar

import torch
from torch.nn.functional import avg_pool2d

from evalkit.metrics.base import FrameAveragedMetric
from evalkit.metrics.ssim import BORDER, K1, K2, KERNEL_SIZE, SIGMA, _blur, _moments, _prepared, ssim_terms

WEIGHTS = (0.0448, 0.2856, 0.3001, 0.2363, 0.1333)
SCALES = len(WEIGHTS)
MIN_SIDE = KERNEL_SIZE * 2 ** (SCALES - 1)  # 176: the coarsest scale must hold one whole window


def too_small_reason(height: int, width: int) -> str | None:
    """Why frames of ``height`` x ``width`` cannot get five-scale MS-SSIM, or None when they can."""
    if min(height, width) >= MIN_SIDE:
        return None
    return (
        f"unavailable: MS-SSIM needs >= {MIN_SIDE} px per side for {SCALES} scales (an {KERNEL_SIZE}-px window at "
        f"1/{2 ** (SCALES - 1)} size), got {height}x{width}; use --resolution {MIN_SIDE} or more"
    )


def _scale_terms(reference: torch.Tensor, candidate: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-frame (mean SSIM of the whole map, mean contrast-structure of the valid interior) at one scale."""
    reference, candidate = _prepared(reference, "torchmetrics"), _prepared(candidate, "torchmetrics")
    ssim_map, upper, lower = ssim_terms(_moments(candidate), _moments(reference), _blur(candidate * reference))
    contrast = (upper / lower)[..., BORDER:-BORDER, BORDER:-BORDER]
    return ssim_map.flatten(1).mean(dim=1), contrast.flatten(1).mean(dim=1)


def ms_ssim(reference: torch.Tensor, candidate: torch.Tensor) -> torch.Tensor:
    """Per-frame five-scale MS-SSIM of float frames ``(N, 3, H, W)`` in [0, 1]; returns ``(N,)``.

    Raises:
        ValueError: if a side is under :data:`MIN_SIDE` pixels.
    """
    reason = too_small_reason(*reference.shape[-2:])
    if reason is not None:
        raise ValueError(reason)
    reference, candidate = reference.float(), candidate.float()
    score = torch.ones(reference.shape[0], dtype=torch.float32, device=reference.device)
    for scale, weight in enumerate(WEIGHTS):
        similarity, contrast = _scale_terms(reference, candidate)
        term = similarity if scale == SCALES - 1 else contrast
        score = score * term.clamp(min=0.0) ** weight
        reference, candidate = avg_pool2d(reference, 2), avg_pool2d(candidate, 2)
    return score


class MSSSIM(FrameAveragedMetric):
    """Streaming MS-SSIM: per frame, mean per clip, mean over clips (higher is better)."""

    name: ClassVar[str] = "msssim"
    higher_is_better: ClassVar[bool] = True

    @classmethod
    def too_small(cls, side: int) -> str | None:
        """Frames under :data:`MIN_SIDE` pixels a side cannot hold five scales."""
        return too_small_reason(side, side)

    @property
    def variant(self) -> dict[str, Any]:
        """MS-SSIM settings recorded with every result."""
        return {
            "scales": SCALES,
            "weights": list(WEIGHTS),
            "window": f"gaussian {KERNEL_SIZE}x{KERNEL_SIZE}, sigma {SIGMA}",
            "k1": K1,
            "k2": K2,
            "data_range": 1.0,
            "channels": "per RGB channel, averaged",
            "convention": "torchmetrics (reflect padding; contrast terms over the valid interior at scales 1-4, "
            "full SSIM map at scale 5; terms clipped at 0; 2x2 average pooling)",
            "min_side": MIN_SIDE,
        }

    def _frame_values(self, reference: torch.Tensor, candidate: torch.Tensor) -> dict[str, torch.Tensor]:
        return {"score": ms_ssim(reference, candidate)}
