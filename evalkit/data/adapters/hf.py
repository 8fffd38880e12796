"""A Hugging Face ``datasets`` dataset with a video column: a ``save_to_disk`` folder, a local data folder
(e.g. ``videofolder``), or a Hub id when online.

Videos are read by path; rows that embed the video bytes (``save_to_disk`` does) are written once to a
content-addressed cache folder so the normal decode backends can seek in them.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path, PurePosixPath
from typing import Any

import datasets
from evalkit.data.adapters.base import DatasetAdapter, LayoutError
from evalkit.data.records import Listing, VideoEntry


def default_cache_dir() -> Path:
    """``$EVALKIT_CACHE_DIR/hf_videos``, else ``~/.cache/evalkit/hf_videos``."""
    base = os.environ.get("EVALKIT_CACHE_DIR") or Path.home() / ".cache" / "evalkit"
    return Path(base) / "hf_videos"


def materialize(video_bytes: bytes, name: str, cache_dir: Path) -> Path:
    """Write ``video_bytes`` to ``cache_dir/<sha256[:16]><suffix>`` once (atomic rename) and return the path."""
    target = cache_dir / f"{hashlib.sha256(video_bytes).hexdigest()[:16]}{PurePosixPath(name).suffix or '.mp4'}"
    if not target.exists():
        cache_dir.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(f"{target.name}.{os.getpid()}.partial")
        partial.write_bytes(video_bytes)
        partial.replace(target)
    return target


class HuggingFaceVideos(DatasetAdapter):
    """Rows of a ``datasets`` split with a ``Video`` column; clip id = ``id_column`` or ``<split>/<row:06d>``."""

    name = "hf"
    splits = None
    root_may_be_remote = True
    location_options = frozenset({"cache_dir"})
    options = {
        "video_column": "column holding the videos (default: the first Video feature, else 'video')",
        "label_column": "column holding a ClassLabel (default: 'label' when it is one)",
        "id_column": "column with a unique clip id (default: <split>/<row index>)",
        "cache_dir": "where embedded video bytes are written (default: $EVALKIT_CACHE_DIR or ~/.cache/evalkit)",
    }

    def load(self) -> datasets.Dataset:
        """The chosen split, loaded from disk (or the Hub when online)."""
        try:
            if (self.root / "dataset_info.json").exists() or (self.root / "dataset_dict.json").exists():
                loaded = datasets.load_from_disk(str(self.root))
            else:
                loaded = datasets.load_dataset(str(self.root))
        except Exception as exc:  # noqa: BLE001 - datasets raises many types; all mean "cannot load this root"
            raise LayoutError(f"hf: cannot load a dataset from {self.root} ({type(exc).__name__}: {exc})") from exc
        if isinstance(loaded, datasets.Dataset):
            return loaded
        if self.split is None and len(loaded) == 1:
            self.split = next(iter(loaded))
        if self.split not in loaded:
            raise ValueError(f"hf: split {self.split!r} not in {self.root}; choose one of: {', '.join(loaded)}")
        return loaded[self.split]

    def _columns(self, features: datasets.Features) -> tuple[str, str | None]:
        video_column = self.option_values.get("video_column") or next(
            (name for name, feature in features.items() if isinstance(feature, datasets.Video)), "video"
        )
        if video_column not in features:
            raise ValueError(f"hf: no video column {video_column!r}; columns are {list(features)}")
        label_column = self.option_values.get("label_column")
        if label_column is None and isinstance(features.get("label"), datasets.ClassLabel):
            label_column = "label"
        if label_column is not None and label_column not in features:
            raise ValueError(f"hf: no label column {label_column!r}; columns are {list(features)}")
        return video_column, label_column

    def _source(self, video: dict[str, Any] | str) -> str:
        if isinstance(video, str):
            video = {"path": video, "bytes": None}
        path = video.get("path")
        if path and (self.root / path).exists():
            return self.relative(self.root / path)
        if video.get("bytes"):
            cache_dir = Path(self.option_values.get("cache_dir", default_cache_dir()))
            return materialize(video["bytes"], path or "video.mp4", cache_dir).as_posix()
        return path or ""

    def list_videos(self) -> Listing:
        dataset = self.load()
        video_column, label_column = self._columns(dataset.features)
        label_feature = dataset.features[label_column] if label_column else None
        class_names = list(label_feature.names) if isinstance(label_feature, datasets.ClassLabel) else None
        if isinstance(dataset.features[video_column], datasets.Video):
            dataset = dataset.cast_column(video_column, datasets.Video(decode=False))
        id_column = self.option_values.get("id_column")
        entries = []
        for index, row in enumerate(dataset):
            clip_id = str(row[id_column]) if id_column else f"{self.split or 'data'}/{index:06d}"
            label = int(row[label_column]) if label_column and row[label_column] is not None else None
            entries.append(VideoEntry(clip_id, self._source(row[video_column]), label))
        return Listing(entries=entries, class_names=class_names)
