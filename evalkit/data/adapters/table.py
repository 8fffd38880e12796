"""A manifest table (CSV or Parquet) with one row per video and a path column relative to the root.

Presets cover the common web-video layouts: ``openvid`` (OpenVid-1M's ``video`` column of file names)
and ``webvid`` (WebVid's ``videoid`` and ``page_dir``, files at ``<page_dir>/<videoid>.mp4`` as
video2dataset-style downloads keep them). Any other table names its columns with options.
"""

from __future__ import annotations

import string
from pathlib import Path, PurePosixPath

import pandas as pd

from evalkit.data.adapters.base import DatasetAdapter, LayoutError
from evalkit.data.records import Listing, VideoEntry

PRESETS = {
    "openvid": {"path_column": "video"},
    "webvid": {"path_template": "{page_dir}/{videoid}.mp4", "id_column": "videoid"},
}
PATH_COLUMN_GUESSES = ("path", "video", "video_path", "file", "filename")


class VideoTable(DatasetAdapter):
    """Videos listed in a CSV/Parquet table; no splits (use one table per split)."""

    name = "csv"
    location_options = frozenset({"table"})
    options = {
        "table": "the CSV or Parquet file (default: the only *.csv / *.parquet in ROOT)",
        "preset": f"column layout: {', '.join(PRESETS)}",
        "path_column": f"column with the path relative to ROOT (default: first of {', '.join(PATH_COLUMN_GUESSES)})",
        "path_template": "build the path from columns instead, e.g. '{page_dir}/{videoid}.mp4'",
        "id_column": "column with a unique clip id (default: the path without extension)",
        "label_column": "column with the class name (optional)",
    }

    @property
    def table_file(self) -> Path:
        if "table" in self.option_values:
            return self.require(Path(self.option_values["table"]), "the manifest table")
        candidates = sorted([*self.root.glob("*.csv"), *self.root.glob("*.parquet")])
        if len(candidates) != 1:
            found = ", ".join(p.name for p in candidates) or "none"
            raise LayoutError(
                f"csv: expected exactly one *.csv or *.parquet in {self.root} (found: {found}); "
                "pass --option table=PATH"
            )
        return candidates[0]

    def settings(self) -> dict[str, str]:
        """The column options after the preset is applied (explicit options win)."""
        preset = self.option_values.get("preset")
        if preset is not None and preset not in PRESETS:
            raise ValueError(f"csv: unknown preset {preset!r}; choose one of: {', '.join(PRESETS)}")
        return {
            **PRESETS.get(preset, {}),
            **{k: v for k, v in self.option_values.items() if k not in ("preset", "table")},
        }

    def read_table(self) -> pd.DataFrame:
        """The table, every column as strings."""
        path = self.table_file
        if path.suffix.lower() == ".parquet":
            return pd.read_parquet(path).astype(str)
        return pd.read_csv(path, dtype=str, keep_default_na=False)

    def list_videos(self) -> Listing:
        settings = self.settings()
        table = self.read_table()
        template = settings.get("path_template")
        path_column = None
        if template is None:
            path_column = settings.get("path_column") or next(
                (c for c in PATH_COLUMN_GUESSES if c in table.columns), None
            )
            if path_column is None:
                raise ValueError(
                    f"{self.table_file}: no path column among {list(PATH_COLUMN_GUESSES)}; "
                    f"columns are {list(table.columns)} (pass --option path_column=NAME)"
                )
        needed = [settings.get("id_column"), settings.get("label_column"), path_column]
        needed += [field for _, field, _, _ in string.Formatter().parse(template or "") if field]
        absent = [column for column in needed if column is not None and column not in table.columns]
        if absent:
            raise ValueError(f"{self.table_file}: missing column(s) {absent}; columns are {list(table.columns)}")
        rows = table.to_dict("records")
        paths = [template.format(**row) if template else row[path_column] for row in rows]
        if "id_column" in settings:
            ids = [row[settings["id_column"]] for row in rows]
        else:
            ids = [str(PurePosixPath(path).with_suffix("")) for path in paths]
        class_names = sorted(set(table[settings["label_column"]])) if "label_column" in settings else None
        label_of = {name: index for index, name in enumerate(class_names or [])}
        labels = [label_of[row[settings["label_column"]]] if class_names else None for row in rows]
        entries = [VideoEntry(clip_id, path, label) for clip_id, path, label in zip(ids, paths, labels, strict=True)]
        return Listing(entries=entries, class_names=class_names)
