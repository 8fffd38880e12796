"""`evalkit gate` judges gen.* rules on the generation section of a run folder."""

from __future__ import annotations

import re

import pytest

from evalkit.cli import main
from evalkit.results.gate import EXIT_FAIL, EXIT_PASS, EXIT_UNUSABLE, check, parse_rule
from evalkit.results.io import read_results


def test_gen_prefix_selects_the_generation_section():
    rule = parse_rule("gen.fvd.increase<=5")
    assert (rule.section, rule.metric, rule.quantity, rule.bound) == ("generation", "fvd", "increase", "value")
    assert parse_rule("psnr.drop<=0.3").section == "metrics"
    assert parse_rule("gen.rfvd.student.upper<1").metric == "fvd"


ALLOW = ("random", "small-fvd")  # tiny random decoders on a few generated samples


def test_gen_rules_pass_and_fail_on_the_stored_numbers(checked, capsys):
    run_dir = checked[0].run_dir
    fvd = read_results(run_dir)["generation"]["metrics"]["fvd"]
    increase = fvd["paired"]["increase"]["value"]
    psnr = read_results(run_dir)["generation"]["metrics"]["psnr"]["values"]["student_vs_teacher"]
    rules = [
        parse_rule(f"gen.fvd.increase<={increase + 0.01}"),
        parse_rule(f"gen.psnr.student_vs_teacher.lower>={psnr['ci_low'] - 0.01}"),
    ]
    report = check(run_dir, rules, allow=ALLOW, min_clips=psnr["n"])
    assert report.exit_code == EXIT_PASS
    assert [outcome.observed for outcome in report.outcomes] == pytest.approx([increase, psnr["ci_low"]])
    first_row = re.split(r"\s{2,}", report.table().splitlines()[2])
    assert first_row[:4] == [f"gen.fvd.increase<={increase + 0.01}", "gen.fvd", "increase", "value"]
    assert check(run_dir, [parse_rule(f"gen.fvd.loss<={increase - 0.01}")], allow=ALLOW).exit_code == EXIT_FAIL
    assert check(run_dir, [parse_rule("gen.fvd.drop<=5")], allow=ALLOW).exit_code == EXIT_UNUSABLE
    assert main(["gate", str(run_dir), "--rule", "gen.fvd.loss<=5"]) == EXIT_UNUSABLE
    assert "random weights (random_weights: true;" in capsys.readouterr().err


def test_gen_rules_that_cannot_be_judged_exit_2(checked, capsys):
    run_dir = checked[0].run_dir
    report = check(run_dir, [parse_rule("gen.psnr.drop<=1"), parse_rule("psnr.drop<=1")], allow=ALLOW)
    notes = [outcome.note for outcome in report.outcomes]
    assert report.exit_code == EXIT_UNUSABLE
    assert notes[0].endswith("generation psnr has no paired drop")
    assert "no metric 'psnr' in this run (it has: (none)" in notes[1]
    argv = ["gate", str(run_dir), "--rule", "gen.fvd.increase<=5", "--baseline", str(run_dir), "--allow", "random"]
    assert main(argv) == EXIT_UNUSABLE
    assert "gen.* rules are judged within one run; drop --baseline for them" in capsys.readouterr().out
