"""Per-class means and the worst clips, from the per-clip table a run wrote (pandas, no recomputation).

The gap of a clip is ``metric.teacher - metric.student`` (the schema's ``drop``): how much quality
against ground truth the student gives up on that clip.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from evalkit.results.schema import MetricResult, per_clip_column

UNLABELLED = "(no class)"


@dataclass(frozen=True)
class Column:
    """A numeric column of a breakdown table: its key in the frame, its title and display digits."""

    key: str
    title: str
    digits: int


@dataclass(frozen=True)
class Table:
    """A table ready for the template: text columns first, then numeric :class:`Column` s."""

    frame: pd.DataFrame
    text_columns: list[str]
    columns: list[Column]

    def records(self) -> list[dict[str, object]]:
        """Rows as dicts (NaN → ``None``) in display order."""
        frame = self.frame.astype(object).where(self.frame.notna(), None)
        return frame.to_dict(orient="records")


def per_clip_metrics(metrics: list[MetricResult], per_clip: pd.DataFrame) -> list[MetricResult]:
    """Metrics with a teacher per-clip column in ``per_clip`` (the student's is absent in teacher-only runs)."""
    return [
        metric
        for metric in metrics
        if metric.available and metric.per_clip and per_clip_column(metric.name, "teacher") in per_clip
    ]


def _has_student(metric: MetricResult, per_clip: pd.DataFrame) -> bool:
    return per_clip_column(metric.name, "student") in per_clip


def _with_gaps(per_clip: pd.DataFrame, metrics: list[MetricResult]) -> pd.DataFrame:
    ok = per_clip[per_clip["status"] == "ok"].copy()
    for metric in metrics:
        if _has_student(metric, per_clip):
            teacher, student = per_clip_column(metric.name, "teacher"), per_clip_column(metric.name, "student")
            ok[f"{metric.name}.gap"] = ok[teacher] - ok[student]
    return ok


def _class_names_of(clip_ids: pd.Series, labels: dict[str, int], class_names: list[str] | None) -> list[str]:
    """The class name of each clip (the label index when the manifest has no names)."""
    names = class_names or []

    def name_of(clip_id: str) -> str:
        label = labels.get(clip_id)
        if label is None:
            return UNLABELLED
        return names[label] if label < len(names) else str(label)

    return [name_of(clip_id) for clip_id in clip_ids]


def _metric_columns(metrics: list[MetricResult], per_clip: pd.DataFrame, digits: dict[str, int]) -> list[Column]:
    columns = []
    for metric in metrics:
        places = digits.get(metric.name, 3)
        columns.append(Column(per_clip_column(metric.name, "teacher"), f"{metric.label} teacher", places))
        if _has_student(metric, per_clip):
            columns += [
                Column(per_clip_column(metric.name, "student"), f"{metric.label} student", places),
                Column(f"{metric.name}.gap", f"{metric.label} gap", places),
            ]
    return columns


def class_breakdown(
    per_clip: pd.DataFrame,
    labels: dict[str, int],
    class_names: list[str] | None,
    metrics: list[MetricResult],
    digits: dict[str, int],
) -> Table | None:
    """Mean of every per-clip metric (teacher, student, gap) per class; ``None`` for unlabelled datasets."""
    if not labels:
        return None
    metrics = per_clip_metrics(metrics, per_clip)
    ok = _with_gaps(per_clip, metrics)
    ok["class"] = _class_names_of(ok["clip_id"], labels, class_names)
    columns = _metric_columns(metrics, per_clip, digits)
    grouped = ok.groupby("class", sort=True)
    frame = grouped[[column.key for column in columns]].mean()
    frame.insert(0, "clips", grouped.size())
    frame = frame.reset_index()
    return Table(frame, ["class"], [Column("clips", "clips", 0), *columns])


def worst_clips(
    per_clip: pd.DataFrame,
    labels: dict[str, int],
    class_names: list[str] | None,
    metrics: list[MetricResult],
    digits: dict[str, int],
    rank_by: str = "psnr",
    count: int = 10,
) -> Table | None:
    """The ``count`` clips with the largest ``rank_by`` gap (teacher − student vs GT); ``None`` without it."""
    metrics = per_clip_metrics(metrics, per_clip)
    if not any(metric.name == rank_by and _has_student(metric, per_clip) for metric in metrics):
        return None
    ok = _with_gaps(per_clip, metrics).sort_values(f"{rank_by}.gap", ascending=False, kind="stable").head(count)
    text_columns = ["clip_id"]
    if labels:
        ok["class"] = _class_names_of(ok["clip_id"], labels, class_names)
        text_columns.append("class")
    columns = _metric_columns(metrics, per_clip, digits)
    pair_column = per_clip_column(rank_by, "student_vs_teacher")
    if pair_column in ok:
        label = next(metric.label for metric in metrics if metric.name == rank_by)
        columns.append(Column(pair_column, f"{label} student vs teacher", digits.get(rank_by, 3)))
    return Table(ok[text_columns + [column.key for column in columns]].reset_index(drop=True), text_columns, columns)
