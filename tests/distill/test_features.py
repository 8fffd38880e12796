"""Teacher block features by hooks, and feature-alignment shapes of every preset's heads against tiny teachers."""

from __future__ import annotations

import pytest
import torch

from evalkit.distill.alignment import FeatureAlignmentLoss, to_teacher_layout
from evalkit.distill.features import capture_block_features
from evalkit.models.teachers import TEACHER_FAMILIES
from evalkit.models.turbo_vaed import ProjectionHeads, TurboVAEDDecoder, load_preset

torch.manual_seed(0)
LATENT = 8


def tiny_teacher(key: str) -> torch.nn.Module:
    family = TEACHER_FAMILIES.get(key)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        return (
            family.model_class()
            .from_config({**family.checkpoint_config, **family.tiny_config, "latent_channels": LATENT})
            .eval()
        )


def reduced_student(preset: str, channels: list[int], dims: list[list[int]]) -> TurboVAEDDecoder:
    """The preset's structure (layers, DW blocks, upsamplers, head indices) with small widths and heads."""
    config = {**load_preset(preset), "latent_channels": LATENT, "decoder_block_out_channels": channels}
    config["decoder_layers_per_block"] = [1] * 5
    config["aligned_feature_projection_dim"] = dims
    return TurboVAEDDecoder.from_config(config)


def test_hooks_return_the_block_outputs_of_a_manual_pass():
    vae = tiny_teacher("ltx")
    z = torch.randn(1, LATENT, 2, 2, 2)
    with torch.no_grad(), capture_block_features(vae.decoder) as features:
        vae.decode(z)
    with torch.no_grad():
        hidden = vae.decoder.mid_block(vae.decoder.conv_in(z), None)
        assert torch.equal(features["mid_block"], hidden)
        for i, block in enumerate(vae.decoder.up_blocks):
            hidden = block(hidden, None)
            assert torch.equal(features[f"up_block_{i}"], hidden)
    assert not vae.decoder.mid_block._forward_hooks  # removed on exit


def test_a_second_decode_in_one_capture_is_refused():
    vae = tiny_teacher("ltx")
    z = torch.randn(1, LATENT, 2, 2, 2)
    with torch.no_grad(), capture_block_features(vae.decoder):
        vae.decode(z)
        with pytest.raises(RuntimeError, match="teacher block mid_block ran twice in one decode"):
            vae.decode(z)


# preset -> (teacher, student widths (encoder order), heads [student_ch, projected_ch]); teacher blocks have 8 channels
CASES = {
    "ltx": ("ltx", [16, 16, 32, 32], [[32, 8]]),  # up_block_1, equal channels: no reshape
    "hunyuan": ("hunyuan", [16, 16, 32, 32], [[32, 32]]),  # up_block_0, 4x: per-frame pixel shuffle
    "cog": ("cogvideox", [16, 16, 32, 32], [[32, 64]]),  # up_block_0, 8x: 3-D unpack, first frame dropped
}


@pytest.mark.parametrize("preset", sorted(CASES))
def test_projected_student_features_match_the_teacher_blocks(preset):
    teacher_key, channels, dims = CASES[preset]
    teacher = tiny_teacher(teacher_key)
    student = reduced_student(preset, channels, dims)
    heads = ProjectionHeads.from_config(student.config)
    z = torch.randn(1, LATENT, 3, 2, 2)
    with torch.no_grad(), capture_block_features(teacher.decoder) as teacher_features:
        teacher.decode(z)
    _, student_features = student.forward_features(z)
    for head, name in zip(heads, heads.feature_names, strict=True):
        target = teacher_features[name]
        projected = to_teacher_layout(head(student_features[name]), target.shape, name)
        assert projected.shape == target.shape
    loss = FeatureAlignmentLoss(heads)(student_features, teacher_features)
    loss.backward()
    assert torch.isfinite(loss)
    assert all(p.grad is not None for p in heads.parameters())


def test_dc_heads_project_three_blocks_to_equal_width():
    """The DC teacher (video DC-AE) is not released: its block shapes are taken from the SPEC (same T, h, w)."""
    student = reduced_student("dc", [16, 16, 32, 32], [[32, 16], [32, 16], [32, 16]])
    heads = ProjectionHeads.from_config(student.config)
    assert heads.feature_names == ("mid_block", "up_block_0", "up_block_1")
    z = torch.randn(1, LATENT, 2, 2, 2)
    _, features = student.forward_features(z)
    teacher = {
        name: torch.randn(features[name].shape[0], 16, *features[name].shape[2:]) for name in heads.feature_names
    }
    assert torch.isfinite(FeatureAlignmentLoss(heads)(features, teacher))
