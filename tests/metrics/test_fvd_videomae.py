"""Content-debiased FVD: the Fréchet distance on VideoMAE features, with a tiny random checkpoint built offline."""

import socket

import pytest
import torch

from evalkit.metrics import MetricOptions, build_metric, build_metrics
from evalkit.metrics.fvd_sample_size import sample_size_fields
from evalkit.weights import sha256_file

from .helpers import random_clip_pairs
from .tiny_videomae import IMAGE_MEAN, IMAGE_STD, TINY_HIDDEN, save_tiny_videomae


@pytest.fixture(scope="module")
def videomae_folder(tmp_path_factory):
    return save_tiny_videomae(tmp_path_factory.mktemp("videomae"))


@pytest.fixture
def videomae_fvd(videomae_folder, offline):
    return build_metric("fvd", MetricOptions(fvd_variant="videomae", fvd_detector=str(videomae_folder)))


def test_features_are_the_mean_token_of_16_evenly_spaced_frames(videomae_fvd):
    clips31, _, _ = random_clip_pairs(2, frames=31, size=(24, 40))
    features = videomae_fvd.features(clips31)
    assert features.shape == (2, TINY_HIDDEN)
    assert features.dtype == torch.float64
    # round(linspace(0, 30, 16)) = 0, 2, ..., 30: the 16 even frames are exactly what the model sees
    assert torch.equal(videomae_fvd.features(clips31[:, ::2].contiguous()), features)
    reversed_order = videomae_fvd.features(clips31.flip(1).contiguous())
    assert (reversed_order - features).abs().max() > 1e-3  # frame order reaches the features
    detector = videomae_fvd.detector
    assert detector.mean.flatten().tolist() == pytest.approx(IMAGE_MEAN)
    assert detector.std.flatten().tolist() == pytest.approx(IMAGE_STD)


def test_fvd_of_a_set_with_itself_is_zero_and_of_a_shifted_set_positive(videomae_fvd):
    reference, _, ids = random_clip_pairs(40, frames=9, size=(24, 32))
    shifted = (reference.int() + 60).clamp(0, 255).to(torch.uint8)
    same, moved = videomae_fvd.fresh(), videomae_fvd.fresh()
    same.update(reference, reference, ids)
    moved.update(reference, shifted, ids)
    assert abs(same.compute()["value"]) < 1e-6
    assert moved.compute()["value"] > 1.0  # 12.3 with this seed; the self-distance is ~2e-16


def test_every_fvd_names_its_videomae_backbone_and_minimum(videomae_fvd, videomae_folder):
    reference, candidate, ids = random_clip_pairs(3, frames=9, size=(24, 32))
    videomae_fvd.update(reference, candidate, ids)
    variant = videomae_fvd.compute()["variant"]
    assert variant["name"] == "videomae"
    assert variant["backbone"] == "VideoMAE v1 ViT-B (MCG-NJU/videomae-base, self-supervised on Kinetics-400)"
    assert variant["detector_input"].startswith("16 frames evenly spaced over the clip, resized to 32²")
    assert "mean of the last hidden state" in variant["detector_input"]
    assert variant["detector_sha256"] == sha256_file(videomae_folder / "model.safetensors")
    assert (variant["feature_dim"], variant["min_clips"], variant["comparable"]) == (TINY_HIDDEN, 64, False)
    assert variant["detector_trust"].startswith("sha256 recorded on load")


def test_the_minimum_n_follows_the_feature_dimension():
    assert sample_size_fields(1536, 16, 768) == {"n_clips": 1536, "frames": 16, "min_clips": 1536, "comparable": True}
    assert sample_size_fields(1535, 16, 768)["comparable"] is False
    assert sample_size_fields(800, 17)["min_clips"] == 800  # I3D's 400 features


def test_missing_videomae_weights_make_fvd_unavailable_without_touching_the_network(offline, monkeypatch):
    def no_socket(*args, **kwargs):
        raise AssertionError("a socket was opened")

    monkeypatch.setattr(socket, "socket", no_socket)
    monkeypatch.setattr("huggingface_hub.constants.HF_HUB_CACHE", str(offline / "hf-cache"))
    built, unavailable = build_metrics(["psnr", "fvd"], MetricOptions(fvd_variant="videomae"))
    assert list(built) == ["psnr"]
    assert unavailable["fvd"].fetch == "evalkit weights fetch videomae-base"
    assert "model.safetensors" in unavailable["fvd"].reason


def test_a_folder_without_the_preprocessor_config_is_unavailable(tmp_path, offline):
    folder = save_tiny_videomae(tmp_path / "videomae")
    (folder / "preprocessor_config.json").unlink()
    weights = str(folder / "model.safetensors")
    built, unavailable = build_metrics(["fvd"], MetricOptions(fvd_variant="videomae", fvd_detector=weights))
    assert built == {}
    assert "lacks preprocessor_config.json" in unavailable["fvd"].reason
    assert unavailable["fvd"].fetch == "evalkit weights fetch videomae-base"
