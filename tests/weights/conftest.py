"""Every weights test runs offline against empty, private caches."""

import pytest


@pytest.fixture(autouse=True)
def isolated_caches(tmp_path, monkeypatch):
    """Point the evalkit, torch hub and Hugging Face caches at empty temp folders and force offline mode."""
    from huggingface_hub import constants

    monkeypatch.setenv("EVALKIT_CACHE", str(tmp_path / "evalkit"))
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("EVALKIT_OFFLINE", "1")
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hf"))
    return tmp_path
