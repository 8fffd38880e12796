import math

import pytest

from evalkit.results.schema import (
    Estimate,
    MetricResult,
    ResultsSchemaError,
    canonical_metric,
    per_clip_column,
    validate_results,
)
from tests.results.conftest import make_document


def test_valid_document_passes_unchanged():
    doc = make_document({})
    assert validate_results(doc) is doc


def test_newer_schema_version_is_refused_with_upgrade_hint():
    doc = make_document({})
    doc["schema_version"] = 99
    with pytest.raises(
        ResultsSchemaError, match=r"x.json: schema_version 99 is not supported \(this evalkit reads 1\); upgrade"
    ):
        validate_results(doc, source="x.json")


def test_missing_key_and_wrong_type_are_named():
    doc = make_document({})
    del doc["protocol"]
    with pytest.raises(ResultsSchemaError, match="required key 'protocol' is missing"):
        validate_results(doc)
    doc = make_document({})
    doc["seed"] = True
    with pytest.raises(ResultsSchemaError, match="'seed' must be int, got bool"):
        validate_results(doc)


def test_unavailable_metric_must_say_why():
    metric = MetricResult("lpips", available=False, higher_is_better=False, label="LPIPS", reason="")
    with pytest.raises(ResultsSchemaError, match="metrics.lpips is unavailable but gives no reason"):
        validate_results(make_document({"lpips": metric}))


def test_unknown_comparison_is_refused():
    metric = MetricResult("psnr", True, True, "PSNR", values={"teacher": Estimate(1.0)})
    doc = make_document({"psnr": metric})
    doc["metrics"]["psnr"]["values"]["gt"] = {"value": 1.0}
    with pytest.raises(ResultsSchemaError, match="metrics.psnr.values.gt is not one of teacher, student"):
        validate_results(doc)


def test_estimate_and_metric_round_trip_with_nan_as_null():
    estimate = Estimate(value=float("nan"), ci_low=1.0, ci_high=2.0, n=3)
    assert estimate.to_dict() == {"value": None, "ci_low": 1.0, "ci_high": 2.0, "n": 3}
    assert math.isnan(Estimate.from_dict(estimate.to_dict()).value)
    metric = MetricResult(
        "psnr",
        True,
        True,
        "PSNR",
        variant={"data_range": 1.0},
        unit="dB",
        values={"student": Estimate(30.0, 29.0, 31.0, 5)},
        paired={"drop": Estimate(0.2)},
    )
    assert MetricResult.from_dict("psnr", metric.to_dict()) == metric


def test_names():
    assert per_clip_column("psnr", "student_vs_teacher") == "psnr.student_vs_teacher"
    assert canonical_metric("rfvd") == "fvd"
    with pytest.raises(ValueError, match="unknown comparison 'gt'"):
        per_clip_column("psnr", "gt")
