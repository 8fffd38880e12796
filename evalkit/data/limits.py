"""The largest frame evalkit decodes: frames are checked from the file's header before any decoding, because
one huge frame (a 3.9 MB MJPEG of 8192x8192 frames took 6.1 GB for one clip) can exhaust memory and kill
the whole run. Imports nothing heavy, so run settings can name the default."""

from __future__ import annotations

DEFAULT_MAX_FRAME_PIXELS = 4096 * 4096
"""16.8 megapixels: every 4K format (3840x2160, 4096x2160) passes; 8K (7680x4320) and larger are skipped."""

BYTES_PER_PIXEL = 3  # decoded uint8 RGB


def frame_size_problem(width: int, height: int, max_pixels: int) -> str | None:
    """The skip reason when a ``width`` x ``height`` frame exceeds ``max_pixels``, else None."""
    if width * height <= max_pixels:
        return None
    return (
        f"frame too large: {width}x{height} = {width * height / 1e6:.1f} megapixels, over the limit of "
        f"{max_pixels / 1e6:.1f} ({width * height * BYTES_PER_PIXEL / 2**20:.0f} MiB per decoded frame); "
        "raise --max-frame-pixels to evaluate it"
    )
