"""`evalkit decoders`: the registered decoders with parameter counts, compression, frame rule and weight status."""

from __future__ import annotations

import argparse
import json
from typing import Any

EPILOG = """examples:
  evalkit decoders
  evalkit decoders --json

Teacher counts come from the released configs built on the meta device (no weights needed); the teacher count is
its decode path (decoder + post_quant_conv)."""


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``decoders`` subcommand."""
    parser = subparsers.add_parser(
        "decoders",
        help="list teacher VAEs and their students (Turbo-VAED, TAEHV) with sizes and weight status",
        description="List every registered decoder: parameters, compression, frame rule, weight files.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.set_defaults(func=handle)


def _millions(count: int | None) -> str:
    return "-" if count is None else f"{count / 1e6:.1f}M"


def _row(entry: dict[str, Any]) -> list[str]:
    return [
        entry["name"],
        entry["teacher_class"] or "-",
        _millions(entry["teacher_decoder_params"]),
        _millions(entry["student_params"]),
        f"{entry['spatial_compression']}x{entry['spatial_compression']}x{entry['temporal_compression']}",
        entry["frame_rule"],
        str(entry["latent_channels"]),
        entry["teacher_weights_status"] if entry["teacher_class"] else "unavailable",
        entry["student_weights_status"] or "-",
    ]


HEADER = ["name", "teacher", "teacher dec", "student", "compression", "frames", "latent ch", "teacher w", "student w"]


def handle(args: argparse.Namespace) -> int:
    """Print the decoder table (or JSON)."""
    from evalkit.models.registry import DECODERS, describe

    entries = [describe(name) for name in DECODERS.names()]
    if args.json:
        print(json.dumps(entries, indent=1))
        return 0
    rows = [HEADER, *(_row(e) for e in entries)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(HEADER))]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
    notes = [
        f"{e['name']}: teacher unavailable: {e['teacher_weights_status']}" for e in entries if not e["teacher_class"]
    ]
    for note in notes:
        print(note)
    return 0
