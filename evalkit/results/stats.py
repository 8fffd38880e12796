"""Aggregate per-clip values into :class:`Estimate` s: clip means and paired deltas with bootstrap CIs.

The bootstrap is ``scipy.stats.bootstrap`` (percentile method, seeded), resampling clips; paired
figures resample teacher/student (or baseline/run) values of the same clip together.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

from evalkit.results.schema import Estimate

CI_LEVEL = 0.95
CI_METHOD = "bootstrap-percentile"
DEFAULT_RESAMPLES = 1000


def mean_estimate(values: np.ndarray, *, seed: int, resamples: int = DEFAULT_RESAMPLES) -> Estimate:
    """Mean of the finite ``values`` with a 95% bootstrap CI (no CI below two values)."""
    values = _finite(values)
    if values.size == 0:
        return Estimate(value=float("nan"), n=0)
    low, high = _bootstrap((values,), _mean, seed=seed, resamples=resamples)
    return Estimate(value=float(values.mean()), ci_low=low, ci_high=high, n=int(values.size))


def paired_estimates(
    reference: np.ndarray,
    candidate: np.ndarray,
    *,
    higher_is_better: bool,
    seed: int,
    resamples: int = DEFAULT_RESAMPLES,
) -> dict[str, Estimate]:
    """``drop``, ``increase`` and ``retention`` of ``candidate`` against ``reference`` (same clips, same order).

    Clips where either value is not finite are left out of all three.
    """
    reference = np.asarray(reference, dtype=np.float64)
    candidate = np.asarray(candidate, dtype=np.float64)
    if reference.shape != candidate.shape:
        raise ValueError(f"paired values need equal shapes, got {reference.shape} and {candidate.shape}")
    keep = np.isfinite(reference) & np.isfinite(candidate)
    reference, candidate = reference[keep], candidate[keep]
    n = int(reference.size)
    if n == 0:
        nan = Estimate(value=float("nan"), n=0)
        return {"drop": nan, "increase": nan, "retention": nan}
    drop = mean_estimate(reference - candidate, seed=seed, resamples=resamples)
    increase = Estimate(
        value=-drop.value,
        ci_low=None if drop.ci_high is None else -drop.ci_high,
        ci_high=None if drop.ci_low is None else -drop.ci_low,
        n=n,
    )
    sides = (reference, candidate) if higher_is_better else (candidate, reference)
    low, high = _bootstrap(sides, _ratio_of_means, seed=seed, resamples=resamples, paired=True)
    retention = Estimate(value=float(_ratio_of_means(*sides)), ci_low=low, ci_high=high, n=n)
    return {"drop": drop, "increase": increase, "retention": retention}


def point_deltas(reference: float, candidate: float, *, higher_is_better: bool) -> dict[str, Estimate]:
    """Paired deltas of two pooled scores (e.g. FVD), without CIs."""
    retention = candidate / reference if higher_is_better else reference / candidate
    return {
        "drop": Estimate(value=reference - candidate),
        "increase": Estimate(value=candidate - reference),
        "retention": Estimate(value=retention),
    }


def _mean(values: np.ndarray, axis: int = -1) -> np.ndarray:
    return np.mean(values, axis=axis)


def _ratio_of_means(denominator: np.ndarray, numerator: np.ndarray, axis: int = -1) -> np.ndarray:
    """Retention: the second sample's mean over the first's (the candidate's over the reference's, or the
    reverse for a lower-is-better metric)."""
    return _ratio(np.mean(numerator, axis=axis), np.mean(denominator, axis=axis))


def _ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """``numerator / denominator``, NaN (no retention) where the denominator is 0 (e.g. VMAF clamped at 0),
    without numpy's divide warning on the terminal."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(denominator == 0, np.nan, numerator / denominator)


def _bootstrap(
    samples: tuple[np.ndarray, ...], statistic, *, seed: int, resamples: int, paired: bool = False
) -> tuple[float | None, float | None]:
    if samples[0].size < 2 or resamples <= 0:
        return None, None
    if all(np.all(sample == sample[0]) for sample in samples):
        value = float(statistic(*samples, axis=-1))
        return value, value
    result = stats.bootstrap(
        samples,
        statistic,
        paired=paired,
        vectorized=True,
        n_resamples=resamples,
        confidence_level=CI_LEVEL,
        method="percentile",
        rng=np.random.default_rng(seed),
    )
    return float(result.confidence_interval.low), float(result.confidence_interval.high)


def _finite(values: np.ndarray) -> np.ndarray:
    values = np.asarray(values, dtype=np.float64)
    return values[np.isfinite(values)]
