"""`evalkit report RUN_DIR`: (re)write the self-contained HTML report of a run from its files."""

from __future__ import annotations

import argparse

EPILOG = """examples:
  evalkit report reports/turbo-ltx-ucf101-0123456789ab
  evalkit report reports/run --out /tmp/review.html --title "turbo-ltx step 40k vs ltx"
exit codes: 0 written, 2 the folder has no readable results.json."""


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``report`` subcommand."""
    parser = subparsers.add_parser(
        "report",
        help="write a run's HTML report (report.html) from its results files",
        description="Render the self-contained HTML report of a run folder written by `evalkit run` "
        "(results.json, per-clip table, manifest, sample frames). Nothing is recomputed.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("run_dir", metavar="RUN_DIR", help="run folder (or its results.json)")
    parser.add_argument(
        "--out", metavar="PATH", default=None, help="where to write the page (default: RUN_DIR/report.html)"
    )
    parser.add_argument("--title", metavar="TEXT", default=None, help="page title (default: '<pair> on <dataset>')")
    parser.set_defaults(func=handle)


def handle(args: argparse.Namespace) -> int:
    """Render the report and print its path; an unreadable run folder is an InputError (exit 2, one line)."""
    from evalkit.report.run_report import render_run_report

    print(render_run_report(args.run_dir, out=args.out, title=args.title))
    return 0
