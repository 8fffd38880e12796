"""Reshape rules of the projected student features (SPEC §5) and the alignment loss."""

from __future__ import annotations

import pytest
import torch
from torch.nn import functional

from evalkit.distill.alignment import FeatureAlignmentLoss, pixel_shuffle_frames, to_teacher_layout, unpack_ltx_order
from evalkit.models.turbo_vaed import ProjectionHeads

torch.manual_seed(0)


def test_pixel_shuffle_frames_equals_per_frame_pixel_shuffle():
    x = torch.randn(2, 8, 3, 4, 5)
    expected = torch.stack([functional.pixel_shuffle(x[:, :, t], 2) for t in range(3)], dim=2)
    assert torch.equal(pixel_shuffle_frames(x), expected)


def test_unpack_ltx_order_places_every_channel_by_the_spec_formula():
    batch, channels, frames, height, width = 1, 2, 3, 2, 2
    x = torch.randn(batch, channels * 8, frames, height, width)
    out = unpack_ltx_order(x)
    assert out.shape == (batch, channels, 2 * frames - 1, 2 * height, 2 * width)
    for c in range(channels):
        for dt in range(2):
            for i in range(2):
                for j in range(2):
                    k = ((c * 2 + dt) * 2 + i) * 2 + j
                    for t in range(frames):
                        if 2 * t + dt == 0:
                            continue  # frame 0 is dropped
                        assert torch.equal(out[0, c, 2 * t + dt - 1, i::2, j::2], x[0, k, t])


def test_unpack_ltx_order_matches_diffusers_ltx_upsampler_layout():
    from diffusers.models.autoencoders.autoencoder_kl_ltx import LTXVideoUpsampler3d

    upsampler = LTXVideoUpsampler3d(4, stride=(2, 2, 2), is_causal=False)
    conv = upsampler.conv.conv
    with torch.no_grad():
        conv.weight.zero_()
        conv.bias.zero_()
        for k in range(32):  # identity on the channel carrying input k (input channels repeat every 4)
            conv.weight[k, k % 4, 1, 1, 1] = 1.0
    x = torch.randn(1, 4, 3, 2, 2)
    repeated = x.repeat(1, 8, 1, 1, 1)
    assert torch.allclose(upsampler(x), unpack_ltx_order(repeated), atol=1e-6)


def test_to_teacher_layout_keeps_equal_channels_and_rejects_other_ratios():
    x = torch.randn(1, 6, 3, 4, 4)
    assert to_teacher_layout(x, (1, 6, 3, 4, 4), "up_block_1") is x
    with pytest.raises(ValueError, match=r"feature alignment at up_block_1: the projected student feature has shape "):
        to_teacher_layout(x, (1, 4, 3, 4, 4), "up_block_1")


def test_alignment_loss_is_the_mse_after_projection():
    heads = ProjectionHeads([[3, 8]], [2])
    loss = FeatureAlignmentLoss(heads)
    student = {"up_block_1": torch.randn(1, 3, 2, 2, 2)}
    teacher = {"up_block_1": torch.randn(1, 2, 2, 4, 4)}
    expected = functional.mse_loss(pixel_shuffle_frames(heads[0](student["up_block_1"])), teacher["up_block_1"])
    assert torch.allclose(loss(student, teacher), expected)
