"""tdiff as a flicker measure: synthetic static clips with injected flicker of known size."""

import pytest
import torch

from evalkit.metrics.psnr import PSNR
from evalkit.metrics.temporal import TemporalDiffError

FRAMES = 9


def static_clip(seed: int = 0) -> torch.Tensor:
    """One still frame repeated: uint8 (1, T, H, W, 3) in [40, 200], so +-20 levels never clip."""
    frame = torch.randint(40, 201, (1, 1, 24, 32, 3), generator=torch.Generator().manual_seed(seed), dtype=torch.uint8)
    return frame.expand(1, FRAMES, 24, 32, 3).contiguous()


def with_offsets(clip: torch.Tensor, offsets: list[int]) -> torch.Tensor:
    """The clip with a brightness offset per frame (levels added to every pixel and channel)."""
    shift = torch.tensor(offsets, dtype=torch.int16).view(1, FRAMES, 1, 1, 1)
    return (clip.to(torch.int16) + shift).to(torch.uint8)


def frame_pairs(reference: torch.Tensor, candidate: torch.Tensor) -> tuple[float, list[float]]:
    scores, frames = TemporalDiffError().score_comparisons_by_frame(
        {"ground_truth": reference, "decoded": candidate}, {"d": ("ground_truth", "decoded")}, ["clip"]
    )
    return scores["d"]["clip"], frames["d"]["clip"]


def test_alternating_flicker_scores_its_amplitude_and_scales_with_it():
    reference = static_clip()
    for amplitude in (4, 8):
        value, pairs = frame_pairs(reference, with_offsets(reference, [amplitude * (t % 2) for t in range(FRAMES)]))
        assert value == pytest.approx(amplitude / 255, abs=1e-7)
        assert pairs == pytest.approx([amplitude / 255] * (FRAMES - 1), abs=1e-7)


def test_a_single_flash_marks_the_two_pairs_around_it():
    reference = static_clip(1)
    offsets = [0] * FRAMES
    offsets[4] = 20
    value, pairs = frame_pairs(reference, with_offsets(reference, offsets))
    assert pairs == pytest.approx([0, 0, 0, 20 / 255, 20 / 255, 0, 0, 0], abs=1e-7)
    assert value == pytest.approx(2 * 20 / 255 / (FRAMES - 1), abs=1e-7)


def test_a_steady_error_is_not_flicker_although_psnr_sees_it():
    reference = static_clip(2)
    shifted = with_offsets(reference, [10] * FRAMES)
    value, _ = frame_pairs(reference, shifted)
    assert value == 0.0
    psnr = PSNR()
    psnr.update(reference, shifted, ["clip"])
    assert psnr.per_clip()["clip"] == pytest.approx(-10 * torch.log10(torch.tensor((10 / 255) ** 2)).item(), abs=1e-6)


def test_clips_of_one_frame_are_refused():
    with pytest.raises(ValueError, match="tdiff needs clips of at least 2 frames, got 1"):
        TemporalDiffError().update(static_clip()[:, :1], static_clip()[:, :1], ["clip"])
