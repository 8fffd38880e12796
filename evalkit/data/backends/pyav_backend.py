"""PyAV backend: the fallback decoder, with frame-accurate seeking written out here.

PyAV only seeks by timestamp, so frame *i* is mapped to the *i*-th smallest packet timestamp (read by
demuxing, which does not decode), and decoding starts at the last key frame at or before each wanted
frame. Clips from the middle of a long video therefore never decode the whole file.
"""

from __future__ import annotations

import bisect
from pathlib import Path

import av
import numpy as np

from evalkit.data.backends.errors import DecodeError

NAME = "pyav"


def _frame_timestamps(container: av.container.InputContainer, stream: av.VideoStream) -> tuple[list[int], list[int]]:
    """Sorted presentation timestamps of all video packets, and those of key frames."""
    timestamps: list[int] = []
    keyframes: list[int] = []
    for packet in container.demux(stream):
        if packet.size == 0:
            continue
        if packet.pts is None:
            raise DecodeError(container.name, "video packets without timestamps cannot be seeked; use --backend decord")
        timestamps.append(packet.pts)
        if packet.is_keyframe:
            keyframes.append(packet.pts)
    timestamps.sort()
    keyframes.sort()
    return timestamps, keyframes


def _keyframe_at_or_before(keyframes: list[int], timestamp: int) -> int | None:
    position = bisect.bisect_right(keyframes, timestamp) - 1
    return keyframes[position] if position >= 0 else None


def count_frames(path: Path) -> int:
    """Number of video packets with data (container index, no decoding)."""
    with av.open(str(path)) as container:
        return len(_frame_timestamps(container, container.streams.video[0])[0])


def read_frames(path: Path, indices: list[int], log: list[tuple[int, str]] | None = None) -> np.ndarray:
    """Decode the sorted, unique ``indices`` to uint8 RGB ``(T, H, W, 3)`` (PyAV keeps FFmpeg's log quiet, so
    ``log`` gets nothing); a frame the decoder flags as corrupt (concealed errors) is a DecodeError."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        timestamps, keyframes = _frame_timestamps(container, stream)
        if indices and indices[-1] >= len(timestamps):
            raise DecodeError(path, f"frame {indices[-1]} requested but the video has {len(timestamps)} frames")
        index_of = {timestamps[i]: i for i in indices}
        position_of = {timestamp: position for position, timestamp in enumerate(timestamps)}
        decoded: dict[int, np.ndarray] = {}
        pos = 0  # first entry of ``indices`` not decoded yet
        while pos < len(indices):
            target = indices[pos]
            seek_to = _keyframe_at_or_before(keyframes, timestamps[target])
            container.seek(seek_to or 0, stream=stream, backward=True, any_frame=False)
            for frame in container.decode(stream):
                if frame.pts is None:
                    continue
                position = position_of.get(frame.pts, len(timestamps))
                if frame.is_corrupt and position <= indices[-1]:  # a clip frame, or one the clip is decoded from
                    raise DecodeError(
                        path, f"damaged frame {position}: the decoder flags it corrupt (concealed errors)"
                    )
                index = index_of.get(frame.pts)
                if index is not None:
                    decoded[index] = frame.to_ndarray(format="rgb24")
                while pos < len(indices) and indices[pos] in decoded:
                    pos += 1
                if pos == len(indices) or frame.pts >= timestamps[indices[pos]]:
                    break
                next_key = _keyframe_at_or_before(keyframes, timestamps[indices[pos]])
                if next_key is not None and next_key > frame.pts:
                    break  # a later key frame is closer: seek again
            if target not in decoded:
                raise DecodeError(path, f"frame {target} could not be decoded (truncated or corrupt file?)")
        return np.stack([decoded[i] for i in indices])
