"""sha256 of weight files, a size/mtime-keyed hash cache (teacher VAEs are GBs), and trust-on-first-fetch pins."""

from __future__ import annotations

import hashlib
import json
import logging
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from evalkit.atomic import atomic_write_json
from evalkit.file_memo import FileMemo

logger = logging.getLogger(__name__)

_CHUNK = 1 << 20


def sha256_file(path: str | os.PathLike[str]) -> str:
    """Hex sha256 of the file at ``path``, streamed in 1 MiB chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _read_json(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError:
        logger.warning("ignoring unreadable JSON file %s", path)
        return {}


class HashCache:
    """Remembers sha256 per resolved path, valid while the file's size and mtime are unchanged.

    Hashing a multi-GB teacher on every run costs seconds; a stale entry is impossible because any rewrite
    changes the size or the mtime (:class:`~evalkit.file_memo.FileMemo`).
    """

    def __init__(self, path: Path) -> None:
        self.path = path

    def sha256(self, file: Path) -> str:
        """sha256 of ``file``, computed once per (size, mtime)."""
        memo = FileMemo(self.path, "hash cache")
        entry = memo.get(file)
        if entry is not None and "sha256" in entry:
            return entry["sha256"]
        if file.stat().st_size > 256 * _CHUNK:
            logger.info("hashing %s (%.1f GB)", file, file.stat().st_size / 1e9)
        digest = sha256_file(file.resolve())
        memo.put(file, sha256=digest)
        memo.save()
        return digest


class PinStore:
    """sha256 pins for files whose hash cannot be known in advance (pinned on first fetch, checked after)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def get(self, name: str) -> str | None:
        """The pinned sha256 for weight ``name``, or None if it was never pinned."""
        entry = _read_json(self.path).get(name)
        return entry["sha256"] if entry else None

    def pin(self, name: str, sha256: str, origin: str) -> None:
        """Record ``sha256`` as the only accepted content for ``name`` (``origin``: where the file came from)."""
        entries = _read_json(self.path)
        entries[name] = {
            "sha256": sha256,
            "origin": origin,
            "pinned_at": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        atomic_write_json(self.path, entries)
        logger.warning("pinned %s to sha256 %s in %s", name, sha256, self.path)
