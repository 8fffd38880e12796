"""Teacher wrappers on tiny random diffusers VAEs (released compression, 8-channel blocks): shapes, checks, latents."""

import pytest
import torch
from safetensors.torch import load_file, save_file

from evalkit.models.checkpoint import CheckpointMismatchError
from evalkit.models.teachers import (
    TEACHER_FAMILIES,
    TeacherVAE,
    count_teacher_parameters,
    denormalize_pipeline_latents,
    load_teacher,
)

FAMILIES = ["ltx", "hunyuan", "cogvideox", "wan"]


@pytest.fixture(autouse=True)
def _offline(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("EVALKIT_OFFLINE", "1")


def tiny_teacher(key: str, **kwargs):
    family = TEACHER_FAMILIES.get(key)
    return load_teacher(family, weights_folder=None, config=family.tiny_config, **kwargs)


def clip(frames: int, size: int, seed: int = 0) -> torch.Tensor:
    return torch.rand(1, 3, frames, size, size, generator=torch.Generator().manual_seed(seed)) * 2 - 1


# (frames, size) of the smallest valid clip, and the expected latent shape (C, t, h, w)
SMALLEST = {
    "ltx": (9, 32, (128, 2, 1, 1)),
    "hunyuan": (5, 16, (16, 2, 2, 2)),
    "cogvideox": (9, 16, (16, 3, 2, 2)),
    "wan": (5, 16, (16, 2, 2, 2)),
}


@pytest.mark.parametrize("key", FAMILIES)
def test_encode_decode_shape_contract(key):
    teacher = tiny_teacher(key)
    frames, size, latent_shape = SMALLEST[key]
    x = clip(frames, size)
    z = teacher.encode(x)
    assert tuple(z.shape) == (1, *latent_shape)
    assert z.shape[1] == teacher.latent_channels
    assert tuple(teacher.decode(z).shape) == tuple(x.shape)


@pytest.mark.parametrize(
    ("key", "frames", "message"),
    [
        ("ltx", 16, "LTX needs 8k+1 frames, got 16; use --num-frames 17"),
        ("hunyuan", 8, "HunyuanVideo needs 4k+1 frames, got 8; use --num-frames 9"),
        ("cogvideox", 13, "CogVideoX needs 8k+1 frames, got 13; use --num-frames 17"),
        ("wan", 6, "Wan needs 4k+1 frames, got 6; use --num-frames 9"),
    ],
)
def test_wrong_frame_count_is_rejected_with_the_fix(key, frames, message):
    teacher = tiny_teacher(key)
    with pytest.raises(ValueError, match=f"^{message}$".replace("+", r"\+")):
        teacher.encode(clip(frames, 32))


@pytest.mark.parametrize(("key", "multiple"), [("ltx", 32), ("hunyuan", 8), ("cogvideox", 8), ("wan", 8)])
def test_odd_size_is_rejected_naming_the_spatial_multiple(key, multiple):
    teacher = tiny_teacher(key)
    with pytest.raises(ValueError, match=f"needs height and width that are multiples of {multiple}, got 36x36"):
        teacher.check_size(36, 36)
    teacher.check_size(multiple, 2 * multiple)


def test_non_video_input_is_rejected():
    with pytest.raises(ValueError, match=r"expected pixels shaped \(B, 3, T, H, W\), got \(3, 9, 32, 32\)"):
        tiny_teacher("ltx").encode(torch.zeros(3, 9, 32, 32))


def test_posterior_mode_is_deterministic_and_equals_the_distribution_mode():
    teacher = tiny_teacher("hunyuan")
    x = clip(5, 16)
    z = teacher.encode(x)
    assert torch.equal(z, teacher.encode(x))
    assert torch.equal(z, teacher.vae.encode(x).latent_dist.mode())


def test_posterior_sample_is_seeded_and_reproducible():
    vae = tiny_teacher("hunyuan").vae
    family = TEACHER_FAMILIES.get("hunyuan")
    x = clip(5, 16)
    mode = TeacherVAE(family, vae).encode(x)
    first = TeacherVAE(family, vae, posterior="sample", seed=7)
    a = first.encode(x)
    assert torch.equal(a, TeacherVAE(family, vae, posterior="sample", seed=7).encode(x))
    assert not torch.equal(a, TeacherVAE(family, vae, posterior="sample", seed=8).encode(x))
    assert not torch.equal(a, mode)
    assert not torch.equal(a, first.encode(x))  # the generator advances
    with_generator = first.encode(x, generator=torch.Generator().manual_seed(3))
    assert torch.equal(with_generator, first.encode(x, generator=torch.Generator().manual_seed(3)))


def test_unknown_posterior_is_rejected():
    with pytest.raises(ValueError, match="posterior must be one of \\('mode', 'sample'\\), got 'mean'"):
        tiny_teacher("hunyuan", posterior="mean")


def test_random_weights_are_reproducible_from_the_seed():
    a = tiny_teacher("wan", seed=1).vae.state_dict()
    b = tiny_teacher("wan", seed=1).vae.state_dict()
    c = tiny_teacher("wan", seed=2).vae.state_dict()
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert not all(torch.equal(a[k], c[k]) for k in a)


def test_ltx_with_timestep_conditioning_is_refused():
    family = TEACHER_FAMILIES.get("ltx")
    config = {**family.tiny_config, "timestep_conditioning": True}
    with pytest.raises(ValueError, match=r"looks like an LTX-Video 0.9.1-or-later VAE \(its config sets timestep_cond"):
        load_teacher(family, weights_folder=None, config=config)


def test_ltx_folder_with_later_release_keys_names_the_release_and_the_spec(tmp_path):
    """A 0.9.1+ (timestep-conditioned) state dict behind a 0.9.0 config.json is named before diffusers loads it."""
    family = TEACHER_FAMILIES.get("ltx")
    vae = load_teacher(family, weights_folder=None, config=family.tiny_config).vae
    vae.save_pretrained(tmp_path)
    weights = tmp_path / "diffusion_pytorch_model.safetensors"
    state = load_file(str(weights))
    save_file({**state, "decoder.time_embedder.timestep_embedder.linear_1.weight": torch.zeros(4, 4)}, str(weights))
    with pytest.raises(CheckpointMismatchError) as refused:
        load_teacher(family, weights_folder=tmp_path)
    message = str(refused.value)
    assert f"{weights}: looks like an LTX-Video 0.9.1-or-later VAE (it has the key decoder.time_embedder." in message
    assert "the ltx decoders build the LTX-Video 0.9.0 layout" in message
    assert "Use the ltx-vae spec (`evalkit weights fetch ltx-vae`)" in message


def test_denormalize_ltx_uses_the_checkpoint_buffers():
    teacher = tiny_teacher("ltx")
    mean = torch.linspace(-1, 1, 128)
    std = torch.linspace(0.5, 2, 128)
    teacher.vae.latents_mean.copy_(mean)
    teacher.vae.latents_std.copy_(std)
    z = torch.randn(1, 128, 2, 1, 1)
    expected = z * std.view(1, -1, 1, 1, 1) + mean.view(1, -1, 1, 1, 1)
    torch.testing.assert_close(denormalize_pipeline_latents(teacher.family, z, teacher), expected)


@pytest.mark.parametrize(("key", "factor"), [("hunyuan", 0.476986), ("cogvideox", 0.7)])
def test_denormalize_scaled_teachers_divide_by_the_scaling_factor(key, factor):
    teacher = tiny_teacher(key)
    z = torch.randn(1, 16, 2, 2, 2)
    torch.testing.assert_close(denormalize_pipeline_latents(teacher.family, z, teacher), z / factor)


def test_denormalize_wan_uses_the_config_mean_and_std():
    teacher = tiny_teacher("wan")
    z = torch.ones(1, 16, 1, 1, 1)
    out = denormalize_pipeline_latents(teacher.family, z, teacher).flatten()
    assert out[0].item() == pytest.approx(2.8184 - 0.7571)
    assert out[15].item() == pytest.approx(1.916 - 0.2921)


@pytest.mark.parametrize(
    ("key", "decoder_params"),
    [("ltx", 238_789_296), ("hunyuan", 146_136_339), ("cogvideox", 123_368_451), ("wan", 73_295_603)],
)
def test_released_config_parameter_counts_on_meta_device(key, decoder_params):
    assert count_teacher_parameters(TEACHER_FAMILIES.get(key))["decoder"] == decoder_params
