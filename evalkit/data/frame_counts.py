"""Frame counts of video files remembered between runs, so a repeated manifest build opens no video.

Counting reads each file's header and packet index (14 ms per sample video here; about a minute for the
3,783 videos of the UCF-101 test list). A count is reused only while the file's resolved path, size and
modification time and the counting backend are unchanged; files that failed to count are never remembered,
so their reason is reported again. The memo is one JSON file, written atomically.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

from evalkit.data.backends import count_frames
from evalkit.results.atomic import atomic_write_text

logger = logging.getLogger(__name__)

MEMO_VERSION = 1


class FrameCountMemo:
    """``count(path, backend)`` as :func:`~evalkit.data.backends.count_frames`, remembered in ``path``."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.counts: dict[str, list] = {}
        self.hits = 0
        self._changed = False
        try:
            saved = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return
        except (OSError, ValueError) as exc:
            logger.warning("frame-count memo %s is unreadable (%s); counting again", self.path, exc)
            return
        if isinstance(saved, dict) and saved.get("version") == MEMO_VERSION:
            self.counts = saved.get("counts", {})

    def count(self, video: str | Path, backend: str) -> int:
        """Frames of ``video``: remembered if the file and backend are unchanged, else counted (and remembered).

        Raises:
            DecodeError: as ``count_frames`` does (nothing is remembered for that file).
        """
        resolved = Path(video).resolve()
        stat = resolved.stat()
        fingerprint = [stat.st_size, stat.st_mtime_ns, backend]
        saved = self.counts.get(str(resolved))
        if saved is not None and saved[:3] == fingerprint:
            self.hits += 1
            return int(saved[3])
        frames = count_frames(resolved, backend)
        self.counts[str(resolved)] = [*fingerprint, frames]
        self._changed = True
        return frames

    def save(self) -> None:
        """Write the memo if a count was added (atomic, so concurrent ranks never leave a torn file)."""
        if self._changed:
            payload = {"version": MEMO_VERSION, "counts": self.counts}
            atomic_write_text(self.path, json.dumps(payload, sort_keys=True, separators=(",", ":")))
            self._changed = False
