"""The report's "Tiled decoding" section from ``results.json``'s optional ``tiling`` section."""

from __future__ import annotations

from typing import Any

from evalkit.results.summary import format_estimate, tiling_line
from evalkit.results.tiling import SEAM_NOTE, tiling_rows


def tiling_view(section: dict[str, Any] | None) -> dict[str, Any] | None:
    """Headline, one row per estimate (label, formatted mean and CI, clips) and the seam-score note; None
    without a section."""
    if not section:
        return None
    return {
        "headline": tiling_line(section),
        "rows": [
            {"label": label, "value": format_estimate(estimate), "n": estimate.n}
            for label, estimate in tiling_rows(section)
        ],
        "note": f"{section['scheme']}; {SEAM_NOTE}.",
    }
