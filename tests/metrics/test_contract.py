"""A new metric is its own class and one registry line: a toy mean absolute error through the registry, ThreeWay
and the results entry, on clips whose values are worked out by hand."""

import pandas as pd
import pytest
import torch

from evalkit.metrics import METRICS, MetricOptions, MetricSpec, build_metrics
from evalkit.metrics.base import FrameAveragedMetric
from evalkit.metrics.three_way import ThreeWay
from evalkit.pipeline.metric_entries import per_clip_entry
from evalkit.results.schema import PER_CLIP_BASE_COLUMNS, per_clip_column

FLOAT32 = 1e-6  # uint8 / 255 in float32 is off by at most ~3e-8 per value; means of a few values stay far below 1e-6


class MeanAbsoluteError(FrameAveragedMetric):
    """Mean |reference - candidate| over pixels and RGB channels, in [0, 1] units (lower is better)."""

    name = "mae"
    higher_is_better = False

    @property
    def variant(self) -> dict[str, str]:
        return {"definition": "mean |r - c|, RGB in [0,1]"}

    def _frame_values(self, reference: torch.Tensor, candidate: torch.Tensor) -> dict[str, torch.Tensor]:
        return {"score": (reference - candidate).abs().flatten(1).mean(dim=1)}


@pytest.fixture
def registered_mae(monkeypatch):
    """The toy metric in the registry for this test only (the registry itself is left as it was)."""
    monkeypatch.setattr(METRICS, "_entries", dict(METRICS._entries))
    METRICS.register("mae", obj=MetricSpec("mae", f"{__name__}:MeanAbsoluteError", False, "MAE"))


def clips(*frame_levels: tuple[int, int]) -> torch.Tensor:
    """uint8 clips (B, 2, 4, 4, 3), each frame one flat grey level."""
    levels = torch.tensor(frame_levels, dtype=torch.uint8)
    return levels[:, :, None, None, None].expand(-1, -1, 4, 4, 3).contiguous()


def test_a_registered_toy_metric_runs_through_three_way_into_its_results_entry(registered_mae):
    built, unavailable = build_metrics(["mae"], MetricOptions(frame_batch=1))
    assert not unavailable
    assert built["mae"].frame_batch == 1  # built by the default from_options of a frame-averaged metric
    ground_truth = clips((100, 100), (100, 100))
    teacher = clips((110, 110), (90, 100))  # clip a: 10 and 10 levels off; clip b: 10 and 0
    student = clips((100, 130), (95, 95))  # vs truth: a 0, 30; b 5, 5 -- vs teacher: a 10, 20; b 5, 5
    three_way = ThreeWay(built["mae"])
    three_way.update(ground_truth, teacher, student, ["a", "b"])
    expected = {
        "teacher": {"a": 10 / 255, "b": 5 / 255},
        "student": {"a": 15 / 255, "b": 5 / 255},
        "student_vs_teacher": {"a": 15 / 255, "b": 5 / 255},
    }
    for comparison, values in three_way.per_clip().items():
        assert values == pytest.approx(expected[comparison], abs=FLOAT32), comparison

    rows = [{"clip_id": clip_id, "status": "ok", "stage": None, "reason": None, "rank": 0} for clip_id in "ab"]
    table = pd.DataFrame(rows, columns=list(PER_CLIP_BASE_COLUMNS))
    for comparison, values in three_way.per_clip().items():
        table[per_clip_column("mae", comparison)] = [values["a"], values["b"]]
    entry = per_clip_entry("mae", table, built["mae"].variant, seed=0, resamples=200).to_dict()
    assert (entry["label"], entry["higher_is_better"], entry["per_clip"]) == ("MAE", False, True)
    means = {comparison: value["value"] for comparison, value in entry["values"].items()}
    expected_means = {"teacher": 7.5 / 255, "student": 10 / 255, "student_vs_teacher": 10 / 255}
    assert means == pytest.approx(expected_means, abs=FLOAT32)
    assert entry["paired"]["increase"]["value"] == pytest.approx(2.5 / 255, abs=FLOAT32)
    assert entry["paired"]["retention"]["value"] == pytest.approx(0.75, abs=1e-5)
    assert entry["variant"] == {"definition": "mean |r - c|, RGB in [0,1]"}
