"""The self-contained HTML report of one run, built from the run folder's files alone.

``render_run_report(run_dir)`` is what `evalkit run` and `evalkit report RUN_DIR` call: it reads
``results.json``, the per-clip table, the manifest and the saved sample frames, and writes one HTML
file with styles, script and images inlined (no network needed to view it).
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from evalkit import __version__
from evalkit.report.breakdown import Table, class_breakdown, worst_clips
from evalkit.report.cost import CostView, cost_view
from evalkit.report.environment import render
from evalkit.report.figures import ChartPoint, quality_speed_chart
from evalkit.report.frames import Panel, animated_preview, comparison_panels
from evalkit.report.quality import COMPARISON_TITLES, DIGITS, ordered_metrics, quality_rows
from evalkit.report.run_files import RunFiles, load_run
from evalkit.report.samples import Sample
from evalkit.results.atomic import atomic_write_text
from evalkit.results.schema import REPORT_FILE

logger = logging.getLogger(__name__)

MAX_REPORT_BYTES = 15 * 1024 * 1024
MEDIA_BUDGET_BYTES = 12 * 1024 * 1024  # what the sample frames may take; the rest is tables and charts
MAX_SAMPLES = 4
WORST_CLIPS = 10


@dataclass(frozen=True)
class Fact:
    """One line of the run header."""

    label: str
    value: str
    mono: bool = False


@dataclass(frozen=True)
class SampleView:
    """A sample clip as shown: still panels of its middle frame and an optional animated preview."""

    clip_id: str
    frame: int
    panels: list[Panel]
    preview: Panel | None


def _weights_text(decoder: dict[str, Any] | None) -> str:
    if not decoder:
        return "none (teacher-only run)"
    weights = decoder.get("weights")
    if weights:
        return f"{decoder.get('name')}: sha256 {weights.get('sha256')} ({weights.get('source')})"
    return f"{decoder.get('name')}: random init (state sha256 {decoder.get('state_sha256')})"


def header_facts(results: dict[str, Any]) -> list[Fact]:
    """The run header: decoders, data, protocol, clips, weights, software, device and date."""
    decoders, dataset, clips = results["decoders"], results["dataset"], results["clips"]
    provenance, device = results["provenance"], results["device"]
    student = decoders.get("student")
    split = ", ".join(f"{key} {dataset[key]}" for key in ("split", "fold") if dataset.get(key) is not None)
    commit = provenance.get("git_commit") or "unknown"
    if provenance.get("git_dirty"):
        commit += " (uncommitted changes)"
    return [
        Fact(
            "decoder pair",
            f"{decoders.get('pair')}: teacher {decoders['teacher']['name']}, "
            f"student {student['name'] if student else 'none'}",
        ),
        Fact("dataset", f"{dataset.get('name')}" + (f" ({split})" if split else "")),
        Fact("protocol hash", str(results["protocol"]["hash"]), mono=True),
        Fact(
            "clips",
            f"{clips.get('evaluated')} evaluated of {clips.get('total')}; "
            f"{len(clips.get('skipped', []))} skipped or failed",
        ),
        Fact("teacher weights", _weights_text(decoders.get("teacher")), mono=True),
        Fact("student weights", _weights_text(student), mono=True),
        Fact("init / posterior", f"{decoders.get('init')} / {decoders.get('posterior')}"),
        Fact("evalkit", f"{provenance.get('evalkit_version')}, commit {commit}", mono=True),
        Fact(
            "device",
            f"{device.get('type')} ({device.get('name')}), {device.get('dtype')}, "
            f"batch {device.get('batch_size')}, {device.get('world_size')} process(es)",
        ),
        Fact("date", str(results["created_utc"])),
        Fact("run id", str(results["run_id"]), mono=True),
    ]


def sample_views(samples: list[Sample], budget_bytes: int = MEDIA_BUDGET_BYTES) -> list[SampleView]:
    """Panels and previews for up to :data:`MAX_SAMPLES` samples, previews sharing what the panels leave."""
    chosen = samples[:MAX_SAMPLES]
    if len(samples) > MAX_SAMPLES:
        logger.info("showing %d of %d saved samples", MAX_SAMPLES, len(samples))
    panels = []
    for sample in chosen:
        middle = sample.ground_truth.shape[0] // 2
        panels.append((middle, comparison_panels(sample.ground_truth, sample.teacher, sample.student, middle)))
    used = sum(len(panel.data_uri) for _, row in panels for panel in row)
    per_preview = max(0, (budget_bytes - used) // max(1, len(chosen)) * 3 // 4)  # base64 is 4/3 of the bytes
    views = []
    for sample, (frame, row) in zip(chosen, panels, strict=True):
        preview = animated_preview(sample.ground_truth, sample.teacher, sample.student, max_bytes=per_preview)
        if preview is None:
            logger.warning("no animated preview for %s: it does not fit in %d bytes", sample.clip_id, per_preview)
        views.append(SampleView(sample.clip_id, frame, row, preview))
    return views


def _chart(results: dict[str, Any], cost: CostView | None) -> tuple[str | None, str]:
    psnr = results["metrics"].get("psnr", {})
    if cost is None or cost.chart_fps is None or not psnr.get("available"):
        return None, ""
    teacher_fps, student_fps, where = cost.chart_fps
    values = psnr["values"]
    points = [
        ChartPoint(
            f"teacher {results['decoders']['teacher']['name']}", teacher_fps, values["teacher"]["value"], "teacher"
        )
    ]
    if results["decoders"].get("student") and "student" in values and student_fps:
        points.append(
            ChartPoint(f"student {results['decoders']['student']['name']}", student_fps, values["student"]["value"])
        )
    caption = f"PSNR against ground truth (run mean) versus decoded frames per second, {where}."
    return quality_speed_chart(points, "PSNR vs GT (dB)", f"frames per second ({where})"), caption


def report_context(run: RunFiles, title: str | None = None, back_href: str | None = None) -> dict[str, Any]:
    """Everything the run report template needs, from a loaded run folder."""
    results = run.results
    metrics = ordered_metrics(results)
    labels = run.labels()
    cost = cost_view(results.get("profile"))
    chart, chart_caption = _chart(results, cost)
    clips, ci = results["clips"], results["ci"]
    classes: Table | None = None
    worst: Table | None = None
    if run.per_clip is not None:
        classes = class_breakdown(run.per_clip, labels, run.class_names, metrics, DIGITS)
        worst = worst_clips(run.per_clip, labels, run.class_names, metrics, DIGITS, count=WORST_CLIPS)
    student = results["decoders"].get("student")
    default_title = f"{results['decoders'].get('pair')} on {results['dataset'].get('name')}"
    return {
        "title": title or default_title,
        "back_href": back_href,
        "lead": f"How much quality the student {student['name'] if student else '(none)'} gives up against its "
        f"teacher {results['decoders']['teacher']['name']}, where, what it looks like, and what it buys.",
        "random_weights": results["random_weights"],
        "partial": (
            f"{clips.get('evaluated')} of {clips.get('total')} clips processed"
            if results["status"] == "partial"
            else ""
        ),
        "facts": header_facts(results),
        "protocol_params": sorted(results["protocol"].get("params", {}).items()),
        "skipped": clips.get("skipped", []),
        "comparison_titles": COMPARISON_TITLES,
        "quality": quality_rows(results),
        "ci_note": f"{ci.get('level', 0.95):.0%} {ci.get('method')} over clips, {ci.get('resamples')} resamples "
        "(none for FVD, a pooled score)",
        "cost": cost,
        "chart": chart,
        "chart_caption": chart_caption,
        "classes": classes,
        "worst": worst,
        "worst_metric": "PSNR",
        "samples": sample_views(run.samples),
        "evalkit_version": __version__,
        "generated_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }


def render_run_report(
    run_dir: str | os.PathLike[str],
    out: str | os.PathLike[str] | None = None,
    title: str | None = None,
    back_href: str | None = None,
) -> Path:
    """Write the HTML report of ``run_dir`` to ``out`` (default ``<run_dir>/report.html``) and return its path.

    ``title`` replaces the default "<pair> on <dataset>" heading; ``back_href`` adds a link back (the
    leaderboard uses it for its per-run pages).

    Raises:
        ResultsSchemaError: if the run folder has no readable ``results.json``.
        ValueError: if the page would exceed :data:`MAX_REPORT_BYTES`.
    """
    run = load_run(run_dir)
    html = render("run_report.html.j2", **report_context(run, title, back_href))
    size = len(html.encode("utf-8"))
    if size > MAX_REPORT_BYTES:
        raise ValueError(f"report of {run.run_dir} is {size} bytes, over the {MAX_REPORT_BYTES}-byte limit")
    target = Path(out) if out is not None else run.run_dir / REPORT_FILE
    target.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(target, html)
    logger.info("wrote %s (%d bytes)", target, size)
    return target
