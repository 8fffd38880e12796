"""Values derived from a file (its sha256, its frame count), remembered by resolved path while the file's size
and modification time are unchanged, in one JSON file written atomically. Any rewrite of a file changes its
size or mtime, so a stale value is never returned.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any

from evalkit.atomic import atomic_write_json

logger = logging.getLogger(__name__)


class FileMemo:
    """``{resolved path: {"size", "mtime_ns", **fields}}`` loaded from ``path``; ``what`` names it in warnings."""

    def __init__(self, path: str | os.PathLike[str], what: str) -> None:
        self.path = Path(path)
        self.what = what
        self.entries: dict[str, Any] = {}
        self._changed = False
        try:
            saved = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return
        except (OSError, ValueError) as exc:
            logger.warning("%s %s is unreadable (%s); computing again", what, self.path, exc)
            return
        if isinstance(saved, dict):
            self.entries = saved

    def get(self, file: Path, **conditions: Any) -> dict[str, Any] | None:
        """The entry of ``file`` if its size, mtime and every ``conditions`` field still match, else None."""
        real = file.resolve()
        stat = real.stat()
        entry = self.entries.get(str(real))
        expected = {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns, **conditions}
        if not isinstance(entry, dict) or any(entry.get(key) != value for key, value in expected.items()):
            return None
        return entry

    def put(self, file: Path, **fields: Any) -> None:
        """Remember ``fields`` for ``file`` as it is now (written by :meth:`save`)."""
        real = file.resolve()
        stat = real.stat()
        self.entries[str(real)] = {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns, **fields}
        self._changed = True

    def save(self) -> None:
        """Write the memo if something was added; a failure to write only costs recomputation later."""
        if not self._changed:
            return
        try:
            atomic_write_json(self.path, self.entries)
        except OSError as exc:
            logger.warning("could not update %s %s: %s", self.what, self.path, exc)
            return
        self._changed = False
