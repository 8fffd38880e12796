"""Any directory tree of video files and frame folders, walked recursively in sorted order."""

from __future__ import annotations

import logging
from pathlib import Path

from evalkit.data.adapters.base import DatasetAdapter, LayoutError
from evalkit.data.backends.frame_folder import IMAGE_SUFFIXES
from evalkit.data.records import Listing, VideoEntry

logger = logging.getLogger(__name__)

VIDEO_SUFFIXES = frozenset({".mp4", ".avi", ".mov", ".mkv", ".webm", ".m4v", ".mpg", ".mpeg", ".wmv", ".flv"})


def find_videos(root: Path) -> list[Path]:
    """Video files and frame folders (directories holding images) under ``root``, sorted; frame folders
    are not searched further.

    Symbolic links are followed, but each real directory is walked once (a link loop such as ``loop -> .``
    ends there), and a file reached by several paths is listed once: under its own path when that is among
    them, else under the first in walk order.
    """
    candidates: list[Path] = []
    walked: set[Path] = set()

    def walk(folder: Path) -> None:
        real = _real(folder)
        if real in walked:
            logger.info("folder: %s leads to %s, which is already walked", folder, real)
            return
        walked.add(real)
        for path in sorted(folder.iterdir()):
            if path.is_dir():
                has_images = any(p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES for p in path.iterdir())
                if has_images:
                    candidates.append(path)
                else:
                    walk(path)
            elif path.suffix.lower() in VIDEO_SUFFIXES:
                candidates.append(path)

    walk(root)
    real_root = _real(root)
    by_target: dict[Path, list[Path]] = {}
    for path in candidates:
        by_target.setdefault(_real(path), []).append(path)
    found = []
    for real, paths in by_target.items():
        own = [path for path in paths if real_root / path.relative_to(root) == real]
        found.append(own[0] if own else paths[0])
        if len(paths) > 1:
            logger.warning("folder: %d paths lead to %s (symbolic links); it is listed once", len(paths), real)
    return sorted(found)


def _real(path: Path) -> Path:
    """``path`` with every symbolic link resolved (itself when the links loop)."""
    try:
        return path.resolve()
    except (OSError, RuntimeError):  # RuntimeError: a link loop, in Python 3.11
        return path.absolute()


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
