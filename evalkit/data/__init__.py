"""Video data layer: dataset adapters → clip manifest (deterministic, hashable) → decoded uint8 clips.

Public API: :class:`ClipProtocol`, :class:`ClipRecord`, :func:`build_manifest` / :class:`ClipManifest`,
:class:`ClipDataset` with :func:`collate_clips`, the :data:`DATASETS` registry, and the decode calls in
:mod:`evalkit.data.backends` (``read_video``, ``count_frames``, ``DecodeError``).
"""

from __future__ import annotations

from evalkit.lazy import lazy_exports

_MODULES = {
    "DATASETS": "evalkit.data.adapters",
    "DatasetAdapter": "evalkit.data.adapters",
    "LayoutError": "evalkit.data.adapters",
    "DecodeError": "evalkit.data.backends",
    "count_frames": "evalkit.data.backends",
    "read_video": "evalkit.data.backends",
    "ClipManifest": "evalkit.data.manifest",
    "build_manifest": "evalkit.data.manifest",
    "ClipProtocol": "evalkit.data.protocol",
    "ClipRecord": "evalkit.data.records",
    "SkippedClip": "evalkit.data.records",
    "ClipDataset": "evalkit.data.torch_dataset",
    "collate_clips": "evalkit.data.torch_dataset",
}
__getattr__, __dir__ = lazy_exports(__name__, _MODULES)  # decoders and torch load on first use

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
