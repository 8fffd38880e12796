"""Frame counts of video files remembered between runs, so a repeated manifest build opens no video.

Counting reads each file's header and packet index (14 ms per sample video here; about a minute for the
3,783 videos of the UCF-101 test list). A count is reused only while the file's resolved path, size and
modification time and the counting backend are unchanged (:class:`~evalkit.file_memo.FileMemo`); files that
failed to count are never remembered, so their reason is reported again.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from evalkit.data.backends import count_frames
from evalkit.data.limits import DEFAULT_MAX_FRAME_PIXELS
from evalkit.file_memo import FileMemo


class FrameCountMemo:
    """``count(path, backend)`` as :func:`~evalkit.data.backends.count_frames`, remembered in ``path``."""

    def __init__(self, path: str | Path) -> None:
        self.memo = FileMemo(path, "frame-count memo")
        self.hits = 0

    @property
    def counts(self) -> dict[str, Any]:
        """The remembered entries, by resolved video path."""
        return self.memo.entries

    def count(self, video: str | Path, backend: str, max_pixels: int = DEFAULT_MAX_FRAME_PIXELS) -> int:
        """Frames of ``video``: remembered if the file, backend and frame-size limit are unchanged, else counted
        (and remembered).

        Raises:
            DecodeError: as ``count_frames`` does (nothing is remembered for that file).
        """
        video = Path(video)
        saved = self.memo.get(video, backend=backend, max_pixels=max_pixels)
        if saved is not None:
            self.hits += 1
            return int(saved["frames"])
        frames = count_frames(video.resolve(), backend, max_pixels)
        self.memo.put(video, backend=backend, max_pixels=max_pixels, frames=frames)
        return frames

    def save(self) -> None:
        """Write the memo if a count was added (atomic, so concurrent ranks never leave a torn file)."""
        self.memo.save()
