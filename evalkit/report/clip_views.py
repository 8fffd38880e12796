"""Still panels and animated previews of saved clips for the report, within one byte budget for the page.

A clip here is a set of named uint8 ``(T, H, W, 3)`` arrays of equal shape: ground truth, teacher and
student of a reconstruction sample, or teacher and student of a generated video.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

from evalkit.report.frames import Panel, animated_preview, comparison_panels

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class NamedClips:
    """The clips to show for one sample, a caption (e.g. its prompt; empty for none) and their names."""

    clip_id: str
    caption: str
    clips: dict[str, np.ndarray]


@dataclass(frozen=True)
class ClipView:
    """A sample as shown: still panels of its middle frame and an optional animated preview."""

    clip_id: str
    caption: str
    frame: int
    panels: list[Panel]
    preview: Panel | None


def clip_views(samples: list[NamedClips], budget_bytes: int) -> list[ClipView]:
    """Panels for every sample, then previews sharing what the panels leave of ``budget_bytes``."""
    stills = []
    for sample in samples:
        middle = next(iter(sample.clips.values())).shape[0] // 2
        stills.append((middle, comparison_panels(sample.clips, middle)))
    used = sum(len(panel.data_uri) for _, row in stills for panel in row)
    per_preview = max(0, (budget_bytes - used) // max(1, len(samples)) * 3 // 4)  # base64 is 4/3 of the bytes
    views = []
    for sample, (frame, row) in zip(samples, stills, strict=True):
        preview = animated_preview(sample.clips, max_bytes=per_preview)
        if preview is None:
            logger.warning("no animated preview for %s: it does not fit in %d bytes", sample.clip_id, per_preview)
        views.append(ClipView(sample.clip_id, sample.caption, frame, row, preview))
    return views
