"""Markers that find a file whose decoding killed the run (out of memory, a decoder crash), so that the
resumed run records it as failed instead of dying on it again.

A marker file is created before a clip is decoded and removed as soon as decoding returns or raises; only
a process that died inside the decoder leaves one. Markers live in the run's journal folder, one file per
clip (its name is a hash of the clip id, its content the clip id), so DataLoader workers and ranks can
write them without coordination. A marker also stays when the run was killed from outside (``kill -9``)
while it decoded a good file, so the resumed run first decodes each marked clip in a child process: a
clip that decodes there is evaluated as usual, one whose decoding kills the child too is skipped.
"""

from __future__ import annotations

import hashlib
import logging
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from evalkit.data import ClipManifest

logger = logging.getLogger(__name__)

MARKER_DIR = "decoding"
DIED_WHILE_DECODING = (
    "decoding this file killed the process twice (an earlier session of this run, then a test decode in a "
    "child process: out of memory or a decoder crash); skipped so the run can finish"
)
PROBE_TIMEOUT_S = 600
_PROBE = (
    "import sys; from evalkit.data.backends import read_video; "
    "read_video(sys.argv[1], [int(i) for i in sys.argv[2].split(',')], 'auto', int(sys.argv[3]))"
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

    def release_survivors(self, manifest: ClipManifest, done: set[str], max_frame_pixels: int) -> None:
        """Decode each marked clip of ``manifest`` not in ``done`` in a child process and drop the marker of
        every clip whose decoding returns there (with frames or a DecodeError); the others stay marked."""
        marked = self.left_behind() - done
        for clip in manifest.clips:
            if clip.clip_id not in marked:
                continue
            indices = ",".join(str(index) for index in clip.frame_indices)
            command = [sys.executable, "-c", _PROBE, str(manifest.resolve(clip)), indices, str(max_frame_pixels)]
            try:
                code = subprocess.run(command, capture_output=True, timeout=PROBE_TIMEOUT_S).returncode
            except subprocess.TimeoutExpired:
                code = None
            if code is not None and code >= 0:
                self.forget({clip.clip_id})
            else:
                logger.warning("clip %s: decoding it killed a test process too (exit %s)", clip.clip_id, code)
