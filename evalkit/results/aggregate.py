"""Turn per-clip columns (or pooled scores) into the ``metrics.<name>`` entries of ``results.json``."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from evalkit.results.schema import COMPARISONS, Estimate, MetricResult, per_clip_column
from evalkit.results.stats import DEFAULT_RESAMPLES, mean_estimate, paired_estimates, point_deltas


def per_clip_metric_result(
    name: str,
    table: pd.DataFrame,
    *,
    label: str,
    higher_is_better: bool,
    variant: dict[str, Any],
    unit: str = "",
    seed: int = 0,
    resamples: int = DEFAULT_RESAMPLES,
) -> MetricResult:
    """Clip means with CIs for each comparison column present, and student-vs-teacher paired deltas.

    Only rows with ``status == "ok"`` count; the teacher and student columns are paired by row.
    """
    ok = table.loc[table["status"] == "ok"]
    values: dict[str, Estimate] = {}
    for comparison in COMPARISONS:
        column = per_clip_column(name, comparison)
        if column in ok.columns and ok[column].notna().any():
            values[comparison] = mean_estimate(ok[column].to_numpy(np.float64), seed=seed, resamples=resamples)
    paired: dict[str, Estimate] = {}
    if "teacher" in values and "student" in values:
        paired = paired_estimates(
            ok[per_clip_column(name, "teacher")].to_numpy(np.float64),
            ok[per_clip_column(name, "student")].to_numpy(np.float64),
            higher_is_better=higher_is_better,
            seed=seed,
            resamples=resamples,
        )
    return MetricResult(name, True, higher_is_better, label, variant, unit, per_clip=True, values=values, paired=paired)


def pooled_metric_result(
    name: str,
    scores: dict[str, float],
    *,
    num_clips: int,
    label: str,
    higher_is_better: bool,
    variant: dict[str, Any],
    unit: str = "",
) -> MetricResult:
    """A metric with one pooled score per comparison (FVD): values without CIs, point deltas."""
    values = {comparison: Estimate(value=float(score), n=num_clips) for comparison, score in scores.items()}
    paired = {}
    if "teacher" in scores and "student" in scores:
        deltas = point_deltas(scores["teacher"], scores["student"], higher_is_better=higher_is_better)
        paired = {key: Estimate(value=est.value, n=num_clips) for key, est in deltas.items()}
    return MetricResult(
        name, True, higher_is_better, label, variant, unit, per_clip=False, values=values, paired=paired
    )


def unavailable_metric_result(
    name: str, *, label: str, higher_is_better: bool, reason: str, fetch: str | None = None, per_clip: bool = True
) -> MetricResult:
    """The entry for a metric that could not run (missing weights...): the reason and the fetch command."""
    return MetricResult(
        name=name,
        available=False,
        higher_is_better=higher_is_better,
        label=label,
        per_clip=per_clip,
        reason=reason,
        fetch=fetch,
    )
