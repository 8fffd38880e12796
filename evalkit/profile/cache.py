"""On-disk cache of cost profiles so `evalkit run` measures each decoder/resolution/device once.

The key is the canonical JSON of everything that changes the numbers: weights (sha256, or "random"),
environment (torch version, device name, threads, dtype), latent shape and measurement settings.
Entries are written to a temporary file and renamed into place, so a crash never leaves half a file. A profile
with a latency measured under contention is returned but never stored, so one busy moment is not reused forever.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from evalkit.atomic import atomic_write_json
from evalkit.hashing import canonical_sha256
from evalkit.profile.conditions import any_contended

logger = logging.getLogger(__name__)

CACHE_VERSION = 1


def profile_key(fields: dict[str, Any]) -> str:
    """sha256 of the canonical JSON of ``fields`` (sorted keys), with the cache version mixed in."""
    return canonical_sha256({"cache_version": CACHE_VERSION, **fields})


class ProfileCache:
    """A folder of ``<label>-<key[:16]>.json`` profile files; ``enabled=False`` turns it into a pass-through."""

    def __init__(self, root: str | Path, *, enabled: bool = True) -> None:
        self.root = Path(root)
        self.enabled = enabled

    def path_for(self, label: str, fields: dict[str, Any]) -> Path:
        """Where the entry for ``fields`` lives; ``label`` only makes the file name readable."""
        safe_label = "".join(c if c.isalnum() or c in "-_." else "_" for c in label)
        return self.root / f"{safe_label}-{profile_key(fields)[:16]}.json"

    def get_or_compute(
        self, label: str, fields: dict[str, Any], compute: Callable[[], dict[str, Any]]
    ) -> tuple[dict[str, Any], bool]:
        """Return ``(profile, was_cached)``; on a miss run ``compute`` and store its result with its key fields,
        unless a latency in it was measured under contention."""
        path = self.path_for(label, fields)
        if self.enabled and path.exists():
            stored = json.loads(path.read_text())
            if stored.get("key") == json.loads(json.dumps(fields)):
                logger.info("profile cache hit: %s", path)
                return stored["profile"], True
            logger.warning("profile cache file %s holds other key fields (hash collision?); recomputing", path)
        profile = compute()
        if any_contended(profile):
            logger.warning("profile for %s measured under contention; not cached, the next run measures again", label)
        elif self.enabled:
            self._write(path, {"key": fields, "profile": profile})
        return profile, False

    def _write(self, path: Path, payload: dict[str, Any]) -> None:
        atomic_write_json(path, payload)
        logger.info("profile cached at %s", path)
