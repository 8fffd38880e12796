"""The distillation generator loss of SPEC §9: L1 + perceptual_weight·LPIPS(VGG) + feature_weight·alignment.

LPIPS runs per frame on ``(B·T, 3, H, W)`` in [-1, 1] with the ``lpips`` package, its VGG backbone loaded from
the file the weights resolver finds. Without that file the loss refuses to build (never a random backbone):
the caller must opt out with ``--no-perceptual``. The KL term of the official script is left out: it measures
the frozen teacher's posterior, so it adds a constant and no gradient.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

import torch
from torch import nn

from evalkit.distill.alignment import FeatureAlignmentLoss
from evalkit.errors import InputError
from evalkit.weights import WeightsUnavailable, resolve

PERCEPTUAL_NET = "vgg"


class PerceptualUnavailableError(InputError, RuntimeError):
    """The LPIPS backbone weights are missing; the message says how to fetch them or how to train without."""


def build_perceptual_network(weights: str | os.PathLike[str] | None = None) -> nn.Module:
    """The frozen LPIPS(VGG) network with its real backbone, or :class:`PerceptualUnavailableError`."""
    from evalkit.metrics.lpips import BACKBONE_WEIGHTS, build_lpips_network

    try:
        resolved = resolve(BACKBONE_WEIGHTS[PERCEPTUAL_NET], path=weights)
    except WeightsUnavailable as exc:
        raise PerceptualUnavailableError(
            f"the LPIPS perceptual loss needs the real VGG16 backbone and it is not available: {exc}\n"
            "Fetch it (evalkit weights fetch lpips-vgg) or pass --perceptual-weights PATH; or train without the "
            "perceptual term with --no-perceptual (L1 + feature alignment only)."
        ) from exc
    return build_lpips_network(PERCEPTUAL_NET, resolved.path)


def frames_as_images(video: torch.Tensor) -> torch.Tensor:
    """``(B, C, T, H, W) -> (B·T, C, H, W)``."""
    return video.transpose(1, 2).flatten(0, 1)


class DistillationLoss(nn.Module):
    """Weighted sum of pixel L1, per-frame LPIPS and feature alignment; returns the total and each term.

    Args:
        alignment: the feature-alignment loss (projection heads inside), or ``None`` to skip it.
        perceptual: a frozen LPIPS network, or ``None`` (``--no-perceptual``).
        perceptual_weight, feature_weight: the term weights (1.0 and 1.0 in the official ``train.sh``).
    """

    def __init__(
        self,
        alignment: FeatureAlignmentLoss | None,
        perceptual: nn.Module | None,
        perceptual_weight: float = 1.0,
        feature_weight: float = 1.0,
    ) -> None:
        super().__init__()
        self.alignment = alignment
        self.perceptual = perceptual
        self.perceptual_weight = perceptual_weight
        self.feature_weight = feature_weight

    def forward(
        self,
        recon: torch.Tensor,
        target: torch.Tensor,
        student_features: Mapping[str, torch.Tensor],
        teacher_features: Mapping[str, torch.Tensor],
    ) -> tuple[torch.Tensor, dict[str, float]]:
        """``(total, {"l1": ..., "lpips": ..., "feature/<block>": ..., "total": ...})`` for one batch."""
        recon, target = recon.float(), target.float()
        l1 = (recon - target).abs().mean()
        total = l1
        terms = {"l1": l1.item()}
        if self.perceptual is not None:
            lpips_value = self.perceptual(frames_as_images(recon), frames_as_images(target)).mean()
            total = total + self.perceptual_weight * lpips_value
            terms["lpips"] = lpips_value.item()
        if self.alignment is not None:
            blocks = self.alignment.per_block(student_features, teacher_features)
            feature = torch.stack(list(blocks.values())).sum()
            total = total + self.feature_weight * feature
            terms.update({f"feature/{name}": value.item() for name, value in blocks.items()})
        terms["total"] = total.item()
        return total, terms
