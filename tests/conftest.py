"""Fixtures every test package shares."""

from __future__ import annotations

from pathlib import Path

import pytest

from evalkit.profile import conditions


@pytest.fixture(autouse=True)
def quiet_machine_for_latency(monkeypatch, request):
    """Latencies measured in tests are judged as taken on a quiet machine, so whether a profile is cached does not
    depend on how busy the test machine is; tests/profile/test_conditions.py checks the judgement itself."""
    if request.node.get_closest_marker("real_load"):
        return
    judge = conditions.judge

    def quiet(**kwargs):
        return judge(**{**kwargs, "load_avg_1m": 0.0, "cpu_wall_ratio": None})

    monkeypatch.setattr(conditions, "judge", quiet)


@pytest.fixture
def isolated_caches(tmp_path, monkeypatch) -> Path:
    """Point the evalkit, torch hub and Hugging Face caches at empty temp folders and force offline mode."""
    from huggingface_hub import constants

    monkeypatch.setenv("EVALKIT_CACHE", str(tmp_path / "evalkit"))
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("EVALKIT_OFFLINE", "1")
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hf"))
    return tmp_path


@pytest.fixture(scope="session")
def fake_detector(tmp_path_factory) -> Path:
    """A scripted stand-in for the I3D detector (``tests/metrics/fake_i3d.py``), so FVD runs offline."""
    from tests.metrics.fake_i3d import save_scripted

    path = tmp_path_factory.mktemp("i3d") / "i3d_torchscript.pt"
    save_scripted(path)
    return path
