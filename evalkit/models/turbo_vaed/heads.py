"""Turbo-VAED distillation projection heads (``conv-2layer``): student block features -> teacher channel width.

They are training-only and live outside the decoder, as in the official model, where they are the attribute
``aligned_feature_projection_heads`` of the top-level ``AutoencoderKLTurboVAED``. ``ProjectionHeads`` is a
``ModuleList``, so its own ``state_dict()`` keys are the official ones without that prefix
(``"0.0.conv.weight"``); held by a parent under the attribute name ``aligned_feature_projection_heads`` it
reproduces the official keys exactly. ``strip_official_prefix`` turns an official head checkpoint into the former.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import torch
from torch import nn

from evalkit.models.turbo_vaed.config import TurboVAEDConfig
from evalkit.models.turbo_vaed.decoder import FEATURE_NAMES

OFFICIAL_PREFIX = "aligned_feature_projection_heads."
SUPPORTED_MODE = "conv-2layer"


class PointwiseConv3d(nn.Module):
    """A 1×1×1 Conv3d with bias, wrapped so its keys read ``conv.{weight,bias}`` like the official heads."""

    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__()
        self.conv = nn.Conv3d(in_channels, out_channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(x)


class ProjectionHeads(nn.ModuleList):
    """One head per aligned block: two 1×1×1 convs (student -> teacher -> teacher channels), nothing in between.

    ``self[n]`` maps the decoder feature ``FEATURE_NAMES[indices[n]]`` ``(B, student_ch, T, H, W)`` to
    ``(B, teacher_ch, T, H, W)``. Reshaping to the teacher's block layout is the training code's job.
    """

    def __init__(self, dims: Sequence[Sequence[int]], indices: Sequence[int]) -> None:
        if len(dims) != len(indices):
            raise ValueError(
                f"aligned_feature_projection_dim has {len(dims)} entries but aligned_blks_indices has {len(indices)}; "
                "give one [student_ch, teacher_ch] pair per aligned block"
            )
        bad = [i for i in indices if not 0 <= i < len(FEATURE_NAMES)]
        if bad:
            raise ValueError(f"aligned_blks_indices {bad} out of range: each must index {FEATURE_NAMES}")
        super().__init__(
            nn.Sequential(PointwiseConv3d(student, teacher), PointwiseConv3d(teacher, teacher))
            for student, teacher in dims
        )
        self.indices = tuple(indices)

    @classmethod
    def from_config(cls, config: Mapping[str, Any] | TurboVAEDConfig) -> ProjectionHeads:
        """Heads described by a config's ``aligned_feature_projection_{mode,dim}`` and ``aligned_blks_indices``.

        A config without them gives an empty ``ProjectionHeads``; any mode other than ``conv-2layer`` (the only one
        the official configs use) is rejected.
        """
        if not isinstance(config, TurboVAEDConfig):
            config = TurboVAEDConfig.from_dict(config)
        mode = config.aligned_feature_projection_mode
        dims = config.aligned_feature_projection_dim or ()
        indices = config.aligned_blks_indices or ()
        if mode is None or not dims:
            return cls((), ())
        if mode != SUPPORTED_MODE:
            raise ValueError(
                f"aligned_feature_projection_mode={mode!r} is not supported; only {SUPPORTED_MODE!r} (the mode every "
                "official config uses) is implemented"
            )
        return cls(dims, indices)

    @property
    def heads(self) -> list[nn.Module]:
        """The heads in order (``heads[n]`` goes with ``indices[n]``)."""
        return list(self)

    @property
    def feature_names(self) -> tuple[str, ...]:
        """The decoder feature each head reads, in order."""
        return tuple(FEATURE_NAMES[i] for i in self.indices)

    def project(self, features: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """Apply every head to its block output from ``TurboVAEDDecoder.forward_features``; keyed by feature name."""
        return {name: head(features[name]) for name, head in zip(self.feature_names, self, strict=True)}


def strip_official_prefix(state_dict: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Official head keys (``aligned_feature_projection_heads.0.0.conv.weight``) -> ``ProjectionHeads`` keys.

    Raises ``KeyError`` naming the first key that does not carry the prefix, so a decoder checkpoint passed by
    mistake is not half-loaded.
    """
    stripped = {}
    for key, value in state_dict.items():
        if not key.startswith(OFFICIAL_PREFIX):
            raise KeyError(f"{key!r} is not a projection-head key; expected keys starting with {OFFICIAL_PREFIX!r}")
        stripped[key[len(OFFICIAL_PREFIX) :]] = value
    return stripped
