"""Tiny teacher/student configs and a tiny folder dataset for distillation tests (random teacher, CPU, seconds)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from evalkit.distill.config import DistillConfig

TINY_TEACHER = {
    "latent_channels": 8,
    "block_out_channels": (8, 8, 8, 8),
    "decoder_block_out_channels": (8, 8, 8, 8),
    "layers_per_block": (1, 1, 1, 1, 1),
    "decoder_layers_per_block": (1, 1, 1, 1, 1),
}
TINY_STUDENT = {
    "latent_channels": 8,
    "decoder_block_out_channels": [16, 8, 8, 16],
    "decoder_layers_per_block": [1, 1, 1, 1, 1],
    "decoder_is_dw_conv": [False, False, False, True, True],
    "decoder_dw_kernel_size": 3,
    "patch_size": 4,
    "aligned_feature_projection_mode": "conv-2layer",
    "aligned_feature_projection_dim": [[8, 8]],
    "aligned_blks_indices": [2],
}


def write_clip(folder, frames: int, size: int, seed: int) -> None:
    """Smooth moving colour gradients (learnable structure, not noise) as PNG frames."""
    folder.mkdir(parents=True)
    rng = np.random.default_rng(seed)
    phase = rng.uniform(0, 2 * np.pi, 3)
    yy, xx = np.meshgrid(np.linspace(0, 1, size), np.linspace(0, 1, size), indexing="ij")
    for t in range(frames):
        channels = [127.5 + 100 * np.sin(3 * xx + 2 * yy + 0.3 * t + p) for p in phase]
        Image.fromarray(np.stack(channels, -1).astype(np.uint8)).save(folder / f"{t:05d}.png")


@pytest.fixture
def tiny_dataset(tmp_path):
    root = tmp_path / "clips"
    write_clip(root / "a", 20, 40, seed=0)
    write_clip(root / "b", 17, 32, seed=1)
    return root


@pytest.fixture
def student_json(tmp_path):
    path = tmp_path / "student.json"
    path.write_text(json.dumps(TINY_STUDENT))
    return path


@pytest.fixture
def tiny_config(tmp_path, tiny_dataset, student_json):
    def make(**overrides) -> DistillConfig:
        settings = {
            "teacher": "ltx",
            "student": str(student_json),
            "out": str(tmp_path / "run"),
            "dataset": "folder",
            "root": str(tiny_dataset),
            "crop_size": 32,
            "resolution": None,
            "grad_accum": 2,
            "lr": 1e-3,
            "max_steps": 2,
            "save_every": 0,
            "perceptual": False,
            "teacher_init": "random",
            "teacher_config": TINY_TEACHER,
            "progress": False,
            "threads": 1,
        }
        return DistillConfig(**{**settings, **overrides})

    return make
