"""build_pair: names, weight resolution (never a silent random fallback), provenance and the latent contract."""


import pytest
import torch

from evalkit.models.registry import DECODERS, build_pair, denormalize_pipeline_latents
from evalkit.models.teachers import TEACHER_FAMILIES
from evalkit.weights import WeightsUnavailable, sha256_file

pytestmark = pytest.mark.usefixtures("isolated_caches")


def tiny(key: str) -> dict:
    return TEACHER_FAMILIES.get(key).tiny_config


def test_registered_names():
    for name in ("ltx", "hunyuan", "cogvideox", "wan", "turbo-ltx", "turbo-hunyuan", "turbo-cog", "turbo-dc"):
        assert name in DECODERS
    assert DECODERS.get("turbo-ltx").teacher == "ltx"
    assert DECODERS.get("turbo-cog").student_weights == "turbo-vaed-cog"
    assert DECODERS.get("wan").student_preset is None
    assert "not released" in DECODERS.get("turbo-dc").teacher_unavailable


def test_unknown_name_lists_choices():
    with pytest.raises(KeyError, match="unknown decoder 'turbo-foo'; choose one of: cogvideox, demo, hunyuan, ltx"):
        build_pair("turbo-foo")


@pytest.mark.parametrize("name", ["ltx", "turbo-ltx", "wan"])
def test_missing_teacher_weights_raise_with_the_fetch_command(name):
    with pytest.raises(WeightsUnavailable) as info:
        build_pair(name)
    family = TEACHER_FAMILIES.get(DECODERS.get(name).teacher)
    assert f"evalkit weights fetch {family.weights}" in str(info.value)


def test_bad_init_and_posterior_are_rejected():
    with pytest.raises(ValueError, match="init must be one of pretrained, random; got 'zeros'"):
        build_pair("ltx", init="zeros")
    with pytest.raises(ValueError, match="posterior must be one of mode, sample; got 'mean'"):
        build_pair("ltx", init="random", posterior="mean")


def test_random_teacher_only_pair_is_stamped_and_described():
    pair = build_pair("wan", init="random", teacher_config=tiny("wan"), posterior="sample", seed=3)
    assert pair.random_weights is True
    assert pair.student is None
    assert pair.info["init"] == "random"
    assert pair.info["posterior"] == "sample"
    assert pair.info["seed"] == 3
    assert pair.info["teacher_weights"] is None
    assert pair.info["teacher"] == {
        "class": "AutoencoderKLWan",
        "latent_channels": 16,
        "spatial_compression": 8,
        "temporal_compression": 4,
        "frame_rule": "4k+1",
    }
    assert pair.info["pipeline_latents"]["kind"] == "config_mean_std"
    with pytest.raises(ValueError, match="Wan needs 4k\\+1 frames, got 8; use --num-frames 9"):
        pair.check_frames(8)


def test_random_init_refuses_weight_paths(tmp_path):
    with pytest.raises(ValueError, match="given with init='random'"):
        build_pair("hunyuan", init="random", teacher_weights=tmp_path)


def test_pretrained_teacher_from_a_local_folder_records_its_sha256(tmp_path):
    reference = build_pair("hunyuan", init="random", teacher_config=tiny("hunyuan"), seed=5).teacher
    folder = tmp_path / "hunyuan_vae"
    reference.vae.save_pretrained(folder)
    pair = build_pair("hunyuan", teacher_weights=folder)
    weights = folder / "diffusion_pytorch_model.safetensors"
    assert pair.random_weights is False
    assert pair.info["teacher_weights"] == {
        "path": str(weights),
        "sha256": sha256_file(weights),
        "source": "explicit",
        "name": "hunyuan-vae",
        "revision": None,  # not from the Hub
        "revision_pinned": False,
    }
    x = torch.rand(1, 3, 5, 16, 16) * 2 - 1
    torch.testing.assert_close(pair.teacher.encode(x), reference.encode(x), rtol=0, atol=0)


def test_pretrained_teacher_is_found_in_the_evalkit_cache(isolated_caches):
    teacher = build_pair("cogvideox", init="random", teacher_config=tiny("cogvideox")).teacher
    teacher.vae.save_pretrained(isolated_caches / "evalkit" / "weights" / "cogvideox-vae")
    pair = build_pair("cogvideox")
    assert pair.info["teacher_weights"]["source"] == "cache"
    assert pair.teacher.vae.config.scaling_factor == 0.7


def test_denormalize_by_decoder_name():
    pair = build_pair("hunyuan", init="random", teacher_config=tiny("hunyuan"))
    z = torch.randn(1, 16, 1, 2, 2)
    torch.testing.assert_close(denormalize_pipeline_latents("turbo-hunyuan", z, pair.teacher), z / 0.476986)
    with pytest.raises(ValueError, match="turbo-dc: pipeline latents cannot be mapped back"):
        denormalize_pipeline_latents("turbo-dc", z, pair.teacher)


def test_teacher_weights_under_another_file_name_are_refused(tmp_path):
    teacher = build_pair("hunyuan", init="random", teacher_config=tiny("hunyuan")).teacher
    teacher.vae.save_pretrained(tmp_path)
    renamed = tmp_path / "vae.safetensors"
    (tmp_path / "diffusion_pytorch_model.safetensors").rename(renamed)
    with pytest.raises(ValueError, match="must be a diffusers folder with config.json and diffusion_pytorch_model"):
        build_pair("hunyuan", teacher_weights=renamed)
