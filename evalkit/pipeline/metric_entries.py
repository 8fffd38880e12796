"""Results entries built from a metric's registry spec, shared by `evalkit run`, `score` and `generate-check`."""

from __future__ import annotations

from typing import Any

import pandas as pd

from evalkit.metrics import METRICS, UnavailableMetric
from evalkit.results.aggregate import per_clip_metric_result, unavailable_metric_result
from evalkit.results.schema import MetricResult


def unavailable_entry(name: str, missing: UnavailableMetric) -> MetricResult:
    """The entry of a metric that could not be computed, with its reason and the command that fixes it."""
    spec = METRICS.get(name)
    return unavailable_metric_result(
        name,
        label=spec.label,
        higher_is_better=spec.higher_is_better,
        reason=missing.reason,
        fetch=missing.fetch,
        per_clip=spec.per_clip,
    )


def per_clip_entry(name: str, table: pd.DataFrame, variant: Any, *, seed: int, resamples: int) -> MetricResult:
    """The entry of a per-clip metric: means and bootstrap CIs over the per-clip table's columns."""
    spec = METRICS.get(name)
    return per_clip_metric_result(
        name,
        table,
        label=spec.label,
        higher_is_better=spec.higher_is_better,
        variant=variant,
        unit=spec.unit,
        seed=seed,
        resamples=resamples,
    )
