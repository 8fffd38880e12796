"""One metric on the three comparisons of a distillation run, kept per clip.

``teacher`` = metric(ground truth, teacher output), ``student`` = metric(ground truth, student output),
``student_vs_teacher`` = metric(teacher output, student output) — the names and argument order of the
results schema. Aggregates with CIs, paired deltas and retention are computed from ``per_clip()`` by
``evalkit.results.stats``; this class only makes sure the three are scored on the same clips, in the right
order, and (for FVD) that each side's clips go through the detector once, not twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch

from evalkit.metrics.frechet import FeatureStats
from evalkit.metrics.fvd import FVD
from evalkit.options import COMPARISONS


class ThreeWay:
    """Three instances of one metric sharing its network: ``update(ground_truth, teacher, student, ids)``.

    Args:
        metric: an empty metric object (e.g. from ``build_metric``); it becomes the ``teacher`` comparison.
        teacher_only: score only ground truth vs teacher (for decoders without a student).
        reference_stats: cached FVD statistics of the ground-truth clips (FVD only).
    """

    def __init__(self, metric: Any, teacher_only: bool = False, reference_stats: FeatureStats | None = None) -> None:
        self.name = metric.name
        self.higher_is_better = metric.higher_is_better
        self.teacher_only = teacher_only
        if isinstance(metric, FVD):
            self.metrics = {"teacher": metric.fresh(reference_stats)}
            if not teacher_only:
                self.metrics["student"] = metric.fresh(reference_stats)
                self.metrics["student_vs_teacher"] = metric.fresh()
        elif reference_stats is not None:
            raise ValueError(f"{self.name}: reference_stats apply to FVD only")
        else:
            comparisons = COMPARISONS[:1] if teacher_only else COMPARISONS
            self.metrics = {comparison: metric.fresh() for comparison in comparisons}

    def update(
        self,
        ground_truth: torch.Tensor,
        teacher: torch.Tensor,
        student: torch.Tensor | None,
        clip_ids: Sequence[str],
    ) -> None:
        """Score a batch of uint8 clips ``(B, T, H, W, 3)`` on every comparison."""
        if (student is None) != self.teacher_only:
            raise ValueError(f"{self.name}: student clips are {'not expected' if self.teacher_only else 'required'}")
        if isinstance(self.metrics["teacher"], FVD):
            self._update_fvd(ground_truth, teacher, student, clip_ids)
            return
        self.metrics["teacher"].update(ground_truth, teacher, clip_ids)
        if student is not None:
            self.metrics["student"].update(ground_truth, student, clip_ids)
            self.metrics["student_vs_teacher"].update(teacher, student, clip_ids)

    def _update_fvd(
        self, ground_truth: torch.Tensor, teacher: torch.Tensor, student: torch.Tensor | None, clip_ids: Sequence[str]
    ) -> None:
        fvd = self.metrics["teacher"]
        gt_feats = None if fvd.reference_frozen else fvd.features(ground_truth)
        teacher_feats = fvd.features(teacher)
        num_frames = teacher.shape[1]
        fvd.update_features(gt_feats, teacher_feats, clip_ids, num_frames)
        if student is not None:
            student_feats = fvd.features(student)
            self.metrics["student"].update_features(gt_feats, student_feats, clip_ids, num_frames)
            self.metrics["student_vs_teacher"].update_features(teacher_feats, student_feats, clip_ids, num_frames)

    def per_clip(self) -> dict[str, dict[str, float]]:
        """``{comparison: {clip_id: value}}`` (empty dicts for FVD, which has no per-clip values)."""
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
