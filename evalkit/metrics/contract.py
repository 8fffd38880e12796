"""The one contract every metric meets, so the pipeline, ``ThreeWay`` and the registry never ask which metric it is.

A metric streams uint8 clip pairs ``(B, T, H, W, 3)`` through ``update``, gives ``per_clip()`` values (none when
pooled) and ``compute()`` (value, counts, direction, variant), and round-trips its state for resume and rank
gathering. Its class builds it from ``MetricOptions`` and says what makes it unavailable, so a new metric is its
module and one registry line. Per-clip metrics derive from ``base.FrameAveragedMetric``, pooled ones (FVD) from
:class:`PooledMetric`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    import torch

    from evalkit.metrics.factory import MetricOptions
    from evalkit.metrics.frechet import FeatureStats


class Metric(ABC):
    """A streaming metric of paired uint8 clips; ``pooled`` ones score whole sets and have no per-clip values."""

    name: ClassVar[str]
    higher_is_better: ClassVar[bool]
    pooled: ClassVar[bool] = False
    unavailable_errors: ClassVar[tuple[type[Exception], ...]] = ()
    """Errors of ``from_options`` besides ``WeightsUnavailable`` that make the metric unavailable (not a bug)."""

    @classmethod
    @abstractmethod
    def from_options(cls, options: MetricOptions) -> Metric:
        """The metric as ``options`` configure it, weight files resolved (``WeightsUnavailable`` when missing)."""

    @classmethod
    def weight_name(cls, options: MetricOptions) -> str | None:
        """The ``evalkit.weights`` file ``options`` make it load (named in the fetch command when missing)."""
        return None

    @classmethod
    def too_small(cls, side: int) -> str | None:
        """Why frames whose short side is ``side`` pixels cannot be scored, or None."""
        return None

    def too_few_clips(self, num_clips: int) -> str | None:
        """Why ``num_clips`` clips per set cannot give this metric, or None (logs what a small N costs)."""
        return None

    @property
    @abstractmethod
    def variant(self) -> dict[str, Any]:
        """The exact settings that make this number comparable with another (stored with every result)."""

    @abstractmethod
    def update(self, reference: torch.Tensor | None, candidate: torch.Tensor, clip_ids: Sequence[str]) -> None:
        """Score a batch of paired uint8 clips ``(B, T, H, W, 3)``; each clip id may be seen once."""

    @abstractmethod
    def per_clip(self) -> dict[str, float]:
        """Each clip's value, keyed by clip id."""

    @abstractmethod
    def compute(self) -> dict[str, Any]:
        """The dataset value with ``num_clips``, ``higher_is_better`` and the ``variant`` label."""

    @abstractmethod
    def state_dict(self) -> dict[str, Any]:
        """Plain-Python state for resume and for gathering ranks."""

    @abstractmethod
    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Replace this metric's state with a saved one of the same metric and variant."""

    @abstractmethod
    def merge(self, other: Metric | dict[str, Any]) -> None:
        """Add another rank's clips (a metric or its ``state_dict()``); a clip on both sides is an error."""

    @abstractmethod
    def fresh(self) -> Metric:
        """An empty metric with the same settings, sharing any loaded network (one per comparison)."""


class PooledMetric(Metric):
    """A metric of whole sets (FVD): clips become detector features pooled per set, so one detector pass per side
    can serve every comparison that side is in (``ThreeWay.update_pooled``)."""

    pooled: ClassVar[bool] = True
    reference_frozen: bool
    """True when the reference set is cached statistics: updates then take no reference clips or features."""

    @abstractmethod
    def fresh(self, reference_stats: FeatureStats | None = None) -> PooledMetric:
        """An empty metric with the same detector and settings (optionally on cached ``reference_stats``)."""

    @abstractmethod
    def features(self, clips: torch.Tensor) -> torch.Tensor:
        """Detector features ``(B, D)`` of uint8 clips ``(B, T, H, W, 3)``."""

    @abstractmethod
    def update_features(
        self,
        reference_features: torch.Tensor | None,
        candidate_features: torch.Tensor,
        clip_ids: Sequence[str],
        frames_per_clip: int,
    ) -> None:
        """Add the features ``(B, D)`` of clips of ``frames_per_clip`` frames."""

    def per_clip(self) -> dict[str, float]:
        """A pooled metric is a property of the whole set: there are no per-clip values (always empty)."""
        return {}
