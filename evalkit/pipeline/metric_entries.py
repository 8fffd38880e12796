"""Results entries built from a metric's registry spec, shared by `evalkit run`, `score` and `generate-check`."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from typing import Any

import pandas as pd

from evalkit.metrics import METRICS, UnavailableMetric
from evalkit.metrics.fvd_sample_size import extrapolation_block
from evalkit.results.aggregate import per_clip_metric_result, pooled_metric_result, unavailable_metric_result
from evalkit.results.schema import MetricResult


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


def pooled_entry(name: str, comparisons: dict[str, Any]) -> MetricResult:
    """The entry of a pooled metric (FVD) from its metric object per comparison: values, the variant with N and
    frames, and FVD∞ beside them; unavailable with the reason when too few clips were evaluated."""
    spec = METRICS.get(name)
    first = next(iter(comparisons.values()))
    count = first.candidate_stats.count
    if count < first.clips_needed:
        needs = f"{spec.label} ({first.protocol.name}) needs {first.clips_needed} clips per set"
        reason = "no clip was evaluated" if count == 0 else f"{needs}; {count} were evaluated"
        return unavailable_metric_result(
            name, label=spec.label, higher_is_better=spec.higher_is_better, reason=reason, per_clip=False
        )
    computed = {comparison: metric.compute() for comparison, metric in comparisons.items()}
    entry = pooled_metric_result(
        name,
        {comparison: result["value"] for comparison, result in computed.items()},
        num_clips=count,
        label=spec.label,
        higher_is_better=spec.higher_is_better,
        variant=next(iter(computed.values()))["variant"],
        unit=spec.unit,
    )
    return replace(
        entry, extrapolated=extrapolation_block({key: result["extrapolated"] for key, result in computed.items()})
    )


def metric_entries(
    names: Iterable[str],
    table: pd.DataFrame,
    *,
    per_clip: Mapping[str, Any],
    pooled: Mapping[str, Callable[[], MetricResult]],
    unavailable: Mapping[str, UnavailableMetric],
    seed: int,
    resamples: int,
) -> dict[str, MetricResult]:
    """The ``metrics`` block in ``names`` order: unavailable metrics with their reasons, per-clip metrics (objects
    with a ``variant``) from the table's columns, and pooled ones from their entry function (called only here)."""
    entries: dict[str, MetricResult] = {}
    for name in names:
        if name in unavailable:
            spec = METRICS.get(name)
            entries[name] = unavailable_metric_result(
                name,
                label=spec.label,
                higher_is_better=spec.higher_is_better,
                reason=unavailable[name].reason,
                fetch=unavailable[name].fetch,
                per_clip=spec.per_clip,
            )
        elif name in per_clip:
            entries[name] = per_clip_entry(name, table, per_clip[name].variant, seed=seed, resamples=resamples)
        else:
            entries[name] = pooled[name]()
    return entries
