"""Per-clip teacher work in the disk cache: latent, uint8 teacher frames, uint8 ground truth, teacher metrics
and the FVD detector features of ground truth and teacher (so pooled FVD statistics rebuild exactly).

Keyed by content, not names: the namespace hashes the teacher's state dict (so random init is keyed by its
config and seed), the run protocol hash, posterior mode/seed, precision, tiling and device type; an entry
key hashes the clip (dataset, source file, its size and mtime, frame indices). A warm run with a new
student therefore decodes no video and runs no teacher.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from evalkit.data import ClipRecord
from evalkit.pipeline.cache import DiskCache, content_key

KIND = "teacher"
FEATURES = "features."


def same_variant(saved: dict[str, Any], current: dict[str, Any]) -> bool:
    """Whether two metric variants agree (the clip length, fixed by the protocol hash, is not compared)."""

    def canonical(variant: dict[str, Any]) -> str:
        return json.dumps({k: v for k, v in variant.items() if k != "frames_per_clip"}, sort_keys=True, default=str)

    return canonical(saved) == canonical(current)


@dataclass
class TeacherEntry:
    """The teacher's work on one clip; ``features[name]`` is ``(2, D)``: ground-truth and teacher features."""

    latent: torch.Tensor
    reference: torch.Tensor
    teacher: torch.Tensor
    metrics: dict[str, dict[str, Any]] = field(default_factory=dict)
    features: dict[str, torch.Tensor] = field(default_factory=dict)

    def metric_value(self, name: str, variant: dict[str, Any]) -> float | None:
        """The cached teacher score of metric ``name`` if it was computed with the same ``variant``."""
        cached = self.metrics.get(name)
        if cached is None or not same_variant(cached["variant"], variant):
            return None
        return float(cached["value"])

    def metric_scores(self, name: str, variant: dict[str, Any]) -> tuple[float, list[float]] | None:
        """The cached teacher score of metric ``name`` and its per-frame scores, if computed with ``variant``
        (None for entries cached before per-frame scores were kept)."""
        value = self.metric_value(name, variant)
        frames = self.metrics.get(name, {}).get("frames")
        return None if value is None or frames is None else (value, [float(score) for score in frames])

    def metric_features(self, name: str, variant: dict[str, Any]) -> torch.Tensor | None:
        """Cached ``(2, D)`` detector features of metric ``name`` if computed with the same ``variant``."""
        cached = self.metrics.get(name)
        if name not in self.features or cached is None or not same_variant(cached["variant"], variant):
            return None
        return self.features[name]


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
        features = {key.removeprefix(FEATURES): val for key, val in tensors.items() if key.startswith(FEATURES)}
        return TeacherEntry(
            tensors["latent"], tensors["reference"], tensors["teacher"], metadata.get("metrics", {}), features
        )

    def store(self, clip: ClipRecord, entry: TeacherEntry) -> None:
        """Write the entry for ``clip``."""
        tensors = {"latent": entry.latent, "reference": entry.reference, "teacher": entry.teacher}
        tensors.update({f"{FEATURES}{name}": features for name, features in entry.features.items()})
        self.cache.put(self.namespace, self.key(clip), tensors, {"clip_id": clip.clip_id, "metrics": entry.metrics})
