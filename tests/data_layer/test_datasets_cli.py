"""`evalkit datasets list|show|verify|manifest` on the temp layouts."""

from __future__ import annotations

import json

from evalkit.cli import main
from evalkit.data import ClipManifest


def test_list_shows_every_adapter_with_its_default_split(capsys):
    assert main(["datasets", "list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == ["csv", "davis", "folder", "hf", "kinetics", "sample", "ucf101"]
    assert lines[-1].split()[1] == "test/1"


def test_show_prints_the_card(capsys):
    assert main(["datasets", "show", "ucf101"]) == 0
    out = capsys.readouterr().out
    assert "expected_clips: 3783" in out
    assert "ucfTrainTestlist/classInd.txt" in out


def test_verify_ucf101_prints_counts_and_bad_files(ucf_root, capsys):
    assert main(["datasets", "verify", "ucf101", "--root", str(ucf_root)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[1] == "listed 6, usable 2, skipped 4"
    assert out[2:5] == ["  empty file (0 bytes): 1", "  missing file: 1", "  too short: 2"]
    assert "UCF-101/YoYo/v_YoYo_g02_c01.avi\tempty file (0 bytes)" in out
    assert "UCF-101/YoYo/v_YoYo_g04_c01.avi\tmissing file" in out
    assert "UCF-101/YoYo/v_YoYo_g03_c01.avi\ttoo short: 10 frames < 17 needed (17 frames at stride 1)" in out


def test_verify_json_and_layout_error(ucf_root, tmp_path, capsys):
    assert main(["datasets", "verify", "ucf101", "--root", str(ucf_root), "--num-frames", "8", "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["summary"] == {"clips": 3, "skipped": 3, "empty file (0 bytes)": 1, "missing file": 1, "too short": 1}
    assert main(["datasets", "verify", "ucf101", "--root", str(tmp_path)]) == 2
    assert f"expected the ucfTrainTestlist folder at {tmp_path}/ucfTrainTestlist" in capsys.readouterr().err


def test_manifest_command_writes_the_manifest(kinetics_root, tmp_path, capsys):
    out = tmp_path / "manifest.json"
    argv = ["datasets", "manifest", "kinetics", "--root", str(kinetics_root), "--num-frames", "all", "--out", str(out)]
    assert main(argv) == 0
    manifest = ClipManifest.read(out)
    assert capsys.readouterr().out.strip() == f"wrote {out}: 2 clips, 2 skipped, manifest {manifest.hash()}"
    assert manifest.protocol["num_frames"] is None
    assert [len(clip.frame_indices) for clip in manifest.clips] == [36, 36]
