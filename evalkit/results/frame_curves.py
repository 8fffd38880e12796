"""Where in time quality is lost: per-metric curves over frame index, the worst index and flagged dips.

Each evaluated clip records its per-frame scores (``frame_values``: one per frame, or per consecutive pair
for the temporal metric); a curve is their mean over clips at each index, for the teacher and the student
against ground truth, and the gap = how much worse the student is (teacher − student when higher is
better, student − teacher otherwise; positive = student worse). A *dip* is a set of indices whose
quality is below the mean of the other indices by more than the metric's :data:`DIP_MARGINS`: the first
frame alone (causal decoders encode it alone), or every ``period``-th frame from some phase, frame 0
excluded (chunk boundaries; the period is the decoder's temporal compression). Written to
``results.json`` as ``per_frame``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

DIP_MARGINS: dict[str, float] = {"psnr": 0.5, "ssim": 0.01, "msssim": 0.01, "lpips": 0.01, "vmaf": 2.0, "tdiff": 0.002}
CURVES: tuple[str, ...] = ("teacher", "student", "gap")
DEFINITION = (
    "mean over evaluated clips of each clip's score at frame index t (tdiff: the change from t to t+1); "
    "gap = student's loss against the teacher (teacher - student when higher is better, else student - teacher)"
)


def _mean_by_index(rows: list[list[float]]) -> list[float]:
    """Mean at each index over rows of equal length."""
    return [sum(column) / len(column) for column in zip(*rows, strict=True)]


def _shortfall(curve: list[float], indices: list[int], bad_is_high: bool) -> float:
    """How much worse the curve is at ``indices`` than at the other indices after frame 0 (0 when undefined)."""
    chosen = [curve[i] for i in indices]
    others = [curve[i] for i in range(1, len(curve)) if i not in indices]
    if not chosen or not others:
        return 0.0
    difference = sum(chosen) / len(chosen) - sum(others) / len(others)
    return difference if bad_is_high else -difference


def find_dips(curve: list[float], bad_is_high: bool, margin: float, period: int | None) -> list[dict[str, Any]]:
    """First-frame and periodic dips of ``curve`` deeper than ``margin`` (in the metric's units)."""
    dips = []
    first = _shortfall(curve, [0], bad_is_high)
    if first > margin:
        dips.append({"kind": "first_frame", "indices": [0], "depth": first})
    if period is not None and period >= 2:
        phases = []
        for phase in range(period):
            indices = list(range(phase or period, len(curve), period))
            if len(indices) >= 2:
                phases.append((_shortfall(curve, indices, bad_is_high), phase, indices))
        if phases:
            depth, phase, indices = max(phases)
            if depth > margin:
                dips.append({"kind": "periodic", "period": period, "phase": phase, "indices": indices, "depth": depth})
    return dips


def frame_curves(
    records: Iterable[dict[str, Any]], directions: dict[str, bool], period: int | None
) -> dict[str, Any] | None:
    """The ``per_frame`` section from evaluated clip records; ``directions`` maps metric -> higher_is_better.

    None when no evaluated clip carries per-frame scores (e.g. a run journaled before they existed).
    """
    rows: dict[str, dict[str, list[list[float]]]] = {}
    clips = 0
    for record in records:
        frame_values = record.get("frame_values") if record.get("status") == "ok" else None
        if not frame_values:
            continue
        clips += 1
        for metric, higher_is_better in directions.items():
            teacher, student = frame_values.get(f"{metric}.teacher"), frame_values.get(f"{metric}.student")
            if teacher is None:
                continue
            rows.setdefault(metric, {}).setdefault("teacher", []).append(teacher)
            if student is not None:
                sign = 1.0 if higher_is_better else -1.0
                gap = [sign * (t - s) for t, s in zip(teacher, student, strict=True)]
                rows[metric].setdefault("student", []).append(student)
                rows[metric].setdefault("gap", []).append(gap)
    if not clips:
        return None
    metrics = {}
    for metric, curves in rows.items():
        lengths = {len(row) for row in curves["teacher"]}
        if len(lengths) != 1:
            continue  # clips of different lengths have no common frame index
        entry: dict[str, Any] = {"higher_is_better": directions[metric], "num_clips": len(curves["teacher"])}
        entry.update({name: _mean_by_index(values) for name, values in curves.items()})
        margin = DIP_MARGINS.get(metric)
        entry["dip_margin"] = margin
        entry["worst_index"] = {}
        entry["dips"] = {}
        for name in CURVES:
            if name not in entry:
                continue
            bad_is_high = name == "gap" or not directions[metric]
            curve = entry[name]
            entry["worst_index"][name] = max(range(len(curve)), key=lambda i: curve[i] if bad_is_high else -curve[i])
            if margin is not None:
                entry["dips"][name] = find_dips(curve, bad_is_high, margin, period)
        metrics[metric] = entry
    return {"definition": DEFINITION, "num_clips": clips, "period": period, "metrics": metrics}
