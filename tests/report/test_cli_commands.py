"""`evalkit report` and `evalkit leaderboard` (evalkit/cli/report.py, evalkit/cli/leaderboard.py)."""

import shutil
from pathlib import Path

import pytest

from evalkit.cli import main

from .conftest import build_run


@pytest.fixture
def run_dir(tmp_path: Path) -> Path:
    return build_run(tmp_path / "run-1", profile=False)


def test_report_writes_the_page_and_prints_its_path(run_dir, tmp_path, capsys):
    out = tmp_path / "review.html"
    assert main(["report", str(run_dir), "--out", str(out), "--title", "review <1>"]) == 0
    assert capsys.readouterr().out.strip() == str(out)
    assert "<title>review &lt;1&gt;</title>" in out.read_text(encoding="utf-8")


def test_report_on_a_folder_without_results_exits_2(tmp_path, capsys):
    assert main(["report", str(tmp_path)]) == 2
    assert "no such results file; run `evalkit run` first" in capsys.readouterr().err


def test_leaderboard_builds_the_site(run_dir, tmp_path, capsys):
    shutil.copytree(run_dir, tmp_path / "all" / "run-2")
    out = tmp_path / "site"
    assert main(["leaderboard", str(run_dir), str(tmp_path / "all"), "--out", str(out)]) == 0
    assert capsys.readouterr().out.strip() == str(out / "index.html")
    assert sorted(p.name for p in (out / "runs").iterdir()) == ["run-1-2.html", "run-1.html"]


def test_leaderboard_without_runs_exits_2(tmp_path, capsys):
    assert main(["leaderboard", str(tmp_path), "--out", str(tmp_path / "site")]) == 2
    assert "no results.json in it or below it" in capsys.readouterr().err
