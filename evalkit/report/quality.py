"""Quality tables of a run: each metric's comparisons and one paired delta, with 95% CIs.

Values come straight from ``results.json`` (``metrics.<name>.values`` / ``.paired``, or the same layout
under ``generation.metrics``); nothing is recomputed. Which comparisons a table shows, and what they are
called, depends on what made the results (:func:`quality_table`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from evalkit.results.schema import COMPARISONS, Estimate, MetricResult, metric_results

METRIC_ORDER: tuple[str, ...] = ("psnr", "ssim", "lpips", "fvd", "msssim", "vmaf", "tdiff")
DIGITS: dict[str, int] = {"psnr": 2, "ssim": 4, "lpips": 4, "fvd": 2, "msssim": 4, "vmaf": 2, "tdiff": 4}
RECONSTRUCTION_TITLES: dict[str, str] = {
    "teacher": "teacher vs GT",
    "student": "student vs GT",
    "student_vs_teacher": "student vs teacher",
}
# `evalkit score` stores its one comparison, metric(reference, reconstruction), under ``student``.
SCORE_TITLES: dict[str, str] = {"student": "reconstruction vs reference"}
RECONSTRUCTION_NOTE = (
    "GT = ground truth. Retention = student / teacher (teacher / student when lower is better); 1 means nothing lost."
)
SCORE_NOTE = "Each value is metric(reference video, reconstruction) of the same clip; there is no teacher."


@dataclass(frozen=True)
class QualityRow:
    """One metric: label, direction, its comparisons and one paired delta (``None`` where not measured)."""

    name: str
    metric: MetricResult
    digits: int
    values: dict[str, Estimate | None]
    delta: Estimate | None

    @property
    def variant_text(self) -> str:
        """The metric's settings as ``key=value`` pairs (two numbers compare only when these match)."""
        return ", ".join(f"{key}={value}" for key, value in sorted(self.metric.variant.items()))

    @property
    def arrow(self) -> str:
        """↑ when higher is better, ↓ otherwise."""
        return "\u2191" if self.metric.higher_is_better else "\u2193"


@dataclass(frozen=True)
class QualityTable:
    """Rows plus what the columns are: comparison key → heading, the paired delta shown last (if any) and its
    decimals (``None``: each metric's own), and a note on how to read it."""

    rows: list[QualityRow]
    titles: dict[str, str]
    delta: str | None
    delta_digits: int | None
    note: str


def is_score_run(results: dict[str, Any]) -> bool:
    """Whether `evalkit score` made these results: videos decoded elsewhere, so no teacher and no student."""
    decoders = results["decoders"]
    return decoders.get("teacher") is None and decoders.get("student") is None


def ordered(metrics: dict[str, MetricResult]) -> list[MetricResult]:
    """The metrics in :data:`METRIC_ORDER`, then any others by name."""
    rank = {name: index for index, name in enumerate(METRIC_ORDER)}
    return [metrics[name] for name in sorted(metrics, key=lambda name: (rank.get(name, len(rank)), name))]


def ordered_metrics(results: dict[str, Any]) -> list[MetricResult]:
    """The run's top-level metrics in display order."""
    return ordered(metric_results(results))


def quality_rows(metrics: dict[str, MetricResult], delta: str | None) -> list[QualityRow]:
    """One :class:`QualityRow` per metric, carrying every comparison and the ``delta`` paired estimate."""
    return [
        QualityRow(
            name=metric.name,
            metric=metric,
            digits=DIGITS.get(metric.name, 3),
            values={comparison: metric.values.get(comparison) for comparison in COMPARISONS},
            delta=metric.paired.get(delta) if delta else None,
        )
        for metric in ordered(metrics)
    ]


def quality_table(results: dict[str, Any]) -> QualityTable:
    """The run's quality table: three comparisons and retention, or for `evalkit score` the one comparison."""
    metrics = metric_results(results)
    if is_score_run(results):
        return QualityTable(quality_rows(metrics, None), SCORE_TITLES, None, None, SCORE_NOTE)
    rows = quality_rows(metrics, "retention")
    return QualityTable(rows, RECONSTRUCTION_TITLES, "retention", 4, RECONSTRUCTION_NOTE)
