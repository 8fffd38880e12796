"""The trivial floors: hand-computed values on synthetic clips, an independent bicubic, and the sample clips."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from evalkit.data import ClipDataset, ClipProtocol, build_manifest
from evalkit.pipeline.floors import FloorSettings, flat_floor, resample_floor


def _psnr_db(reference: np.ndarray, candidate: np.ndarray) -> np.ndarray:
    """Per-frame 10 log10(255^2 / MSE) of uint8 clips (T, H, W, 3), in NumPy."""
    diff = reference.astype(np.float64) - candidate.astype(np.float64)
    return 10 * np.log10(255.0**2 / (diff**2).reshape(diff.shape[0], -1).mean(axis=1))


def test_flat_is_the_clip_mean_colour_rounded_half_to_even():
    clip = np.empty((2, 2, 2, 3), dtype=np.uint8)
    clip[0], clip[1] = (10, 20, 30), (30, 60, 91)  # channel means 20, 40, 60.5 -> 60
    flat = flat_floor(torch.from_numpy(clip)[None])[0].numpy()
    assert flat.dtype == np.uint8
    assert flat.shape == clip.shape
    assert (flat == np.array([20, 40, 60], dtype=np.uint8)).all()
    # errors (-10, -20, -30) and (10, 20, 31): MSE 1400/3 and 1461/3
    expected = [10 * math.log10(255**2 / (1400 / 3)), 10 * math.log10(255**2 / (1461 / 3))]
    np.testing.assert_allclose(_psnr_db(clip, flat), expected, rtol=1e-12)


def test_resample_keeps_block_means_and_the_nearest_kept_frame():
    """Frames of base b_t plus a +-10 checkerboard: every 2x2 block averages to b_t, so at 2x2 space and 2x time
    the floor is b of the nearest kept frame (0, 2, 4; ties to the even index), and MSE = (b_t - b_kept)^2 + 100."""
    bases = np.array([100, 120, 50, 200, 80])
    checker = np.where(np.add.outer(np.arange(4), np.arange(4)) % 2 == 0, 10, -10)
    clip = (bases[:, None, None, None] + checker[None, :, :, None] + np.zeros(3, dtype=int)).astype(np.uint8)
    floor = resample_floor(torch.from_numpy(clip)[None], spatial=2, temporal=2)[0].numpy()
    kept = [100, 100, 50, 80, 80]  # frames 0, 0 (t=1: 0.5 -> 0), 2, 4 (t=3: 1.5 -> 2), 4
    np.testing.assert_array_equal(
        floor, np.broadcast_to(np.array(kept, dtype=np.uint8)[:, None, None, None], clip.shape)
    )
    mse = np.array([100, 20**2 + 100, 100, 120**2 + 100, 100], dtype=np.float64)
    np.testing.assert_allclose(_psnr_db(clip, floor), 10 * np.log10(255.0**2 / mse), rtol=1e-12)


def _keys(distance: np.ndarray, a: float = -0.75) -> np.ndarray:
    """Keys' cubic convolution kernel."""
    d = np.abs(distance)
    near = ((a + 2) * d - (a + 3)) * d * d + 1
    far = ((a * d - 5 * a) * d + 8 * a) * d - 4 * a
    return np.where(d <= 1, near, np.where(d < 2, far, 0.0))


def _bicubic_matrix(small: int, big: int) -> np.ndarray:
    """(big, small) weights of half-pixel-centred bicubic upsampling with edge pixels repeated."""
    matrix = np.zeros((big, small))
    for out in range(big):
        source = (out + 0.5) * small / big - 0.5
        first = math.floor(source) - 1
        for tap in range(first, first + 4):
            matrix[out, min(max(tap, 0), small - 1)] += _keys(np.array(source - tap))
    return matrix


def test_resample_space_equals_an_independent_area_and_keys_bicubic():
    rng = np.random.default_rng(0)
    clip = rng.integers(0, 256, size=(3, 16, 24, 3), dtype=np.uint8)
    floor = resample_floor(torch.from_numpy(clip)[None], spatial=4, temporal=1)[0].numpy()
    means = clip.astype(np.float64).reshape(3, 4, 4, 6, 4, 3).mean(axis=(2, 4))  # (T, 4, 6, 3) block means
    rows, cols = _bicubic_matrix(4, 16), _bicubic_matrix(6, 24)
    expected = np.einsum("yi,tijc,xj->tyxc", rows, means, cols)
    # block means are multiples of 1/16 and the weights dyadic: both sides are exact, ties included
    np.testing.assert_array_equal(floor, np.round(np.clip(expected, 0, 255)).astype(np.uint8))


def test_sizes_off_the_grid_round_the_grid_up_and_constant_clips_survive():
    clip = torch.full((1, 6, 10, 13, 3), 77, dtype=torch.uint8)
    for floor in (resample_floor(clip, 4, 4), flat_floor(clip)):
        assert floor.shape == clip.shape
        assert floor.dtype == torch.uint8
        assert torch.equal(floor, clip)


def test_settings_refuse_factors_below_one_and_describe_the_contract():
    with pytest.raises(ValueError, match="floor temporal factor must be >= 1, got 0"):
        FloorSettings(8, 0)
    described = FloorSettings(16, 2).describe()
    assert described["resample"]["params"]["spatial"] == 16
    assert described["resample"]["params"]["temporal"] == 2
    assert described["resample"]["label"] == "resample 16\u00d716\u00d72"
    assert set(FloorSettings().reconstruct(torch.zeros(1, 4, 8, 8, 3, dtype=torch.uint8))) == {
        "floor_resample",
        "floor_flat",
    }


# Issue 16's reference figures (17 frames, 256x256, first frames, uint8, mean per-frame PSNR), per clip
# bigbuckbunny / bikes / carphone. Its "32x32 and 8x" row reproduces to 0.01 dB at 32x32 and 4x time, not 8x:
# at 8x time this implementation reads 19.93 / 19.41 / 18.26 (kept frames 0, 8, 16), pinned below as a golden.
REFERENCE_DB = {
    ("flat", None, None): (14.18, 14.71, 12.66),
    ("resample", 8, 4): (23.71, 24.34, 24.88),
    ("resample", 32, 4): (20.00, 20.61, 18.28),
    ("resample", 32, 8): (19.93, 19.41, 18.26),
}


@pytest.fixture(scope="module")
def sample_clips() -> dict[str, np.ndarray]:
    """The three sample clips under the default protocol, as the run reads them."""
    protocol = ClipProtocol(num_frames=17, resolution=256)
    manifest = build_manifest("sample", None, protocol, split=None, fold=None, max_clips=None)
    items = [ClipDataset(manifest)[index] for index in range(len(manifest.clips))]
    return {item["clip_id"]: item["frames"].numpy() for item in items}


@pytest.mark.parametrize(("floor", "spatial", "temporal"), list(REFERENCE_DB))
def test_sample_clips_reproduce_the_reference_figures(sample_clips, floor, spatial, temporal):
    assert list(sample_clips) == ["bigbuckbunny", "bikes", "carphone"]
    measured = []
    for clip in sample_clips.values():
        batch = torch.from_numpy(clip)[None]
        made = flat_floor(batch) if floor == "flat" else resample_floor(batch, spatial, temporal)
        measured.append(_psnr_db(clip, made[0].numpy()).mean())
    np.testing.assert_allclose(measured, REFERENCE_DB[(floor, spatial, temporal)], atol=0.1)


def _numpy_floors(clip: np.ndarray, temporal: int) -> dict[str, np.ndarray]:
    """Both floors of a clip whose frames fit in one latent pixel (32x32 at 32x): each kept frame becomes its own
    mean colour, and frame t shows kept frame round(t / temporal), ties to even; flat is the clip's mean colour."""
    kept = np.round(clip[::temporal].astype(np.float64).mean(axis=(1, 2)))
    nearest = np.minimum(np.round(np.arange(len(clip)) / temporal).astype(int), len(kept) - 1)
    resample = np.broadcast_to(kept[nearest][:, None, None, :], clip.shape).astype(np.uint8)
    flat = np.broadcast_to(np.round(clip.astype(np.float64).mean(axis=(0, 1, 2))), clip.shape).astype(np.uint8)
    return {"resample": resample, "flat": flat}


def test_run_scores_both_floors_at_the_teacher_compression_and_caches_them(tiny_config, tmp_path, monkeypatch):
    from evalkit.pipeline import run
    from evalkit.report.samples import read_samples
    from evalkit.results.floors import BELOW_FLOOR
    from tests.pipeline.conftest import values

    cold = run(tiny_config(out=str(tmp_path / "cold")))
    floors = cold.results["floors"]
    assert floors["resample"]["params"]["spatial"] == 32  # the tiny LTX teacher: 32x32 space, 8x time
    assert floors["resample"]["params"]["temporal"] == 8
    assert floors["resample"]["params"]["factors_from"] == "teacher ltx"
    assert set(floors["resample"]["values"]) == {"psnr", "ssim"}  # LPIPS is unavailable offline, FVD is pooled
    table = values(cold.run_dir)
    for sample in read_samples(cold.run_dir):
        for name, made in _numpy_floors(sample.ground_truth, temporal=8).items():
            expected = _psnr_db(sample.ground_truth, made).mean()
            assert table.loc[sample.clip_id, f"psnr.floor_{name}"] == pytest.approx(expected, rel=1e-9)
    for name in ("resample", "flat"):
        psnr = floors[name]["values"]["psnr"]
        assert psnr["value"] == pytest.approx(table[f"psnr.floor_{name}"].mean(), rel=1e-12)
        assert psnr["n"] == 2
        assert psnr["ci_low"] <= psnr["value"] <= psnr["ci_high"]
    assert BELOW_FLOOR in cold.summary()  # random decoders do not clear the floor
    assert BELOW_FLOOR in (cold.run_dir / "report.html").read_text()

    def not_again(self, clips):
        raise AssertionError("floors reconstructed again although the teacher cache holds their scores")

    monkeypatch.setattr(FloorSettings, "reconstruct", not_again)
    warm = run(tiny_config(out=str(tmp_path / "warm")))
    columns = [f"{metric}.floor_{name}" for metric in ("psnr", "ssim") for name in ("resample", "flat")]
    assert warm.results["cache"]["teacher_hits"] == 2
    assert values(warm.run_dir)[columns].equals(table[columns])
