"""`evalkit leaderboard RESULTS_DIR... --out site/`: a static leaderboard site from any number of runs."""

from __future__ import annotations

import argparse

EPILOG = """examples:
  evalkit leaderboard reports/ --out site/
  evalkit leaderboard reports/run-a reports/run-b archive/ --out site/ --title "Turbo-VAED decoders"
Each RESULTS_DIR is a run folder or a folder searched (recursively) for results.json. The output folder
(index.html, runs/*.html, .nojekyll) can be published as is, e.g. on GitHub Pages.
exit codes: 0 written, 2 a folder holds no run or a results.json cannot be read."""


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``leaderboard`` subcommand."""
    parser = subparsers.add_parser(
        "leaderboard",
        help="build a static leaderboard site from run folders",
        description="Rank every evaluated decoder in one table per (dataset, clip protocol), with a report "
        "page per run. Runs under different protocols never share a table.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("results_dirs", metavar="RESULTS_DIR", nargs="+", help="run folders or folders of runs")
    parser.add_argument("--out", metavar="DIR", required=True, help="output folder for the site (created if needed)")
    parser.add_argument(
        "--title", metavar="TEXT", default="evalkit leaderboard", help="page title (default: evalkit leaderboard)"
    )
    parser.set_defaults(func=handle)


def handle(args: argparse.Namespace) -> int:
    """Build the site and print the index path; an unreadable run folder is an InputError (exit 2, one line)."""
    from evalkit.report.leaderboard import build_leaderboard

    print(build_leaderboard(args.results_dirs, args.out, title=args.title))
    return 0
