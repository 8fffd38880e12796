"""decord backend: frame-accurate random access through decord's key-frame index (the default).

One decode thread per reader: parallelism comes from DataLoader workers, which uses less CPU per clip
than FFmpeg threads inside each worker (measured with benchmarks/bench_data_loader.py).
"""

from __future__ import annotations

from pathlib import Path

import decord
import numpy as np

from evalkit.data.backends import ffmpeg_log

NAME = "decord"
decord.bridge.set_bridge("native")
_LIBAVUTIL = sorted((Path(decord.__file__).parent.parent / "decord.libs").glob("libavutil-*.so*"))
LOG_ROUTED = bool(_LIBAVUTIL) and ffmpeg_log.route_to_logging(_LIBAVUTIL[0])


def count_frames(path: Path) -> int:
    """Frames in the container's packet index (built by decord on open, without decoding)."""
    return len(decord.VideoReader(str(path), num_threads=1))


def read_frames(path: Path, indices: list[int], log: list[tuple[int, str]] | None = None) -> np.ndarray:
    """Decode the sorted, unique ``indices`` to uint8 RGB ``(T, H, W, 3)``; FFmpeg's ``(level, line)`` warnings
    and errors while decoding go to ``log`` (the decoder may read a little past the last index)."""
    reader = decord.VideoReader(str(path), num_threads=1)  # opening probes (decodes) a few frames: not the clip's
    with ffmpeg_log.collect() as lines:
        frames = reader.get_batch(indices).asnumpy()
        del reader  # stops its decoding thread, which reads ahead of the clip, so its lines fall in this window
    if log is not None:
        log.extend(lines)
    return frames
