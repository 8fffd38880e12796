"""Markers that find a file whose decoding killed the run (out of memory, a decoder crash), so that the
resumed run records it as failed instead of dying on it again.

A marker file is created before a clip is decoded and removed as soon as decoding returns or raises; only
a process that died inside the decoder leaves one. Markers live in the run's journal folder, one file per
clip (its name is a hash of the clip id, its content the clip id), so DataLoader workers and ranks can
write them without coordination.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

MARKER_DIR = "decoding"
DIED_WHILE_DECODING = (
    "an earlier session of this run died while decoding this file (out of memory or a decoder crash); "
    "skipped so the run can finish: check the file, or delete it from the run folder's journal/decoding to retry"
)


class DecodeMarkers:
    """``guard(clip_id)`` marks a decode in progress; ``left_behind()`` lists clips whose decode never returned."""

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)

    def _path(self, clip_id: str) -> Path:
        return self.folder / f"{hashlib.sha256(clip_id.encode()).hexdigest()[:24]}.clip"

    @contextmanager
    def guard(self, clip_id: str) -> Iterator[None]:
        """Hold a marker for ``clip_id`` while the body runs (removed on return and on any exception)."""
        path = self._path(clip_id)
        self.folder.mkdir(parents=True, exist_ok=True)
        path.write_text(clip_id, encoding="utf-8")
        try:
            yield
        finally:
            path.unlink(missing_ok=True)

    def left_behind(self) -> set[str]:
        """Clip ids whose marker is still there: their decoding never returned (the process died in it)."""
        if not self.folder.is_dir():
            return set()
        found = {path.read_text(encoding="utf-8") for path in self.folder.glob("*.clip")}
        return found - {""}  # a marker torn while it was written names no clip

    def forget(self, clip_ids: set[str]) -> None:
        """Remove the markers of ``clip_ids`` (once they are journaled)."""
        for clip_id in clip_ids:
            self._path(clip_id).unlink(missing_ok=True)
