"""Video data layer: dataset adapters → clip manifest (deterministic, hashable) → decoded uint8 clips.

Public API: :class:`ClipProtocol`, :class:`ClipRecord`, :func:`build_manifest` / :class:`ClipManifest`,
:class:`ClipDataset` with :func:`collate_clips`, the :data:`DATASETS` registry, and the decode calls in
:mod:`evalkit.data.backends` (``read_video``, ``count_frames``, ``DecodeError``).
"""

from __future__ import annotations

from evalkit.data.adapters import DATASETS, DatasetAdapter, LayoutError
from evalkit.data.backends import DecodeError, count_frames, read_video
from evalkit.data.manifest import ClipManifest, build_manifest
from evalkit.data.protocol import ClipProtocol
from evalkit.data.records import ClipRecord, SkippedClip
from evalkit.data.torch_dataset import ClipDataset, collate_clips

__all__ = [
    "DATASETS",
    "ClipDataset",
    "ClipManifest",
    "ClipProtocol",
    "ClipRecord",
    "DatasetAdapter",
    "DecodeError",
    "LayoutError",
    "SkippedClip",
    "build_manifest",
    "collate_clips",
    "count_frames",
    "read_video",
]
