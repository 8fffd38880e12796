"""Decoder output to what a viewer sees: clamp to [-1, 1], scale to 0..255, round half to even, uint8.

Applied identically to teacher and student outputs (and part of the run protocol), so metrics on cached
teacher frames equal metrics on freshly decoded ones.
"""

from __future__ import annotations

import torch

OUTPUT_QUANTISATION = "clamp(x, -1, 1) -> round((x + 1) * 127.5) half-to-even -> uint8"


def to_uint8_clips(pixels: torch.Tensor) -> torch.Tensor:
    """Decoder pixels ``(B, 3, T, H, W)`` in about [-1, 1] -> uint8 clips ``(B, T, H, W, 3)`` on CPU.

    Non-finite values must be found before this (they would become arbitrary bytes); see
    :func:`finite_clips`.
    """
    if pixels.ndim != 5 or pixels.shape[1] != 3:
        raise ValueError(f"expected decoder output shaped (B, 3, T, H, W), got {tuple(pixels.shape)}")
    scaled = (pixels.float().clamp(-1.0, 1.0) + 1.0) * 127.5
    return scaled.round().to(torch.uint8).permute(0, 2, 3, 4, 1).contiguous().cpu()


def finite_clips(tensor: torch.Tensor) -> torch.Tensor:
    """Bool ``(B,)``: which clips of a batch have only finite values."""
    return torch.isfinite(tensor.reshape(tensor.shape[0], -1)).all(dim=1).cpu()
