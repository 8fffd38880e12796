"""The report's "where in time" section: per-frame curves, the worst frame index and flagged dips.

Everything comes from ``results.json``'s ``per_frame`` section (:mod:`evalkit.results.frame_curves`);
the chart shows PSNR and SSIM (whichever the run has), the table every metric with per-frame scores.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from evalkit.report.figures import frame_curves_chart

CHART_METRICS = ("psnr", "ssim")
CURVE_TITLES = {"teacher": "teacher vs GT", "student": "student vs GT", "gap": "student loss vs teacher"}


@dataclass(frozen=True)
class CurveRow:
    """One curve of one metric: where it is worst and the dips found on it."""

    metric: str
    label: str
    curve: str
    worst_index: int
    worst_value: float
    dips: str


@dataclass(frozen=True)
class PerFrameView:
    """The chart (data URI or None), one row per curve and the notes saying how to read them."""

    chart: str | None
    rows: list[CurveRow]
    headline: str
    note: str


def _dip_text(dips: list[dict[str, Any]], margin: float | None) -> str:
    if margin is None:
        return "not checked"
    texts = []
    for dip in dips:
        if dip["kind"] == "first_frame":
            texts.append(f"first-frame dip: {dip['depth']:.3g} worse than the other frames")
        else:
            where = ", ".join(str(index) for index in dip["indices"])
            texts.append(f"periodic dip every {dip['period']} frames (at {where}): {dip['depth']:.3g} worse")
    return "; ".join(texts) or f"none beyond {margin:g}"


def per_frame_view(results: dict[str, Any]) -> PerFrameView | None:
    """The section's content, or None when the run recorded no per-frame scores."""
    section = results.get("per_frame")
    if not section or not section.get("metrics"):
        return None
    labels = {name: entry.get("label", name) for name, entry in results["metrics"].items()}
    rows = []
    for name, entry in section["metrics"].items():
        for curve, index in entry["worst_index"].items():
            rows.append(
                CurveRow(
                    name,
                    labels.get(name, name),
                    CURVE_TITLES[curve],
                    index,
                    entry[curve][index],
                    _dip_text(entry["dips"].get(curve, []), entry["dip_margin"]),
                )
            )
    panels = [
        (labels.get(name, name), section["metrics"][name]) for name in CHART_METRICS if name in section["metrics"]
    ]
    worst = [row for row in rows if row.curve == CURVE_TITLES["gap"] and row.metric in CHART_METRICS]
    headline = "; ".join(
        f"{row.label}: the student loses most at frame {row.worst_index}"
        if row.worst_value > 0
        else f"{row.label}: the student is at no frame worse than the teacher"
        for row in worst
    )
    margins = ", ".join(
        f"{labels.get(name, name)} {entry['dip_margin']:g}"
        for name, entry in section["metrics"].items()
        if entry["dip_margin"] is not None
    )
    periodic = (
        f", or every {section['period']}th frame from one phase (the decoder's temporal compression, frame 0 excluded),"
        if section.get("period")
        else ""
    )
    note = (
        f"Mean over {section['num_clips']} clips at each frame index: {section['definition']}. A dip is flagged when "
        f"the first frame{periodic} is worse than the other frames by more than: {margins}."
    )
    return PerFrameView(frame_curves_chart(panels) if panels else None, rows, headline, note)
