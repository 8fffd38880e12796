"""Gate rule grammar, rules files, and rules whose quantity has the wrong sign for their metric."""

import pytest

from evalkit.cli import main
from evalkit.results.gate import EXIT_UNUSABLE, check
from evalkit.results.gate_rules import GateInputError, misdirected, parse_rule, read_rules_file

TEACHER = [30.0, 31.0, 32.0, 33.0, 34.0, 35.0]
STUDENT = [29.8, 30.7, 31.9, 32.8, 33.7, 34.9]
LPIPS_TEACHER = [0.05] * 6
LPIPS_SIX_TIMES = [0.30] * 6  # the student's LPIPS is six times the teacher's


def test_rule_grammar():
    rule = parse_rule(" rfvd.increase.upper <= 2 ")
    assert (rule.metric, rule.quantity, rule.bound, rule.op, rule.threshold) == ("fvd", "increase", "upper", "<=", 2.0)
    assert (parse_rule("lpips.loss<=0.005").quantity, parse_rule("psnr.over_floor>=3").quantity) == (
        "loss",
        "over_floor",
    )
    with pytest.raises(GateInputError, match=r"cannot parse gate rule 'psnr drop 3'; expected METRIC.QUANTITY"):
        parse_rule("psnr drop 3")
    with pytest.raises(GateInputError, match="unknown bound 'median'"):
        parse_rule("psnr.drop.median<=1")
    with pytest.raises(GateInputError, match="unknown quantity 'worse'; choose one of .*loss, over_floor"):
        parse_rule("psnr.worse<=1")


def test_misdirected_names_the_rules_that_were_meant():
    assert misdirected(parse_rule("lpips.drop<=0.005"), higher_is_better=False).endswith(
        "did you mean lpips.increase<=0.005 or lpips.loss<=0.005"
    )
    assert misdirected(parse_rule("PSNR.increase.upper >= -0.3"), higher_is_better=True).endswith(
        "did you mean PSNR.drop.upper >= -0.3 or PSNR.loss.upper >= -0.3"
    )
    assert misdirected(parse_rule("gen.rfvd.drop<2"), higher_is_better=False).endswith(
        "did you mean gen.rfvd.increase<2 or gen.rfvd.loss<2"
    )
    for text, higher_is_better in [("lpips.increase<=1", False), ("psnr.drop<=1", True), ("lpips.loss<=1", False)]:
        assert misdirected(parse_rule(text), higher_is_better) is None


def test_lpips_drop_exits_2_when_the_student_is_six_times_worse(write_run, capsys):
    path = write_run("run", TEACHER, STUDENT, lpips_teacher=LPIPS_TEACHER, lpips_student=LPIPS_SIX_TIMES)
    report = check(path, [parse_rule("lpips.drop<=0.005")])
    assert report.exit_code == EXIT_UNUSABLE
    assert report.outcomes[0].observed is None  # never judged, so never passed
    assert main(["gate", str(path), "--rule", "lpips.drop<=0.005"]) == EXIT_UNUSABLE
    out = capsys.readouterr().out
    assert "lpips is lower-is-better, so its drop is negative when the student gets worse" in out
    assert "did you mean lpips.increase<=0.005 or lpips.loss<=0.005" in out
    assert main(["gate", str(path), "--rule", "lpips.loss<=0.005"]) == 1  # the meant rule fails: 0.25 > 0.005


def test_fvd_drop_exits_2_when_fvd_got_worse(write_run, capsys):
    path = write_run("run", TEACHER, STUDENT, fvd=(100.0, 130.0))
    assert main(["gate", str(path), "--rule", "fvd.drop<=2"]) == EXIT_UNUSABLE
    assert "did you mean fvd.increase<=2 or fvd.loss<=2" in capsys.readouterr().out
    base = write_run("base", TEACHER, TEACHER, fvd=(100.0, 100.0))
    assert main(["gate", str(path), "--baseline", str(base), "--rule", "rfvd.drop<=2"]) == EXIT_UNUSABLE
    assert "did you mean rfvd.increase<=2 or rfvd.loss<=2" in capsys.readouterr().out
    assert main(["gate", str(path), "--rule", "fvd.loss<=2"]) == 1


def test_psnr_increase_exits_2(write_run, capsys):
    path = write_run("run", TEACHER, STUDENT)
    assert main(["gate", str(path), "--rule", "psnr.increase>=-0.3"]) == EXIT_UNUSABLE
    assert "did you mean psnr.drop>=-0.3 or psnr.loss>=-0.3" in capsys.readouterr().out


def test_rules_file(tmp_path):
    rules_file = tmp_path / "rules.txt"
    rules_file.write_text("# quality bar\npsnr.loss<=0.3\n\nlpips.loss<=0.005  # perceptual\n")
    assert [r.text for r in read_rules_file(rules_file)] == ["psnr.loss<=0.3", "lpips.loss<=0.005"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, r"cannot read rules file .*rules.txt: No such file or directory; pass an existing text file"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", r"rules file .*rules.txt is not UTF-8 text \(byte 0: invalid start byte\)"),
        (b"psnr.loss<=0.3\npsnr.loss<=", r"rules.txt:2: cannot parse gate rule 'psnr.loss<='"),
        (b"psnr.lost<=0.3\n", r"rules.txt:1: gate rule 'psnr.lost<=0.3': unknown quantity 'lost'"),
    ],
    ids=["missing", "binary", "truncated", "typo"],
)
def test_bad_rules_file_exits_2_naming_the_file(write_run, tmp_path, capsys, content, message):
    rules_file = tmp_path / "rules.txt"
    if content is not None:
        rules_file.write_bytes(content)
    with pytest.raises(GateInputError, match=message):
        read_rules_file(rules_file)
    path = write_run("run", TEACHER, STUDENT)
    assert main(["gate", str(path), "--rules", str(rules_file)]) == EXIT_UNUSABLE
    err = capsys.readouterr().err
    assert err.startswith("gate UNUSABLE INPUT: ")
    assert len(err.strip().splitlines()) == 1
