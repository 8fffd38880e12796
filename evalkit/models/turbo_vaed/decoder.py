"""Turbo-VAED decoder (arXiv 2508.09136): latent ``(B, C, T, h, w)`` -> pixels ``(B, out_channels, T', H, W)``.

A re-implementation whose ``state_dict()`` keys, order and shapes equal the official ``AutoencoderKLTurboVAED
.decoder``, so released decoder checkpoints load with ``strict=True``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch
from torch import nn

from evalkit.models.turbo_vaed.blocks import (
    CausalConv3d,
    MidBlock3d,
    PixelShuffleUpsampler2d,
    UpBlock3d,
    normalize_activate,
    normalize_activate_conv,
)
from evalkit.models.turbo_vaed.config import TurboVAEDConfig

FEATURE_NAMES = ("mid_block", "up_block_0", "up_block_1", "up_block_2", "up_block_3")


class TurboVAEDDecoder(nn.Module):
    """The Turbo-VAED decoder: conv_in, mid block, four up blocks, a 2-D pixel stage and conv_out.

    Config lists are in encoder order and are reversed here: with ``C = rev(decoder_block_out_channels)``, conv_in,
    the mid block and up_blocks.0 run at ``C[0]`` and up_blocks.i outputs ``C[i]``. ``decoder_causal`` changes only
    the temporal padding of the full 3×3×3 convs (conv_in, up-block resnets, upsamplers, conv_out); the depthwise
    convs always pad symmetrically, exactly as the official code does.

    Frames: each temporal upsampler maps T -> 2T-1 (T -> 2T with ``is_video_dc_ae``), so the shipped configs give
    ``8(T-1)+1`` (LTX), ``4(T-1)+1`` (Hunyuan, Cog) and ``4T`` (DC) frames. The output is raw (no clamp).

    The module has no dropout or batch statistics, so train and eval mode compute the same thing; like any
    ``nn.Module`` (and diffusers' ``from_config``) it is built in train mode, float32.
    """

    def __init__(self, config: TurboVAEDConfig) -> None:
        super().__init__()
        config.validate()
        self.config = config
        channels = tuple(reversed(config.decoder_block_out_channels))
        layers = tuple(reversed(config.decoder_layers_per_block))
        scaling = tuple(reversed(config.decoder_spatio_temporal_scaling))
        spatial_only = tuple(reversed(config.decoder_spatio_only))
        depthwise = tuple(reversed(config.decoder_is_dw_conv))
        causal = config.decoder_causal
        common = {"dw_kernel_size": config.decoder_dw_kernel_size, "causal": causal, "norm_eps": config.resnet_norm_eps}

        self.conv_in = CausalConv3d(config.latent_channels, channels[0], 3, causal)
        self.mid_block = MidBlock3d(channels[0], layers[0], depthwise=depthwise[0], **common)
        self.up_blocks = nn.ModuleList()
        width = channels[0]
        for i in range(4):
            stride = (1 if spatial_only[i] else 2) if scaling[i] else None
            self.up_blocks.append(
                UpBlock3d(
                    width,
                    channels[i],
                    layers[i + 1],
                    temporal_stride=stride,
                    keep_first_frames=config.is_video_dc_ae,
                    depthwise=depthwise[i + 1],
                    **common,
                )
            )
            width = channels[i]
        self.upsampler2d_1: PixelShuffleUpsampler2d | None = None
        self.upsampler2d_2: PixelShuffleUpsampler2d | None = None
        if config.patch_size >= 2:
            self.upsampler2d_1 = PixelShuffleUpsampler2d(width)
            width //= 4
        if config.patch_size >= 4:
            self.upsampler2d_2 = PixelShuffleUpsampler2d(width)
            width //= 4
        self.conv_out = CausalConv3d(width, config.out_channels, 3, causal)

    @classmethod
    def from_config(cls, config: Mapping[str, Any] | TurboVAEDConfig, *, source: str = "config") -> TurboVAEDDecoder:
        """A randomly initialised decoder from an official config dict (``_`` keys dropped, unknown keys warned)."""
        if not isinstance(config, TurboVAEDConfig):
            config = TurboVAEDConfig.from_dict(config, source=source)
        return cls(config)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        """Decode latents ``(B, latent_channels, T, h, w)`` to raw pixels ``(B, out_channels, T', H, W)``."""
        return self._run(z, None)

    def forward_features(self, z: torch.Tensor) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """Decode and also return the block outputs ``mid_block`` and ``up_block_0..3`` (distillation targets)."""
        features: dict[str, torch.Tensor] = {}
        return self._run(z, features), features

    def _run(self, z: torch.Tensor, features: dict[str, torch.Tensor] | None) -> torch.Tensor:
        if z.ndim != 5 or z.shape[1] != self.config.latent_channels:
            raise ValueError(
                f"Turbo-VAED decoder expects latents (B, {self.config.latent_channels}, T, h, w), got {tuple(z.shape)}"
            )
        x = self.mid_block(self.conv_in(z.contiguous(memory_format=torch.channels_last_3d)))
        if features is not None:
            features["mid_block"] = x
        for i, block in enumerate(self.up_blocks):
            x = block(x)
            if features is not None:
                features[f"up_block_{i}"] = x
        for upsampler in (self.upsampler2d_1, self.upsampler2d_2):
            if upsampler is not None:
                x = upsampler(normalize_activate(x, "silu"))
        # patch_size 1: the norm_out module (float32); otherwise the official inline norm, in the input dtype.
        upcast = self.upsampler2d_1 is None
        return normalize_activate_conv(x, "silu", self.conv_out, upcast=upcast)
