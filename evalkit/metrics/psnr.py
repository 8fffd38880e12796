"""PSNR on RGB in [0, 1] with MAX = 1: per frame, mean per clip, mean over clips.

No normalisation of any kind (the Turbo-VAED script min-max normalises each batch, which hides brightness
errors; see SPEC §10). Identical frames have MSE = 0 and infinite PSNR, so every PSNR is capped at
``PSNR_CAP_DB`` = 100 dB (an MSE floor of 1e-10, the cap common_metrics_on_video_quality uses). The
secondary figure is the PSNR of the dataset-mean MSE (torchmetrics' ``dim=None`` convention), which is
lower than the mean of per-frame PSNRs whenever errors vary between frames.
"""

from __future__ import annotations

from typing import Any, ClassVar

import torch

from evalkit.metrics.base import FrameAveragedMetric

PSNR_CAP_DB = 100.0
MSE_FLOOR = 10.0 ** (-PSNR_CAP_DB / 10.0)


def frame_mse(reference: torch.Tensor, candidate: torch.Tensor) -> torch.Tensor:
    """Mean squared error of each frame ``(N, 3, H, W)`` over channels and pixels; returns ``(N,)``."""
    return (reference - candidate).pow(2).flatten(1).mean(dim=1)


def psnr_from_mse(mse: torch.Tensor | float) -> torch.Tensor:
    """PSNR in dB for MAX = 1, capped at ``PSNR_CAP_DB`` (so identical frames give 100, not inf)."""
    mse = torch.as_tensor(mse, dtype=torch.float64)
    return -10.0 * torch.log10(mse.clamp(min=MSE_FLOOR))


def psnr(reference: torch.Tensor, candidate: torch.Tensor) -> torch.Tensor:
    """Per-frame PSNR of float frames ``(N, 3, H, W)`` in [0, 1] (values are clamped to [0, 1])."""
    return psnr_from_mse(frame_mse(reference.clamp(0, 1).double(), candidate.clamp(0, 1).double()))


class PSNR(FrameAveragedMetric):
    """Streaming PSNR: ``update`` uint8 clip pairs, ``compute`` the mean over clips of per-clip mean PSNR.

    ``compute()`` also reports ``psnr_of_mean_mse``, the PSNR of the MSE averaged over every frame.
    """

    name: ClassVar[str] = "psnr"
    higher_is_better: ClassVar[bool] = True
    unit_dtype: ClassVar[torch.dtype] = torch.float64

    @property
    def variant(self) -> dict[str, Any]:
        """PSNR settings recorded with every result."""
        return {
            "input": "uint8 RGB / 255 -> [0,1], no normalisation",
            "max_value": 1.0,
            "cap_db": PSNR_CAP_DB,
            "aggregation": "per-frame PSNR, mean per clip, mean over clips",
        }

    def _frame_values(self, reference: torch.Tensor, candidate: torch.Tensor) -> dict[str, torch.Tensor]:
        mse = frame_mse(reference, candidate)
        return {"score": psnr_from_mse(mse), "mse": mse}

    def compute(self) -> dict[str, Any]:
        """Mean per-clip PSNR plus the secondary PSNR of the dataset-mean MSE."""
        result = super().compute()
        mean_mse = sum(sums["mse_sum"] for sums in self._clips.values()) / result["num_frames"]
        result["psnr_of_mean_mse"] = float(psnr_from_mse(mean_mse))
        return result
