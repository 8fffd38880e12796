import pytest
import torch
from torch.nn.functional import interpolate
from torchmetrics.functional.image import multiscale_structural_similarity_index_measure

from evalkit.metrics.base import to_unit_frames
from evalkit.metrics.msssim import MSSSIM, ms_ssim


def upscaled(clip, size=(256, 312)) -> torch.Tensor:
    """uint8 (T, H, W, 3) frames resized bilinearly to ``size`` (carphone's 144 px is under five scales' 176)."""
    frames = interpolate(torch.from_numpy(clip).permute(0, 3, 1, 2).float(), size=size, mode="bilinear")
    return frames.round().clamp(0, 255).to(torch.uint8).permute(0, 2, 3, 1)


def test_matches_torchmetrics_ms_ssim_on_carphone(carphone):
    pristine, distorted = (upscaled(clip[:6]) for clip in carphone)
    reference, candidate = to_unit_frames(pristine[None]), to_unit_frames(distorted[None])
    expected = multiscale_structural_similarity_index_measure(
        candidate, reference, data_range=1.0, kernel_size=11, sigma=1.5, k1=0.01, k2=0.03, reduction="none"
    )
    assert ms_ssim(reference, candidate) == pytest.approx(expected, abs=1e-4)
    metric = MSSSIM()
    metric.update(pristine[None], distorted[None], ["carphone"])
    assert metric.per_clip()["carphone"] == pytest.approx(float(expected.double().mean()), abs=1e-4)
    assert metric.per_clip()["carphone"] == pytest.approx(0.86263, abs=1e-4)  # first 6 frames at 256x312


def test_identical_frames_score_one_and_noise_scores_less():
    generator = torch.Generator().manual_seed(0)
    frames = torch.rand(2, 3, 176, 180, generator=generator)
    assert ms_ssim(frames, frames) == pytest.approx(torch.ones(2), abs=1e-6)
    noisy = (frames + 0.1 * torch.randn(frames.shape, generator=generator)).clamp(0, 1)
    assert (ms_ssim(frames, noisy) < 0.99).all()


def test_frames_too_small_for_five_scales_are_refused_with_the_fix():
    frames = torch.rand(1, 3, 175, 400)
    with pytest.raises(ValueError, match=r"needs >= 176 px per side for 5 scales .* got 175x400; use --resolution 176"):
        ms_ssim(frames, frames)
