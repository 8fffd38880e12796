"""One metric on the three comparisons of a distillation run, kept per clip.

``teacher`` = metric(ground truth, teacher output), ``student`` = metric(ground truth, student output),
``student_vs_teacher`` = metric(teacher output, student output) — the names and argument order of the
results schema. Aggregates with CIs, paired deltas and retention are computed from ``per_clip()`` by
``evalkit.results.stats``; this class only makes sure the three are scored on the same clips, in the right
order, and (for pooled metrics such as FVD) that each side's clips go through the detector once, not twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch

from evalkit.metrics.contract import Metric
from evalkit.metrics.frechet import FeatureStats
from evalkit.options import COMPARISONS

SIDES = {
    "teacher": ("ground_truth", "teacher"),
    "student": ("ground_truth", "student"),
    "student_vs_teacher": ("teacher", "student"),
}
"""Each comparison's (reference, candidate) sides."""


class ThreeWay:
    """Three instances of one metric sharing its network: ``update(ground_truth, teacher, student, ids)``.

    Args:
        metric: an empty metric object (e.g. from ``build_metric``); it becomes the ``teacher`` comparison.
        teacher_only: score only ground truth vs teacher (for decoders without a student).
        reference_stats: cached statistics of the ground-truth clips (pooled metrics only).
        against_truth: False scores only ``student_vs_teacher`` (generated videos have no ground truth).
    """

    def __init__(
        self,
        metric: Metric,
        teacher_only: bool = False,
        reference_stats: FeatureStats | None = None,
        against_truth: bool = True,
    ) -> None:
        self.name = metric.name
        self.higher_is_better = metric.higher_is_better
        self.pooled = metric.pooled
        self.teacher_only = teacher_only
        if reference_stats is not None and not metric.pooled:
            raise ValueError(f"{self.name}: reference_stats apply to FVD only")
        comparisons = COMPARISONS[:1] if teacher_only else COMPARISONS if against_truth else COMPARISONS[2:]
        against_reference = metric.fresh if reference_stats is None else lambda: metric.fresh(reference_stats)
        self.metrics = {
            comparison: against_reference() if SIDES[comparison][0] == "ground_truth" else metric.fresh()
            for comparison in comparisons
        }

    def update(
        self,
        ground_truth: torch.Tensor | None,
        teacher: torch.Tensor,
        student: torch.Tensor | None,
        clip_ids: Sequence[str],
    ) -> None:
        """Score a batch of uint8 clips ``(B, T, H, W, 3)`` on every comparison (``ground_truth`` None when there is
        none, or when a pooled metric's reference statistics are cached)."""
        if self.pooled:
            self.update_pooled(ground_truth, teacher, student, clip_ids)
            return
        self._check_student(student)
        clips = {"ground_truth": ground_truth, "teacher": teacher, "student": student}
        for comparison, metric in self.metrics.items():
            reference, candidate = SIDES[comparison]
            metric.update(clips[reference], clips[candidate], clip_ids)

    def update_pooled(
        self,
        ground_truth: torch.Tensor | None,
        teacher: torch.Tensor,
        student: torch.Tensor | None,
        clip_ids: Sequence[str],
        cached: Sequence[torch.Tensor | None] | None = None,
    ) -> list[torch.Tensor]:
        """:meth:`update` of a pooled metric: each side goes through the detector once and serves every comparison.

        ``cached`` holds clips' known ``(2, D)`` ground-truth and teacher features (None: not known); only the other
        clips' ground truth and teacher go through the detector. Returns every clip's ``(2, D)`` features (``(1, D)``
        teacher features without ground truth), for a cache.
        """
        self._check_student(student)
        detector = next(iter(self.metrics.values()))
        cached = cached or [None] * len(clip_ids)
        todo = [row for row, hit in enumerate(cached) if hit is None]
        if todo:
            known = [side for side in (ground_truth, teacher) if side is not None]
            fresh = iter(torch.stack([detector.features(side[todo]) for side in known], dim=1))
        features = [next(fresh) if hit is None else hit for hit in cached]
        pairs = torch.stack(features)
        sides = {"ground_truth": pairs[:, 0] if ground_truth is not None else None, "teacher": pairs[:, -1]}
        sides["student"] = None if student is None else detector.features(student)
        for comparison, metric in self.metrics.items():
            reference, candidate = SIDES[comparison]
            metric.update_features(sides[reference], sides[candidate], clip_ids, teacher.shape[1])
        return features

    def _check_student(self, student: torch.Tensor | None) -> None:
        if (student is None) != self.teacher_only:
            raise ValueError(f"{self.name}: student clips are {'not expected' if self.teacher_only else 'required'}")

    def per_clip(self) -> dict[str, dict[str, float]]:
        """``{comparison: {clip_id: value}}`` (empty dicts for pooled metrics, which have no per-clip values)."""
        return {comparison: metric.per_clip() for comparison, metric in self.metrics.items()}

    def compute(self) -> dict[str, dict[str, Any]]:
        """``{comparison: metric.compute()}``."""
        return {comparison: metric.compute() for comparison, metric in self.metrics.items()}

    def state_dict(self) -> dict[str, Any]:
        """The three metric states, for resume and rank gathering."""
        return {comparison: metric.state_dict() for comparison, metric in self.metrics.items()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore the three metric states."""
        self._check_comparisons(state)
        for comparison, metric in self.metrics.items():
            metric.load_state_dict(state[comparison])

    def merge(self, other: ThreeWay | dict[str, Any]) -> None:
        """Add another rank's three states."""
        state = other.state_dict() if isinstance(other, ThreeWay) else other
        self._check_comparisons(state)
        for comparison, metric in self.metrics.items():
            metric.merge(state[comparison])

    def _check_comparisons(self, state: dict[str, Any]) -> None:
        if set(state) != set(self.metrics):
            raise ValueError(f"{self.name}: state has comparisons {sorted(state)}, expected {sorted(self.metrics)}")
