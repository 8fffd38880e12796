"""The clip protocol: which frames of a video form a clip and how they are resized, as one hashable record.

Two evaluations are comparable only when their protocol hashes match, so every field that changes the
pixels handed to a VAE lives here and nowhere else.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import asdict, dataclass, fields
from typing import TYPE_CHECKING, Any

from evalkit.hashing import canonical_sha256

if TYPE_CHECKING:  # torch and torchvision load on first use, so settings and `--help` stay fast
    import numpy as np
    import torch

START_POLICIES = ("first", "center", "random")
SHORT_POLICIES = ("skip", "pad-last", "loop")
CROP_MODES = ("center", "none")
RESIZE_FILTERS = ("bilinear", "bicubic", "nearest-exact")  # torchvision InterpolationMode values
ALL_FRAMES = "all"
NATIVE_RESOLUTION = "native"


def _choice(name: str, value: str, choices: tuple[str, ...] | list[str]) -> None:
    if value not in choices:
        raise ValueError(f"ClipProtocol.{name}={value!r} is not valid; choose one of: {', '.join(choices)}")


def _positive_int(name: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"ClipProtocol.{name} must be a positive integer, got {value!r}")


@dataclass(frozen=True)
class ClipProtocol:
    """How a clip is cut from a video and prepared for a VAE.

    Args:
        num_frames: frames per clip; ``None`` (or ``"all"``) keeps every ``frame_stride``-th frame.
        frame_stride: step between chosen frame indices.
        start: ``first`` (frame 0), ``center`` (window centred in the video) or ``random`` (seeded per clip).
        seed: seed of the ``random`` start policy (mixed with the clip id, so clips are independent).
        resolution: target length of the shorter side; ``None`` (or ``"native"``) keeps the decoded size.
        crop: ``center`` crops a ``resolution``² square; ``none`` keeps the aspect ratio and rounds both
            sides to ``spatial_multiple``.
        spatial_multiple: the decoder's spatial multiple used by ``crop="none"`` (e.g. 8 or 32).
        resize_filter: ``bilinear``, ``bicubic`` or ``nearest-exact`` (torchvision names).
        antialias: low-pass before downscaling (bilinear/bicubic only).
        short_policy: what to do with videos shorter than the clip span: ``skip`` (recorded with a
            reason), ``pad-last`` (repeat the last frame) or ``loop`` (wrap around).
    """

    num_frames: int | None = 17
    frame_stride: int = 1
    start: str = "first"
    seed: int = 0
    resolution: int | None = 256
    crop: str = "center"
    spatial_multiple: int = 8
    resize_filter: str = "bilinear"
    antialias: bool = True
    short_policy: str = "skip"

    def __post_init__(self) -> None:
        if self.num_frames == ALL_FRAMES:
            object.__setattr__(self, "num_frames", None)
        if self.resolution == NATIVE_RESOLUTION:
            object.__setattr__(self, "resolution", None)
        if self.num_frames is not None:
            _positive_int("num_frames", self.num_frames)
        if self.resolution is not None:
            _positive_int("resolution", self.resolution)
        _positive_int("frame_stride", self.frame_stride)
        _positive_int("spatial_multiple", self.spatial_multiple)
        _choice("start", self.start, START_POLICIES)
        _choice("crop", self.crop, CROP_MODES)
        _choice("resize_filter", self.resize_filter, RESIZE_FILTERS)
        _choice("short_policy", self.short_policy, SHORT_POLICIES)
        if not isinstance(self.seed, int) or isinstance(self.seed, bool):
            raise ValueError(f"ClipProtocol.seed must be an integer, got {self.seed!r}")

    # -- serialisation -------------------------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """All fields as a JSON-ready dict (``None`` means all frames / native resolution)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ClipProtocol:
        """Build from :meth:`to_dict` output; unknown keys are an error, missing keys take defaults."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown clip protocol field(s) {unknown}; valid fields: {', '.join(sorted(known))}")
        return cls(**data)

    def hash(self) -> str:
        """Short (12 hex digits) sha256 of the canonical JSON of :meth:`to_dict`."""
        return canonical_sha256(self.to_dict(), length=12)

    # -- frame selection -----------------------------------------------------------------------------------------

    @property
    def span(self) -> int | None:
        """Frames covered from the first to the last chosen index (``None`` when taking all frames)."""
        if self.num_frames is None:
            return None
        return (self.num_frames - 1) * self.frame_stride + 1

    def too_short_reason(self, num_available: int) -> str | None:
        """Why a video with ``num_available`` frames yields no clip, or ``None`` when it yields one."""
        if num_available < 1:
            return "video has no frames"
        if self.span is not None and num_available < self.span and self.short_policy == "skip":
            return (
                f"too short: {num_available} frames < {self.span} needed "
                f"({self.num_frames} frames at stride {self.frame_stride})"
            )
        return None

    def select_indices(self, num_available: int, clip_id: str = "") -> list[int] | None:
        """Frame indices of the clip in a video of ``num_available`` frames; ``None`` when it must be skipped.

        ``clip_id`` seeds the ``random`` start policy so every clip gets its own, reproducible offset.
        """
        if self.too_short_reason(num_available) is not None:
            return None
        if self.num_frames is None:
            return list(range(0, num_available, self.frame_stride))
        offsets = [k * self.frame_stride for k in range(self.num_frames)]
        if num_available < self.span:
            if self.short_policy == "loop":
                return [offset % num_available for offset in offsets]
            return [min(offset, num_available - 1) for offset in offsets]
        slack = num_available - self.span
        if self.start == "first":
            first = 0
        elif self.start == "center":
            first = slack // 2
        else:
            digest = hashlib.sha256(f"{self.seed}:{clip_id}".encode()).digest()
            first = random.Random(int.from_bytes(digest[:8], "big")).randint(0, slack)
        return [first + offset for offset in offsets]

    # -- pixels --------------------------------------------------------------------------------------------------

    def _resized_size(self, height: int, width: int) -> tuple[int, int]:
        scale = self.resolution / min(height, width)
        if self.crop == "center":
            return max(self.resolution, round(height * scale)), max(self.resolution, round(width * scale))
        multiple = self.spatial_multiple

        def rounded(size: float) -> int:
            return max(multiple, round(size / multiple) * multiple)

        return rounded(height * scale), rounded(width * scale)

    def transform(self, frames: np.ndarray | torch.Tensor) -> np.ndarray | torch.Tensor:
        """Resize (and crop) uint8 frames ``(T, H, W, 3)`` to ``(T, H', W', 3)`` uint8, same array type back.

        Uses torchvision's uint8 resize (antialiased bilinear/bicubic, rounded and clamped to 0..255).
        """
        import numpy as np
        import torch
        from torchvision.transforms.v2 import functional as tvf

        if frames.ndim != 4 or frames.shape[-1] != 3:
            raise ValueError(f"expected frames shaped (T, H, W, 3), got {tuple(frames.shape)}")
        if frames.dtype not in (np.uint8, torch.uint8):
            raise ValueError(f"expected uint8 frames, got {frames.dtype}")
        if self.resolution is None:
            return frames
        as_numpy = isinstance(frames, np.ndarray)
        if as_numpy and not frames.flags.writeable:
            frames = frames.copy()  # torch warns on read-only arrays (e.g. np.frombuffer)
        video = torch.from_numpy(frames) if as_numpy else frames
        video = video.permute(0, 3, 1, 2)
        height, width = video.shape[-2:]
        target = self._resized_size(height, width)
        if target != (height, width):
            filter_mode = tvf.InterpolationMode(self.resize_filter)
            antialias = self.antialias and self.resize_filter != "nearest-exact"
            video = tvf.resize(video, list(target), interpolation=filter_mode, antialias=antialias)
        if self.crop == "center":
            video = tvf.center_crop(video, [self.resolution, self.resolution])
        video = video.permute(0, 2, 3, 1).contiguous()
        return video.numpy() if as_numpy else video

    @staticmethod
    def to_model_input(frames: torch.Tensor) -> torch.Tensor:
        """uint8 ``(B, T, H, W, 3)`` → float32 ``(B, 3, T, H, W)`` in [-1, 1] (0 → -1, 255 → 1)."""
        import torch

        if frames.ndim != 5 or frames.shape[-1] != 3:
            raise ValueError(f"expected uint8 frames shaped (B, T, H, W, 3), got {tuple(frames.shape)}")
        if frames.dtype != torch.uint8:
            raise ValueError(f"expected uint8 frames, got {frames.dtype}")
        return frames.permute(0, 4, 1, 2, 3).float().div(127.5).sub(1.0)
