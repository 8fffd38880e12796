"""`evalkit cache ls|clear`: what the run cache holds (teacher latents and frames) and removing it."""

from __future__ import annotations

import argparse
import time


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``cache`` subcommand with ``ls`` and ``clear``."""
    parser = subparsers.add_parser(
        "cache",
        help="list or clear the run cache (teacher latents, teacher and ground-truth frames)",
        description="The run cache lets `evalkit run` skip teacher work on data it has seen. Weight files live "
        "elsewhere and are never touched here.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument(
        "--cache-dir",
        metavar="DIR",
        default=None,
        help="cache folder (default: $EVALKIT_CACHE/pipeline, i.e. ~/.cache/evalkit/pipeline)",
    )
    actions = parser.add_subparsers(dest="cache_action", metavar="ACTION", required=True)
    actions.add_parser("ls", help="list namespaces: what they hold, entries, size, last use")
    clear = actions.add_parser("clear", help="delete one namespace (or a prefix of its name) or everything")
    clear.add_argument(
        "namespace",
        nargs="?",
        default=None,
        metavar="NAMESPACE",
        help="namespace from `evalkit cache ls` (default: all)",
    )
    evict = actions.add_parser("evict", help="delete least recently used entries down to a size")
    evict.add_argument("--max-gb", type=float, required=True, metavar="GB", help="size to keep")
    parser.set_defaults(func=handle)


def handle(args: argparse.Namespace) -> int:
    """List, clear or evict; 2 when the named namespace does not exist."""
    from evalkit.pipeline.cache import GIB, DiskCache

    cache = DiskCache(args.cache_dir)
    if args.cache_action == "ls":
        usages = cache.usage()
        print(f"cache {cache.root}: {len(usages)} namespace(s), {sum(u.bytes for u in usages) / 2**20:.1f} MiB")
        for usage in usages:
            what = ", ".join(f"{k}={v}" for k, v in sorted(usage.info.items()) if k not in ("kind",) and v is not None)
            used = time.strftime("%Y-%m-%d %H:%M", time.localtime(usage.last_used))
            print(f"  {usage.name}  {usage.entries} entries  {usage.bytes / 2**20:.1f} MiB  last used {used}")
            print(f"      {what}")
        return 0
    if args.cache_action == "evict":
        freed = cache.evict(int(args.max_gb * GIB))
        print(f"evicted {freed / 2**20:.1f} MiB from {cache.root}")
        return 0
    try:
        freed = cache.clear(args.namespace)
    except KeyError as exc:
        print(f"evalkit cache clear: {exc.args[0]}")
        return 2
    print(f"cleared {args.namespace or 'all namespaces'}: {freed / 2**20:.1f} MiB freed from {cache.root}")
    return 0
