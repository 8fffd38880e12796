"""Pooled feature statistics and the Fréchet distance between two Gaussians.

``FeatureStats`` keeps the count, the feature sum and the outer-product sum in float64: these add exactly
across batches and ranks, and are what a reference-statistics cache stores. ``frechet_distance`` gives
pytorch-fid's ``calculate_frechet_distance`` (checked against it in the tests) but takes the trace of
``(S1 S2)^(1/2)`` as the sum of square roots of the eigenvalues of the symmetric ``S1^(1/2) S2 S1^(1/2)``
(same eigenvalues as ``S1 S2``): two symmetric eigensolves instead of scipy's Schur ``sqrtm``, many times faster
at the I3D size (400) and exact for the singular covariances of small sets, where ``sqrtm`` needs an ``eps``
retry. FVD∞ computes one distance per subset, so the speed matters.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

COVARIANCE_CONVENTIONS = ("biased", "unbiased")


@dataclass
class FeatureStats:
    """Sufficient statistics of a feature set: ``count``, ``sum`` (D,), ``outer_sum`` (D, D), all float64."""

    count: int = 0
    sum: np.ndarray | None = None
    outer_sum: np.ndarray | None = field(default=None, repr=False)

    def add(self, features: torch.Tensor | np.ndarray) -> None:
        """Accumulate a batch of features ``(N, D)``."""
        feats = np.asarray(features.detach().cpu() if isinstance(features, torch.Tensor) else features, np.float64)
        if feats.ndim != 2:
            raise ValueError(f"features must have shape (N, D), got {feats.shape}")
        if self.sum is None:
            self.sum = np.zeros(feats.shape[1])
            self.outer_sum = np.zeros((feats.shape[1], feats.shape[1]))
        elif feats.shape[1] != self.sum.shape[0]:
            raise ValueError(f"feature dimension {feats.shape[1]} differs from the accumulated {self.sum.shape[0]}")
        self.count += feats.shape[0]
        self.sum += feats.sum(axis=0)
        self.outer_sum += feats.T @ feats

    def merge(self, other: FeatureStats) -> None:
        """Add another set's statistics (another rank, or another batch computed elsewhere)."""
        if other.count == 0:
            return
        if self.sum is None:
            self.count, self.sum, self.outer_sum = other.count, other.sum.copy(), other.outer_sum.copy()
            return
        if other.sum.shape != self.sum.shape:
            raise ValueError(f"feature dimension {other.sum.shape[0]} differs from the accumulated {self.sum.shape[0]}")
        self.count += other.count
        self.sum += other.sum
        self.outer_sum += other.outer_sum

    def mean_cov(self, covariance: str = "biased") -> tuple[np.ndarray, np.ndarray]:
        """Mean and covariance; ``"biased"`` divides by N (StyleGAN-V), ``"unbiased"`` by N-1 (``np.cov``)."""
        if covariance not in COVARIANCE_CONVENTIONS:
            raise ValueError(f"unknown covariance {covariance!r}; choose one of: {', '.join(COVARIANCE_CONVENTIONS)}")
        minimum = 2 if covariance == "unbiased" else 1
        if self.count < minimum:
            raise ValueError(f"need at least {minimum} feature vectors for a {covariance} covariance, got {self.count}")
        mean = self.sum / self.count
        scatter = self.outer_sum - self.count * np.outer(mean, mean)
        return mean, scatter / (self.count - 1 if covariance == "unbiased" else self.count)

    def to_dict(self) -> dict[str, Any]:
        """Plain arrays for saving (``torch.save`` / ``np.savez``)."""
        return {"count": self.count, "sum": self.sum, "outer_sum": self.outer_sum}

    @classmethod
    def from_dict(cls, state: dict[str, Any]) -> FeatureStats:
        """Rebuild from ``to_dict()`` output."""
        if state["count"] == 0:
            return cls()
        return cls(
            int(state["count"]),
            np.asarray(state["sum"], np.float64).copy(),
            np.asarray(state["outer_sum"], np.float64).copy(),
        )

    @classmethod
    def from_features(cls, features: torch.Tensor | np.ndarray) -> FeatureStats:
        """Statistics of one feature array ``(N, D)``."""
        stats = cls()
        stats.add(features)
        return stats


def frechet_distance(mu1: np.ndarray, sigma1: np.ndarray, mu2: np.ndarray, sigma2: np.ndarray) -> float:
    """Fréchet distance ``|mu1-mu2|^2 + tr(S1 + S2 - 2 (S1 S2)^(1/2))`` between two Gaussians, in float64."""
    mu1, mu2 = np.atleast_1d(np.asarray(mu1, np.float64)), np.atleast_1d(np.asarray(mu2, np.float64))
    sigma1, sigma2 = np.atleast_2d(np.asarray(sigma1, np.float64)), np.atleast_2d(np.asarray(sigma2, np.float64))
    if mu1.shape != mu2.shape or sigma1.shape != sigma2.shape or sigma1.shape != (mu1.shape[0],) * 2:
        raise ValueError(
            f"mean/covariance shapes do not match: {mu1.shape}, {sigma1.shape} vs {mu2.shape}, {sigma2.shape}"
        )
    diff = mu1 - mu2
    eigenvalues1, vectors1 = np.linalg.eigh(sigma1)
    sqrt_sigma1 = (vectors1 * np.sqrt(np.clip(eigenvalues1, 0, None))) @ vectors1.T
    product_eigenvalues = np.linalg.eigvalsh(sqrt_sigma1 @ sigma2 @ sqrt_sigma1)  # >= 0 up to rounding
    trace_covmean = np.sqrt(np.clip(product_eigenvalues, 0, None)).sum()
    return float(diff.dot(diff) + np.trace(sigma1) + np.trace(sigma2) - 2 * trace_covmean)
