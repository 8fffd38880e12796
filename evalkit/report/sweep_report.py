"""``sweep.html``: every metric of a resolution sweep by size, teacher and student, as a table and a chart each."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evalkit.report.environment import write_page
from evalkit.report.figures import metric_by_resolution_chart

SWEEP_REPORT = "sweep.html"
SIDES = (("teacher", "teacher vs GT"), ("student", "student vs GT"), ("student_vs_teacher", "student vs teacher"))


@dataclass(frozen=True)
class SweepMetric:
    """One metric's rows (one per size) and its chart."""

    name: str
    label: str
    higher_is_better: bool
    rows: list[dict[str, Any]]
    chart: str | None


def sweep_metrics(document: dict[str, Any]) -> list[SweepMetric]:
    """Per metric: a row per size with each side's value and CI, and a chart of teacher and student by size."""
    views = []
    for name in document["runs"][0]["metrics"]:
        entries = [(run["resolution"], run["metrics"].get(name) or {}) for run in document["runs"]]
        available = [(size, entry) for size, entry in entries if entry.get("available")]
        if not available:
            continue
        rows = [
            {"resolution": size, **{side: (entry.get("values") or {}).get(side) for side, _ in SIDES}}
            for size, entry in entries
        ]
        label, higher = available[0][1]["label"], available[0][1]["higher_is_better"]
        series = {
            title: [(size, entry["values"][side]["value"]) for size, entry in available if side in entry["values"]]
            for side, title in SIDES[:2]
        }
        chart = metric_by_resolution_chart(series, f"{label} {'↑' if higher else '↓'}") if len(available) > 1 else None
        views.append(SweepMetric(name, label, higher, rows, chart))
    return views


def render_sweep_report(folder: str | Path) -> Path:
    """Write ``sweep.html`` into ``folder`` from its ``sweep.json``."""
    folder = Path(folder)
    document = json.loads((folder / "sweep.json").read_text(encoding="utf-8"))
    return write_page(
        folder / SWEEP_REPORT, "sweep_report.html.j2", document=document, metrics=sweep_metrics(document), sides=SIDES
    )
