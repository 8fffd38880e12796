"""torchcodec backend (needs the system FFmpeg libraries); exact seek mode for frame-accurate access.

torchcodec imports fine without FFmpeg and only fails at the first decode, so this module checks at
import time that its FFmpeg libraries loaded: a backend that cannot decode is then reported
unavailable (with the fix) and never chosen by ``auto``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torchcodec
from torchcodec.decoders import VideoDecoder

NAME = "torchcodec"
FFMPEG_FIX = "install the system FFmpeg libraries (Debian/Ubuntu: apt-get install ffmpeg)"

if torchcodec.ffmpeg_major_version is None:
    raise ImportError(f"torchcodec cannot load FFmpeg's shared libraries (libavutil.so.* not found); {FFMPEG_FIX}")


def _decoder(path: Path) -> VideoDecoder:
    return VideoDecoder(str(path), seek_mode="exact", dimension_order="NHWC", num_ffmpeg_threads=1)


def count_frames(path: Path) -> int:
    """Frames found by torchcodec's exact-mode scan of the packet index (no decoding)."""
    return int(_decoder(path).metadata.num_frames)


def read_frames(path: Path, indices: list[int], log: list[tuple[int, str]] | None = None) -> np.ndarray:
    """Decode the sorted, unique ``indices`` to uint8 RGB ``(T, H, W, 3)`` (torchcodec exposes neither FFmpeg's
    log nor its error flags: damaged packets are found by :func:`evalkit.data.backends.damaged_frames`)."""
    return _decoder(path).get_frames_at(indices).data.numpy()
