"""The ``floors`` block: aggregation from the per-clip table, the below-floor verdict, summary rows, validation."""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd
import pytest

from evalkit.results.aggregate import per_clip_metric_result
from evalkit.results.floors import BELOW_FLOOR, below_floor, below_floor_lines, floor_results
from evalkit.results.schema import ResultsSchemaError, validate_results
from evalkit.results.summary import format_summary
from tests.results.conftest import make_document

FLOOR_SETTINGS = {
    "resample": {"params": {"spatial": 8, "temporal": 4, "factors_from": "options"}, "label": "resample 8×8×4"},
    "flat": {"params": {"colour": "mean"}, "label": "flat mean colour"},
}


def _table(teacher: list[float], student: list[float], resample: list[float]) -> pd.DataFrame:
    """Three ok clips and one failed clip (whose values must not count)."""
    return pd.DataFrame(
        {
            "clip_id": ["a", "b", "c", "broken"],
            "status": ["ok", "ok", "ok", "failed"],
            "psnr.teacher": [*teacher, np.nan],
            "psnr.student": [*student, np.nan],
            "psnr.floor_resample": [*resample, 99.0],
            "psnr.floor_flat": [12.0, 13.0, 14.0, np.nan],
        }
    )


def _document(teacher: list[float], student: list[float], resample: list[float]) -> dict:
    table = _table(teacher, student, resample)
    psnr = per_clip_metric_result("psnr", table, label="PSNR", higher_is_better=True, variant={}, resamples=50)
    doc = make_document({"psnr": psnr})
    doc["floors"] = floor_results(table, copy.deepcopy(FLOOR_SETTINGS), ["psnr", "ssim"], resamples=50)
    return doc


def test_floor_values_are_clip_means_over_ok_clips_with_cis():
    doc = _document([30.0, 31.0, 32.0], [29.0, 30.0, 31.0], [24.0, 25.0, 29.0])
    resample = doc["floors"]["resample"]
    assert resample["params"] == FLOOR_SETTINGS["resample"]["params"]
    assert resample["label"] == "resample 8×8×4"
    assert set(resample["values"]) == {"psnr"}  # no ssim columns: left out, not NaN
    assert resample["values"]["psnr"]["value"] == pytest.approx(26.0)  # the failed clip's 99 is not counted
    assert resample["values"]["psnr"]["n"] == 3
    assert 24.0 <= resample["values"]["psnr"]["ci_low"] < 26.0 < resample["values"]["psnr"]["ci_high"] <= 29.0
    assert doc["floors"]["flat"]["values"]["psnr"]["value"] == pytest.approx(13.0)
    assert validate_results(doc) is doc


def test_a_decoder_must_clear_the_resample_floor_by_one_db():
    # teacher mean 27.0 = floor 26.0 + 1 dB exactly: clears it; student 26.9: does not
    doc = _document([26.0, 27.0, 28.0], [25.9, 26.9, 27.9], [24.0, 25.0, 29.0])
    flagged = below_floor(doc)
    assert list(flagged) == ["student"]
    assert flagged["student"] == pytest.approx((26.9, 26.0))
    (line,) = below_floor_lines(doc)
    assert line.startswith(f"student turbo-ltx {BELOW_FLOOR} (PSNR 26.90 dB; the resample 8×8×4 floor scores 26.00")
    del doc["floors"]
    assert below_floor(doc) == {}


def test_summary_shows_floor_rows_under_the_decoder_columns_and_the_warning():
    doc = _document([22.0, 23.0, 24.0], [30.0, 31.0, 32.0], [24.0, 25.0, 29.0])
    lines = format_summary(doc).splitlines()
    header = next(line for line in lines if line.startswith("metric"))
    resample = next(line for line in lines if "floor: resample 8×8×4" in line)
    flat = next(line for line in lines if "floor: flat mean colour" in line)
    assert lines.index(resample) == lines.index(header) + 2  # right under the PSNR row
    assert resample.index("26.000") == header.index("teacher")
    assert resample.index("26.000", header.index("student")) == header.index("student")
    assert flat.index("13.000") == header.index("teacher")
    assert f"*** teacher ltx {BELOW_FLOOR} (PSNR 23.00 dB" in format_summary(doc)
    assert "student turbo-ltx below" not in format_summary(doc)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda floors: floors.update(noise={}), r"floors.noise is not one of resample, flat"),
        (lambda floors: floors["resample"]["params"].pop("spatial"), r"params.spatial must be an integer >= 1"),
        (lambda floors: floors["resample"]["params"].update(temporal=2.0), r"params.temporal must be an integer"),
        (lambda floors: floors["flat"].pop("label"), r"floors.flat needs a str label"),
        (lambda floors: floors["flat"]["values"].update(psnr=13.0), r"floors.flat.values.psnr must be an estimate"),
    ],
)
def test_malformed_floors_are_refused_with_the_key(change, message):
    doc = _document([30.0, 31.0, 32.0], [29.0, 30.0, 31.0], [24.0, 25.0, 29.0])
    change(doc["floors"])
    with pytest.raises(ResultsSchemaError, match=message):
        validate_results(doc)
