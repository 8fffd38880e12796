"""`evalkit distill` on the command line: settings errors and the missing LPIPS backbone exit 2 with a message."""

from __future__ import annotations

import pytest

from evalkit.cli import main


@pytest.fixture(autouse=True)
def offline(monkeypatch, tmp_path):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("EVALKIT_OFFLINE", "1")
    monkeypatch.setenv("EVALKIT_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))


def test_without_lpips_backbone_it_says_so_and_names_no_perceptual(tmp_path, capsys):
    code = main(
        [
            "distill",
            "--teacher",
            "ltx",
            "--student",
            "ltx",
            "--dataset",
            "folder",
            "--root",
            str(tmp_path),
            "--out",
            str(tmp_path / "run"),
        ]
    )
    err = capsys.readouterr().err
    assert code == 2
    assert "the LPIPS perceptual loss needs the real VGG16 backbone" in err
    assert "evalkit weights fetch lpips-vgg" in err
    assert "--no-perceptual" in err


def test_bad_setting_is_named(tmp_path, capsys):
    code = main(
        [
            "distill",
            "--teacher",
            "ltx",
            "--student",
            "ltx",
            "--out",
            str(tmp_path),
            "--dtype",
            "float32",
            "--posterior",
            "mode",
            "--max-steps",
            "0",
        ]
    )
    assert code == 2
    assert "distill: max_steps must be a positive integer; got 0" in capsys.readouterr().err
