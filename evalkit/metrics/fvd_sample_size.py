"""How many clips an FVD rests on: the documented minimum, and FVD∞ (Chong & Forsyth, CVPR 2020).

The Fréchet distance of two finite samples is biased upward, and the bias grows as N shrinks: two samples
of one 400-dimensional Gaussian (the I3D feature size, identity covariance) give about 810 at N=2, 350 at
N=200, 101 at N=800 and 40 at N=2048, though the true distance is 0 (``benchmarks/bench_fvd_bias.py``,
recorded in ``benchmarks/results/fvd_bias_cpu.txt``). From N = D = 400 on, the bias is k/N to within 0.5%
(identity and power-law spectra alike); at N = 200 it is 10-14% below that line, and smaller N bend further
away, because the sample covariance is singular there. So:

* ``MIN_CLIPS`` = 2 x 400 = 800 clips per set, twice the onset of the k/N regime as a margin for spectra
  other than the two measured. An FVD from fewer clips is marked *not comparable*: its bias is neither small
  nor a predictable k/N offset. Above it, values still compare exactly only at equal N (the bias at 800 is
  about 2.5x the bias at 2048, the StyleGAN-V protocol's set size); FVD∞ removes that dependence.
* FVD∞: the Fréchet distance on random subsets from D clips (the regime's onset) up to all N, fitted linearly
  in 1/N and read at 1/N = 0, so it needs N >= 2 x D = 800 too. On 2048 clips per set of one Gaussian it
  reads about 0.3 where plain FVD reads 40.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from evalkit.metrics.frechet import FeatureStats, frechet_distance

I3D_FEATURE_DIM = 400
MIN_CLIPS = 2 * I3D_FEATURE_DIM
MIN_SUBSET_FACTOR = 1
"""The smallest FVD∞ subset holds this many clips per feature dimension (400 for I3D: where k/N starts)."""
SPAN = 2
"""The largest subset (all clips) is at least this many times the smallest, so the fit sees a range of 1/N."""
SUBSET_SIZES = 8
DRAWS = 2
"""Random subsets drawn per size (their distances are averaged before the fit)."""
METHOD = "Chong & Forsyth 2020: Fréchet distance on random clip subsets, linear fit in 1/N, read at N→∞"


def extrapolation_block(per_comparison: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The ``extrapolated`` entry beside an FVD in results.json: label, method and each comparison's fit."""
    return {"label": "FVD∞", "method": METHOD, "draws_per_size": DRAWS, "values": per_comparison}


def min_clips_for_extrapolation(dim: int) -> int:
    """Clips per set FVD∞ needs for features of dimension ``dim``."""
    return MIN_SUBSET_FACTOR * dim * SPAN


def min_clips(dim: int = I3D_FEATURE_DIM) -> int:
    """Clips per set below which an FVD on ``dim``-dimensional features is not comparable (2 x ``dim``)."""
    return 2 * dim


def sample_size_fields(n_clips: int, frames: int | None, dim: int = I3D_FEATURE_DIM) -> dict[str, Any]:
    """The ``variant`` keys every FVD result carries: clips per set, frames, the minimum and the verdict."""
    minimum = min_clips(dim)
    return {"n_clips": int(n_clips), "frames": frames, "min_clips": minimum, "comparable": n_clips >= minimum}


@dataclass(frozen=True)
class Extrapolation:
    """FVD∞ of one comparison: the intercept of the fit, its slope, the RMS residual, and the points fitted."""

    value: float
    slope: float
    fit_residual: float
    subset_sizes: tuple[int, ...]
    subset_values: tuple[float, ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {**asdict(self), "subset_sizes": list(self.subset_sizes), "subset_values": list(self.subset_values)}


class TooFewClipsError(ValueError):
    """FVD∞ cannot be fitted on this many clips (the message says how many it needs)."""


def subset_sizes(n_clips: int, dim: int) -> tuple[int, ...]:
    """``SUBSET_SIZES`` sizes evenly spaced in N from ``MIN_SUBSET_FACTOR`` x ``dim`` to ``n_clips``."""
    needed = min_clips_for_extrapolation(dim)
    if n_clips < needed:
        raise TooFewClipsError(
            f"FVD∞ needs at least {needed} clips per set ({MIN_SUBSET_FACTOR * dim} for the smallest subset, "
            f"{SPAN}x that for the largest) with {dim}-dimensional features; this set has {n_clips}"
        )
    return tuple(sorted({int(round(n)) for n in np.linspace(MIN_SUBSET_FACTOR * dim, n_clips, SUBSET_SIZES)}))


def extrapolate(
    reference: np.ndarray, candidate: np.ndarray, covariance: str, *, seed: int = 0, draws: int = DRAWS
) -> Extrapolation:
    """FVD∞ of paired per-clip features ``(N, D)``: each subset takes the same clips from both sides.

    Raises:
        TooFewClipsError: when N is below :func:`min_clips_for_extrapolation`.
    """
    if reference.shape != candidate.shape:
        raise ValueError(f"FVD∞: reference features {reference.shape} and candidate {candidate.shape} differ")
    n_clips, dim = reference.shape
    sizes = subset_sizes(n_clips, dim)
    rng = np.random.default_rng(seed)
    values = []
    for size in sizes:
        distances = []
        for _ in range(draws if size < n_clips else 1):
            rows = rng.choice(n_clips, size, replace=False) if size < n_clips else np.arange(n_clips)
            ref = FeatureStats.from_features(reference[rows]).mean_cov(covariance)
            cand = FeatureStats.from_features(candidate[rows]).mean_cov(covariance)
            distances.append(frechet_distance(*ref, *cand))
        values.append(float(np.mean(distances)))
    inverse = 1.0 / np.asarray(sizes, np.float64)
    slope, intercept = np.polyfit(inverse, values, 1)
    residual = float(np.sqrt(np.mean((np.asarray(values) - (intercept + slope * inverse)) ** 2)))
    return Extrapolation(float(intercept), float(slope), residual, sizes, tuple(values))
