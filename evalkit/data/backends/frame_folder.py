"""Frame folders (DAVIS-style ``<seq>/00000.jpg``): one image per frame, in sorted file-name order."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from evalkit.data.backends.errors import DecodeError
from evalkit.data.limits import DEFAULT_MAX_FRAME_PIXELS, frame_size_problem

NAME = "frames"
IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".bmp", ".webp"})


def frame_files(folder: Path) -> list[Path]:
    """The image files of ``folder`` (not recursive), sorted by name."""
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)


def _check_header(image: Image.Image, path: Path, max_pixels: int) -> None:
    """Refuse non-RGB images and images over ``max_pixels`` (from the header, before the pixels are read)."""
    if image.mode != "RGB":
        raise DecodeError(path, f"wrong channels: image mode {image.mode!r} has {len(image.getbands())}, expected RGB")
    too_large = frame_size_problem(*image.size, max_pixels)
    if too_large:
        raise DecodeError(path, too_large)


def count_frames(folder: Path, max_pixels: int = DEFAULT_MAX_FRAME_PIXELS) -> int:
    """Number of image files in the folder; the first one's header is read to reject non-RGB or huge frames."""
    files = frame_files(folder)
    if files:
        try:
            with Image.open(files[0]) as image:
                _check_header(image, files[0], max_pixels)
        except (OSError, UnidentifiedImageError) as exc:
            raise DecodeError(files[0], f"unreadable image ({exc})") from exc
    return len(files)


def read_frames(folder: Path, indices: list[int], max_pixels: int = DEFAULT_MAX_FRAME_PIXELS) -> np.ndarray:
    """Load the sorted, unique ``indices`` as uint8 RGB ``(T, H, W, 3)``; non-RGB or huge images are an error."""
    files = frame_files(folder)
    if indices and indices[-1] >= len(files):
        raise DecodeError(folder, f"frame {indices[-1]} requested but the folder has {len(files)} images")
    frames = []
    for index in indices:
        try:
            with Image.open(files[index]) as image:
                _check_header(image, files[index], max_pixels)
                frames.append(np.asarray(image))
        except (OSError, UnidentifiedImageError) as exc:
            raise DecodeError(files[index], f"unreadable image ({exc})") from exc
    if len({frame.shape for frame in frames}) > 1:
        raise DecodeError(folder, f"frames differ in size: {sorted({frame.shape for frame in frames})}")
    return np.stack(frames)
