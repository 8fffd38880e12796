"""What the gate refuses (random weights, unfinished or empty runs, demo models, small FVDs) and every
unreadable or incomparable input: each exits 2 with one line naming the file and the fix."""

import json

import pytest

from evalkit.cli import main
from evalkit.models.demo import DEMO_NOTE
from evalkit.results.gate import EXIT_FAIL, EXIT_PASS, EXIT_UNUSABLE, GateInputError, check, parse_rule
from evalkit.results.gate_inputs import refuse_run
from evalkit.results.gate_rules import ALLOWANCES

TEACHER = [30.0, 31.0, 32.0, 33.0, 34.0, 35.0]
STUDENT = [29.8, 30.7, 31.9, 32.8, 33.7, 34.9]
DEMO_DECODERS = {"pair": "turbo-demo", "teacher": {"name": "demo"}, "student": {"name": "turbo-demo"}}
PARTIAL_CLIPS = {"total": 8, "evaluated": 6, "failed": 2, "skipped": []}


def gate(path, *extra):
    return main(["gate", str(path), "--rule", "psnr.loss<=0.3", *extra])


def one_line_error(capsys) -> str:
    err = capsys.readouterr().err
    assert err.startswith("gate UNUSABLE INPUT: ")
    assert len(err.strip().splitlines()) == 1
    return err


@pytest.mark.parametrize(
    ("overrides", "allow", "message"),
    [
        ({"random_weights": True}, "random", "random weights (random_weights: true;"),
        ({"status": "partial"}, "partial", "run status 'partial' (6 of 8 clips evaluated;"),
        (
            {"decoders": {**DEMO_DECODERS, "info": {"demo": DEMO_NOTE}}},
            "demo",
            f"demonstration models (decoders.info.demo: {DEMO_NOTE})",
        ),
    ],
    ids=["random", "partial", "demo"],
)
def test_refused_runs_exit_2_unless_allowed(write_run, capsys, overrides, allow, message):
    path = write_run("run", TEACHER, STUDENT, **overrides)
    _set(path, lambda doc: doc.update(clips=PARTIAL_CLIPS))
    assert gate(path) == EXIT_UNUSABLE
    err = one_line_error(capsys)
    assert f"refusing to judge {path}: " in err
    assert message in err
    assert f"[--allow {allow}]" in err
    assert gate(path, "--allow", allow) == EXIT_PASS
    other = "demo" if allow != "demo" else "random"
    assert gate(path, "--allow", other) == EXIT_UNUSABLE


def test_everything_found_is_named_and_each_allow_is_needed(write_run, capsys):
    path = write_run(
        "run",
        TEACHER,
        STUDENT,
        random_weights=True,
        status="partial",
        decoders={**DEMO_DECODERS, "info": {"demo": DEMO_NOTE}},
    )
    assert gate(path, "--allow", "random", "--allow", "demo") == EXIT_UNUSABLE
    err = one_line_error(capsys)
    assert "run status 'partial'" in err
    assert "random weights" not in err
    assert "demonstration" not in err
    assert gate(path, "--allow", "random", "--allow", "demo", "--allow", "partial") == EXIT_PASS


def test_baseline_is_refused_like_the_run(write_run, capsys):
    base = write_run("base", TEACHER, TEACHER, random_weights=True)
    path = write_run("run", TEACHER, STUDENT)
    assert gate(path, "--baseline", str(base)) == EXIT_UNUSABLE
    assert f"refusing to judge {base}: random weights" in one_line_error(capsys)


def test_empty_run_is_always_refused(write_run, capsys):
    path = write_run("run", TEACHER, STUDENT)
    doc = json.loads(path.read_text())
    doc.update(status="empty", clips={"total": 6, "evaluated": 0, "failed": 6, "skipped": []})
    path.write_text(json.dumps(doc))
    assert gate(path, "--allow", "partial") == EXIT_UNUSABLE
    assert "status 'empty'" in one_line_error(capsys)  # the schema or the gate refuses it, whichever reads it first
    with pytest.raises(GateInputError, match=r"run status 'empty' \(no clip was evaluated, .*--allow partial does not"):
        refuse_run(doc, path, frozenset(ALLOWANCES))


def test_unknown_allowance_is_an_argument_error(write_run, capsys):
    path = write_run("run", TEACHER, STUDENT)
    with pytest.raises(SystemExit) as exc:
        gate(path, "--allow", "everything")
    assert exc.value.code == EXIT_UNUSABLE
    assert "invalid choice: 'everything'" in capsys.readouterr().err


SMALL_FVD = {"detector": "i3d", "n_clips": 6, "frames": 17, "min_clips": 50, "comparable": False}


def test_small_fvd_rules_are_refused_unless_allowed(write_run, capsys):
    path = write_run("run", TEACHER, STUDENT, fvd=(100.0, 101.0), fvd_variant=SMALL_FVD)
    report = check(path, [parse_rule("fvd.loss<=2"), parse_rule("psnr.loss<=0.3")])
    assert [o.status for o in report.outcomes] == ["error", "pass"]
    assert report.outcomes[0].note == (
        f"{path}: fvd rests on N=6 clips per set (17 frames), below the minimum of 50 for a comparable FVD "
        "(small sets bias FVD upward); evaluate more clips, or pass --allow small-fvd to judge it anyway"
    )
    assert main(["gate", str(path), "--rule", "fvd.student<=200"]) == EXIT_UNUSABLE
    assert main(["gate", str(path), "--rule", "fvd.loss<=2", "--allow", "small-fvd"]) == EXIT_PASS
    assert main(["gate", str(path), "--rule", "fvd.loss<=0.5", "--allow", "small-fvd"]) == EXIT_FAIL


def test_fvd_without_a_recorded_sample_size_is_refused(write_run):
    path = write_run("run", TEACHER, STUDENT, fvd_variant={"detector": "i3d"})  # an older evalkit's document
    report = check(path, [parse_rule("fvd.loss<=2")])
    assert report.exit_code == EXIT_UNUSABLE
    assert "fvd does not record whether its N=6 clips per set are enough for a comparable FVD" in (
        report.outcomes[0].note
    )
    assert check(path, [parse_rule("fvd.loss<=2")], allow=["small-fvd"]).exit_code == EXIT_PASS


def _bytes(path, data: bytes):
    path.write_bytes(data)


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda p: p.unlink(), "no such results file; run `evalkit run` first"),
        (lambda p: _bytes(p, b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), "is a binary file, not text"),
        (lambda p: _bytes(p, '{"run_id": "caf\xe9"}'.encode("latin-1")), "is not UTF-8 text (byte 0xe9 at offset 15)"),
        (lambda p: _bytes(p, p.read_bytes()[: len(p.read_bytes()) // 2]), "not valid JSON"),
        (lambda p: _bytes(p, b"[1, 2]"), "expected a JSON object, got list"),
    ],
    ids=["missing", "binary", "latin-1", "truncated", "not-an-object"],
)
def test_unreadable_results_exit_2_naming_the_file(write_run, capsys, damage, message):
    path = write_run("run", TEACHER, STUDENT)
    damage(path)
    assert gate(path) == EXIT_UNUSABLE
    err = one_line_error(capsys)
    assert str(path) in err
    assert message in err


def _set(path, edit):
    doc = json.loads(path.read_text())
    edit(doc)
    path.write_text(json.dumps(doc))


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            lambda d: d["metrics"]["psnr"]["values"]["student"].update(value="thirty"),
            "metrics.psnr.values.student.value must be a number or null, got 'thirty'",
        ),
        (
            lambda d: d["metrics"]["psnr"]["paired"]["drop"].update(n="six"),
            "metrics.psnr.paired.drop.n must be a whole number of clips, got 'six'",
        ),
        (
            lambda d: d["metrics"]["psnr"].update(values={"student": "thirty"}),
            "metrics.psnr.values.student must be an object, got str",
        ),
        (lambda d: d.update(metrics=[]), "'metrics' must be dict"),
        (lambda d: d.update(status=3), "'status' must be str"),
    ],
    ids=["value", "n", "estimate-string", "metrics-list", "status"],
)
def test_non_numeric_or_misshapen_fields_exit_2(write_run, capsys, edit, message):
    path = write_run("run", TEACHER, STUDENT)
    _set(path, edit)
    assert gate(path) == EXIT_UNUSABLE
    err = one_line_error(capsys)
    assert str(path) in err
    assert message in err


def _truncate(path):
    path.write_bytes(path.read_bytes()[:100])


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda run_dir: (run_dir / "per_clip.parquet").unlink(), "missing; the gate pairs clips from both runs'"),
        (lambda run_dir: _truncate(run_dir / "per_clip.parquet"), "cannot be read ("),
        (lambda run_dir: _bytes(run_dir / "per_clip.parquet", b""), "cannot be read ("),
    ],
    ids=["missing", "truncated", "empty-file"],
)
def test_baseline_without_a_readable_per_clip_table_exits_2(write_run, capsys, damage, message):
    base = write_run("base", TEACHER, TEACHER)
    path = write_run("run", TEACHER, STUDENT)
    damage(base.parent)
    assert gate(path, "--baseline", str(base)) == EXIT_UNUSABLE
    out = capsys.readouterr().out
    row = next(line for line in out.splitlines() if line.startswith("psnr.loss<=0.3"))
    assert f"{base.parent / 'per_clip.parquet'} (or per_clip.csv): {message}" in row
    assert "restore it beside results.json or re-run that run" in row


def test_baseline_per_clip_column_missing_or_not_numeric_exits_2(write_run):
    import pandas as pd

    base = write_run("base", TEACHER, TEACHER)
    path = write_run("run", TEACHER, STUDENT)
    table = pd.read_parquet(base.parent / "per_clip.parquet")
    table.drop(columns=["psnr.student"]).to_parquet(base.parent / "per_clip.parquet")
    report = check(path, [parse_rule("psnr.loss<=0.3")], baseline_path=base)
    assert "no column 'psnr.student'" in report.outcomes[0].note
    table.assign(**{"psnr.student": ["x"] * len(table)}).to_parquet(base.parent / "per_clip.parquet")
    report = check(path, [parse_rule("psnr.loss<=0.3")], baseline_path=base)
    assert "column 'psnr.student' is not numeric" in report.outcomes[0].note


def test_run_with_non_numeric_bootstrap_settings_exits_2(write_run):
    base = write_run("base", TEACHER, TEACHER)
    path = write_run("run", TEACHER, STUDENT)
    _set(path, lambda d: d["ci"].update(seed="zero"))
    report = check(path, [parse_rule("psnr.loss<=0.3")], baseline_path=base)
    assert report.exit_code == EXIT_UNUSABLE
    assert "ci.seed and ci.resamples must be integers, got 'zero' and 200" in report.outcomes[0].note
