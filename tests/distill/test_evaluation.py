"""Held-out evaluation glue: the run settings handed to the pipeline and the eval log it writes."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

import evalkit.pipeline
from evalkit.distill.config import DistillConfig
from evalkit.distill.evaluation import evaluate_checkpoint, headline, student_decoder_name
from evalkit.pipeline import RunResult

RESULTS = {
    "metrics": {
        "psnr": {
            "available": True,
            "values": {"teacher": {"value": 20.0}, "student": {"value": 19.0}, "student_vs_teacher": {"value": 31.0}},
            "paired": {"retention": {"value": 0.95}, "drop": {"value": 1.0}},
        },
        "lpips": {"available": False, "values": {}, "paired": {}},
    }
}


def test_headline_keeps_available_metrics_and_retention():
    assert headline(RESULTS) == {
        "psnr/teacher": 20.0,
        "psnr/student": 19.0,
        "psnr/student_vs_teacher": 31.0,
        "psnr/retention": 0.95,
    }


def test_student_name_follows_the_teacher_or_the_flag():
    assert student_decoder_name(DistillConfig(teacher="ltx", student="ltx", out="x")) == "turbo-ltx"
    assert student_decoder_name(DistillConfig(teacher="hunyuan", student="ltx", out="x")) == "turbo-hunyuan"
    assert student_decoder_name(DistillConfig(teacher="demo", student="ltx", out="x")) == "turbo-demo"
    named = DistillConfig(teacher="ltx", student="ltx", out="x", eval_every=10, eval_dataset="sample", eval_decoder="y")
    assert student_decoder_name(named) == "y"
    with pytest.raises(ValueError, match="no registered student decoder uses the teacher of 'wan'"):
        student_decoder_name(DistillConfig(teacher="wan", student="ltx", out="x"))


def test_checkpoint_is_evaluated_through_the_pipeline(monkeypatch, tmp_path):
    seen = []

    def fake_run(config):
        seen.append(config)
        return RunResult(Path(config.out), RESULTS)

    monkeypatch.setattr(evalkit.pipeline, "run", fake_run)
    config = DistillConfig(
        teacher="ltx",
        student="ltx",
        out=str(tmp_path),
        eval_every=100,
        eval_dataset="folder",
        eval_root="/clips",
        eval_max_clips=3,
    )
    checkpoint = tmp_path / "checkpoints" / "step-000100"
    row = evaluate_checkpoint(config, checkpoint, {"latent_channels": 128})
    (run_config,) = seen
    assert run_config.decoder == "turbo-ltx"
    assert (run_config.dataset, run_config.root, run_config.max_clips) == ("folder", "/clips", 3)
    assert run_config.student_weights == str(checkpoint / "decoder.safetensors")
    assert run_config.student_config == {"latent_channels": 128}
    assert run_config.out == str(tmp_path / "eval" / "step-000100")
    assert run_config.profile == "off"  # each checkpoint would otherwise re-measure the cost profile
    assert row["step"] == "000100"
    assert row["psnr/retention"] == 0.95
    with open(tmp_path / "eval_log.csv") as handle:
        assert list(csv.DictReader(handle)) == [{k: str(v) for k, v in row.items()}]
