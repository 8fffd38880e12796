"""DistillConfig: the learning-rate schedule and the settings it refuses."""

from __future__ import annotations

import pytest

from evalkit.distill.config import DistillConfig


def _config(**overrides) -> DistillConfig:
    return DistillConfig(teacher="demo", student="ltx", out="x", lr=1e-3, max_steps=100, **overrides)


def test_constant_schedule_keeps_the_lr():
    config = _config()
    assert [config.lr_at(step) for step in (0, 50, 99, 100)] == [1e-3] * 4


def test_cosine_schedule_falls_from_lr_to_the_floor():
    config = _config(lr_schedule="cosine", lr_min_ratio=0.1)
    # lr * (0.1 + 0.9 * (1 + cos(pi * step / 100)) / 2), evaluated by hand
    assert config.lr_at(0) == pytest.approx(1e-3, rel=1e-12)
    assert config.lr_at(25) == pytest.approx(8.681981e-4, rel=1e-6)
    assert config.lr_at(50) == pytest.approx(5.5e-4, rel=1e-12)
    assert config.lr_at(100) == pytest.approx(1e-4, rel=1e-12)
    assert config.lr_at(250) == pytest.approx(1e-4, rel=1e-12)  # past max_steps (a resumed, shortened run)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"lr_schedule": "cosin"}, "lr_schedule must be one of constant, cosine; got 'cosin'"),
        ({"lr_min_ratio": 1.5}, r"lr_min_ratio must be in \[0, 1\]; got 1.5"),
        ({"lr_min_ratio": -0.1}, r"lr_min_ratio must be in \[0, 1\]; got -0.1"),
    ],
)
def test_bad_schedule_settings_are_refused(overrides, message):
    with pytest.raises(ValueError, match=message):
        _config(**overrides)
