"""`evalkit run` keeps per-frame scores: the ``per_frame`` curves of results.json, and the new metrics per clip."""

from __future__ import annotations

import numpy as np
import pytest

from evalkit.pipeline import run
from evalkit.pipeline.journal import read_progress
from evalkit.report.samples import read_samples
from tests.pipeline.conftest import values


def _frame_psnr(reference: np.ndarray, candidate: np.ndarray) -> np.ndarray:
    """10 log10(255^2 / MSE) of each frame, an independent NumPy PSNR."""
    diff = reference.astype(np.float64) - candidate.astype(np.float64)
    return 10 * np.log10(255.0**2 / (diff**2).reshape(diff.shape[0], -1).mean(axis=1))


def test_per_frame_curves_are_the_mean_over_clips_of_numpy_frame_psnr(tiny_config):
    result = run(tiny_config(metrics=("psnr", "ssim", "tdiff", "vmaf", "msssim")))
    samples = read_samples(result.run_dir)
    assert len(samples) == 2  # both clips, so the curves can be rebuilt from their frames
    section = result.results["per_frame"]
    assert section["num_clips"] == 2
    assert section["period"] == 8  # the LTX teacher's temporal compression
    psnr = section["metrics"]["psnr"]
    teacher = np.mean([_frame_psnr(s.ground_truth, s.teacher) for s in samples], axis=0)
    student = np.mean([_frame_psnr(s.ground_truth, s.student) for s in samples], axis=0)
    np.testing.assert_allclose(psnr["teacher"], teacher, rtol=1e-9)
    np.testing.assert_allclose(psnr["student"], student, rtol=1e-9)
    np.testing.assert_allclose(psnr["gap"], teacher - student, rtol=1e-9, atol=1e-12)
    assert psnr["worst_index"]["gap"] == int(np.argmax(teacher - student))
    assert len(section["metrics"]["tdiff"]["teacher"]) == 8  # 9 frames -> 8 consecutive pairs
    table = values(result.run_dir)
    assert table["vmaf.student"].between(0, 100).all()
    assert not result.results["metrics"]["msssim"]["available"]  # 32 px frames are under five scales' 176
    assert "needs >= 176 px per side" in result.results["metrics"]["msssim"]["reason"]
    records = read_progress(result.run_dir).records
    for clip_id, row in table.iterrows():  # the per-clip value is the mean of the clip's per-frame values
        assert row["tdiff.student"] == pytest.approx(np.mean(records[clip_id]["frame_values"]["tdiff.student"]))
    report = (result.run_dir / "report.html").read_text()
    assert 'id="per-frame-chart"' in report
    worst = int(np.argmax(teacher - student))
    headline = (
        f"PSNR: the student loses most at frame {worst}"
        if (teacher - student)[worst] > 0
        else "PSNR: the student is at no frame worse than the teacher"
    )
    assert headline in report

