import numpy as np
import pytest
import torch

from evalkit.metrics import MetricOptions, build_metric, build_metrics
from evalkit.metrics.factory import set_aside_for_clip_count
from evalkit.metrics.frechet import FeatureStats, frechet_distance
from evalkit.metrics.fvd import FVD, DetectorHashError, DetectorRefusedError, load_detector
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
def detector(fake_detector):
    return load_detector(fake_detector, sha256_file(fake_detector))


def fvd_metric(detector, fake_detector, **kwargs) -> FVD:
    return FVD(detector, sha256_file(fake_detector), **kwargs)


def test_stylegan_v_variant_feeds_0_255_with_rescale(detector, fake_detector):
    reference, candidate, ids = random_clip_pairs(6, frames=3, size=(16, 20))
    metric = fvd_metric(detector, fake_detector)
    metric.update(reference, candidate, ids)
    expected = reference_fvd(reference, candidate, to_input=lambda x: x, rescale=True, ddof=0)
    result = metric.compute()
    assert result["value"] == pytest.approx(expected, rel=1e-6)
    assert result["variant"] | {"detector_sha256": None} == {
        "name": "stylegan-v",
        "title": "StyleGAN-V",
        "input_range": "[0,255]",
        "rescale": True,
        "resize": True,
        "covariance": "biased",
        "standard": True,
        "backbone": "I3D (StyleGAN-V TorchScript, Kinetics-400 classifier)",
        "detector": "i3d_torchscript.pt",
        "detector_sha256": None,
        "return_features": True,
        "frames_per_clip": 3,
        "feature_dim": 400,
        "n_clips": 6,
        "frames": 3,
        "min_clips": 800,
        "comparable": False,
        "detector_trust": "unverified detector (sha256 pinned on first use)",
    }
    assert result["variant"]["detector_sha256"] == sha256_file(fake_detector)
    assert result["num_clips"] == 6
    assert result["extrapolated"] == {
        "available": False,
        "reason": "FVD∞ needs at least 800 clips per set (400 for the smallest subset, 2x that for the largest) "
        "with 400-dimensional features; this set has 6",
    }


def test_turbo_vaed_compat_variant_feeds_0_1_without_rescale(detector, fake_detector):
    reference, candidate, ids = random_clip_pairs(6, frames=3, size=(16, 20))
    metric = fvd_metric(detector, fake_detector, variant="turbo-vaed-compat")
    metric.update(reference, candidate, ids)
    expected = reference_fvd(reference, candidate, to_input=lambda x: x / 255.0, rescale=False, ddof=1)
    assert metric.compute()["value"] == pytest.approx(expected, rel=1e-6)
    assert metric.compute()["variant"]["standard"] is False


def test_streaming_and_merging_equal_one_shot(detector, fake_detector):
    reference, candidate, ids = random_clip_pairs(7, frames=2, size=(12, 12))
    one_shot = fvd_metric(detector, fake_detector)
    one_shot.update(reference, candidate, ids)
    streamed = fvd_metric(detector, fake_detector, clip_batch=2)
    streamed.update(reference[:1], candidate[:1], ids[:1])
    streamed.update(reference[1:4], candidate[1:4], ids[1:4])
    other_rank = fvd_metric(detector, fake_detector)
    other_rank.update(reference[4:], candidate[4:], ids[4:])
    streamed.merge(other_rank.state_dict())
    assert streamed.compute()["value"] == pytest.approx(one_shot.compute()["value"], rel=1e-6)  # float32 detector
    resumed = fvd_metric(detector, fake_detector)
    resumed.load_state_dict(streamed.state_dict())
    assert resumed.compute() == streamed.compute()
    with pytest.raises(ValueError, match="clip ids already added"):
        resumed.merge(other_rank)


def test_cached_reference_stats_give_the_same_value(detector, fake_detector):
    reference, candidate, ids = random_clip_pairs(5, frames=2, size=(12, 12))
    full = fvd_metric(detector, fake_detector)
    full.update(reference, candidate, ids)
    cached = FeatureStats.from_dict(full.reference_stats.to_dict())
    reused = fvd_metric(detector, fake_detector, reference_stats=cached)
    reused.update(None, candidate, ids)
    assert reused.compute()["value"] == pytest.approx(full.compute()["value"], rel=1e-12)
    with pytest.raises(ValueError, match="reference statistics were supplied"):
        reused.update(reference, candidate, ["x"] * 5)


def test_fvd_infinity_fits_paired_subsets_of_the_kept_features():
    rng = np.random.default_rng(5)
    reference, candidate = rng.normal(size=(40, 8)), rng.normal(loc=0.5, size=(40, 8))
    metric = FVD(torch.nn.Identity(), "sha")
    metric.update_features(torch.from_numpy(reference), torch.from_numpy(candidate), [str(i) for i in range(40)], 17)
    fit = metric.compute()["extrapolated"]
    assert fit["available"] is True
    assert fit["subset_sizes"] == [8, 13, 17, 22, 26, 31, 35, 40]  # 8 dims up to all 40 clips
    assert fit["subset_values"][-1] == pytest.approx(metric.compute()["value"], rel=1e-6)  # float32-kept features
    line = np.polyval([fit["slope"], fit["value"]], 1 / np.array(fit["subset_sizes"]))
    assert fit["fit_residual"] == pytest.approx(np.sqrt(np.mean((np.array(fit["subset_values"]) - line) ** 2)))
    cached = FVD(torch.nn.Identity(), "sha", reference_stats=FeatureStats.from_features(reference))
    cached.update_features(None, torch.from_numpy(candidate), [str(i) for i in range(40)], 17)
    assert cached.compute()["extrapolated"]["available"] is False


def test_three_way_runs_each_side_through_the_detector_once(detector, fake_detector):
    truth, teacher, ids = random_clip_pairs(6, frames=2, size=(12, 12), seed=1)
    student = (teacher.int() + 9).clamp(0, 255).to(torch.uint8)
    calls = []
    counting = torch.nn.Module()
    counting.forward = lambda x, **kw: calls.append(1) or detector(x, **kw)
    three_way = ThreeWay(FVD(counting, "sha", clip_batch=6))
    three_way.update(truth, teacher, student, ids)
    assert len(calls) == 3
    computed = three_way.compute()
    for comparison, (ref, cand) in {
        "teacher": (truth, teacher),
        "student": (truth, student),
        "student_vs_teacher": (teacher, student),
    }.items():
        single = FVD(detector, "sha", clip_batch=6)  # same detector batches: float32 features depend on batching
        single.update(ref, cand, ids)
        assert computed[comparison]["value"] == pytest.approx(single.compute()["value"], rel=1e-9)


def test_detector_with_wrong_hash_is_refused(fake_detector):
    with pytest.raises(DetectorHashError, match=r"refusing to load FVD detector .*i3d_torchscript.pt: its sha256 is"):
        load_detector(fake_detector, "0" * 64)


def test_detector_without_400_features_is_refused_and_fvd_made_unavailable(tmp_path):
    wrong = tmp_path / "i3d_torchscript.pt"
    save_scripted(wrong, dim=12)
    message = r"refusing FVD detector .*i3d_torchscript.pt: it maps a \(1, 3, 16, 224, 224\) probe to \(1, 12\), "
    message += r"not \(1, 400\) features"
    with pytest.raises(DetectorRefusedError, match=message):
        load_detector(wrong, sha256_file(wrong))
    built, unavailable = build_metrics(["fvd"], MetricOptions(fvd_detector=str(wrong)))
    assert built == {}
    assert "not (1, 400) features" in unavailable["fvd"].reason
    assert unavailable["fvd"].fetch == "evalkit weights fetch i3d-torchscript"


@pytest.mark.parametrize(
    ("variant", "clips", "reason"),
    [
        ("turbo-vaed-compat", 1, "FVD (turbo-vaed-compat) needs at least 2 clips per set; the manifest has 1"),
        ("stylegan-v", 0, "FVD (stylegan-v) needs at least 1 clips per set; the manifest has 0"),
    ],
)
def test_a_variant_short_of_clips_is_set_aside_before_decoding(fake_detector, variant, clips, reason):
    built, unavailable = build_metrics(
        ["psnr", "fvd"], MetricOptions(fvd_detector=str(fake_detector), fvd_variant=variant)
    )
    set_aside_for_clip_count(built, unavailable, clips)
    assert list(built) == ["psnr"]
    assert unavailable["fvd"].reason == reason


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
