"""Static charts for the report and leaderboard: matplotlib rendered to inline ``data:`` URIs.

Static SVG keeps pages self-contained (an interactive plotting library would have to inline megabytes
of JavaScript). Labels come from data, so they are drawn with ``parse_math=False`` (no mathtext) and
the SVG is shown through ``<img>``, where it cannot run script. Figures are built as bare
``matplotlib.figure.Figure`` objects (no pyplot: no global backend or figure registry), and matplotlib is
imported only when a chart is drawn (importing it takes about half a second).
"""

from __future__ import annotations

import base64
import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from matplotlib.figure import Figure


@dataclass(frozen=True)
class ChartPoint:
    """One decoder on the quality-vs-speed chart."""

    label: str
    fps: float
    quality: float
    role: str = "student"  # "teacher" | "student" | "pareto" (a student on the Pareto front): sets the marker


def figure_to_data_uri(fig: Figure, fmt: str = "svg") -> str:
    """Serialize ``fig`` as an ``svg`` or ``png`` data URI."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format=fmt, bbox_inches="tight", dpi=110, metadata={"Date": None} if fmt == "svg" else None)
    mime = "image/svg+xml" if fmt == "svg" else f"image/{fmt}"
    return f"data:{mime};base64,{base64.b64encode(buffer.getvalue()).decode('ascii')}"


def quality_speed_chart(points: Sequence[ChartPoint], quality_label: str, speed_label: str) -> str:
    """Scatter of quality (y) against frames per second (x, log scale) as an SVG data URI.

    Raises:
        ValueError: if no point has a positive FPS (nothing to draw on a log axis).
    """
    drawable = [p for p in points if p.fps > 0]
    if not drawable:
        raise ValueError("quality_speed_chart: no point has a measured FPS > 0")
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6.4, 3.8))
    ax = fig.add_subplot()
    markers = {"teacher": ("s", "#5b6673"), "student": ("o", "#1f5fa8"), "pareto": ("D", "#b3541e")}
    front = sorted((p for p in drawable if p.role == "pareto"), key=lambda p: p.fps)
    if len(front) > 1:
        ax.step([p.fps for p in front], [p.quality for p in front], where="post", color="#b3541e", lw=1, zorder=2)
    for point in drawable:
        marker, color = markers.get(point.role, markers["student"])
        ax.scatter(point.fps, point.quality, marker=marker, color=color, s=46, zorder=3)
        ax.annotate(
            point.label,
            (point.fps, point.quality),
            textcoords="offset points",
            xytext=(6, 5),
            fontsize=8,
            parse_math=False,
        )
    ax.set_xscale("log")
    ax.set_xlabel(speed_label, parse_math=False)
    ax.set_ylabel(quality_label, parse_math=False)
    ax.grid(True, which="both", alpha=0.3)
    ax.margins(x=0.25, y=0.2)
    for spine in ("top", "right"):
        ax.spines[spine].set_visible(False)
    return figure_to_data_uri(fig)


def metric_by_resolution_chart(series: dict[str, list[tuple[int, float]]], metric_label: str) -> str:
    """Lines of one metric against resolution (x: short side in px), one line per named series."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(5.6, 3.4))
    ax = fig.add_subplot()
    styles = {0: ("s", "#5b6673"), 1: ("o", "#1f5fa8")}
    for index, (name, points) in enumerate(series.items()):
        marker, color = styles.get(index, ("^", "#b3541e"))
        ax.plot([p[0] for p in points], [p[1] for p in points], marker=marker, color=color, label=name)
    ax.set_xlabel("resolution (short side, px)", parse_math=False)
    ax.set_ylabel(metric_label, parse_math=False)
    ax.grid(True, alpha=0.3)
    ax.legend(frameon=False, fontsize=8)
    for spine in ("top", "right"):
        ax.spines[spine].set_visible(False)
    return figure_to_data_uri(fig)


def frame_curves_chart(panels: Sequence[tuple[str, dict[str, list[float]]]]) -> str:
    """One row per metric: teacher and student against ground truth by frame index (left) and the gap (right),
    as an SVG data URI. ``panels`` holds (axis label, {"teacher": [...], "student": [...], "gap": [...]})."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7.2, 2.4 * len(panels)))
    axes = fig.subplots(len(panels), 2, squeeze=False)
    colors = {"teacher": "#5b6673", "student": "#1f5fa8", "gap": "#b3261e"}
    for (label, curves), (values_ax, gap_ax) in zip(panels, axes, strict=True):
        for name in ("teacher", "student"):
            if name in curves:
                values_ax.plot(range(len(curves[name])), curves[name], marker=".", color=colors[name], label=name)
        values_ax.set_ylabel(label, parse_math=False)
        values_ax.legend(fontsize=8)
        if "gap" in curves:
            gap_ax.plot(range(len(curves["gap"])), curves["gap"], marker=".", color=colors["gap"])
            gap_ax.axhline(0, color="#999999", linewidth=0.8)
        gap_ax.set_ylabel(f"{label}: student loss", parse_math=False)
        for ax in (values_ax, gap_ax):
            ax.set_xlabel("frame index (0 = first)")
            ax.grid(True, alpha=0.3)
            for spine in ("top", "right"):
                ax.spines[spine].set_visible(False)
    fig.tight_layout()
    return figure_to_data_uri(fig)
