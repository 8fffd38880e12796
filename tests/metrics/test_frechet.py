import numpy as np
import pytest
from pytorch_fid.fid_score import calculate_frechet_distance

from evalkit.metrics.frechet import FeatureStats, frechet_distance


def test_standard_normal_against_shifted_mean_is_squared_norm():
    mu = np.array([1.0, -2.0, 0.5, 3.0])
    eye = np.eye(4)
    assert frechet_distance(np.zeros(4), eye, mu, eye) == pytest.approx(mu @ mu, rel=1e-6)


def test_diagonal_covariances_closed_form():
    var1, var2 = np.array([1.0, 4.0, 0.25]), np.array([9.0, 1.0, 0.25])
    mu1, mu2 = np.array([0.0, 1.0, 2.0]), np.array([1.0, 1.0, 0.0])
    expected = np.sum((mu1 - mu2) ** 2) + np.sum((np.sqrt(var1) - np.sqrt(var2)) ** 2)
    assert frechet_distance(mu1, np.diag(var1), mu2, np.diag(var2)) == pytest.approx(expected, rel=1e-6)


@pytest.mark.parametrize("num_samples", [200, 20])  # 20 < 32 dims: singular covariances
def test_equals_pytorch_fid_on_random_features(num_samples):
    rng = np.random.default_rng(1)
    feats1 = rng.normal(size=(num_samples, 32))
    feats2 = rng.normal(loc=0.3, scale=1.5, size=(num_samples, 32))
    stats = [(f.mean(axis=0), np.cov(f, rowvar=False)) for f in (feats1, feats2)]
    expected = calculate_frechet_distance(*stats[0], *stats[1])
    assert frechet_distance(*stats[0], *stats[1]) == pytest.approx(expected, rel=1e-6)


@pytest.mark.parametrize(("covariance", "ddof"), [("biased", 0), ("unbiased", 1)])
def test_streamed_stats_equal_numpy_in_any_split(covariance, ddof):
    features = np.random.default_rng(2).normal(size=(23, 5))
    stats = FeatureStats()
    for chunk in np.split(features, [3, 4, 15]):
        stats.add(chunk)
    other = FeatureStats.from_features(features[:10])
    other.merge(FeatureStats.from_features(features[10:]))
    for streamed in (stats, FeatureStats.from_dict(other.to_dict())):
        mean, cov = streamed.mean_cov(covariance)
        np.testing.assert_allclose(mean, features.mean(axis=0), rtol=1e-12)
        np.testing.assert_allclose(cov, np.cov(features, rowvar=False, ddof=ddof), rtol=1e-10, atol=1e-12)


def test_errors_name_the_problem():
    with pytest.raises(ValueError, match="need at least 2 feature vectors for a unbiased covariance, got 1"):
        FeatureStats.from_features(np.zeros((1, 3))).mean_cov("unbiased")
    with pytest.raises(ValueError, match="feature dimension 4 differs from the accumulated 3"):
        FeatureStats.from_features(np.zeros((2, 3))).add(np.zeros((2, 4)))
    with pytest.raises(ValueError, match="shapes do not match"):
        frechet_distance(np.zeros(3), np.eye(3), np.zeros(2), np.eye(2))
