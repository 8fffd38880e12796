"""The `evalkit` command line: a thin argparse front whose subcommands each call one public function.

argparse (stdlib) was chosen over click/typer: no extra dependency, and `torchrun -m evalkit`
works unchanged. Each subcommand lives in its own module exposing ``register(subparsers)``.
:func:`main` is the one place where evalkit's bad-input errors (:class:`evalkit.errors.InputError`) become one
line on stderr and exit code 2; any other exception is a bug and keeps its traceback.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys

from evalkit import __version__
from evalkit.errors import EXIT_UNUSABLE_INPUT, InputError

SUBCOMMAND_MODULES: tuple[str, ...] = (
    "datasets",
    "gate",
    "run",
    "cache",
    "decoders",
    "weights",
    "score",
    "report",
    "leaderboard",
    "generate_check",
    "bench",
    "distill",
)


def build_parser() -> argparse.ArgumentParser:
    """Build the top-level parser with every subcommand registered."""
    parser = argparse.ArgumentParser(
        prog="evalkit",
        description="Evaluate distilled video VAE decoders against their teachers: quality, size and speed.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"evalkit {__version__}")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more log output (-vv for debug)")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module_name in SUBCOMMAND_MODULES:
        importlib.import_module(f"evalkit.cli.{module_name}").register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Parse ``argv`` and run the chosen subcommand; returns the process exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    level = logging.WARNING - 10 * min(args.verbose, 2)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    if getattr(args, "func", None) is None:
        parser.print_help()
        return 0
    try:
        return int(args.func(args) or 0)
    except InputError as exc:
        print(f"evalkit {args.command}: {exc}", file=sys.stderr)
        return EXIT_UNUSABLE_INPUT
