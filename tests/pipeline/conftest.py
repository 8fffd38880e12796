"""Tiny random-weight decoder configs and run settings for pipeline tests (real sample clips, 9 frames, 32 px)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import torch

from evalkit.models.teachers import TeacherVAE
from evalkit.pipeline import RunConfig
from tests.tiny_ltx_pair import TINY_STUDENT, TINY_TEACHER

VALUE_COLUMNS = ["psnr.teacher", "psnr.student", "psnr.student_vs_teacher", "ssim.teacher", "ssim.student"]


def set_offline(monkeypatch: pytest.MonkeyPatch, folder: Path) -> None:
    """No network, and an evalkit cache of the test's own."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("EVALKIT_OFFLINE", "1")
    monkeypatch.setenv("EVALKIT_CACHE", str(folder / "evalkit-cache"))


@pytest.fixture(autouse=True)
def _offline(monkeypatch, tmp_path):
    set_offline(monkeypatch, tmp_path)


def make_config(folder: Path, detector: Path, **overrides) -> RunConfig:
    """``RunConfig`` for the tiny turbo-ltx pair on 2 sample clips in ``folder`` (no cost profile); overrides apply."""
    settings = {
        "decoder": "turbo-ltx",
        "dataset": "sample",
        "init": "random",
        "num_frames": 9,
        "resolution": 32,
        "max_clips": 2,
        "metrics": ("psnr", "ssim", "lpips", "fvd"),
        "fvd_detector": str(detector),
        "device": "cpu",
        "batch_size": 2,
        "bootstrap_resamples": 200,
        "progress": False,
        "out": str(folder / "run"),
        "cache_dir": str(folder / "cache"),
        "teacher_config": TINY_TEACHER,
        "student_config": TINY_STUDENT,
        "profile": "off",  # measured in test_profile_section only: it decodes with both decoders again
    }
    return RunConfig(**{**settings, **overrides})


@pytest.fixture
def tiny_config(tmp_path, fake_detector):
    """``make_config`` in the test's own folder."""
    return lambda **overrides: make_config(tmp_path, fake_detector, **overrides)


@pytest.fixture
def teacher_calls(monkeypatch):
    """Counts teacher encode and decode calls."""
    calls = {"encode": 0, "decode": 0}
    for name in calls:
        original = getattr(TeacherVAE, name)

        def counted(self, *args, _name=name, _original=original, **kwargs):
            calls[_name] += 1
            return _original(self, *args, **kwargs)

        monkeypatch.setattr(TeacherVAE, name, counted)
    return calls


@pytest.fixture
def teacher_too_big_for_two(monkeypatch):
    """The teacher's decode raises a CUDA out-of-memory error for more than one clip; returns the batch sizes seen."""
    original, calls = TeacherVAE.decode, []

    def too_big_for_two(self, z):
        calls.append(z.shape[0])
        if z.shape[0] > 1:
            raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")
        return original(self, z)

    monkeypatch.setattr(TeacherVAE, "decode", too_big_for_two)
    return calls


def values(run_dir: Path) -> pd.DataFrame:
    """The per-clip table of a run, indexed by clip id."""
    from evalkit.results.io import read_per_clip

    return read_per_clip(run_dir).set_index("clip_id")


def write_toml(path: Path, config: RunConfig) -> str:
    """The settings of ``config`` as a TOML file for `evalkit run --config` (how a subprocess gets the tiny pair)."""
    settings = {key: val for key, val in config.to_dict().items() if val is not None}
    lines = [f"{key} = {json.dumps(val)}" for key, val in settings.items() if not isinstance(val, dict)]
    for table in ("teacher_config", "student_config"):
        lines.append(f"[{table}]")
        lines += [f"{key} = {json.dumps(val)}" for key, val in settings[table].items()]
    path.write_text("\n".join(lines) + "\n")
    return str(path)
