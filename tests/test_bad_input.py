"""Bad input given to the command line ends in one line on stderr naming the file and the fix, and exit 2.

Each test builds its bad file itself; none may end in a traceback, and nothing in a refused file may run.
"""

from __future__ import annotations

import json
import os
import pickle
import shutil
from pathlib import Path

import pytest
import torch

from evalkit.cli import main
from evalkit.models.demo import STUDENT_CONFIG_FILE, TEACHER_DIR, TEACHER_FILE
from tests.report.conftest import build_run

DEMO_STUDENT = STUDENT_CONFIG_FILE.parent / "decoder.safetensors"


@pytest.fixture(autouse=True)
def _offline(monkeypatch, tmp_path):
    monkeypatch.setenv("EVALKIT_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("EVALKIT_CACHE", str(tmp_path / "cache"))


def one_line_exit_2(capsys, argv: list[str], *expected: str) -> str:
    """Run the CLI; assert exit 2 and a single stderr line (log warnings aside) holding every ``expected`` text."""
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    lines = [line for line in err.splitlines() if line.startswith("evalkit ") or line.startswith("ERROR ")]
    assert len(lines) == 1, err
    for text in expected:
        assert text in lines[0], lines[0]
    return lines[0]


class _RunsCode:
    """Unpickling this runs a shell command; it must never happen."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


# -- results files (report, leaderboard) --------------------------------------------------------------------------


@pytest.fixture
def run_folder(tmp_path) -> Path:
    return build_run(tmp_path / "run")


@pytest.mark.parametrize(
    ("where", "value", "named"),
    [
        (("metrics", "psnr", "values", "student", "value"), "13.5 dB", "metrics.psnr.values.student.value"),
        (("metrics", "psnr", "paired", "drop", "ci_low"), [0.1], "metrics.psnr.paired.drop.ci_low"),
        (("metrics", "ssim", "values", "teacher", "n"), "three", "metrics.ssim.values.teacher.n"),
        (("clips", "evaluated"), "two", "clips.evaluated"),
    ],
)
@pytest.mark.parametrize("command", ["report", "leaderboard"])
def test_non_numeric_results_field(capsys, tmp_path, run_folder, where, value, named, command):
    results = run_folder / "results.json"
    doc = json.loads(results.read_text())
    parent = doc
    for key in where[:-1]:
        parent = parent[key]
    parent[where[-1]] = value
    results.write_text(json.dumps(doc))
    argv = ["report", str(run_folder)] if command == "report" else ["leaderboard", str(run_folder), "--out", "site"]
    one_line_exit_2(capsys, argv, str(results), named, "re-run the `evalkit run` command")


@pytest.mark.parametrize(("content", "problem"), [(bytes(range(256)), "binary"), ("é".encode("latin-1"), "UTF-8")])
def test_binary_or_non_utf8_results_file(capsys, run_folder, content, problem):
    (run_folder / "results.json").write_bytes(b'{"kind": "' + content + b'"}')
    one_line_exit_2(capsys, ["report", str(run_folder)], str(run_folder / "results.json"), problem, "restore")


def test_damaged_run_files_beside_results_still_give_a_report(caplog, run_folder):
    """A truncated per-clip table, manifest or sample costs its section of the report, not the report."""
    samples = sorted((run_folder / "samples").iterdir())
    for path in (run_folder / "per_clip.parquet", run_folder / "manifest.json", *samples):
        _truncated(path, path)
    assert main(["report", str(run_folder)]) == 0
    warned = caplog.text
    assert "damaged per-clip table" in warned
    assert "damaged clip manifest" in warned
    assert "damaged sample file" in warned
    assert (run_folder / "report.html").stat().st_size > 0


# -- config files -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "problem"),
    [
        ("run.yaml", "decoder: turbo-demo\n# café\n".encode("latin-1"), "is not UTF-8 text (byte 0xe9 at offset 25)"),
        ("run.toml", bytes(range(256)), "is a binary file"),
    ],
)
def test_config_file_that_is_not_utf8_text(capsys, tmp_path, name, content, problem):
    config = tmp_path / name
    config.write_bytes(content)
    one_line_exit_2(capsys, ["run", "--config", str(config)], f"config file {config}", problem, "UTF-8 TOML")


# -- weight files -------------------------------------------------------------------------------------------------


def _truncated(source: Path, target: Path) -> Path:
    data = source.read_bytes()
    target.write_bytes(data[: len(data) // 2])
    return target


def _pickle_renamed(tmp_path: Path) -> Path:
    path = tmp_path / "decoder.safetensors"
    torch.save({"conv_in.weight": torch.zeros(2)}, path)
    return path


def _run_argv(tmp_path: Path, *flags: str) -> list[str]:
    return ["run", "--out", str(tmp_path / "out"), "--max-clips", "1", "--metrics", "psnr", "--no-progress", *flags]


@pytest.mark.parametrize(
    ("make", "problem"),
    [
        (lambda tmp: _truncated(DEMO_STUDENT, tmp / "decoder.safetensors"), "damaged safetensors file"),
        (_pickle_renamed, "is a PyTorch torch.save file renamed to .safetensors"),
    ],
    ids=["truncated", "pickle-renamed"],
)
def test_student_safetensors_that_cannot_be_read(capsys, tmp_path, make, problem):
    path = make(tmp_path)
    one_line_exit_2(capsys, _run_argv(tmp_path, "--student-weights", str(path)), str(path), problem)
    assert not (tmp_path / "out" / "journal").exists()  # refused before any clip


def test_truncated_teacher_safetensors(capsys, tmp_path):
    folder = tmp_path / "teacher"
    shutil.copytree(TEACHER_DIR, folder)
    weights = _truncated(TEACHER_FILE, folder / TEACHER_FILE.name)
    one_line_exit_2(capsys, _run_argv(tmp_path, "--teacher-weights", str(folder)), str(weights), "truncated")


@pytest.mark.parametrize("via_torch_save", [True, False], ids=["torch-save", "raw-pickle"])
@pytest.mark.parametrize("flag", ["--student-weights", "--fvd-detector"])
def test_malicious_pickle_is_never_run(capsys, tmp_path, flag, via_torch_save):
    marker = tmp_path / "code-ran"
    path = tmp_path / "weights.pt"
    if via_torch_save:
        torch.save({"weight": _RunsCode(marker)}, path)
    else:
        path.write_bytes(pickle.dumps({"weight": _RunsCode(marker)}))
    metrics = ["--metrics", "psnr,fvd"] if flag == "--fvd-detector" else []
    line = one_line_exit_2(capsys, [*_run_argv(tmp_path, flag, str(path)), *metrics], str(path))
    assert not marker.exists()
    assert "weights_only=False" not in line
    if flag == "--student-weights" and via_torch_save:
        assert "Python objects other than tensors (posix.system)" in line


# -- run journal ---------------------------------------------------------------------------------------------------
