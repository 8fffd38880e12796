"""torchcodec backend (needs the system FFmpeg libraries); exact seek mode for frame-accurate access."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from torchcodec.decoders import VideoDecoder

NAME = "torchcodec"


def _decoder(path: Path) -> VideoDecoder:
    return VideoDecoder(str(path), seek_mode="exact", dimension_order="NHWC", num_ffmpeg_threads=1)


def count_frames(path: Path) -> int:
    """Frames found by torchcodec's exact-mode scan of the packet index (no decoding)."""
    return int(_decoder(path).metadata.num_frames)


def read_frames(path: Path, indices: list[int]) -> np.ndarray:
    """Decode the sorted, unique ``indices`` to uint8 RGB ``(T, H, W, 3)``."""
    return _decoder(path).get_frames_at(indices).data.numpy()
