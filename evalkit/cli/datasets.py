"""`evalkit datasets list|show|verify|manifest`: dataset cards, layout checks and clip manifests."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import fields
from typing import TYPE_CHECKING

from evalkit.cli.arguments import add_protocol_arguments
from evalkit.data.limits import DEFAULT_MAX_FRAME_PIXELS

if TYPE_CHECKING:
    from evalkit.data import ClipManifest

EPILOG = """examples:
  evalkit datasets list
  evalkit datasets show ucf101
  evalkit datasets verify ucf101 --root /data/ucf101            # test list 01: counts, missing and bad files
  evalkit datasets verify kinetics --root /data/k400 --split val
  evalkit datasets manifest sample --num-frames 17 --resolution 256 --out manifest.json

exit codes (verify): 0 every listed video is usable, 1 some are skipped (listed with reasons),
  2 the root does not have the expected layout (the message names the missing path)."""


def _option(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    return key, value


def _add_source_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("name", metavar="NAME", help="dataset name (see `evalkit datasets list`)")
    parser.add_argument("--root", metavar="PATH", default=None, help="dataset folder in its official layout")
    parser.add_argument("--split", metavar="SPLIT", default=None, help="split (default: the card's)")
    parser.add_argument("--fold", metavar="K", type=int, default=None, help="fold (UCF-101: 1, 2 or 3)")
    parser.add_argument(
        "--option",
        metavar="KEY=VALUE",
        type=_option,
        action="append",
        default=[],
        help="adapter option (see `evalkit datasets show NAME`); repeat for more",
    )
    parser.add_argument("--max-clips", metavar="N", type=int, default=None, help="deterministic subset of N videos")
    parser.add_argument("--stratified", action="store_true", help="draw --max-clips round-robin over classes")
    parser.add_argument(
        "--backend",
        default="auto",
        choices=("auto", "decord", "pyav", "torchcodec"),
        help="decode backend used to count frames",
    )
    parser.add_argument(
        "--max-frame-pixels",
        metavar="N",
        type=int,
        default=DEFAULT_MAX_FRAME_PIXELS,
        help="skip videos whose frames have more pixels, read from the header (default: %(default)s)",
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")
    add_protocol_arguments(parser.add_argument_group("clip protocol"))


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``datasets`` subcommand and its actions."""
    parser = subparsers.add_parser(
        "datasets",
        help="list datasets, show their cards, verify a local copy, write a clip manifest",
        description="Dataset adapters: cards, layout verification and clip manifests.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    actions.add_parser("list", help="registered datasets and their default split").set_defaults(func=handle_list)
    show = actions.add_parser("show", help="print a dataset card and the adapter's options")
    show.add_argument("name", metavar="NAME", help="dataset name")
    show.set_defaults(func=handle_show)
    verify = actions.add_parser(
        "verify",
        help="check a local copy: layout, counts, missing / unreadable / too-short files",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    _add_source_arguments(verify)
    verify.set_defaults(func=handle_verify)
    manifest = actions.add_parser(
        "manifest",
        help="build the clip manifest and write it as JSON",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    _add_source_arguments(manifest)
    manifest.add_argument("--out", metavar="FILE", required=True, help="where to write the manifest JSON")
    manifest.set_defaults(func=handle_manifest)


def handle_list(args: argparse.Namespace) -> int:
    """Print one line per registered dataset: name, default split, title."""
    from evalkit.data import DATASETS
    from evalkit.data.cards import load_card

    for name in DATASETS.names():
        card = load_card(name)
        default = card.get("default") or {}
        split = default.get("split", "-")
        fold = f"/{default['fold']}" if "fold" in default else ""
        print(f"{name:<10} {split + fold:<8} {card['title']}")
    return 0


def handle_show(args: argparse.Namespace) -> int:
    """Print the dataset card (YAML) of one dataset."""
    from evalkit.data import DATASETS
    from evalkit.data.cards import card_path

    DATASETS.get(args.name)
    print(card_path(args.name).read_text(encoding="utf-8"), end="")
    return 0


def _build(args: argparse.Namespace) -> ClipManifest | None:
    """The manifest the flags describe, or ``None`` after printing why it cannot be built."""
    from evalkit.data import ClipProtocol, LayoutError, build_manifest

    try:
        protocol = ClipProtocol(
            **{f.name: getattr(args, f.name) for f in fields(ClipProtocol) if hasattr(args, f.name)}
        )
        return build_manifest(
            args.name,
            args.root,
            protocol,
            split=args.split,
            fold=args.fold,
            max_clips=args.max_clips,
            stratified=args.stratified,
            backend=args.backend,
            max_frame_pixels=args.max_frame_pixels,
            **dict(args.option),
        )
    except (LayoutError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return None


def handle_verify(args: argparse.Namespace) -> int:
    """Build the manifest and report counts plus every skipped file with its reason."""
    manifest = _build(args)
    if manifest is None:
        return 2
    summary = manifest.summary()
    if args.json:
        report = {key: getattr(manifest, key) for key in ("dataset", "root", "split", "fold", "protocol_hash")}
        report.update(summary=summary, skipped=[skip.to_dict() for skip in manifest.skipped])
        print(json.dumps(report, indent=1, sort_keys=True))
    else:
        split = f"split {manifest.split}; " if manifest.split is not None else ""
        fold = f"fold {manifest.fold}; " if manifest.fold is not None else ""
        print(f"{manifest.dataset} at {manifest.root} ({split}{fold}protocol {manifest.protocol_hash})")
        print(
            f"listed {summary['clips'] + summary['skipped']}, usable {summary['clips']}, skipped {summary['skipped']}"
        )
        for kind, count in summary.items():
            if kind not in ("clips", "skipped"):
                print(f"  {kind}: {count}")
        for skip in manifest.skipped:
            print(f"{skip.source}\t{skip.reason}")
    return 1 if manifest.skipped else 0


def handle_manifest(args: argparse.Namespace) -> int:
    """Build the clip manifest and write it to ``--out``."""
    manifest = _build(args)
    if manifest is None:
        return 2
    path = manifest.write(args.out)
    summary = manifest.summary()
    print(f"wrote {path}: {summary['clips']} clips, {summary['skipped']} skipped, manifest {manifest.hash()}")
    return 0
