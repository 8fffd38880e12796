"""Kinetics-400/600/700: an annotation CSV plus the downloaded ``<youtube_id>_<start:06d>_<end:06d>.mp4`` files.

CSV columns: ``label,youtube_id,time_start,time_end,split[,is_cc]`` (test CSVs may lack ``label``). Files
may sit in per-label folders, per-split folders or flat; they are found by name anywhere under the root.
Mirrors lack a few percent of the videos: those rows stay in the listing and are reported as missing.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path

import pandas as pd

from evalkit.data.adapters.base import DatasetAdapter, LayoutError
from evalkit.data.records import Listing, VideoEntry

VIDEO_SUFFIXES = (".mp4", ".mkv", ".webm", ".avi", ".mov")
REQUIRED_COLUMNS = ("youtube_id", "time_start", "time_end")


def clip_name(youtube_id: str, time_start: float, time_end: float) -> str:
    """The file stem the official downloader writes: ``<youtube_id>_<start:06d>_<end:06d>``."""
    return f"{youtube_id}_{int(float(time_start)):06d}_{int(float(time_end)):06d}"


class Kinetics(DatasetAdapter):
    """Kinetics-400/600/700 (the version is whichever annotation CSV you point at); default split ``val``."""

    name = "kinetics"
    splits = ("train", "val", "test")
    default_split = "val"
    location_options = frozenset({"annotations"})
    options = {"annotations": "the split's annotation CSV (default: ROOT/annotations/SPLIT.csv or ROOT/SPLIT.csv)"}

    @property
    def annotation_file(self) -> Path:
        if "annotations" in self.option_values:
            return self.require(Path(self.option_values["annotations"]), "the annotation CSV")
        candidates = [self.root / "annotations" / f"{self.split}.csv", self.root / f"{self.split}.csv"]
        for candidate in candidates:
            if candidate.exists():
                return candidate
        raise LayoutError(
            f"kinetics: no annotation CSV for split {self.split!r}; expected {candidates[0]} or {candidates[1]} "
            "(or pass --option annotations=PATH)"
        )

    def read_annotations(self) -> pd.DataFrame:
        """The annotation rows of this split, as strings."""
        path = self.annotation_file
        table = pd.read_csv(path, dtype=str, keep_default_na=False)
        missing = [column for column in REQUIRED_COLUMNS if column not in table.columns]
        if missing:
            raise ValueError(f"{path}: missing column(s) {missing}; found {list(table.columns)}")
        if "split" in table.columns:
            table = table[table["split"] == self.split]
        return table

    @cached_property
    def _files_by_stem(self) -> dict[str, Path]:
        files: dict[str, Path] = {}
        for path in sorted(self.root.rglob("*")):
            if path.suffix.lower() in VIDEO_SUFFIXES:
                files.setdefault(path.stem, path)
        return files

    def list_videos(self) -> Listing:
        table = self.read_annotations()
        has_labels = "label" in table.columns and (table["label"] != "").all()
        class_names = sorted(set(table["label"])) if has_labels else None
        label_of = {name: index for index, name in enumerate(class_names or [])}
        entries = []
        for row in table.itertuples(index=False):
            stem = clip_name(row.youtube_id, row.time_start, row.time_end)
            path = self._files_by_stem.get(stem) or self._files_by_stem.get(row.youtube_id)
            source = self.relative(path) if path is not None else f"{stem}.mp4"
            entries.append(VideoEntry(stem, source, label_of[row.label] if has_labels else None))
        return Listing(entries=entries, class_names=class_names)
