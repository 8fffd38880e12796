"""Several students of one teacher: teacher work once, each student's numbers equal to its own run, paired diffs."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pandas as pd
import pytest

from evalkit.cli import main
from evalkit.models.registry import DECODERS
from evalkit.pipeline import run
from evalkit.pipeline.config import ConfigError
from evalkit.pipeline.students import run_students
from tests.pipeline.conftest import VALUE_COLUMNS, values
from tests.report.dom import parse, table_rows


@pytest.fixture
def twin(monkeypatch):
    """A second registered student of the LTX teacher (same layout as turbo-ltx, its own name)."""
    monkeypatch.setitem(
        DECODERS._entries, "turbo-ltx-twin", dataclasses.replace(DECODERS.get("turbo-ltx"), name="turbo-ltx-twin")
    )
    return "turbo-ltx-twin"


def test_two_students_share_the_teacher_work_and_match_their_single_runs(tiny_config, twin, teacher_calls, tmp_path):
    config = tiny_config(out=str(tmp_path / "students"), metrics=("psnr", "ssim"))
    comparison = run_students(config, ["turbo-ltx", twin])
    assert teacher_calls == {"encode": 1, "decode": 1}  # one batch of 2 clips, for both students
    single = run(tiny_config(out=str(tmp_path / "single"), metrics=("psnr", "ssim"), no_cache=True))
    pd.testing.assert_frame_equal(
        values(comparison.runs["turbo-ltx"].run_dir)[VALUE_COLUMNS], values(single.run_dir)[VALUE_COLUMNS]
    )
    document = json.loads((comparison.folder / "students.json").read_text())
    assert document["teacher"] == "ltx"
    assert [student["name"] for student in document["students"]] == ["turbo-ltx", twin]
    assert document["students"][1]["teacher_cache"]["teacher_hits"] == 2
    psnr = next(pair for pair in document["pairs"] if pair["metric"] == "psnr")
    first, second = (values(comparison.runs[name].run_dir)["psnr.student"] for name in ("turbo-ltx", twin))
    assert psnr["difference"]["value"] == pytest.approx(float(np.mean(second - first)))
    assert psnr["difference"]["n"] == 2
    dom = parse((comparison.folder / "students.html").read_text(encoding="utf-8"))
    _, rows = table_rows(dom.by_id("students-table"))
    assert [row[0].text().split()[0] for row in rows] == ["turbo-ltx", twin]


def test_the_gate_judges_the_student_it_is_told_to(tiny_config, twin, tmp_path, capsys):
    comparison = run_students(tiny_config(out=str(tmp_path / "cmp"), metrics=("psnr",)), ["turbo-ltx", twin])
    rule = ["--rule", "psnr.loss<=100", "--allow", "random", "--min-clips", "1"]
    assert main(["gate", str(comparison.folder), *rule]) == 2
    assert "pick one with --student: turbo-ltx, turbo-ltx-twin" in capsys.readouterr().err
    assert main(["gate", str(comparison.folder), "--student", twin, *rule]) == 0
    assert main(["gate", str(comparison.folder), "--student", "nobody", *rule]) == 2
    assert "has no student 'nobody'" in capsys.readouterr().err


def test_students_of_different_teachers_or_without_cache_are_refused(tiny_config, twin):
    with pytest.raises(ConfigError, match="must share a teacher"):
        run_students(tiny_config(), ["turbo-ltx", "turbo-hunyuan"])
    with pytest.raises(ConfigError, match="drop --no-cache"):
        run_students(tiny_config(no_cache=True), ["turbo-ltx", twin])
    with pytest.raises(ConfigError, match="two or more different decoders"):
        run_students(tiny_config(), ["turbo-ltx", "turbo-ltx"])
