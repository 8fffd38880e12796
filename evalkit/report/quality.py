"""Quality tables of a run: each metric's comparisons and one paired delta, with 95% CIs.

Values come straight from ``results.json`` (``metrics.<name>.values`` / ``.paired``, or the same layout
under ``generation.metrics``; trivial floors from ``floors``); nothing is recomputed. Which comparisons a
table shows, and what they are called, depends on what made the results (:func:`quality_table`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from evalkit.results.sample_size import comparability_note, extrapolation_lines, metric_caption
from evalkit.results.schema import COMPARISONS, FLOORS, Estimate, MetricResult, metric_results

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
FLOOR_NOTE = (
    "Grey rows: trivial floors against GT, under each decoder's column for comparison; a decoder should clear "
    "the resample floor by well over 1 dB PSNR."
)
GROUND_TRUTH_COMPARISONS = ("teacher", "student")


@dataclass(frozen=True)
class FloorRow:
    """A trivial floor's score on one metric (metric(GT, floor)), shown under the columns in ``columns``."""

    name: str
    label: str
    estimate: Estimate
    columns: tuple[str, ...]


@dataclass(frozen=True)
class QualityRow:
    """One metric: label, direction, its comparisons and one paired delta (``None`` where not measured), and the
    trivial floors' scores on it."""

    name: str
    metric: MetricResult
    digits: int
    values: dict[str, Estimate | None]
    delta: Estimate | None
    floors: tuple[FloorRow, ...] = ()

    @property
    def variant_text(self) -> str:
        """The metric's settings as ``key=value`` pairs (two numbers compare only when these match)."""
        return ", ".join(f"{key}={value}" for key, value in sorted(self.metric.variant.items()))

    @property
    def caption(self) -> str:
        """The label with what it rests on, e.g. ``FVD StyleGAN-V, 17 f, N=3``."""
        return metric_caption(self.metric)

    @property
    def caveat(self) -> str | None:
        """``not comparable: ...`` when N is below the metric's documented minimum."""
        return comparability_note(self.metric)

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

    @property
    def extrapolations(self) -> list[str]:
        """FVD∞ lines (value, fit residual, subset sizes, or why unavailable) for the metrics that have one."""
        return [line for row in self.rows for line in extrapolation_lines(row.metric, self.titles)]


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


def with_floors(rows: list[QualityRow], floors: dict[str, Any]) -> list[QualityRow]:
    """``rows`` with each metric's floor scores (``results["floors"]``), placed under its ground-truth columns."""
    placed = []
    for row in rows:
        columns = tuple(key for key in GROUND_TRUTH_COMPARISONS if row.values.get(key) is not None)
        found = tuple(
            FloorRow(name, floors[name]["label"], Estimate.from_dict(floors[name]["values"][row.name]), columns)
            for name in FLOORS
            if row.name in floors.get(name, {}).get("values", {})
        )
        placed.append(replace(row, floors=found))
    return placed


def quality_table(results: dict[str, Any]) -> QualityTable:
    """The run's quality table: three comparisons and retention, or for `evalkit score` the one comparison, with
    the trivial floors as extra rows."""
    metrics = metric_results(results)
    floors = results.get("floors") or {}
    note = f" {FLOOR_NOTE}" if floors else ""
    if is_score_run(results):
        rows = with_floors(quality_rows(metrics, None), floors)
        return QualityTable(rows, SCORE_TITLES, None, None, SCORE_NOTE + note)
    rows = with_floors(quality_rows(metrics, "retention"), floors)
    return QualityTable(rows, RECONSTRUCTION_TITLES, "retention", 4, RECONSTRUCTION_NOTE + note)
