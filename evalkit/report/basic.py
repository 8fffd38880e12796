"""The basic self-contained run report `evalkit run` writes: summary table and skipped clips, from results alone."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from evalkit import __version__
from evalkit.report.environment import render
from evalkit.results.schema import metric_results
from evalkit.results.summary import format_estimate

TEMPLATE = "basic_run.html.j2"
MISSING = "\u2014"


def render_basic_report(doc: dict[str, Any]) -> str:
    """HTML for a results document: teacher | student | student-vs-teacher | retention, then skipped clips."""
    rows = []
    for metric in metric_results(doc).values():
        row = {
            "label": metric.label + (f" ({metric.unit})" if metric.unit else ""),
            "arrow": "\u2191" if metric.higher_is_better else "\u2193",
            "available": metric.available,
            "reason": metric.reason,
            "fetch": metric.fetch,
            "cells": [
                format_estimate(metric.values.get("teacher"), missing=MISSING),
                format_estimate(metric.values.get("student"), missing=MISSING),
                format_estimate(metric.values.get("student_vs_teacher"), missing=MISSING),
                format_estimate(metric.paired.get("retention"), digits=4, missing=MISSING),
            ],
        }
        rows.append(row)
    decoders = doc["decoders"]
    return render(
        TEMPLATE,
        run_id=doc["run_id"],
        teacher=(decoders.get("teacher") or {}).get("name", "-"),
        student=(decoders.get("student") or {}).get("name"),
        dataset=doc["dataset"]["name"],
        evaluated=doc["clips"]["evaluated"],
        total=doc["clips"]["total"],
        protocol_hash=doc["protocol"]["hash"],
        random_weights=doc["random_weights"],
        partial=doc["status"] != "complete",
        rows=rows,
        skipped=doc["clips"]["skipped"],
        evalkit_version=__version__,
        generated_at=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    )
