import numpy as np
import pytest
import torch

from evalkit.metrics.psnr import PSNR, PSNR_CAP_DB, psnr

from .helpers import random_clip_pairs


def numpy_frame_psnr(reference: np.ndarray, candidate: np.ndarray) -> np.ndarray:
    mse = ((reference / 255.0 - candidate / 255.0) ** 2).reshape(len(reference), -1).mean(axis=1)
    return 10 * np.log10(1.0 / mse)


def test_carphone_matches_numpy(carphone):
    pristine, distorted = carphone
    metric = PSNR()
    metric.update(torch.from_numpy(pristine)[None], torch.from_numpy(distorted)[None], ["carphone"])
    expected = numpy_frame_psnr(pristine.astype(np.float64), distorted.astype(np.float64))
    result = metric.compute()
    assert result["value"] == pytest.approx(expected.mean(), abs=1e-4)
    assert result["value"] == pytest.approx(23.0714, abs=1e-4)
    mean_mse = ((pristine / 255.0 - distorted / 255.0) ** 2).mean()
    assert result["psnr_of_mean_mse"] == pytest.approx(10 * np.log10(1 / mean_mse), abs=1e-6)
    assert result["psnr_of_mean_mse"] < result["value"]
    assert result["num_frames"] == 120


def test_dataset_value_is_mean_over_clips_not_frames():
    reference, candidate, _ = random_clip_pairs(1, frames=6)
    metric = PSNR()
    metric.update(reference[:, :2], candidate[:, :2], ["short"])
    metric.update(reference, candidate, ["long"])
    per_clip = metric.per_clip()
    frame_values = numpy_frame_psnr(reference[0].numpy().astype(float), candidate[0].numpy().astype(float))
    assert per_clip["short"] == pytest.approx(frame_values[:2].mean(), abs=1e-9)
    assert per_clip["long"] == pytest.approx(frame_values.mean(), abs=1e-9)
    assert metric.compute()["value"] == pytest.approx((per_clip["short"] + per_clip["long"]) / 2, abs=1e-12)


def test_identical_frames_are_capped():
    reference, _, ids = random_clip_pairs(2)
    metric = PSNR()
    metric.update(reference, reference.clone(), ids)
    assert metric.per_clip() == {"clip0": PSNR_CAP_DB, "clip1": PSNR_CAP_DB}
    assert metric.compute()["psnr_of_mean_mse"] == PSNR_CAP_DB


def test_functional_clamps_to_unit_range():
    frames = torch.full((1, 3, 8, 8), 0.5)
    assert psnr(frames, frames + 2.0).item() == pytest.approx(psnr(frames, torch.ones_like(frames)).item())
    assert psnr(frames, frames + 2.0).item() == pytest.approx(-10 * np.log10(0.25))


@pytest.mark.parametrize(
    ("reference", "candidate", "error", "match"),
    [
        (torch.zeros(1, 2, 8, 8, 3), torch.zeros(1, 2, 8, 8, 3), TypeError, "reference must be uint8"),
        (torch.zeros(1, 2, 8, 8, 3, dtype=torch.uint8), np.zeros((1, 2, 8, 8, 3)), TypeError, "candidate must be"),
        (torch.zeros(2, 8, 8, 3, dtype=torch.uint8), torch.zeros(2, 8, 8, 3, dtype=torch.uint8), ValueError, "shape"),
        (
            torch.zeros(1, 2, 8, 8, 3, dtype=torch.uint8),
            torch.zeros(1, 3, 8, 8, 3, dtype=torch.uint8),
            ValueError,
            "differ",
        ),
    ],
)
def test_bad_input_is_refused(reference, candidate, error, match):
    with pytest.raises(error, match=match):
        PSNR().update(reference, candidate, ["a"])


def test_clip_ids_must_match_batch_and_be_new():
    reference, candidate, ids = random_clip_pairs(2)
    metric = PSNR()
    with pytest.raises(ValueError, match="got 1 clip ids for a batch of 2"):
        metric.update(reference, candidate, ids[:1])
    metric.update(reference, candidate, ids)
    with pytest.raises(ValueError, match=r"already scored .*\['clip0', 'clip1'\]"):
        metric.update(reference, candidate, ids)


def test_compute_without_clips_is_an_error():
    with pytest.raises(ValueError, match="no clips were scored"):
        PSNR().compute()
