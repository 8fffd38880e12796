"""Content-keyed disk cache of teacher work (latents, uint8 teacher frames, ground-truth frames, teacher metrics).

Entries are safetensors files (safe to load, no pickle) written atomically, grouped in namespaces whose
key hashes everything that changes the teacher's output (weights or state-dict sha256, protocol, posterior,
dtype, device type); ``info.json`` in each namespace says what it holds in words. The cache is bounded:
reads refresh an entry's modification time and :meth:`DiskCache.evict` removes least recently used entries
until the total fits the cap.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, safe_open, save_file

from evalkit.atomic import atomic_path, atomic_write_text
from evalkit.hashing import canonical_sha256
from evalkit.weights import cache_root

logger = logging.getLogger(__name__)

CACHE_FORMAT = 2  # 2: every entry carries the sha256 of its content (entries of format 1 are recomputed)
CHECKSUM_KEY = "sha256"
ENTRY_SUFFIX = ".safetensors"
INFO_FILE = "info.json"
GIB = 1024**3


def default_cache_dir() -> Path:
    """``$EVALKIT_CACHE/pipeline`` (default ``~/.cache/evalkit/pipeline``): run caches, apart from weight files."""
    return cache_root() / "pipeline"


def content_key(fields: dict[str, Any]) -> str:
    """sha256 of the canonical JSON of ``fields`` with the cache format mixed in."""
    return canonical_sha256({"cache_format": CACHE_FORMAT, **fields})


def content_sha256(tensors: dict[str, torch.Tensor], metadata_json: str) -> str:
    """sha256 over an entry's tensors (names, dtypes, shapes, bytes, in name order) and its metadata text."""
    digest = hashlib.sha256()
    for name in sorted(tensors):
        tensor = tensors[name].contiguous()
        digest.update(f"{name}|{tensor.dtype}|{tuple(tensor.shape)}|".encode())
        digest.update(memoryview(tensor.reshape(-1).view(torch.uint8).numpy()))
    digest.update(metadata_json.encode())
    return digest.hexdigest()


@dataclass(frozen=True)
class NamespaceUsage:
    """One namespace as `evalkit cache ls` shows it."""

    name: str
    entries: int
    bytes: int
    last_used: float
    info: dict[str, Any]


class DiskCache:
    """A folder of ``<kind>/<namespace>/<key>.safetensors`` entries with a size cap and LRU eviction."""

    def __init__(self, root: str | os.PathLike[str] | None = None, max_bytes: int | None = None) -> None:
        self.root = Path(root).expanduser() if root is not None else default_cache_dir()
        self.max_bytes = max_bytes
        self.corrupt_entries: list[str] = []  # entries dropped by get() as unreadable or failing their checksum

    def namespace(self, kind: str, fields: dict[str, Any]) -> str:
        """Create (if new) the namespace for ``fields`` under ``kind`` and return its name ``kind/<key[:16]>``."""
        name = f"{kind}/{content_key(fields)[:16]}"
        info_path = self.root / name / INFO_FILE
        if not info_path.exists():
            atomic_write_text(info_path, json.dumps({"kind": kind, **fields}, sort_keys=True, indent=1) + "\n")
        return name

    def entry_path(self, namespace: str, key: str) -> Path:
        """Where entry ``key`` of ``namespace`` lives."""
        return self.root / namespace / f"{key}{ENTRY_SUFFIX}"

    def contains(self, namespace: str, key: str) -> bool:
        """Whether the entry exists (a stat, no read)."""
        return self.entry_path(namespace, key).exists()

    def get(self, namespace: str, key: str) -> tuple[dict[str, torch.Tensor], dict[str, Any]] | None:
        """The entry's tensors and JSON metadata, or None; a damaged entry (unreadable, or content that does not
        match its sha256) is deleted, listed in ``corrupt_entries`` and reported as a miss."""
        path = self.entry_path(namespace, key)
        try:
            tensors = load_file(path)
            with safe_open(path, framework="pt") as handle:
                stored = handle.metadata() or {}
            metadata_json = stored.get("json", "{}")
            metadata = json.loads(metadata_json)
        except FileNotFoundError:
            return None
        except (SafetensorError, OSError, json.JSONDecodeError) as exc:
            return self._drop(path, str(exc))
        if stored.get(CHECKSUM_KEY) != content_sha256(tensors, metadata_json):
            return self._drop(path, "its content does not match the sha256 stored with it")
        now = time.time()
        os.utime(path, (now, now))
        return tensors, metadata

    def _drop(self, path: Path, why: str) -> None:
        logger.warning("cache entry %s is damaged (%s); recomputing it", path, why)
        path.unlink(missing_ok=True)
        self.corrupt_entries.append(path.name)

    def put(self, namespace: str, key: str, tensors: dict[str, torch.Tensor], metadata: dict[str, Any]) -> None:
        """Store an entry atomically (tensors made contiguous on CPU) with the sha256 of its content."""
        cpu = {name: tensor.detach().to("cpu").contiguous() for name, tensor in tensors.items()}
        metadata_json = json.dumps(metadata, sort_keys=True)
        with atomic_path(self.entry_path(namespace, key)) as tmp:
            save_file(cpu, tmp, metadata={"json": metadata_json, CHECKSUM_KEY: content_sha256(cpu, metadata_json)})

    def usage(self) -> list[NamespaceUsage]:
        """Every namespace with its entry count, size and last use, most recently used first."""
        found = []
        for info_path in sorted(self.root.glob(f"*/*/{INFO_FILE}")):
            folder = info_path.parent
            stats = [entry.stat() for entry in folder.glob(f"*{ENTRY_SUFFIX}")]
            info = json.loads(info_path.read_text(encoding="utf-8"))
            found.append(
                NamespaceUsage(
                    name=f"{folder.parent.name}/{folder.name}",
                    entries=len(stats),
                    bytes=sum(st.st_size for st in stats),
                    last_used=max((st.st_mtime for st in stats), default=info_path.stat().st_mtime),
                    info=info,
                )
            )
        return sorted(found, key=lambda usage: usage.last_used, reverse=True)

    def evict(self, max_bytes: int | None = None) -> int:
        """Delete least recently used entries until ``max_bytes`` (default: the cap) remain; returns bytes freed."""
        limit = self.max_bytes if max_bytes is None else max_bytes
        if limit is None:
            return 0
        entries = [(path.stat().st_mtime, path.stat().st_size, path) for path in self.root.glob(f"*/*/*{ENTRY_SUFFIX}")]
        total = sum(size for _, size, _ in entries)
        freed = 0
        for _, size, path in sorted(entries, key=lambda entry: entry[0]):
            if total - freed <= limit:
                break
            path.unlink(missing_ok=True)
            freed += size
        if freed:
            logger.info("cache %s: evicted %.1f MiB of least recently used entries", self.root, freed / 2**20)
        return freed

    def clear(self, namespace: str | None = None) -> int:
        """Delete one namespace (``kind/key``, or a unique prefix of it) or everything; returns bytes freed."""
        targets = [usage for usage in self.usage() if namespace is None or usage.name.startswith(namespace)]
        if namespace is not None and not targets:
            known = ", ".join(usage.name for usage in self.usage()) or "(cache is empty)"
            raise KeyError(f"no cache namespace {namespace!r} in {self.root}; known: {known}")
        for usage in targets:
            shutil.rmtree(self.root / usage.name, ignore_errors=True)
        return sum(usage.bytes for usage in targets)
