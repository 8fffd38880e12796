"""The quality table of a run: each metric's three comparisons and the student's retention, with 95% CIs.

Values come straight from ``results.json`` (``metrics.<name>.values`` / ``.paired``); nothing is recomputed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from evalkit.results.schema import COMPARISONS, Estimate, MetricResult, metric_results

METRIC_ORDER: tuple[str, ...] = ("psnr", "ssim", "lpips", "fvd")
DIGITS: dict[str, int] = {"psnr": 2, "ssim": 4, "lpips": 4, "fvd": 2}
COMPARISON_TITLES: dict[str, str] = {
    "teacher": "teacher vs GT",
    "student": "student vs GT",
    "student_vs_teacher": "student vs teacher",
}


@dataclass(frozen=True)
class QualityRow:
    """One metric: label, direction, the three comparisons and retention (``None`` where not measured)."""

    name: str
    metric: MetricResult
    digits: int
    values: dict[str, Estimate | None]
    retention: Estimate | None

    @property
    def variant_text(self) -> str:
        """The metric's settings as ``key=value`` pairs (two numbers compare only when these match)."""
        return ", ".join(f"{key}={value}" for key, value in sorted(self.metric.variant.items()))

    @property
    def arrow(self) -> str:
        """↑ when higher is better, ↓ otherwise."""
        return "\u2191" if self.metric.higher_is_better else "\u2193"


def ordered_metrics(results: dict[str, Any]) -> list[MetricResult]:
    """The run's metrics, PSNR/SSIM/LPIPS/FVD first, then any others by name."""
    metrics = metric_results(results)
    rank = {name: index for index, name in enumerate(METRIC_ORDER)}
    return [metrics[name] for name in sorted(metrics, key=lambda name: (rank.get(name, len(rank)), name))]


def quality_rows(results: dict[str, Any]) -> list[QualityRow]:
    """One :class:`QualityRow` per metric of a validated results document."""
    return [
        QualityRow(
            name=metric.name,
            metric=metric,
            digits=DIGITS.get(metric.name, 3),
            values={comparison: metric.values.get(comparison) for comparison in COMPARISONS},
            retention=metric.paired.get("retention"),
        )
        for metric in ordered_metrics(results)
    ]
