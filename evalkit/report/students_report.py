"""``students.html``: several students of one teacher side by side, and each pair's paired difference."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from evalkit import __version__
from evalkit.report.environment import render
from evalkit.results.atomic import atomic_write_text

STUDENTS_REPORT = "students.html"


def render_students_report(folder: str | Path) -> Path:
    """Write ``students.html`` into ``folder`` from its ``students.json``."""
    folder = Path(folder)
    document = json.loads((folder / "students.json").read_text(encoding="utf-8"))
    metric_names = list(dict.fromkeys(name for student in document["students"] for name in student["metrics"]))
    html = render(
        "students_report.html.j2",
        document=document,
        metric_names=metric_names,
        evalkit_version=__version__,
        generated_at=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    )
    path = folder / STUDENTS_REPORT
    atomic_write_text(path, html)
    return path
