"""Parameter counts: closed form for small modules, block split, and the check against an expected count."""

import logging

import torch
from torch import nn

from evalkit.profile.params import check_parameter_count, count_parameters, parameters_by_block


class Tiny(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv_in = nn.Conv3d(4, 8, 3)  # 8*4*27 + 8 = 872
        self.blocks = nn.ModuleList([nn.Conv3d(8, 8, 1), nn.Identity()])  # 72
        self.tied = nn.Linear(2, 2, bias=False)  # 4, registered twice, counted once
        self.tied_again = self.tied
        self.register_buffer("stats", torch.zeros(3, 3))  # a buffer, not a parameter


def test_count_parameters_closed_form():
    assert count_parameters(Tiny()) == 872 + 72 + 4


def test_parameters_by_block_splits_module_lists():
    assert parameters_by_block(Tiny()) == {"conv_in": 872, "blocks.0": 72, "tied": 4}  # tied module once


def test_check_parameter_count(caplog):
    assert check_parameter_count(10, 10, what="x", source="paper") == {
        "counted": 10,
        "expected": 10,
        "matches": True,
        "source": "paper",
    }
    assert check_parameter_count(10, None, what="x")["matches"] is None
    with caplog.at_level(logging.WARNING):
        result = check_parameter_count(9, 10, what="student decoder", source="paper")
    assert result["matches"] is False
    assert "student decoder has 9 parameters but 10 are published (paper)" in caplog.text
