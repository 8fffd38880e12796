"""Seam score pinned on hand-computed frames."""

from __future__ import annotations

import math

import pytest
import torch

from evalkit.metrics.seams import join_bands, seam_score


def ramp_clip() -> torch.Tensor:
    """One 4x4 frame, grey, pixel (r, c) = [0, 2, 10, 12][c] + r: column steps 2, 8, 2; row steps 1."""
    columns = torch.tensor([0, 2, 10, 12])
    frame = columns[None, :] + torch.arange(4)[:, None]
    return frame[None, :, :, None].expand(1, 4, 4, 3).to(torch.uint8)


def test_join_without_blend_owns_the_step_into_it():
    # join at column 2, no blend: the one difference between columns 1 and 2 (4 pairs of 8);
    # the rest: column steps 2 (8 pairs) and row steps 1 (12 pairs) -> 28 / 20 = 1.4; 8 / 1.4 = 40/7
    assert seam_score(ramp_clip(), [], [2], blend=0) == pytest.approx(40 / 7, rel=1e-12)


def test_blend_widens_the_band():
    # blend 1: differences 1->2 and 2->3 (4 x 8 + 4 x 2 = 40 over 8 pairs = 5); rest (4 x 2 + 12 x 1) / 16 = 1.25
    assert seam_score(ramp_clip(), [], [2], blend=1) == pytest.approx(4.0, rel=1e-12)


def test_row_joins_count_vertical_differences():
    # join at row 2: 4 row pairs of 1; rest: 8 row pairs of 1 and column pairs 4 x (2 + 8 + 2) -> 56 / 20 = 2.8
    assert seam_score(ramp_clip(), [2], [], blend=0) == pytest.approx(1 / 2.8, rel=1e-12)


def test_degenerate_clips():
    flat = torch.full((2, 4, 4, 3), 7, dtype=torch.uint8)
    assert seam_score(flat, [2], [2], blend=1) == 1.0
    assert math.isnan(seam_score(ramp_clip(), [], [], blend=1))
    step = torch.zeros(1, 4, 4, 3, dtype=torch.uint8)
    step[:, :, 2:] = 50
    assert seam_score(step, [], [2], blend=0) == math.inf


def test_join_bands_clip_to_the_frame():
    assert join_bands(6, [2, 4], blend=3).tolist() == [False, True, True, True, True]
