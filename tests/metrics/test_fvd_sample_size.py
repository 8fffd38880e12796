import numpy as np
import pytest

from evalkit.metrics.frechet import FeatureStats, frechet_distance
from evalkit.metrics.fvd_sample_size import (
    MIN_CLIPS,
    TooFewClipsError,
    extrapolate,
    min_clips_for_extrapolation,
    sample_size_fields,
    subset_sizes,
)

DIM = 8
SHIFT = np.full(DIM, 0.25)
VAR1 = np.linspace(0.5, 2.0, DIM)
VAR2 = np.linspace(2.0, 0.5, DIM)
TRUE_DISTANCE = SHIFT @ SHIFT + np.sum((np.sqrt(VAR1) - np.sqrt(VAR2)) ** 2)  # closed form, diagonal covariances
CLIPS = 64
SEEDS = 200


def samples(seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.normal(size=(CLIPS, DIM)) * np.sqrt(VAR1), SHIFT + rng.normal(size=(CLIPS, DIM)) * np.sqrt(VAR2)


def test_fvd_infinity_recovers_the_closed_form_distance_where_plain_fvd_is_biased():
    """Tolerance: 3 standard errors of the mean over SEEDS independent draws (99.7% if FVD∞ is unbiased),
    from the spread the test itself measures (about 0.15, 7% of the true 2.17); plain FVD at the same N
    misses the truth by more than 3 tolerances."""
    extrapolated, plain = [], []
    for seed in range(SEEDS):
        reference, candidate = samples(seed)
        extrapolated.append(extrapolate(reference, candidate, "biased", seed=seed).value)
        stats = [FeatureStats.from_features(x).mean_cov("biased") for x in (reference, candidate)]
        plain.append(frechet_distance(*stats[0], *stats[1]))
    tolerance = 3 * np.std(extrapolated, ddof=1) / np.sqrt(SEEDS)
    assert abs(np.mean(extrapolated) - TRUE_DISTANCE) < tolerance
    assert np.mean(plain) - TRUE_DISTANCE > 3 * tolerance  # the bias FVD∞ removes: about tr(S1 + S2) / N


def test_fvd_infinity_of_two_samples_of_one_gaussian_is_near_zero():
    rng = np.random.default_rng(3)
    values = [extrapolate(*rng.normal(size=(2, CLIPS, DIM)), "biased", seed=0).value for _ in range(SEEDS)]
    assert abs(np.mean(values)) < 3 * np.std(values, ddof=1) / np.sqrt(SEEDS)


def test_subset_sizes_span_from_the_linear_regime_to_all_clips():
    needed = min_clips_for_extrapolation(DIM)
    sizes = subset_sizes(CLIPS, DIM)
    assert sizes[0] == needed // 2
    assert sizes[-1] == CLIPS
    assert len(sizes) == 8
    with pytest.raises(
        TooFewClipsError, match=rf"FVD∞ needs at least {needed} clips per set .* this set has {needed - 1}"
    ):
        subset_sizes(needed - 1, DIM)


def test_sample_size_fields_mark_small_sets_not_comparable():
    assert sample_size_fields(MIN_CLIPS - 1, 17) == {
        "n_clips": MIN_CLIPS - 1,
        "frames": 17,
        "min_clips": MIN_CLIPS,
        "comparable": False,
    }
    assert sample_size_fields(MIN_CLIPS, 16)["comparable"] is True
