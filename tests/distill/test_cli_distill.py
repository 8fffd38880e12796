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


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--eval-every", "6"], "--eval-every 6 needs --eval-dataset NAME"),
        (["--eval-dataset", "sample"], "--eval-dataset has no effect without --eval-every N"),
        (["--eval-every", "6", "--eval-dataset", "nope"], "unknown dataset 'nope'"),
        (["--eval-every", "6", "--eval-dataset", "sample", "--eval-decoder", "nope"], "unknown decoder 'nope'"),
        (["--crop-size", "64", "--resolution", "32"], "crop_size 64 is larger than the resized short side 32"),
        (["--lr", "0"], "lr must be positive"),
        (["--save-every", "-1"], "save_every must be 0 or a positive integer"),
        (["--no-perceptual", "--perceptual-weights", "vgg.pth"], "--perceptual-weights has no effect"),
    ],
)
def test_bad_option_combinations_fail_before_any_work(capsys, tmp_path, monkeypatch, flags, message):
    from evalkit.distill import trainer

    monkeypatch.setattr(trainer, "build_perceptual_network", _must_not_run)
    monkeypatch.setattr(trainer.Distiller, "train", _must_not_run)
    argv = ["distill", "--teacher", "demo", "--student", "ltx", "--out", str(tmp_path / "out"), "--no-perceptual"]
    argv += [flag for flag in flags if flag != "--no-perceptual"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err
    assert not (tmp_path / "out").exists()


def _must_not_run(*args, **kwargs):
    raise AssertionError("work started before the options were checked")


@pytest.mark.parametrize(("flags", "expected"), [([], False), (["--channel-shuffle"], True)])
def test_channel_shuffle_flag_reaches_the_config(tmp_path, monkeypatch, flags, expected):
    from evalkit.distill import trainer

    seen = []
    monkeypatch.setattr(trainer, "distill", lambda config, resume=True: seen.append(config) or _must_not_run())
    argv = ["distill", "--teacher", "demo", "--student", "ltx", "--out", str(tmp_path / "out"), "--no-perceptual"]
    with pytest.raises(AssertionError, match="work started"):
        main(argv + flags)
    assert seen[0].channel_shuffle is expected


def test_lr_schedule_flags_reach_the_config(tmp_path, monkeypatch):
    from evalkit.distill import trainer

    seen = []
    monkeypatch.setattr(trainer, "distill", lambda config, resume=True: seen.append(config) or _must_not_run())
    argv = ["distill", "--teacher", "demo", "--student", "ltx", "--out", str(tmp_path / "out"), "--no-perceptual"]
    with pytest.raises(AssertionError, match="work started"):
        main(argv + ["--lr-schedule", "cosine", "--lr-min-ratio", "0.05"])
    assert (seen[0].lr_schedule, seen[0].lr_min_ratio) == ("cosine", 0.05)


def test_lr_schedule_typo_exits_2(tmp_path, capsys):
    argv = ["distill", "--teacher", "demo", "--student", "ltx", "--out", str(tmp_path / "out"), "--no-perceptual"]
    with pytest.raises(SystemExit) as exit_info:
        main(argv + ["--lr-schedule", "cosin"])
    assert exit_info.value.code == 2
    assert "invalid choice: 'cosin'" in capsys.readouterr().err
