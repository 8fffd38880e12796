"""Gate judging: paired quantities, loss, over_floor, CI bounds and --min-clips, baselines, the table."""

import re

import numpy as np
import pytest

from evalkit import __version__
from evalkit.cli import main
from evalkit.results.gate import EXIT_FAIL, EXIT_PASS, EXIT_UNUSABLE, GateInputError, check, parse_rule
from evalkit.results.stats import paired_estimates

TEACHER = [30.0, 31.0, 32.0, 33.0, 34.0, 35.0]
STUDENT = [29.8, 30.7, 31.9, 32.8, 33.7, 34.9]  # drop 0.2 on average, 0.1..0.3 per clip
TEACHER_12 = TEACHER * 2
STUDENT_12 = STUDENT * 2
LPIPS_TEACHER = [0.10, 0.12, 0.11, 0.10, 0.13, 0.10]
LPIPS_STUDENT = [0.12, 0.13, 0.12, 0.12, 0.15, 0.12]  # increase 0.016667 on average
FLOORS = {
    "resample": {
        "params": {"spatial": 8, "temporal": 4},
        "label": "resample 8×8×4",
        "values": {
            "psnr": {"value": 25.0, "ci_low": 24.0, "ci_high": 26.0, "n": 6},
            "lpips": {"value": 0.40, "ci_low": 0.35, "ci_high": 0.45, "n": 6},
        },
    },
    "flat": {
        "params": {},
        "label": "clip mean",
        "values": {"psnr": {"value": 12.0, "ci_low": None, "ci_high": None, "n": 6}},
    },
}


def test_pass_and_fail_against_own_teacher(write_run):
    path = write_run("run", TEACHER, STUDENT)
    report = check(path, [parse_rule("psnr.drop<=0.3"), parse_rule("psnr.retention>=0.99")])
    assert [o.status for o in report.outcomes] == ["pass", "pass"]
    assert report.outcomes[0].observed == pytest.approx(0.2)
    assert report.exit_code == EXIT_PASS
    report = check(path, [parse_rule("psnr.drop<=0.1"), parse_rule("psnr.student>=30")])
    assert [o.status for o in report.outcomes] == ["fail", "pass"]
    assert report.exit_code == EXIT_FAIL


def test_loss_is_drop_for_higher_and_increase_for_lower_is_better(write_run):
    path = write_run(
        "run", TEACHER, STUDENT, lpips_teacher=LPIPS_TEACHER, lpips_student=LPIPS_STUDENT, fvd=(100.0, 103.0)
    )
    report = check(path, [parse_rule("psnr.loss<=0.3"), parse_rule("lpips.loss<=0.01"), parse_rule("fvd.loss<=2")])
    lpips_increase = np.mean(LPIPS_STUDENT) - np.mean(LPIPS_TEACHER)  # 0.016667
    assert [o.observed for o in report.outcomes] == pytest.approx([0.2, lpips_increase, 3.0])
    assert [o.status for o in report.outcomes] == ["pass", "fail", "fail"]
    assert report.outcomes[0].note.startswith("loss = drop; 95% CI")
    assert report.outcomes[1].note.startswith("loss = increase; 95% CI")
    expected = paired_estimates(
        np.array(LPIPS_TEACHER), np.array(LPIPS_STUDENT), higher_is_better=False, seed=0, resamples=200
    )["increase"]
    upper = check(path, [parse_rule("lpips.loss.upper<=1")], min_clips=6).outcomes[0]
    assert upper.observed == pytest.approx(expected.ci_high)


def test_use_ci_judges_on_conservative_bound(write_run):
    path = write_run("run", TEACHER_12, STUDENT_12)
    point = check(path, [parse_rule("psnr.loss<=0.22")])
    bound = check(path, [parse_rule("psnr.loss<=0.22")], use_ci=True)
    assert point.exit_code == EXIT_PASS
    assert bound.outcomes[0].rule.bound == "upper"
    assert 0.22 < bound.outcomes[0].observed <= 0.3  # the mean of the 0.1..0.3 per-clip drops bounds it
    assert bound.exit_code == EXIT_FAIL


def test_ci_bound_needs_min_clips(write_run, capsys):
    path = write_run("run", TEACHER, STUDENT)
    report = check(path, [parse_rule("psnr.loss.upper<=1"), parse_rule("psnr.loss<=1")])
    assert report.exit_code == EXIT_UNUSABLE
    assert [o.status for o in report.outcomes] == ["error", "pass"]
    assert report.outcomes[0].note == (
        "psnr.loss.upper rests on 6 clips; a rule on a CI bound needs at least 10 (--min-clips): "
        "evaluate more clips, or judge the value"
    )
    assert main(["gate", str(path), "--rule", "psnr.loss.upper<=1", "--min-clips", "6"]) == EXIT_PASS
    assert main(["gate", str(path), "--use-ci", "--rule", "psnr.loss<=1"]) == EXIT_UNUSABLE
    assert "rests on 6 clips" in capsys.readouterr().out
    assert check(write_run("run12", TEACHER_12, STUDENT_12), [parse_rule("psnr.loss.upper<=1")]).exit_code == 0
    with pytest.raises(SystemExit):
        main(["gate", str(path), "--rule", "psnr.loss.upper<=1", "--min-clips", "0"])
    assert "--min-clips: must be a whole number of at least 1, got 0" in capsys.readouterr().err


def test_fvd_alias_and_missing_ci_bound(write_run):
    path = write_run("run", TEACHER_12, STUDENT_12, fvd=(100.0, 101.5))
    report = check(path, [parse_rule("rfvd.increase<=2"), parse_rule("rfvd.increase.upper<=2")])
    assert report.outcomes[0].status == "pass"
    assert report.outcomes[0].observed == pytest.approx(1.5)
    assert report.outcomes[1].status == "error"
    assert "no upper CI bound for fvd.increase" in report.outcomes[1].note
    assert report.exit_code == EXIT_UNUSABLE


def test_unavailable_or_unknown_metric_is_unusable(write_run):
    path = write_run("run", TEACHER, STUDENT)
    report = check(path, [parse_rule("ssim.loss<=0.1"), parse_rule("vmaf.loss<=1")])
    assert [o.status for o in report.outcomes] == ["error", "error"]
    assert "unavailable in this run: disabled in this test" in report.outcomes[0].note
    assert len(report.table().splitlines()) == 5  # header, rule, two rows, verdict: multi-line reasons flattened
    assert "no metric 'vmaf' in this run (it has: fvd, lpips, psnr, ssim" in report.outcomes[1].note


def test_over_floor_is_the_students_margin_over_the_resample_floor(write_run):
    path = write_run("run", TEACHER, STUDENT, lpips_student=LPIPS_STUDENT, floors=FLOORS)
    report = check(
        path,
        [parse_rule("psnr.over_floor>=7"), parse_rule("lpips.over_floor>=0.3"), parse_rule("lpips.over_floor>=0.2")],
    )
    psnr_margin = np.mean(STUDENT) - 25.0  # 32.3 - 25.0: above the floor by 7.3 dB
    lpips_margin = 0.40 - np.mean(LPIPS_STUDENT)  # lower is better: floor - student = 0.273
    assert [o.observed for o in report.outcomes] == pytest.approx([psnr_margin, lpips_margin, lpips_margin])
    assert [o.status for o in report.outcomes] == ["pass", "fail", "pass"]
    assert report.outcomes[0].note.startswith("student 32.3 vs resample 8×8×4 25; 95% CI [-, -], n=6")
    bad = check(
        path,
        [parse_rule("fvd.over_floor>=0"), parse_rule("psnr.over_floor.lower>=0"), parse_rule("gen.psnr.over_floor>0")],
    )
    assert [o.status for o in bad.outcomes] == ["error"] * 3
    assert bad.outcomes[0].note.endswith("floors.resample has no fvd (it covers: lpips, psnr)")
    assert bad.outcomes[1].note == "no lower CI bound for psnr.over_floor (n=6); judge its value"


def test_over_floor_without_floors_exits_2(write_run, capsys):
    path = write_run("run", TEACHER, STUDENT)
    assert main(["gate", str(path), "--rule", "psnr.over_floor>=3"]) == EXIT_UNUSABLE
    assert f"{path}: this run has no floors; re-run with evalkit >= {__version__}" in capsys.readouterr().out


def test_baseline_pairs_students_clip_by_clip(write_run):
    base = write_run("base", TEACHER, TEACHER, lpips_student=[0.10, 0.12, 0.11, 0.10, 0.13, 0.10], fvd=(100.0, 100.0))
    new = write_run("new", TEACHER, STUDENT, lpips_student=[0.11, 0.12, 0.12, 0.10, 0.13, 0.11], fvd=(100.0, 103.0))
    report = check(
        new,
        [parse_rule("psnr.loss<=0.3"), parse_rule("lpips.loss<=0.005"), parse_rule("rfvd.loss<=2")],
        baseline_path=base,
    )
    assert [o.observed for o in report.outcomes] == pytest.approx([0.2, 0.005, 3.0])
    assert [o.status for o in report.outcomes] == ["pass", "pass", "fail"]


def test_baseline_with_other_protocol_is_refused(write_run):
    base = write_run("base", TEACHER, TEACHER, protocol_hash="aaa")
    new = write_run("new", TEACHER, STUDENT, protocol_hash="bbb")
    with pytest.raises(GateInputError, match=r"refusing to compare: protocol hash differs .* \(bbb\) and .* \(aaa\)"):
        check(new, [parse_rule("psnr.loss<=0.3")], baseline_path=base)


def test_baseline_with_other_metric_variant_is_refused(write_run):
    base = write_run("base", TEACHER, TEACHER, psnr_variant={"data_range": 255})
    new = write_run("new", TEACHER, STUDENT)
    report = check(new, [parse_rule("psnr.loss<=0.3")], baseline_path=base)
    assert report.exit_code == EXIT_UNUSABLE
    assert "refusing to compare psnr: variant" in report.outcomes[0].note


def test_table_has_one_row_per_rule_with_what_it_was_judged_on(write_run):
    path = write_run("run", TEACHER_12, STUDENT_12, lpips_teacher=LPIPS_TEACHER * 2, lpips_student=LPIPS_STUDENT * 2)
    table = check(path, [parse_rule("psnr.loss.upper<=0.3"), parse_rule("lpips.loss<=0.005")]).table()
    header, _, psnr_row, lpips_row, verdict = table.splitlines()
    columns = ["rule", "metric", "quantity", "judged on", "value", "threshold", "direction", "verdict", "note"]
    assert re.split(r"\s{2,}", header) == columns
    upper = check(path, [parse_rule("psnr.loss.upper<=0.3")]).outcomes[0].observed
    cells = re.split(r"\s{2,}", psnr_row)
    assert cells[:8] == [
        "psnr.loss.upper<=0.3",
        "psnr",
        "loss",
        "upper",
        f"{upper:.6g}",
        "<= 0.3",
        "higher is better",
        "PASS",
    ]
    assert cells[8].startswith("loss = drop; 95% CI [")
    cells = re.split(r"\s{2,}", lpips_row)
    assert cells[:8] == [
        "lpips.loss<=0.005",
        "lpips",
        "loss",
        "value",
        "0.0166667",
        "<= 0.005",
        "lower is better",
        "FAIL",
    ]
    assert verdict == f"gate FAIL: {path} (student vs teacher)"


def test_cli_exit_codes(write_run, capsys):
    path = write_run("run", TEACHER, STUDENT)
    assert main(["gate", str(path), "--rule", "psnr.loss<=0.3", "--rule", "psnr.retention>=0.96"]) == EXIT_PASS
    out = capsys.readouterr().out
    assert "psnr.retention>=0.96" in out
    assert out.strip().endswith(f"gate PASS: {path} (student vs teacher)")
    assert main(["gate", str(path), "--rule", "psnr.loss<=0.1"]) == EXIT_FAIL
    assert "FAIL" in capsys.readouterr().out
    base = write_run("base", TEACHER, TEACHER, protocol_hash="other")
    assert main(["gate", str(path), "--baseline", str(base), "--rule", "psnr.loss<=0.3"]) == EXIT_UNUSABLE
    assert "refusing to compare: protocol hash differs" in capsys.readouterr().err


def _with_tiling(path, tiled: float, untiled: float, psnr: float):
    import json

    doc = json.loads(path.read_text())
    estimate = {"ci_low": None, "ci_high": None, "n": 6}
    doc["tiling"] = {
        "scheme": "evalkit overlapped tiles",
        "tile_latent": 16,
        "overlap_latent": 2,
        "tiled_vs_untiled_psnr": {"value": psnr, **estimate},
        "seam_score": {"tiled": {"value": tiled, **estimate}, "untiled": {"value": untiled, **estimate}},
    }
    path.write_text(json.dumps(doc))
    return path


def test_tiling_figures_are_gated_as_seam_and_tiling_psnr_with_their_directions(write_run):
    path = _with_tiling(write_run("run", TEACHER, STUDENT), tiled=2.83, untiled=0.997, psnr=18.8)
    report = check(
        path,
        [parse_rule("seam.student<=1.1"), parse_rule("seam.loss<=0.05"), parse_rule("tiling_psnr.student>=35")],
    )
    assert [o.observed for o in report.outcomes] == pytest.approx([2.83, 2.83 - 0.997, 18.8])
    assert [o.status for o in report.outcomes] == ["fail", "fail", "fail"]
    seamless = _with_tiling(write_run("ok", TEACHER, STUDENT), tiled=1.02, untiled=1.019, psnr=41.7)
    assert (
        check(seamless, [parse_rule("seam.loss<=0.05"), parse_rule("tiling_psnr.student>=35")]).exit_code == EXIT_PASS
    )
    misdirected = check(seamless, [parse_rule("seam.drop<=0.05")])
    assert misdirected.exit_code == EXIT_UNUSABLE
    assert "did you mean seam.increase<=0.05 or seam.loss<=0.05" in misdirected.outcomes[0].note
    assert (
        "no metric 'seam'"
        in check(write_run("plain", TEACHER, STUDENT), [parse_rule("seam.student<=1.1")]).outcomes[0].note
    )
