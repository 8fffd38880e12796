import numpy as np
import pytest
import torch
from skimage.metrics import structural_similarity
from torchmetrics.functional.image import structural_similarity_index_measure
from torchmetrics.image import StructuralSimilarityIndexMeasure

from evalkit.metrics.ssim import SSIM, ssim

from .helpers import random_clip_pairs


def skimage_ssim(reference: np.ndarray, candidate: np.ndarray) -> np.ndarray:
    return np.array(
        [
            structural_similarity(
                ref / 255.0,
                cand / 255.0,
                gaussian_weights=True,
                sigma=1.5,
                use_sample_covariance=False,
                data_range=1,
                channel_axis=-1,
            )
            for ref, cand in zip(reference, candidate, strict=True)
        ]
    )


def score(variant: str, reference: np.ndarray, candidate: np.ndarray) -> SSIM:
    metric = SSIM(variant)
    metric.update(torch.from_numpy(reference)[None], torch.from_numpy(candidate)[None], ["clip"])
    return metric


def test_wang_matches_scikit_image_on_full_carphone(carphone):
    pristine, distorted = carphone
    result = score("wang", pristine, distorted).compute()
    assert result["value"] == pytest.approx(skimage_ssim(pristine, distorted).mean(), abs=1e-4)
    assert result["value"] == pytest.approx(0.69899, abs=1e-5)
    assert result["variant"]["name"] == "wang"


def test_torchmetrics_variant_matches_torchmetrics_class(carphone):
    pristine, distorted = (frames[:16] for frames in carphone)
    reference = torch.from_numpy(pristine).permute(0, 3, 1, 2) / 255.0
    candidate = torch.from_numpy(distorted).permute(0, 3, 1, 2) / 255.0
    expected = StructuralSimilarityIndexMeasure(data_range=1.0)(candidate, reference).item()
    assert score("torchmetrics", pristine, distorted).compute()["value"] == pytest.approx(expected, abs=1e-6)
    assert score("wang", pristine, distorted).compute()["value"] < expected - 5e-3


def test_wang_matches_scikit_image_per_frame_on_noise():
    reference, candidate, _ = random_clip_pairs(1, frames=3, size=(20, 27))
    values = ssim(reference[0].permute(0, 3, 1, 2) / 255.0, candidate[0].permute(0, 3, 1, 2) / 255.0, variant="wang")
    np.testing.assert_allclose(values.numpy(), skimage_ssim(reference[0].numpy(), candidate[0].numpy()), atol=1e-5)


def test_unknown_variant_and_tiny_frames_are_refused():
    with pytest.raises(ValueError, match="unknown SSIM variant 'skimage'; choose one of: wang, torchmetrics"):
        SSIM("skimage")
    frames = torch.zeros(1, 3, 10, 40)
    with pytest.raises(ValueError, match="at least 11x11 pixels, got 10x40"):
        ssim(frames, frames)


@pytest.mark.parametrize("variant", ["wang", "torchmetrics"])
def test_separable_map_matches_torchmetrics_per_frame(variant):
    reference, candidate, _ = random_clip_pairs(2, frames=4, size=(23, 40))
    ref = reference.flatten(0, 1).permute(0, 3, 1, 2) / 255.0
    cand = candidate.flatten(0, 1).permute(0, 3, 1, 2) / 255.0
    per_frame, full_map = structural_similarity_index_measure(
        cand, ref, data_range=1.0, reduction="none", return_full_image=True
    )
    if variant == "wang":
        per_frame = full_map[..., 5:-5, 5:-5].flatten(1).mean(dim=1)
    np.testing.assert_allclose(ssim(ref, cand, variant).numpy(), per_frame.numpy(), rtol=0, atol=1e-6)
