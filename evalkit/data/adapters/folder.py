"""Any directory tree of video files and frame folders, walked recursively in sorted order."""

from __future__ import annotations

from pathlib import Path

from evalkit.data.adapters.base import DatasetAdapter, LayoutError
from evalkit.data.backends.frame_folder import IMAGE_SUFFIXES
from evalkit.data.records import Listing, VideoEntry

VIDEO_SUFFIXES = frozenset({".mp4", ".avi", ".mov", ".mkv", ".webm", ".m4v", ".mpg", ".mpeg", ".wmv", ".flv"})


def find_videos(root: Path) -> list[Path]:
    """Video files and frame folders (directories holding images) under ``root``, sorted; frame folders
    are not searched further."""
    found: list[Path] = []
    for path in sorted(root.iterdir()):
        if path.is_dir():
            has_images = any(p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES for p in path.iterdir())
            found.extend([path] if has_images else find_videos(path))
        elif path.suffix.lower() in VIDEO_SUFFIXES:
            found.append(path)
    return found


class VideoFolder(DatasetAdapter):
    """Every video under ROOT; clip id = relative path without extension. No splits, no labels."""

    name = "folder"

    def list_videos(self) -> Listing:
        if not self.root.is_dir():
            raise LayoutError(f"folder: --root {self.root} is not a directory")
        entries = []
        for path in find_videos(self.root):
            relative = self.relative(path)
            clip_id = relative if path.is_dir() else relative[: -len(path.suffix)]
            entries.append(VideoEntry(clip_id, relative))
        return Listing(entries=entries)
