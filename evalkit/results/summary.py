"""The one-screen text summary `evalkit run` prints at the end, built from a results document alone."""

from __future__ import annotations

import math
from typing import Any

from evalkit.results.floors import below_floor_lines
from evalkit.results.sample_size import comparability_note, extrapolation_lines, metric_caption
from evalkit.results.schema import FLOORS, Estimate, metric_results
from evalkit.results.tiling import tiling_layout, tiling_rows

SUMMARY_TITLES = {"teacher": "teacher", "student": "student", "student_vs_teacher": "student_vs_teacher"}
RANDOM_WEIGHTS_BANNER = "RANDOM WEIGHTS: decoders were randomly initialised; these numbers measure nothing"


def format_summary(doc: dict[str, Any], run_dir: str | None = None) -> str:
    """Header, teacher | student | student-vs-teacher | retention table with the trivial floors under each metric,
    below-floor warnings, unavailable metrics, skips, timing."""
    clips, timings = doc["clips"], doc["timings"]
    lines = []
    if doc["random_weights"]:
        lines.append(f"*** {RANDOM_WEIGHTS_BANNER} ***")
    decoders = doc["decoders"]
    student = (decoders.get("student") or {}).get("name", "-")
    lines.append(
        f"run {doc['run_id']} [{doc['status']}]: teacher {(decoders.get('teacher') or {}).get('name', '-')} / "
        f"student {student} on {doc['dataset']['name']} (protocol {doc['protocol']['hash']})"
    )
    lines.append(
        f"clips: {clips['evaluated']} evaluated, {clips['failed']} failed, "
        f"{len(clips['skipped']) - clips['failed']} skipped of {clips['total']} listed"
    )
    status_line = status_warning(doc)
    if status_line:
        lines.append(status_line)
    header = ("metric", "teacher", "student", "student_vs_teacher", "retention [95% CI]")
    rows, unavailable, notes = [], [], []
    for name, metric in metric_results(doc).items():
        if not metric.available:
            reason = (metric.reason or "").splitlines()[0]
            unavailable.append(f"  {name}: {reason}" + (f" -> {metric.fetch}" if metric.fetch else ""))
            continue
        arrow = "↑" if metric.higher_is_better else "↓"
        caveat = comparability_note(metric)
        notes += [f"  {metric.label}: {caveat}"] if caveat else []
        notes += [f"  {line}" for line in extrapolation_lines(metric, SUMMARY_TITLES)]
        rows.append(
            (
                f"{metric_caption(metric)}{' (not comparable)' if caveat else ''} {arrow}",
                format_estimate(metric.values.get("teacher")),
                format_estimate(metric.values.get("student")),
                format_estimate(metric.values.get("student_vs_teacher")),
                format_estimate(metric.paired.get("retention"), digits=4),
            )
        )
        rows.extend(_floor_rows(doc, metric.name, [key in metric.values for key in ("teacher", "student")]))
    if rows:
        widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
        for row in [header, *rows]:
            lines.append("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
    lines.extend(notes)
    lines.extend(f"*** {line} ***" for line in below_floor_lines(doc))
    if unavailable:
        lines.append("unavailable metrics:")
        lines.extend(unavailable)
    for skipped in clips["skipped"][:5]:
        lines.append(f"  skipped {skipped['clip_id']} ({skipped['stage']}): {skipped['reason']}")
    if len(clips["skipped"]) > 5:
        lines.append(f"  ... and {len(clips['skipped']) - 5} more (see results.json)")
    if doc.get("tiling"):
        lines.append(tiling_line(doc["tiling"]))
    cache = doc["cache"]
    lines.append(
        f"time: {timings['wall_s']:.1f} s ({timings.get('clips_per_s') or 0:.2f} clips/s, "
        f"{timings['sessions']} session(s)); "
        f"teacher cache: {cache.get('teacher_hits', 0)} hits, {cache.get('teacher_misses', 0)} misses"
        + ("" if cache.get("enabled") else " (disabled)")
    )
    if run_dir is not None:
        lines.append(f"results: {run_dir}")
    return "\n".join(lines)


def _floor_rows(doc: dict[str, Any], metric: str, shown: list[bool]) -> list[tuple[str, ...]]:
    """One row per floor of ``metric``, its value under each ground-truth column the metric has (``shown``)."""
    rows = []
    floors = doc.get("floors") or {}
    for floor in (floors[name] for name in FLOORS if name in floors):
        estimate = floor["values"].get(metric)
        if estimate is not None:
            text = format_estimate(Estimate.from_dict(estimate))
            rows.append((f"  floor: {floor['label']}", *(text if show else "" for show in shown), "", ""))
    return rows


def tiling_line(section: dict[str, Any]) -> str:
    """The ``--tiling compare`` line: layout, clips, tiled-vs-untiled PSNR and both seam scores with their CIs."""
    psnr, tiled, untiled = (format_estimate(estimate) for _, estimate in tiling_rows(section))
    return (
        f"tiling ({tiling_layout(section)}, {section['clips_compared']} clips, student): tiled vs untiled PSNR "
        f"{psnr} dB; seam score tiled {tiled}, untiled {untiled} (1.0 = no seam)"
    )


def status_warning(doc: dict[str, Any]) -> str:
    """One line saying that a run is not complete (empty: no numbers; partial: how many clips are missing)."""
    clips = doc["clips"]
    if doc["status"] == "empty":
        return "EMPTY: no clip was evaluated, so there are no numbers; the reasons are listed below"
    if doc["status"] == "partial":
        return (
            f"PARTIAL: {clips['evaluated']} of {clips['total']} listed clips evaluated; "
            "the numbers rest on those only (reasons below)"
        )
    return ""


def format_estimate(estimate: Estimate | None, digits: int = 3, missing: str = "-") -> str:
    """``value [ci_low, ci_high]`` (no brackets without a CI); ``missing`` for an absent or non-finite value."""
    if estimate is None or not math.isfinite(estimate.value):
        return missing
    text = f"{estimate.value:.{digits}f}"
    if estimate.ci_low is not None and estimate.ci_high is not None and estimate.ci_low != estimate.ci_high:
        text += f" [{estimate.ci_low:.{digits}f}, {estimate.ci_high:.{digits}f}]"
    return text
