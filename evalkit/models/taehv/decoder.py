"""The TAEHV decoder (SPEC "Decoder"): latents (N, T, C, h, w) in the diffusion model's space -> video in [0, 1].

The decoder is an ``nn.Sequential`` of the specification's layers, so its state-dict keys are the released
files' ``decoder.<index>.*`` keys without the ``decoder.`` prefix. ``forward`` decodes all frames at once;
:meth:`TaehvDecoder.stream` decodes one frame at a time and yields output frames as they are ready, with working
memory that does not grow with the video's length.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import torch
from torch import nn

from evalkit.models.taehv.blocks import (
    MemBlock,
    SoftClamp,
    SuperMemBlock,
    TemporalLayer,
    TGrow,
    conv3x3,
    per_frame,
)
from evalkit.models.taehv.config import TaehvConfig

BASE_WIDTHS = (256, 128, 64, 64)
SUPER_WIDTHS = (512, 256, 128, 64)


def _base_layers(config: TaehvConfig) -> list[nn.Module]:
    layers: list[nn.Module] = [SoftClamp(), conv3x3(config.latent_channels, BASE_WIDTHS[0]), nn.ReLU()]
    for stage, (n, n_next) in enumerate(zip(BASE_WIDTHS[:-1], BASE_WIDTHS[1:], strict=True)):
        upsample = nn.Upsample(scale_factor=2) if config.space_upscale[stage] else nn.Identity()
        layers += [MemBlock(n, n), MemBlock(n, n), MemBlock(n, n)]
        layers += [upsample, TGrow(n, 2 if config.time_upscale[stage] else 1), conv3x3(n, n_next, bias=False)]
    return [*layers, nn.ReLU(), conv3x3(BASE_WIDTHS[-1], 3 * config.patch_size**2)]


def _super_layers(config: TaehvConfig) -> list[nn.Module]:
    layers: list[nn.Module] = [nn.Conv2d(config.latent_channels, SUPER_WIDTHS[0], 1, bias=False)]
    for stage, (n, n_next) in enumerate(zip(SUPER_WIDTHS[:-1], SUPER_WIDTHS[1:], strict=True)):
        shuffle = 2 if config.space_upscale[stage] else 1
        layers += [SuperMemBlock(n), SuperMemBlock(n), SuperMemBlock(n)]
        layers += [conv3x3(n, n_next * shuffle**2), nn.ReLU(), nn.PixelShuffle(shuffle)]
        layers.append(TGrow(n_next, 2 if config.time_upscale[stage] else 1))
    return [*layers, conv3x3(SUPER_WIDTHS[-1], 3 * config.patch_size**2)]


class TaehvDecoder(nn.Sequential):
    """TAEHV decoder of one preset; ``forward`` and :meth:`stream` give the same frames."""

    def __init__(self, config: TaehvConfig) -> None:
        super().__init__(*(_super_layers(config) if config.variant == "super" else _base_layers(config)))
        self.config = config

    @classmethod
    def from_config(cls, config: TaehvConfig | Mapping[str, Any]) -> TaehvDecoder:
        """Build from a :class:`TaehvConfig` or its dict form."""
        return cls(config if isinstance(config, TaehvConfig) else TaehvConfig.from_dict(dict(config)))

    def _check(self, z: torch.Tensor) -> None:
        if z.ndim != 5 or z.shape[2] != self.config.latent_channels:
            raise ValueError(
                f"TAEHV decoder expects latents (N, T, {self.config.latent_channels}, h, w), got {tuple(z.shape)}"
            )

    def _run(self, x: torch.Tensor, start: int, memory: dict[int, torch.Tensor]) -> torch.Tensor:
        """Layers ``start:`` on a chunk of frames (N, t, C, H, W)."""
        for index in range(start, len(self)):
            layer = self[index]
            x = layer.step(x, memory, index) if isinstance(layer, TemporalLayer) else per_frame(layer, x)
        return x

    def _stream_raw(self, x: torch.Tensor, start: int, memory: dict[int, torch.Tensor]) -> Iterator[torch.Tensor]:
        """Layers ``start:`` one frame at a time: after each TGrow its frames go on one by one."""
        for index in range(start, len(self)):
            layer = self[index]
            if not isinstance(layer, TemporalLayer):
                x = per_frame(layer, x)
                continue
            x = layer.step(x, memory, index)
            if x.shape[1] > 1:
                for frame in x.split(1, dim=1):
                    yield from self._stream_raw(frame, index + 1, memory)
                return
        yield x

    def raw(self, z: torch.Tensor) -> torch.Tensor:
        """The layer stack's output for all frames, before trimming, pixel shuffle and clamp (N, T', 3p^2, h', w')."""
        self._check(z)
        return self._run(z, 0, {})

    def _finish(self, raw: torch.Tensor) -> torch.Tensor:
        if self.config.patch_size > 1:
            raw = per_frame(nn.PixelShuffle(self.config.patch_size), raw)
        return raw.clamp(0, 1)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        """Latents (N, T, C, h, w) -> video (N, T_out, 3, H, W) in [0, 1], all frames at once."""
        raw = self.raw(z)
        return self._finish(raw[:, self.config.frames_to_trim(z.shape[1]) :])

    def stream(self, z: torch.Tensor) -> Iterator[torch.Tensor]:
        """Yield the decoded video frame by frame, (N, 1, 3, H, W) each, equal to ``forward(z)`` split by frame.

        Working memory holds one frame per layer, whatever the number of frames; for long videos.
        """
        self._check(z)
        skip = self.config.frames_to_trim(z.shape[1])
        memory: dict[int, torch.Tensor] = {}
        produced = 0
        for latent_frame in z.split(1, dim=1):
            for frame in self._stream_raw(latent_frame, 0, memory):
                produced += 1
                if produced > skip:
                    yield self._finish(frame)

    def decode_streaming(self, z: torch.Tensor) -> torch.Tensor:
        """``forward(z)`` computed with :meth:`stream`: the output tensor plus one frame of working memory."""
        frames = self.stream(z)
        first = next(frames)
        out = first.new_empty(first.shape[0], self.config.output_frames(z.shape[1]), *first.shape[2:])
        out[:, :1] = first
        for index, frame in enumerate(frames, start=1):
            out[:, index : index + 1] = frame
        return out


def adapt_released_state(decoder: TaehvDecoder, state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Apply the TGrow row rule: where a TGrow makes fewer frames than the file's, keep the file's last rows.

    With time upscaling disabled a TGrow weight has ``n`` output rows where the released file has ``2n``; the last
    ``n`` rows are the last timestep's channels. Every other key passes unchanged (shape checks come after).
    """
    adapted = dict(state)
    for name, module in decoder.named_modules():
        if not isinstance(module, TGrow):
            continue
        key = f"{name}.conv.weight"
        rows = module.conv.weight.shape[0]
        if key in adapted and adapted[key].shape[0] > rows and adapted[key].shape[1:] == module.conv.weight.shape[1:]:
            adapted[key] = adapted[key][-rows:]
    return adapted
