"""`evalkit gate`: check a run's results against quality rules; exit 0 pass, 1 fail, 2 unusable input."""

from __future__ import annotations

import argparse
import sys

EPILOG = """examples:
  evalkit gate reports/run/results.json --rule "psnr.loss<=0.3" --rule "lpips.loss<=0.005"
  evalkit gate new/results.json --baseline main/results.json --rule "psnr.loss.upper<=0.3" --rule "rfvd.loss<=2"
  evalkit gate reports/run --rules .github/quality-rules.txt --use-ci
  evalkit gate reports/run --rule "psnr.over_floor>=3"

rule grammar: METRIC.QUANTITY[.BOUND] OP NUMBER
  QUANTITY: teacher, student, student_vs_teacher (absolute values);
            loss (quality lost, positive = student worse, for every metric), drop (reference - student, for
            higher-is-better metrics), increase (student - reference, for lower-is-better metrics), retention;
            over_floor (student's margin over the run's resample floor, positive = better than the floor)
  BOUND:    value (default), lower, upper (95% CI bounds; need --min-clips clips); OP: <=, >=, <, >
  without --baseline the paired quantities compare the student with the teacher of the same run;
  with --baseline they compare this run's student with the baseline run's student, clip by clip.
refused unless allowed: random weights (--allow random), a status other than complete (--allow partial),
  demonstration models (--allow demo), FVD over fewer clips than its minimum (--allow small-fvd);
  a run that evaluated no clip (status empty) is always refused.
exit codes: 0 all rules pass, 1 a rule fails, 2 unusable input (unreadable file, refused run, protocol or
  clip manifest differs from the baseline, a rule naming a metric the run does not have, drop on a
  lower-is-better metric or increase on a higher-is-better one)."""


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``gate`` subcommand."""
    from evalkit.results.gate_rules import ALLOWANCES, DEFAULT_MIN_CLIPS

    parser = subparsers.add_parser(
        "gate",
        help="CI quality gate: pass/fail rules on a results.json",
        description="Check a run's results.json against quality rules and print a pass/fail table.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "results",
        metavar="RESULTS",
        help="results.json of the run to judge (or its run folder, or a students comparison with --student)",
    )
    parser.add_argument(
        "--student",
        metavar="NAME",
        default=None,
        help="in a comparison of several students (evalkit run --decoder a,b), the student to judge",
    )
    parser.add_argument(
        "--baseline",
        metavar="OTHER.json",
        default=None,
        help="results of a baseline run to compare the student against (default: none; compare student with teacher)",
    )
    parser.add_argument(
        "--rule",
        dest="rules",
        metavar="RULE",
        action="append",
        default=[],
        help="a rule such as 'psnr.loss<=0.3'; repeat for more",
    )
    parser.add_argument(
        "--rules",
        dest="rules_file",
        metavar="FILE",
        default=None,
        help="text file with one rule per line ('#' starts a comment)",
    )
    parser.add_argument(
        "--use-ci",
        action="store_true",
        help="judge every rule on its conservative 95%% CI bound (upper for <=, lower for >=) "
        "instead of the point value (default: off)",
    )
    parser.add_argument(
        "--allow",
        metavar="WHAT",
        action="append",
        default=[],
        choices=ALLOWANCES,
        help=f"judge a run that is otherwise refused; repeat for more: {', '.join(ALLOWANCES)} (default: none)",
    )
    parser.add_argument(
        "--min-clips",
        metavar="N",
        type=_positive_int,
        default=DEFAULT_MIN_CLIPS,
        help=f"fewest clips a rule on a CI bound (.lower/.upper) may rest on (default: {DEFAULT_MIN_CLIPS})",
    )
    parser.set_defaults(func=handle)


def handle(args: argparse.Namespace) -> int:
    """Parse the rules, judge them, print the table; return the gate's exit code."""
    from evalkit.results.gate import EXIT_UNUSABLE, GateInputError, check, parse_rule, read_rules_file
    from evalkit.results.gate_inputs import select_student

    try:
        results = select_student(args.results, args.student)
        rules = [parse_rule(text) for text in args.rules]
        if args.rules_file:
            rules += read_rules_file(args.rules_file)
        report = check(
            results,
            rules,
            baseline_path=args.baseline,
            use_ci=args.use_ci,
            allow=args.allow,
            min_clips=args.min_clips,
        )
    except GateInputError as exc:
        print(f"gate UNUSABLE INPUT: {exc}", file=sys.stderr)
        return EXIT_UNUSABLE
    print(report.table())
    return report.exit_code


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number of at least 1, got {text}")
    return value
