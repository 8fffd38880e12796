"""The GPU suite's --smoke mode runs the same code on the CPU and writes the JSON schema the GPU run writes."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

SUITE = Path(__file__).parents[2] / "benchmarks" / "gpu_suite.py"


def _suite_module():
    spec = importlib.util.spec_from_file_location("gpu_suite", SUITE)
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("gpu_suite", module)  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_the_gpu_plan_covers_every_figure_the_paper_gives():
    suite = _suite_module()
    plan = suite.full_plan()
    for pair, *shape in suite.PAPER_FPS:
        assert pair in plan.pairs
        assert tuple(shape) in plan.shapes
    assert set(plan.dtypes) == {"float32", "float16", "bfloat16"}
    assert plan.run_workers == (0, 2, 4)
    assert suite._batches(64) == [1, 2, 4, 8, 16, 32, 64]


def test_smoke_run_writes_the_suite_schema(tmp_path):
    out = tmp_path / "smoke.json"
    done = subprocess.run(
        [sys.executable, str(SUITE), "--smoke", "--out", str(out)], capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(out.read_text())
    assert result["schema"] == "evalkit.gpu_suite/1"
    assert result["smoke"] is True
    assert result["machine"]["device"] == "cpu"
    assert result["skipped_for_time"] == []
    rows = result["decode"]
    assert [(row["dtype"], row["batch"]) for row in rows] == [
        ("float32", 1),
        ("float32", 2),
        ("bfloat16", 1),
        ("bfloat16", 2),
    ]
    for row in rows:
        teacher, student = (row[role]["latency"] for role in ("teacher", "student"))
        assert row["speedup"] == pytest.approx(student["fps"] / teacher["fps"])
        assert row["teacher"]["output_shape"][0] == row["student"]["output_shape"][0] == row["batch"]
        assert teacher["conditions"]["threads"] >= 1
        assert row["paper_fps"] is None
    runs = result["run"]
    assert [row["num_workers"] for row in runs] == [0, 2]
    for row in runs:
        stages = ("teacher_encode", "teacher_decode", "student_decode")
        decoders = sum(row["stage_s"].get(stage, 0.0) for stage in stages)
        assert row["decoder_share"] == pytest.approx(decoders / row["wall_s"])
        assert 0 < row["decoder_share"] < 1
        assert row["clips_per_s"] == pytest.approx(2 / row["wall_s"])
    assert "FPS" in done.stdout
    assert "decoders" in done.stdout
