"""Frame comparisons for the run report: still panels and a size-bounded animated GIF, as data URIs.

Works on frames a run saved (named uint8 ``(T, H, W, 3)`` clips: ground truth, teacher and student of a
reconstruction sample, or teacher and student of a generated one); nothing is decoded again. PIL writes
PNG and GIF; the heat map uses a matplotlib colormap.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from PIL import Image

HEATMAP_FULL_SCALE = 64  # 8-bit levels of mean absolute error that map to the top of the colormap
PIXELATED_BELOW = 160  # frames smaller than this (pixels, longest side) are shown with hard pixel edges


@dataclass(frozen=True)
class Panel:
    """One labelled image in a comparison row."""

    title: str
    data_uri: str
    width: int
    height: int
    pixelated: bool


def _check_clip(name: str, frames: np.ndarray) -> None:
    if frames.dtype != np.uint8 or frames.ndim != 4 or frames.shape[-1] != 3:
        raise ValueError(f"{name} frames must be uint8 (T, H, W, 3), got {frames.dtype} {tuple(frames.shape)}")


def _check_same_shape(clips: Mapping[str, np.ndarray]) -> int:
    """Check named uint8 ``(T, H, W, 3)`` clips of one shape; return their longest side in pixels."""
    if not clips:
        raise ValueError("no clips to show")
    for name, frames in clips.items():
        _check_clip(name, frames)
    shapes = {name: tuple(frames.shape) for name, frames in clips.items()}
    if len(set(shapes.values())) != 1:
        raise ValueError(f"sample clips differ in shape: {shapes}")
    return max(next(iter(clips.values())).shape[1:3])


def _fit(image: Image.Image, max_side: int) -> Image.Image:
    scale = max_side / max(image.size)
    if scale >= 1:
        return image
    size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    return image.resize(size, Image.Resampling.LANCZOS)


def _png_data_uri(image: Image.Image) -> str:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")  # optimize=True: 60% slower for 0.1% smaller
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def error_heatmap(reference: np.ndarray, candidate: np.ndarray, full_scale: int = HEATMAP_FULL_SCALE) -> np.ndarray:
    """Per-pixel mean absolute error of two uint8 ``(H, W, 3)`` frames as an RGB uint8 heat map.

    The scale is fixed (``full_scale`` levels → top colour) so heat maps of different clips compare.
    """
    from matplotlib import colormaps  # imported on use: reports without samples never load matplotlib

    error = np.abs(reference.astype(np.int16) - candidate.astype(np.int16)).mean(axis=-1)
    rgba = colormaps["inferno"](np.clip(error / full_scale, 0.0, 1.0))
    return (rgba[..., :3] * 255).round().astype(np.uint8)


def comparison_panels(clips: Mapping[str, np.ndarray], frame: int, max_side: int = 384) -> list[Panel]:
    """One PNG panel per named clip at ``frame`` (titled by its name), then the |student − teacher| heat map
    when both a ``teacher`` and a ``student`` clip are given."""
    longest = _check_same_shape(clips)
    length = next(iter(clips.values())).shape[0]
    if not 0 <= frame < length:
        raise ValueError(f"frame {frame} is outside the sample's {length} frames")
    images = {name: frames[frame] for name, frames in clips.items()}
    if "teacher" in clips and "student" in clips:
        heatmap_title = f"|student \u2212 teacher| (0\u2013{HEATMAP_FULL_SCALE} levels)"
        images[heatmap_title] = error_heatmap(clips["teacher"][frame], clips["student"][frame])
    panels = []
    for title, array in images.items():
        image = _fit(Image.fromarray(array), max_side)
        panels.append(Panel(title, _png_data_uri(image), image.width, image.height, longest < PIXELATED_BELOW))
    return panels


def animated_preview(
    clips: Mapping[str, np.ndarray], max_bytes: int, fps: float = 8.0, max_width: int = 768
) -> Panel | None:
    """A looping GIF of the named clips side by side (titled ``"a | b | c"``), no larger than ``max_bytes``.

    Halves the frame rate (keeping every other frame), then the size, until it fits; returns ``None``
    when even a 2-frame, 64-pixel-wide preview does not fit. A GIF's size grows with its frame count, so
    strides that the last attempt's bytes per frame already rule out are skipped without encoding.
    """
    longest = _check_same_shape(clips)
    side_by_side = np.concatenate(list(clips.values()), axis=2)
    stride, width = 1, min(max_width, side_by_side.shape[2])
    palettised = _palettised(side_by_side, width)
    while True:
        frames = palettised[::stride]
        encoded = _encode_gif(frames, duration_ms=round(1000 * stride / fps))
        if len(encoded) <= max_bytes:
            uri = "data:image/gif;base64," + base64.b64encode(encoded).decode("ascii")
            title = " | ".join(clips)
            return Panel(title, uri, frames[0].width, frames[0].height, longest < PIXELATED_BELOW)
        if len(frames) > 2:
            bytes_per_frame = len(encoded) / len(frames)
            stride *= 2
            while len(palettised[::stride]) > 2 and len(palettised[::stride]) * bytes_per_frame > max_bytes:
                stride *= 2
        elif width > 64:
            width //= 2
            palettised = _palettised(side_by_side, width)
        else:
            return None


def _palettised(frames: np.ndarray, width: int) -> list[Image.Image]:
    """Each frame fitted to ``width`` and reduced to a 255-colour palette for GIF.

    Fast octree quantisation takes about a millisecond per frame; PIL's default for RGB (median cut)
    takes hundreds, which made the report's previews its slowest step, for a barely visible difference.
    """
    return [
        _fit(Image.fromarray(frame), width).quantize(colors=255, method=Image.Quantize.FASTOCTREE) for frame in frames
    ]


def _encode_gif(frames: list[Image.Image], duration_ms: int) -> bytes:
    buffer = io.BytesIO()
    frames[0].save(
        buffer, format="GIF", save_all=True, append_images=frames[1:], duration=duration_ms, loop=0, optimize=True
    )
    return buffer.getvalue()
