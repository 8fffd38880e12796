"""Dataset adapters, registered by name in :data:`DATASETS` (lazy entries: listing names imports nothing)."""

from __future__ import annotations

from evalkit.data.adapters.base import DatasetAdapter, LayoutError
from evalkit.registry import Registry

DATASETS: Registry[type[DatasetAdapter]] = Registry("dataset")
DATASETS.register("ucf101", obj="evalkit.data.adapters.ucf101:UCF101")
DATASETS.register("kinetics", obj="evalkit.data.adapters.kinetics:Kinetics")
DATASETS.register("davis", obj="evalkit.data.adapters.davis:Davis2017")
DATASETS.register("folder", obj="evalkit.data.adapters.folder:VideoFolder")
DATASETS.register("csv", obj="evalkit.data.adapters.table:VideoTable")
DATASETS.register("hf", obj="evalkit.data.adapters.hf:HuggingFaceVideos")
DATASETS.register("sample", obj="evalkit.data.adapters.sample:SampleClips")

__all__ = ["DATASETS", "DatasetAdapter", "LayoutError"]
