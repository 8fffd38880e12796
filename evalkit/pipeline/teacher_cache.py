"""Per-clip teacher work in the disk cache: latent, uint8 teacher frames, uint8 ground truth, teacher metrics.

Keyed by content, not names: the namespace hashes the teacher's state dict (so random init is keyed by its
config and seed), the run protocol hash, posterior mode/seed, precision, tiling and device type; an entry
key hashes the clip (dataset, source file, its size and mtime, frame indices). A warm run with a new
student therefore decodes no video and runs no teacher.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn

from evalkit.data import ClipRecord
from evalkit.pipeline.cache import DiskCache, content_key

KIND = "teacher"


def state_dict_sha256(module: nn.Module) -> str:
    """sha256 over the names, dtypes, shapes and bytes of a module's state dict (its content, whatever its name)."""
    digest = hashlib.sha256()
    for name, tensor in sorted(module.state_dict().items()):
        flat = tensor.detach().to("cpu").contiguous().reshape(-1)
        digest.update(f"{name}|{flat.dtype}|{tuple(tensor.shape)}|".encode())
        digest.update(memoryview(flat.view(torch.uint8).numpy()))
    return digest.hexdigest()


@dataclass
class TeacherEntry:
    """The teacher's work on one clip."""

    latent: torch.Tensor
    reference: torch.Tensor
    teacher: torch.Tensor
    metrics: dict[str, dict[str, Any]] = field(default_factory=dict)

    def metric_value(self, name: str, variant: dict[str, Any]) -> float | None:
        """The cached teacher score of metric ``name`` if it was computed with the same ``variant``."""
        cached = self.metrics.get(name)
        if cached is None or json.dumps(cached["variant"], sort_keys=True, default=str) != json.dumps(
            variant, sort_keys=True, default=str
        ):
            return None
        return float(cached["value"])


class TeacherCache:
    """Look up and store :class:`TeacherEntry` s of one teacher + protocol in a :class:`DiskCache`."""

    def __init__(self, cache: DiskCache, *, dataset: str, root: str, namespace_fields: dict[str, Any]) -> None:
        self.cache = cache
        self.dataset = dataset
        self.root = Path(root)
        self.namespace = cache.namespace(KIND, namespace_fields)

    def key(self, clip: ClipRecord) -> str:
        """The entry key of ``clip``: dataset, source, file size and mtime, frame indices."""
        try:
            stat = (self.root / clip.source).stat()
            fingerprint = [stat.st_size, stat.st_mtime_ns]
        except OSError:
            fingerprint = None
        return content_key(
            {
                "dataset": self.dataset,
                "clip_id": clip.clip_id,
                "source": clip.source,
                "file": fingerprint,
                "frame_indices": list(clip.frame_indices),
            }
        )

    def contains(self, clip: ClipRecord) -> bool:
        """Whether the clip is cached (a stat, no read)."""
        return self.cache.contains(self.namespace, self.key(clip))

    def load(self, clip: ClipRecord) -> TeacherEntry | None:
        """The cached entry, or None (absent or damaged)."""
        found = self.cache.get(self.namespace, self.key(clip))
        if found is None:
            return None
        tensors, metadata = found
        return TeacherEntry(tensors["latent"], tensors["reference"], tensors["teacher"], metadata.get("metrics", {}))

    def store(self, clip: ClipRecord, entry: TeacherEntry) -> None:
        """Write the entry for ``clip``."""
        tensors = {"latent": entry.latent, "reference": entry.reference, "teacher": entry.teacher}
        self.cache.put(self.namespace, self.key(clip), tensors, {"clip_id": clip.clip_id, "metrics": entry.metrics})
