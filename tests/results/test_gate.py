import pytest

from evalkit.cli import main
from evalkit.results.gate import GateInputError, check, parse_rule, read_rules_file

TEACHER = [30.0, 31.0, 32.0, 33.0, 34.0, 35.0]
STUDENT = [29.8, 30.7, 31.9, 32.8, 33.7, 34.9]  # drop 0.2 on average, 0.1..0.3 per clip


def test_rule_grammar():
    rule = parse_rule(" rfvd.increase.upper <= 2 ")
    assert (rule.metric, rule.quantity, rule.bound, rule.op, rule.threshold) == ("fvd", "increase", "upper", "<=", 2.0)
    with pytest.raises(GateInputError, match=r"cannot parse gate rule 'psnr drop 3'; expected METRIC.QUANTITY"):
        parse_rule("psnr drop 3")
    with pytest.raises(GateInputError, match="unknown bound 'median'"):
        parse_rule("psnr.drop.median<=1")


def test_pass_and_fail_against_own_teacher(write_run):
    path = write_run("run", TEACHER, STUDENT)
    report = check(path, [parse_rule("psnr.drop<=0.3"), parse_rule("psnr.retention>=0.99")])
    assert [o.status for o in report.outcomes] == ["pass", "pass"]
    assert report.outcomes[0].observed == pytest.approx(0.2)
    assert report.exit_code == 0
    report = check(path, [parse_rule("psnr.drop<=0.1"), parse_rule("psnr.student>=30")])
    assert [o.status for o in report.outcomes] == ["fail", "pass"]
    assert report.exit_code == 1


def test_use_ci_judges_on_conservative_bound(write_run):
    path = write_run("run", TEACHER, STUDENT)
    point = check(path, [parse_rule("psnr.drop<=0.25")])
    bound = check(path, [parse_rule("psnr.drop<=0.25")], use_ci=True)
    assert point.exit_code == 0
    assert bound.outcomes[0].rule.bound == "upper"
    assert bound.outcomes[0].observed > 0.25
    assert bound.exit_code == 1


def test_fvd_alias_and_missing_ci_bound(write_run):
    path = write_run("run", TEACHER, STUDENT, fvd=(100.0, 101.5))
    report = check(path, [parse_rule("rfvd.increase<=2"), parse_rule("rfvd.increase.upper<=2")])
    assert report.outcomes[0].status == "pass"
    assert report.outcomes[0].observed == pytest.approx(1.5)
    assert report.outcomes[1].status == "error"
    assert "no upper CI bound for fvd.increase" in report.outcomes[1].note
    assert report.exit_code == 2


def test_unavailable_or_unknown_metric_is_unusable(write_run):
    path = write_run("run", TEACHER, STUDENT)
    report = check(path, [parse_rule("ssim.drop<=0.1"), parse_rule("vmaf.drop<=1")])
    assert [o.status for o in report.outcomes] == ["error", "error"]
    assert "unavailable in this run: disabled in this test" in report.outcomes[0].note
    assert "no metric 'vmaf' in this run (it has: fvd, lpips, psnr, ssim" in report.outcomes[1].note


def test_baseline_pairs_students_clip_by_clip(write_run):
    base = write_run("base", TEACHER, TEACHER, lpips_student=[0.10, 0.12, 0.11, 0.10, 0.13, 0.10], fvd=(100.0, 100.0))
    new = write_run("new", TEACHER, STUDENT, lpips_student=[0.11, 0.12, 0.12, 0.10, 0.13, 0.11], fvd=(100.0, 103.0))
    report = check(
        new,
        [parse_rule("psnr.drop<=0.3"), parse_rule("lpips.increase<=0.005"), parse_rule("rfvd.increase<=2")],
        baseline_path=base,
    )
    observed = [o.observed for o in report.outcomes]
    assert observed == pytest.approx([0.2, 0.005, 3.0])
    assert [o.status for o in report.outcomes] == ["pass", "pass", "fail"]


def test_baseline_with_other_protocol_is_refused(write_run):
    base = write_run("base", TEACHER, TEACHER, protocol_hash="aaa")
    new = write_run("new", TEACHER, STUDENT, protocol_hash="bbb")
    with pytest.raises(GateInputError, match=r"refusing to compare: protocol hash differs .* \(bbb\) and .* \(aaa\)"):
        check(new, [parse_rule("psnr.drop<=0.3")], baseline_path=base)


def test_baseline_with_other_metric_variant_is_refused(write_run):
    base = write_run("base", TEACHER, TEACHER, psnr_variant={"data_range": 255})
    new = write_run("new", TEACHER, STUDENT)
    report = check(new, [parse_rule("psnr.drop<=0.3")], baseline_path=base)
    assert report.exit_code == 2
    assert "refusing to compare psnr: variant" in report.outcomes[0].note


def test_rules_file(tmp_path):
    rules_file = tmp_path / "rules.txt"
    rules_file.write_text("# quality bar\npsnr.drop<=0.3\n\nlpips.increase<=0.005  # perceptual\n")
    assert [r.text for r in read_rules_file(rules_file)] == ["psnr.drop<=0.3", "lpips.increase<=0.005"]


def test_cli_exit_codes_and_table(write_run, capsys):
    path = write_run("run", TEACHER, STUDENT)
    assert main(["gate", str(path), "--rule", "psnr.drop<=0.3", "--rule", "psnr.retention>=0.96"]) == 0
    out = capsys.readouterr().out
    assert "psnr.retention>=0.96" in out
    assert out.strip().endswith(f"gate PASS: {path} (student vs teacher)")
    assert main(["gate", str(path), "--rule", "psnr.drop<=0.1"]) == 1
    assert "FAIL" in capsys.readouterr().out
    assert main(["gate", str(path.parent / "missing.json"), "--rule", "psnr.drop<=0.1"]) == 2
    assert "no such results file" in capsys.readouterr().err
    base = write_run("base", TEACHER, TEACHER, protocol_hash="other")
    assert main(["gate", str(path), "--baseline", str(base), "--rule", "psnr.drop<=0.3"]) == 2
    assert "refusing to compare: protocol hash differs" in capsys.readouterr().err
