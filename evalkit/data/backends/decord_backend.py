"""decord backend: frame-accurate random access through decord's key-frame index (the default).

One decode thread per reader: parallelism comes from DataLoader workers, which uses less CPU per clip
than FFmpeg threads inside each worker (measured with benchmarks/bench_data_loader.py).
"""

from __future__ import annotations

from pathlib import Path

import decord
import numpy as np

NAME = "decord"
decord.bridge.set_bridge("native")


def count_frames(path: Path) -> int:
    """Frames in the container's packet index (built by decord on open, without decoding)."""
    return len(decord.VideoReader(str(path), num_threads=1))


def read_frames(path: Path, indices: list[int]) -> np.ndarray:
    """Decode the sorted, unique ``indices`` to uint8 RGB ``(T, H, W, 3)``."""
    reader = decord.VideoReader(str(path), num_threads=1)
    return reader.get_batch(indices).asnumpy()
