import numpy as np
import pytest
import torch

from evalkit.metrics import MetricOptions, build_metric, build_metrics
from evalkit.metrics.frechet import FeatureStats, frechet_distance
from evalkit.metrics.fvd import FVD, DetectorHashError, load_detector
from evalkit.metrics.three_way import ThreeWay
from evalkit.weights import WeightsUnavailable, sha256_file

from .fake_i3d import FakeI3D, save_scripted
from .helpers import random_clip_pairs


def reference_fvd(reference, candidate, *, to_input, rescale, ddof):
    """FVD computed directly: the stand-in detector on the given input convention, numpy mean/cov, Fréchet."""
    detector = FakeI3D()

    def feats(clips):
        return detector(to_input(clips.permute(0, 4, 1, 2, 3).float()), rescale, True, True).double().numpy()

    stats = [(f.mean(axis=0), np.cov(f, rowvar=False, ddof=ddof)) for f in (feats(reference), feats(candidate))]
    return frechet_distance(*stats[0], *stats[1])


@pytest.fixture
def detector(fake_detector_file):
    return load_detector(fake_detector_file, sha256_file(fake_detector_file))


def fvd_metric(detector, fake_detector_file, **kwargs) -> FVD:
    return FVD(detector, sha256_file(fake_detector_file), **kwargs)


def test_stylegan_v_variant_feeds_0_255_with_rescale(detector, fake_detector_file):
    reference, candidate, ids = random_clip_pairs(6, frames=3, size=(16, 20))
    metric = fvd_metric(detector, fake_detector_file)
    metric.update(reference, candidate, ids)
    expected = reference_fvd(reference, candidate, to_input=lambda x: x, rescale=True, ddof=0)
    result = metric.compute()
    assert result["value"] == pytest.approx(expected, rel=1e-6)
    assert result["variant"] | {"detector_sha256": None} == {
        "name": "stylegan-v",
        "input_range": "[0,255]",
        "rescale": True,
        "resize": True,
        "covariance": "biased",
        "standard": True,
        "detector": "i3d_torchscript.pt",
        "detector_sha256": None,
        "return_features": True,
        "frames_per_clip": 3,
    }
    assert result["variant"]["detector_sha256"] == sha256_file(fake_detector_file)
    assert result["num_clips"] == 6
    assert result["uncertainty"] == "point estimate (no bootstrap)"


def test_turbo_vaed_compat_variant_feeds_0_1_without_rescale(detector, fake_detector_file):
    reference, candidate, ids = random_clip_pairs(6, frames=3, size=(16, 20))
    metric = fvd_metric(detector, fake_detector_file, variant="turbo-vaed-compat")
    metric.update(reference, candidate, ids)
    expected = reference_fvd(reference, candidate, to_input=lambda x: x / 255.0, rescale=False, ddof=1)
    assert metric.compute()["value"] == pytest.approx(expected, rel=1e-6)
    assert metric.compute()["variant"]["standard"] is False


def test_streaming_and_merging_equal_one_shot(detector, fake_detector_file):
    reference, candidate, ids = random_clip_pairs(7, frames=2, size=(12, 12))
    one_shot = fvd_metric(detector, fake_detector_file)
    one_shot.update(reference, candidate, ids)
    streamed = fvd_metric(detector, fake_detector_file, clip_batch=2)
    streamed.update(reference[:1], candidate[:1], ids[:1])
    streamed.update(reference[1:4], candidate[1:4], ids[1:4])
    other_rank = fvd_metric(detector, fake_detector_file)
    other_rank.update(reference[4:], candidate[4:], ids[4:])
    streamed.merge(other_rank.state_dict())
    assert streamed.compute()["value"] == pytest.approx(one_shot.compute()["value"], rel=1e-6)  # float32 detector
    resumed = fvd_metric(detector, fake_detector_file)
    resumed.load_state_dict(streamed.state_dict())
    assert resumed.compute() == streamed.compute()
    with pytest.raises(ValueError, match="clip ids already added"):
        resumed.merge(other_rank)


def test_cached_reference_stats_give_the_same_value(detector, fake_detector_file):
    reference, candidate, ids = random_clip_pairs(5, frames=2, size=(12, 12))
    full = fvd_metric(detector, fake_detector_file)
    full.update(reference, candidate, ids)
    cached = FeatureStats.from_dict(full.reference_stats.to_dict())
    reused = fvd_metric(detector, fake_detector_file, reference_stats=cached)
    reused.update(None, candidate, ids)
    assert reused.compute()["value"] == pytest.approx(full.compute()["value"], rel=1e-12)
    with pytest.raises(ValueError, match="reference statistics were supplied"):
        reused.update(reference, candidate, ["x"] * 5)


def test_bootstrap_is_seeded_and_brackets_the_estimate(detector, fake_detector_file):
    reference, candidate, ids = random_clip_pairs(20, frames=2, size=(12, 12))
    metric = fvd_metric(detector, fake_detector_file, keep_features=True)
    metric.update(reference, candidate, ids)
    low, high = metric.bootstrap_ci(resamples=30, seed=3)
    assert (low, high) == metric.bootstrap_ci(resamples=30, seed=3)
    assert low < high
    assert (low, high) != metric.bootstrap_ci(resamples=30, seed=4)
    with pytest.raises(ValueError, match="keep_features=True"):
        fvd_metric(detector, fake_detector_file).bootstrap_ci()


def test_three_way_runs_each_side_through_the_detector_once(detector, fake_detector_file):
    truth, teacher, ids = random_clip_pairs(6, frames=2, size=(12, 12), seed=1)
    student = (teacher.int() + 9).clamp(0, 255).to(torch.uint8)
    calls = []
    counting = torch.nn.Module()
    counting.forward = lambda x, **kw: calls.append(1) or detector(x, **kw)
    three_way = ThreeWay(FVD(counting, "sha", clip_batch=6))
    three_way.update(truth, teacher, student, ids)
    assert len(calls) == 3
    for comparison, (ref, cand) in {
        "teacher": (truth, teacher),
        "student": (truth, student),
        "student_vs_teacher": (teacher, student),
    }.items():
        single = FVD(detector, "sha", clip_batch=6)  # same detector batches: float32 features depend on batching
        single.update(ref, cand, ids)
        assert three_way.compute()[comparison]["value"] == pytest.approx(single.compute()["value"], rel=1e-9)


def test_detector_with_wrong_hash_is_refused(fake_detector_file):
    with pytest.raises(DetectorHashError, match=r"refusing to load FVD detector .*i3d_torchscript.pt: its sha256 is"):
        load_detector(fake_detector_file, "0" * 64)


def test_resolver_pins_the_detector_and_refuses_a_changed_file(offline, monkeypatch):
    cached = offline / "evalkit-cache" / "weights" / "i3d-torchscript" / "i3d_torchscript.pt"
    cached.parent.mkdir(parents=True)
    save_scripted(cached, seed=0)
    first = build_metric("fvd", MetricOptions(allow_download=False))
    assert first.detector_sha256 == sha256_file(cached)
    save_scripted(cached, seed=1)
    with pytest.raises(
        WeightsUnavailable,
        match=r"refusing .*i3d_torchscript.pt: its sha256 \w+ differs from the sha256 \w+ pinned in .*pins.json",
    ):
        build_metric("fvd", MetricOptions(allow_download=False))
    explicit = build_metric("fvd", MetricOptions(fvd_detector=str(cached)))
    assert explicit.detector_sha256 == sha256_file(cached) != first.detector_sha256


def test_missing_detector_makes_fvd_unavailable(offline):
    built, unavailable = build_metrics(["psnr", "fvd"], MetricOptions())
    assert list(built) == ["psnr"]
    assert unavailable["fvd"].fetch == "evalkit weights fetch i3d-torchscript"
    assert "i3d_torchscript.pt" in unavailable["fvd"].reason
