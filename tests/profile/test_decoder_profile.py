"""profile_decoder on a stand-in decoder: shapes, FLOPs, untimed calls, and the OOM -> tiled fallback."""

import pytest
import torch
from torch import nn

from evalkit.profile.decoder_profile import is_out_of_memory, profile_decoder
from evalkit.profile.flops import count_flops


class StandInDecoder(nn.Module):
    """Conv3d 4->12 then a per-frame 2x pixel shuffle: (B,4,T,H,W) -> (B,3,T,2H,2W)."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv3d(4, 12, 3, padding=1)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        x = self.conv(z)
        b, c, t, h, w = x.shape
        x = torch.nn.functional.pixel_shuffle(x.transpose(1, 2).reshape(b * t, c, h, w), 2)
        return x.reshape(b, t, 3, 2 * h, 2 * w).transpose(1, 2)


class CountingTimer:
    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, fn) -> float:
        fn()
        self.calls += 1
        return 0.5


def test_profile_of_a_stand_in_decoder():
    decoder = StandInDecoder().eval()
    timer = CountingTimer()
    profile = profile_decoder(decoder, (2, 4, 3, 5, 6), warmup=4, repeats=3, timer=timer)
    assert profile.status == "ok"
    assert not profile.tiled
    assert profile.output_shape == (2, 3, 3, 10, 12)
    assert profile.flops.total_flops == count_flops(decoder, (torch.randn(2, 4, 3, 5, 6),)).total_flops
    assert profile.flops.total_flops == 2 * 2 * 12 * 4 * 27 * 90
    # FLOP call and memory call are untimed and count as warm-up: 2 more warm-up calls, then 3 timed
    assert timer.calls == 2 + 3
    assert profile.latency.warmup == 4
    assert profile.latency.median_s == 0.5
    assert profile.latency.fps == pytest.approx(2 * 3 / 0.5)
    as_dict = profile.to_dict()
    assert as_dict["latent_shape"] == [2, 4, 3, 5, 6]
    assert as_dict["flops"]["unit"] == "FLOPs (2 x MACs)"


def test_out_of_memory_falls_back_to_the_tiled_decode():
    decoder = StandInDecoder().eval()

    def oom(z):
        raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 20.00 GiB")

    profile = profile_decoder(oom, (1, 4, 2, 3, 3), repeats=1, tiled_decode=decoder, with_memory=False)
    assert profile.status == "ok"
    assert profile.tiled
    assert profile.output_shape == (1, 3, 2, 6, 6)
    untiled = profile_decoder(oom, (1, 4, 2, 3, 3), repeats=1)
    assert (untiled.status, untiled.tiled, untiled.latency) == ("oom", False, None)


def test_other_errors_propagate_and_non_video_output_is_rejected():
    def broken(z):
        raise RuntimeError("shape mismatch")

    with pytest.raises(RuntimeError, match="shape mismatch"):
        profile_decoder(broken, (1, 4, 2, 3, 3), repeats=1, tiled_decode=broken)
    with pytest.raises(TypeError, match=r"decode must return a \(B, C, T, H, W\) tensor; got tuple"):
        profile_decoder(lambda z: (z,), (1, 4, 2, 3, 3), repeats=1, with_flops=False)


def test_is_out_of_memory():
    assert is_out_of_memory(torch.OutOfMemoryError("x"))
    assert is_out_of_memory(RuntimeError("[enforce fail] DefaultCPUAllocator: can't allocate memory: you tried"))
    assert not is_out_of_memory(RuntimeError("expected 4 channels"))
