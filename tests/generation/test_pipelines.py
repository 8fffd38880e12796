"""Pipeline families: each pipeline's latent layout back to (B, C, t, h, w), defaults, class check, missing extra."""

from __future__ import annotations

import importlib.util
from types import SimpleNamespace

import pytest
import torch

from evalkit.generation import PIPELINES, GenerationSettings
from evalkit.generation.pipelines import check_pipeline, require_generation_extra


def test_every_teacher_with_a_student_has_a_pipeline():
    assert {key: PIPELINES.get(key).class_name for key in PIPELINES.names()} == {
        "cogvideox": "CogVideoXPipeline",
        "hunyuan": "HunyuanVideoPipeline",
        "ltx": "LTXPipeline",
        "wan": "WanPipeline",
    }


def test_ltx_unpacking_inverts_the_pipelines_packing():
    """LTX-Video transformers use patch size 1 (the pipeline's own unpacking assumes it)."""
    from diffusers import LTXPipeline

    patch = patch_t = 1

    latents = torch.randn(2, 8, 3, 4, 6)
    packed = LTXPipeline._pack_latents(latents, patch, patch_t)
    pipe = SimpleNamespace(
        vae_temporal_compression_ratio=8,
        vae_spatial_compression_ratio=32,
        transformer_spatial_patch_size=patch,
        transformer_temporal_patch_size=patch_t,
        _unpack_latents=LTXPipeline._unpack_latents,
    )
    unpacked = PIPELINES.get("ltx").to_latents(pipe, packed, 17, 128, 192)
    assert torch.equal(unpacked, latents)


def test_cogvideox_latents_lose_their_padding_frames_and_become_channels_first():
    pipe = SimpleNamespace(vae_scale_factor_temporal=4)
    frames_first = torch.randn(1, 14, 16, 2, 3)  # 13 latent frames for 49 video frames + 1 leading padding frame
    result = PIPELINES.get("cogvideox").to_latents(pipe, frames_first, 49, 16, 24)
    assert result.shape == (1, 16, 13, 2, 3)
    assert torch.equal(result, frames_first[:, 1:].permute(0, 2, 1, 3, 4))


def test_channels_first_pipelines_pass_through_and_refuse_other_shapes():
    latents = torch.randn(1, 16, 5, 2, 2)
    assert PIPELINES.get("wan").to_latents(SimpleNamespace(), latents, 17, 16, 16) is latents
    with pytest.raises(ValueError, match=r"latents should be \(B, C, t, h, w\), got \(1, 4, 16\)"):
        PIPELINES.get("hunyuan").to_latents(SimpleNamespace(), torch.zeros(1, 4, 16), 17, 16, 16)


def test_settings_take_family_defaults_unless_given():
    settings = GenerationSettings.for_family(PIPELINES.get("ltx"), num_frames=9, height=None, extra={"x": 1})
    assert settings.to_dict() == {
        "num_frames": 9,
        "height": 480,
        "width": 704,
        "num_inference_steps": 50,
        "guidance_scale": 3.0,
        "extra": {"x": 1},
    }


def test_a_pipeline_of_another_teacher_is_refused(tiny_pipeline):
    with pytest.raises(
        ValueError,
        match="decoder 'turbo-cog' decodes 'cogvideox' latents, made by CogVideoXPipeline; got a LTXPipeline",
    ):
        check_pipeline(tiny_pipeline, PIPELINES.get("cogvideox"), "turbo-cog")


def test_missing_transformers_names_the_install_command(monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "transformers" else real(name))
    with pytest.raises(ImportError, match=r'install the generation extra: pip install -e "\.\[generation\]"'):
        require_generation_extra()
