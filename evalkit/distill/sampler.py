"""Random training windows for distillation: a seeded clip window, short-side resize, random crop, flip and
channel order.

Evaluation clips come from the fixed clip protocol; training wants many different views of few videos, so
each draw picks a video, a window of consecutive frames and a crop position from one ``torch.Generator``.
Its state is the sampler's whole state, so a resumed run draws exactly the batches it would have drawn.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import torch

from evalkit.data.backends import read_video
from evalkit.data.protocol import ClipProtocol


@dataclass(frozen=True)
class TrainingVideo:
    """One video to sample windows from: its file or frame folder and how many frames it has."""

    path: Path
    num_frames: int


class RandomClipSampler:
    """Draws uint8 batches ``(B, T, S, S, 3)``: ``T``-frame windows, resized to a short side, cropped to ``S``².

    Args:
        videos: the videos to draw from, each chosen with equal probability.
        num_frames: frames per window (e.g. 17 = 8k+1 for 8x temporal compression).
        crop_size: side of the square crop, after resizing the short side to ``resolution``.
        resolution: short side the frames are resized to before cropping (``None`` keeps the decoded size).
        hflip: flip each window left-right with probability 1/2.
        channel_shuffle: put each window's RGB channels in a random order (one of six), so that hues the footage
            rarely shows are trained as often as the common ones. An autoencoder's target is its input, so any
            channel order is a valid training clip.
        seed: seed of the generator that makes every random choice.
        backend: decode backend (see :mod:`evalkit.data.backends`).
        cache: keep every decoded, resized video in memory (small datasets: no decoding after the first draw).
    """

    def __init__(
        self,
        videos: Sequence[TrainingVideo],
        num_frames: int,
        crop_size: int,
        resolution: int | None = 256,
        hflip: bool = True,
        channel_shuffle: bool = False,
        seed: int = 0,
        backend: str = "auto",
        cache: bool = False,
    ) -> None:
        if not videos:
            raise ValueError("RandomClipSampler needs at least one training video")
        short = [f"{v.path} ({v.num_frames} frames)" for v in videos if v.num_frames < num_frames]
        if short:
            raise ValueError(f"videos shorter than the {num_frames}-frame training window: {', '.join(short)}")
        if resolution is not None and crop_size > resolution:
            raise ValueError(f"crop_size {crop_size} exceeds the resized short side {resolution}")
        self.videos = list(videos)
        self.num_frames = num_frames
        self.crop_size = crop_size
        self.hflip = hflip
        self.channel_shuffle = channel_shuffle
        self.backend = backend
        self.protocol = ClipProtocol(num_frames=None, resolution=resolution, crop="none", spatial_multiple=1)
        self.generator = torch.Generator().manual_seed(seed)
        self.cache = cache
        self._decoded: dict[int, torch.Tensor] = {}

    def _randint(self, high: int) -> int:
        return int(torch.randint(high, (1,), generator=self.generator))

    def _window(self, index: int, start: int) -> torch.Tensor:
        """Frames ``start .. start + num_frames - 1`` of video ``index``, resized, as uint8 ``(T, H, W, 3)``."""
        window = range(start, start + self.num_frames)
        if not self.cache:
            frames = read_video(self.videos[index].path, list(window), backend=self.backend)
            return torch.from_numpy(self.protocol.transform(frames))
        if index not in self._decoded:
            frames = read_video(self.videos[index].path, backend=self.backend)
            self._decoded[index] = torch.from_numpy(self.protocol.transform(frames))
        return self._decoded[index][window.start : window.stop]

    def draw(self) -> torch.Tensor:
        """One random window as uint8 ``(T, S, S, 3)``."""
        index = self._randint(len(self.videos))
        video = self.videos[index]
        start = self._randint(video.num_frames - self.num_frames + 1)
        frames = self._window(index, start)
        height, width = frames.shape[1:3]
        if min(height, width) < self.crop_size:
            raise ValueError(f"{video.path}: frames of {height}x{width} are smaller than the {self.crop_size} crop")
        top = self._randint(height - self.crop_size + 1)
        left = self._randint(width - self.crop_size + 1)
        window = frames[:, top : top + self.crop_size, left : left + self.crop_size]
        if self.hflip and self._randint(2):
            window = window.flip(2)
        if self.channel_shuffle:
            window = window[..., torch.randperm(3, generator=self.generator)]
        return window.contiguous()

    def batch(self, batch_size: int) -> torch.Tensor:
        """``batch_size`` windows stacked as uint8 ``(B, T, S, S, 3)``."""
        return torch.stack([self.draw() for _ in range(batch_size)])

    def state_dict(self) -> dict[str, torch.Tensor]:
        """The generator state; restoring it repeats the same draws."""
        return {"generator": self.generator.get_state()}

    def load_state_dict(self, state: dict[str, torch.Tensor]) -> None:
        """Restore the generator state saved by :meth:`state_dict`."""
        self.generator.set_state(state["generator"])
