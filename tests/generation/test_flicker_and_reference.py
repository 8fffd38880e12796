"""Flicker curves on clips with known frame changes; the reference transform's output size and content."""

from __future__ import annotations

import pytest
import torch

from evalkit.generation.flicker import FlickerCurves, save_flicker_figure
from evalkit.generation.reference import cover_and_crop


def constant_frames(levels: list[int]) -> torch.Tensor:
    return torch.tensor(levels, dtype=torch.uint8).view(-1, 1, 1, 1).expand(-1, 4, 4, 3).contiguous()


def test_flicker_curves_average_absolute_frame_changes(tmp_path):
    curves = FlickerCurves()
    curves.update("teacher", constant_frames([10, 10, 10]))
    curves.update("student", constant_frames([10, 30, 10]))
    curves.update("student", constant_frames([0, 0, 40]))
    assert curves.curves() == {"teacher": [0.0, 0.0], "student": [10.0, 30.0]}
    assert curves.to_dict()["samples"] == {"teacher": 1, "student": 2}
    figure = save_flicker_figure(curves.curves(), tmp_path / "f.png", "t")
    assert figure.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with pytest.raises(ValueError, match="flicker: clips of student differ in length"):
        curves.update("student", constant_frames([1, 2]))


def test_cover_and_crop_fills_the_target_and_keeps_the_centre():
    frames = torch.zeros(2, 40, 100, 3, dtype=torch.uint8)
    frames[:, :, 45:55] = 255  # a bright vertical band in the middle
    out = cover_and_crop(frames, 64, 64)
    assert out.shape == (2, 64, 64, 3)
    assert out.dtype == torch.uint8
    assert out[0, 32, 32, 0] == 255
    assert out[0, 32, 0, 0] == 0
    assert cover_and_crop(frames, 40, 100).equal(frames)
