"""``students.html``: several students of one teacher side by side, and each pair's paired difference."""

from __future__ import annotations

import json
from pathlib import Path

from evalkit.report.environment import write_page

STUDENTS_REPORT = "students.html"


def render_students_report(folder: str | Path) -> Path:
    """Write ``students.html`` into ``folder`` from its ``students.json``."""
    folder = Path(folder)
    document = json.loads((folder / "students.json").read_text(encoding="utf-8"))
    metric_names = list(dict.fromkeys(name for student in document["students"] for name in student["metrics"]))
    return write_page(folder / STUDENTS_REPORT, "students_report.html.j2", document=document, metric_names=metric_names)
