"""TAEHV layers. Every layer takes frames as (N, T, C, H, W); only MemBlocks and TGrow mix time.

A MemBlock sees its own input at the previous frame (zeros before the first), carried in a ``memory`` dict
keyed by layer index, so a video decoded in chunks of any length equals the whole video decoded at once.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F  # noqa: N812 - the usual torch alias
from torch import nn


def conv3x3(n_in: int, n_out: int, bias: bool = True) -> nn.Conv2d:
    """3x3 convolution, padding 1."""
    return nn.Conv2d(n_in, n_out, 3, padding=1, bias=bias)


def per_frame(layer: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """Apply a 2-D layer to every frame of (N, T, C, H, W)."""
    n, t = x.shape[:2]
    y = layer(x.flatten(0, 1))
    return y.view(n, t, *y.shape[1:])


class SoftClamp(nn.Module):
    """``tanh(x / 3) * 3``: squashes latents beyond about +-3 (base decoder input)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.tanh(x / 3) * 3


class TemporalLayer(nn.Module):
    """A layer that mixes frames: ``step(x, memory, key)`` on (N, T, C, H, W), carrying state in ``memory``."""

    def step(self, x: torch.Tensor, memory: dict[int, torch.Tensor], key: int) -> torch.Tensor:
        raise NotImplementedError


class _Remembering(TemporalLayer):
    """Shared by both MemBlocks: ``combine(x, past)`` where ``past`` is the block input one frame earlier."""

    def step(self, x: torch.Tensor, memory: dict[int, torch.Tensor], key: int) -> torch.Tensor:
        previous = memory.get(key)
        if previous is None:
            previous = torch.zeros_like(x[:, :1])
        past = torch.cat([previous, x[:, :-1]], dim=1)
        memory[key] = x[:, -1:]
        return self.combine(x.flatten(0, 1), past.flatten(0, 1)).view(*x.shape[:2], -1, *x.shape[3:])

    def combine(self, x: torch.Tensor, past: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError


class MemBlock(_Remembering):
    """Base-decoder block: ``ReLU(conv(concat[x, past]) + skip(x))`` with three 3x3 convs."""

    def __init__(self, n_in: int, n_out: int) -> None:
        super().__init__()
        self.conv = nn.Sequential(
            conv3x3(2 * n_in, n_out), nn.ReLU(), conv3x3(n_out, n_out), nn.ReLU(), conv3x3(n_out, n_out)
        )
        self.skip = nn.Conv2d(n_in, n_out, 1, bias=False) if n_in != n_out else nn.Identity()

    def combine(self, x: torch.Tensor, past: torch.Tensor) -> torch.Tensor:
        return F.relu(self.conv(torch.cat([x, past], dim=1)) + self.skip(x))


class SuperMemBlock(_Remembering):
    """Super-decoder block: 7x7 depthwise conv, 1x1 expand x2, ReLU, 1x1 project; residual, no final activation."""

    def __init__(self, n: int) -> None:
        super().__init__()
        self.conv = nn.Sequential(
            nn.Conv2d(2 * n, 2 * n, 7, padding=3, groups=2 * n, bias=False),
            nn.Conv2d(2 * n, 4 * n, 1),
            nn.ReLU(),
            nn.Conv2d(4 * n, n, 1, bias=False),
        )

    def combine(self, x: torch.Tensor, past: torch.Tensor) -> torch.Tensor:
        return self.conv(torch.cat([x, past], dim=1)) + x


class TGrow(TemporalLayer):
    """One frame becomes ``stride`` frames: a 1x1 conv to ``n * stride`` channels, split in channel-block order."""

    def __init__(self, n: int, stride: int) -> None:
        super().__init__()
        self.stride = stride
        self.conv = nn.Conv2d(n, n * stride, 1, bias=False)

    def step(self, x: torch.Tensor, memory: dict[int, torch.Tensor], key: int) -> torch.Tensor:
        n, t = x.shape[:2]
        y = self.conv(x.flatten(0, 1))
        return y.view(n, t * self.stride, -1, *y.shape[2:])
