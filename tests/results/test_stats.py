import numpy as np
import pytest

from evalkit.results.stats import mean_estimate, paired_estimates, point_deltas


def test_mean_ci_matches_normal_approximation():
    values = np.random.default_rng(1).normal(30.0, 2.0, 400)
    est = mean_estimate(values, seed=0)
    half_width = 1.96 * values.std(ddof=1) / np.sqrt(values.size)
    assert est.value == values.mean()
    assert est.n == 400
    assert abs((est.ci_high - est.ci_low) / 2 - half_width) < 0.1 * half_width
    assert est.ci_low < est.value < est.ci_high


def test_mean_ignores_nan_and_gives_no_ci_for_one_value():
    est = mean_estimate(np.array([2.0, np.nan]), seed=0)
    assert (est.value, est.ci_low, est.ci_high, est.n) == (2.0, None, None, 1)


def test_paired_deltas_golden_values():
    teacher = np.array([30.0, 32.0, 34.0, np.nan])
    student = np.array([29.0, 31.5, 33.0, 20.0])
    deltas = paired_estimates(teacher, student, higher_is_better=True, seed=0, resamples=500)
    assert deltas["drop"].value == (1.0 + 0.5 + 1.0) / 3
    assert deltas["increase"].value == -deltas["drop"].value
    assert (deltas["increase"].ci_low, deltas["increase"].ci_high) == (-deltas["drop"].ci_high, -deltas["drop"].ci_low)
    assert deltas["retention"].value == (29.0 + 31.5 + 33.0) / (30.0 + 32.0 + 34.0)
    assert deltas["drop"].n == 3
    assert 0.5 <= deltas["drop"].ci_low <= deltas["drop"].ci_high <= 1.0


def test_lower_is_better_retention_is_reference_over_student():
    deltas = paired_estimates(np.array([0.1, 0.1]), np.array([0.2, 0.2]), higher_is_better=False, seed=0)
    assert deltas["retention"].value == 0.5
    assert deltas["retention"].ci_low == deltas["retention"].ci_high == 0.5
    assert point_deltas(100.0, 125.0, higher_is_better=False)["retention"].value == 0.8
    assert point_deltas(100.0, 125.0, higher_is_better=False)["increase"].value == 25.0


def test_retention_of_a_zero_reference_is_nan_without_a_divide_warning():
    import warnings

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        zero = paired_estimates(np.zeros(3), np.array([1.0, 2.0, 3.0]), higher_is_better=True, seed=0, resamples=50)
    assert not [w for w in caught if "divide" in str(w.message) or "invalid value" in str(w.message)]
    assert np.isnan(zero["retention"].value)
    assert zero["increase"].value == pytest.approx(2.0)
