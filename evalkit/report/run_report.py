"""The self-contained HTML report of one run, built from the run folder's files alone.

``render_run_report(run_dir)`` is what `evalkit run`, `evalkit score`, `evalkit generate-check` and
`evalkit report RUN_DIR` call: it reads ``results.json`` (with its optional ``generation`` section), the
per-clip table, the manifest, the saved sample frames and generated clips, and writes one HTML file with
styles, script and images inlined (no network needed to view it).
"""

from __future__ import annotations

import logging
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from evalkit import __version__
from evalkit.atomic import atomic_write_text
from evalkit.errors import InputError
from evalkit.report.breakdown import Table, class_breakdown, worst_clips
from evalkit.report.clip_views import ClipView, NamedClips, clip_views
from evalkit.report.cost import CostView, cost_view
from evalkit.report.environment import render
from evalkit.report.figures import ChartPoint, quality_speed_chart
from evalkit.report.frame_curves import per_frame_view
from evalkit.report.generation import generation_view
from evalkit.report.header import header_facts, title_and_lead
from evalkit.report.quality import DIGITS, is_score_run, ordered_metrics, quality_table
from evalkit.report.run_files import RunFiles, load_run
from evalkit.report.samples import Sample
from evalkit.report.tiling import tiling_view
from evalkit.results.floors import below_floor_lines
from evalkit.results.schema import REPORT_FILE

logger = logging.getLogger(__name__)

MAX_REPORT_BYTES = 15 * 1024 * 1024
MEDIA_BUDGET_BYTES = 12 * 1024 * 1024  # what saved frames may take; the rest is tables and charts
MAX_SAMPLES = 4
WORST_CLIPS = 10


def _named(sample: Sample) -> NamedClips:
    return NamedClips(
        sample.clip_id, "", {"ground truth": sample.ground_truth, "teacher": sample.teacher, "student": sample.student}
    )


def sample_views(samples: list[Sample], budget_bytes: int = MEDIA_BUDGET_BYTES) -> list[ClipView]:
    """Panels and previews for up to :data:`MAX_SAMPLES` reconstruction samples within ``budget_bytes``."""
    if len(samples) > MAX_SAMPLES:
        logger.info("showing %d of %d saved samples", MAX_SAMPLES, len(samples))
    return clip_views([_named(sample) for sample in samples[:MAX_SAMPLES]], budget_bytes)


def _chart(results: dict[str, Any], cost: CostView | None) -> tuple[str | None, str]:
    psnr = results["metrics"].get("psnr", {})
    teacher_psnr = psnr.get("values", {}).get("teacher")
    if cost is None or cost.chart_fps is None or not psnr.get("available") or not teacher_psnr:
        return None, ""
    teacher_fps, student_fps, where = cost.chart_fps
    values = psnr["values"]
    points = [
        ChartPoint(f"teacher {results['decoders']['teacher']['name']}", teacher_fps, teacher_psnr["value"], "teacher")
    ]
    if results["decoders"].get("student") and "student" in values and student_fps:
        points.append(
            ChartPoint(f"student {results['decoders']['student']['name']}", student_fps, values["student"]["value"])
        )
    caption = f"PSNR against ground truth (run mean) versus decoded frames per second, {where}."
    return quality_speed_chart(points, "PSNR vs GT (dB)", f"frames per second ({where})"), caption


def _profile_missing_reason(profile: dict[str, Any] | None) -> str:
    """Why a run recorded no measurements: the ``skipped`` or ``error`` text of its profile section, if any."""
    if not isinstance(profile, dict):
        return ""
    return str(profile.get("skipped") or profile.get("error") or "")


def report_context(run: RunFiles, title: str | None = None, back_href: str | None = None) -> dict[str, Any]:
    """Everything the run report template needs, from a loaded run folder."""
    results = run.results
    score = is_score_run(results)
    metrics = ordered_metrics(results)
    labels = run.labels()
    cost = None if score else cost_view(results.get("profile"))
    chart, chart_caption = _chart(results, cost)
    clips, ci = results["clips"], results["ci"]
    classes: Table | None = None
    worst: Table | None = None
    if run.per_clip is not None:
        classes = class_breakdown(run.per_clip, labels, run.class_names, metrics, DIGITS)
        worst = worst_clips(run.per_clip, labels, run.class_names, metrics, DIGITS, count=WORST_CLIPS)
    has_generation = bool(results.get("generation"))
    budget = MEDIA_BUDGET_BYTES // (2 if run.samples and has_generation else 1)
    default_title, lead = title_and_lead(results)
    return {
        "title": title or default_title,
        "back_href": back_href,
        "lead": lead,
        "random_weights": results["random_weights"],
        "demo_note": ((results.get("decoders") or {}).get("info") or {}).get("demo") or "",
        "partial": (
            f"{clips.get('evaluated')} of {clips.get('total')} clips processed"
            if results["status"] in ("partial", "empty")
            else ""
        ),
        "below_floor": below_floor_lines(results) if results.get("floors") else [],
        "facts": header_facts(results),
        "protocol_params": sorted(results["protocol"].get("params", {}).items()),
        "skipped": clips.get("skipped", []),
        "quality": quality_table(results),
        "quality_empty": (
            "No reconstruction metrics: this folder holds a generation check only (see Generated videos)."
            if has_generation
            else "This run has no metrics."
        ),
        "per_frame": per_frame_view(results),
        "tiling": tiling_view(results.get("tiling")),
        "ci_note": f"{ci.get('level', 0.95):.0%} {ci.get('method')} over clips, {ci.get('resamples')} resamples "
        "(none for FVD, a pooled score)",
        "show_cost": not score,
        "cost": cost,
        "cost_missing_reason": _profile_missing_reason(results.get("profile")),
        "chart": chart,
        "chart_caption": chart_caption,
        "classes": classes,
        "worst": worst,
        "worst_metric": "PSNR",
        "show_samples": bool(run.samples) or not (score or (has_generation and not results["metrics"])),
        "samples": sample_views(run.samples, budget),
        "generation": generation_view(results, run.run_dir, budget),
        "evalkit_version": __version__,
        "generated_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }


class ReportTooLargeError(InputError, ValueError):
    """The run folder would make a page over :data:`MAX_REPORT_BYTES` (too many or too large samples)."""


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
        raise ReportTooLargeError(
            f"report of {run.run_dir} is {size} bytes, over the {MAX_REPORT_BYTES}-byte limit; "
            "keep fewer sample clips in the run folder's samples/"
        )
    target = Path(out) if out is not None else run.run_dir / REPORT_FILE
    target.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(target, html)
    logger.info("wrote %s (%d bytes)", target, size)
    return target
