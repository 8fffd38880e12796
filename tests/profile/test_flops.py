"""FLOPs of hand-computable models equal their closed form; the unit and the zero-count ops are reported."""

import pytest
import torch
from torch import nn
from torch.nn import functional

from evalkit.profile.flops import FLOP_UNIT, TOTAL_KEY, count_flops, count_flops_with_output


def conv_flops(batch: int, c_out: int, c_in_per_group: int, kernel: int, out_voxels: int) -> int:
    """2 x MACs of a Conv3d with a cubic kernel; bias adds are not counted (as in FlopCounterMode)."""
    return 2 * batch * c_out * c_in_per_group * kernel**3 * out_voxels


class HandModel(nn.Module):
    """Full Conv3d, depthwise Conv3d, pointwise Conv3d, then per-frame pixel shuffle and interpolation."""

    def __init__(self) -> None:
        super().__init__()
        self.full = nn.Conv3d(4, 8, 3, padding=1)
        self.depthwise = nn.Conv3d(8, 8, 5, padding=2, groups=8)
        self.pointwise = nn.Conv3d(8, 16, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.pointwise(self.depthwise(self.full(x)))
        b, c, t, h, w = x.shape
        frames = x.transpose(1, 2).reshape(b * t, c, h, w)
        frames = functional.interpolate(functional.pixel_shuffle(frames, 2), scale_factor=2, mode="nearest")
        return frames.reshape(b, t, c // 4, 4 * h, 4 * w).transpose(1, 2)


B, T, H, W = 2, 3, 5, 6
VOXELS = T * H * W
EXPECTED = {
    "full": conv_flops(B, 8, 4, 3, VOXELS),
    "depthwise": conv_flops(B, 8, 1, 5, VOXELS),
    "pointwise": conv_flops(B, 16, 8, 1, VOXELS),
}


def test_hand_model_matches_closed_form():
    report = count_flops(HandModel(), (torch.randn(B, 4, T, H, W),))
    # 2*B*Cout*Cin_g*k^3*THW with B=2, THW=90: 2*2*8*4*27*90, 2*2*8*1*125*90, 2*2*16*8*1*90
    assert EXPECTED == {"full": 311040, "depthwise": 360000, "pointwise": 46080}
    assert report.total_flops == 717120
    assert report.total_macs == report.total_flops // 2
    for name, flops in EXPECTED.items():
        assert report.by_module[name] == flops
    assert report.by_module[TOTAL_KEY] == report.total_flops
    assert report.by_operator == {"aten.convolution": report.total_flops}


def test_unit_is_stated():
    report = count_flops(HandModel(), (torch.randn(1, 4, 2, 3, 3),))
    assert report.unit == FLOP_UNIT == "FLOPs (2 x MACs)"
    assert report.to_dict()["unit"] == "FLOPs (2 x MACs)"
    assert report.to_dict()["total_macs"] * 2 == report.to_dict()["total_flops"]


def test_pixel_shuffle_and_interpolate_are_listed_as_zero_count():
    report = count_flops(HandModel(), (torch.randn(1, 4, 2, 3, 3),))
    assert report.zero_count_ops["aten.pixel_shuffle"] == 1
    assert report.zero_count_ops["aten.upsample_nearest2d"] == 1
    assert "aten.convolution" not in report.zero_count_ops
    assert "aten.transpose" not in report.zero_count_ops  # views move no data


class Attention(nn.Module):
    def forward(self, q: torch.Tensor) -> torch.Tensor:
        return functional.scaled_dot_product_attention(q, q, q)


@pytest.mark.parametrize("math_attention", [True, False])
def test_attention_is_counted_only_under_the_math_backend(math_attention):
    batch, heads, length, dim = 2, 3, 7, 4
    q = torch.randn(batch, heads, length, dim)
    report = count_flops(Attention(), (q,), math_attention=math_attention)
    if math_attention:
        assert report.total_flops == 2 * (2 * batch * heads * length * length * dim)  # Q K^T and P V
    else:
        assert report.total_flops == 0
        assert any("scaled_dot_product" in op for op in report.zero_count_ops)


def test_per_module_counts_and_output():
    model = nn.Sequential(nn.Sequential(nn.Conv3d(2, 2, 1), nn.Conv3d(2, 2, 1)), nn.Conv3d(2, 3, 1))
    x = torch.randn(1, 2, 1, 2, 2)
    report, output = count_flops_with_output(model, (x,))
    assert output.shape == (1, 3, 1, 2, 2)
    # 1x1x1 convs on 4 voxels: 2*2*2*4 = 32 each for 2->2, 2*3*2*4 = 48 for 2->3
    assert report.by_module == {"0": 64, "0.0": 32, "0.1": 32, "1": 48, TOTAL_KEY: 112}
