"""`evalkit weights list|fetch|verify`: where each weight file is expected, whether it is there, its sha256."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

EPILOG = """examples:
  evalkit weights list
  evalkit weights fetch ltx-vae turbo-vaed-ltx
  evalkit weights fetch turbo-vaed-ltx --filename Turbo-VAED-LTX.pth
  evalkit weights verify i3d-torchscript

Files are looked for in $EVALKIT_CACHE (default ~/.cache/evalkit), the torch hub cache ($TORCH_HOME) and the
Hugging Face cache; nothing downloads while EVALKIT_OFFLINE=1 or HF_HUB_OFFLINE=1 is set."""


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``weights`` subcommand with its ``list``, ``fetch`` and ``verify`` actions."""
    parser = subparsers.add_parser(
        "weights",
        help="list, fetch and verify weight files (teacher VAEs, students, LPIPS, I3D)",
        description="Show, download and check every weight file evalkit uses.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    actions = parser.add_subparsers(dest="weights_action", metavar="ACTION")
    listing = actions.add_parser("list", help="where each file is expected, whether present, sha256, fetch command")
    listing.add_argument("--json", action="store_true", help="print JSON instead of text")
    listing.set_defaults(func=handle_list)
    fetch = actions.add_parser("fetch", help="download weight files (needs network)")
    fetch.add_argument("names", metavar="NAME", nargs="+", help="weight names from `evalkit weights list`")
    fetch.add_argument(
        "--filename", metavar="FILE", default=None, help="file name inside the Hub repo (student checkpoints)"
    )
    fetch.set_defaults(func=handle_fetch)
    verify = actions.add_parser("verify", help="hash local files and check them against known or pinned sha256")
    verify.add_argument("names", metavar="NAME", nargs="*", help="weight names (default: every present file)")
    verify.set_defaults(func=handle_verify)
    parser.set_defaults(func=lambda args: parser.print_help() or 0)


def _format_status(row: dict[str, Any]) -> str:
    state = "present" if row["present"] else "missing"
    lines = [f"{row['name']:<20} {state:<8} {row['description']}"]
    if row["present"]:
        lines.append(f"  path:     {row['path']}")
    else:
        lines.extend(f"  expected: {place}" for place in row["expected"])
    lines.append(f"  sha256:   {row['sha256'] or '-'}   (expected: {row['expected_sha256'] or 'not known'})")
    lines.append(f"  fetch:    {row['fetch_command']}   (source: {row['origin']})")
    if row["problem"]:
        lines.append(f"  problem:  {row['problem']}")
    return "\n".join(lines)


def handle_list(args: argparse.Namespace) -> int:
    """Print the status of every known weight file."""
    from evalkit.weights import known_weights, status

    rows = [status(spec) for spec in known_weights()]
    if args.json:
        print(json.dumps(rows, indent=1))
    else:
        print("\n".join(_format_status(row) for row in rows))
    return 0


def handle_fetch(args: argparse.Namespace) -> int:
    """Download (or find) each named file; exit 1 if any is unavailable, 2 (before any download) on an unknown name."""
    from evalkit.weights import WeightsUnavailable, get_spec, resolve

    for name in args.names:
        get_spec(name)
    failed = 0
    for name in args.names:
        try:
            found = resolve(name, allow_download=True, filename=args.filename)
        except WeightsUnavailable as exc:
            print(f"{name}: {exc}", file=sys.stderr)
            failed += 1
            continue
        print(f"{name}: {found.path} ({found.source}, sha256 {found.sha256})")
    return 1 if failed else 0


def handle_verify(args: argparse.Namespace) -> int:
    """Hash local files and check them; exit 1 if a named file is missing or any file is refused."""
    from evalkit.weights import WeightsUnavailable, get_spec, known_weights, locate, resolve

    for name in args.names:
        get_spec(name)
    names = args.names or [spec.name for spec in known_weights() if locate(spec)]
    failed = 0
    for name in names:
        try:
            found = resolve(name, allow_download=False)
        except WeightsUnavailable as exc:
            print(f"{name}: FAILED: {exc}", file=sys.stderr)
            failed += 1
            continue
        print(f"{name}: ok {found.sha256} {found.path}")
    if not names:
        print("no weight files present; see `evalkit weights list`")
    return 1 if failed else 0
