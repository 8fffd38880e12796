"""`evalkit bench`: parameters, FLOPs, latency, peak memory and an ONNX proxy for a teacher and its student."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from evalkit.options import DTYPES, INITS, ONNX_CHOICES

EPILOG = """examples:
  evalkit bench --decoder turbo-ltx --init random --resolution 256 --device cpu
  evalkit bench --decoder turbo-ltx --resolution 256,512,720x1280 --device cuda --dtype bfloat16
  evalkit bench --decoder turbo-hunyuan --init random --onnx both --output hunyuan_bench.json

FLOPs are counted by torch.utils.flop_counter as 2 x MACs; ops without a formula (pixel shuffle,
interpolation, elementwise) count 0 and are listed. Profiles are cached per decoder, weights, environment
and shape under $EVALKIT_CACHE/profile; cached rows are marked."""


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``bench`` subcommand."""
    parser = subparsers.add_parser(
        "bench",
        help="measure parameters, FLOPs, latency and memory of a teacher and its student decoder",
        description="Profile the teacher and student decoders of a registered name side by side.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    model = parser.add_argument_group("decoders")
    model.add_argument(
        "--decoder", required=True, metavar="NAME", help="registered name, e.g. turbo-ltx (see `evalkit decoders`)"
    )
    model.add_argument(
        "--init",
        choices=INITS,
        default="pretrained",
        help="weights: resolved checkpoints, or random (cost only) (default: pretrained)",
    )
    model.add_argument("--student-weights", metavar="PATH", help="student checkpoint (default: resolved by name)")
    model.add_argument("--teacher-weights", metavar="PATH", help="teacher weights (default: resolved by name)")
    shape = parser.add_argument_group("shapes")
    shape.add_argument(
        "--resolution",
        default="256",
        metavar="SIZES",
        help="output sizes, comma-separated: 256 or HxW, e.g. 256,512,720x1280 (default: 256)",
    )
    shape.add_argument("--frames", type=int, default=17, metavar="N", help="output frames (default: 17)")
    shape.add_argument("--batch", type=int, default=1, metavar="B", help="clips per decode call (default: 1)")
    run = parser.add_argument_group("measurement")
    run.add_argument("--device", default="cpu", metavar="DEV", help="cpu, cuda or cuda:N (default: cpu)")
    run.add_argument(
        "--dtype",
        default="float32",
        choices=DTYPES,
        help="weights and latents dtype (default: float32)",
    )
    run.add_argument("--threads", type=int, metavar="N", help="torch CPU threads (default: torch's choice)")
    run.add_argument(
        "--warmup",
        type=int,
        default=1,
        metavar="N",
        help="untimed calls before timing; the FLOP and memory calls count (default: 1)",
    )
    run.add_argument("--repeats", type=int, default=5, metavar="N", help="timed calls (default: 5)")
    run.add_argument("--no-flops", action="store_true", help="skip the FLOP count")
    run.add_argument("--no-memory", action="store_true", help="skip the peak-memory call")
    run.add_argument(
        "--onnx",
        choices=ONNX_CHOICES,
        default="student",
        help="ONNX mobile proxy at the first resolution (default: student)",
    )
    run.add_argument("--onnx-repeats", type=int, default=3, metavar="N", help="timed ONNX Runtime calls (default: 3)")
    run.add_argument("--seed", type=int, default=0, metavar="N", help="seed of random weights and latents (default: 0)")
    output = parser.add_argument_group("output")
    output.add_argument("--output", default="bench.json", metavar="PATH", help="bench.json path (default: bench.json)")
    output.add_argument("--cache-dir", metavar="DIR", help="profile cache (default: $EVALKIT_CACHE/profile)")
    output.add_argument("--no-cache", action="store_true", help="measure again and do not store (default: cache on)")
    output.add_argument("--json", action="store_true", help="print the bench.json on stdout instead of the table")
    parser.set_defaults(func=handle)


def handle(args: argparse.Namespace) -> int:
    """Run the bench, write bench.json, print the table (or JSON); 2 on unusable settings or missing weights."""
    from evalkit.profile.bench import bench, parse_dtype, parse_resolutions
    from evalkit.profile.cache import ProfileCache
    from evalkit.profile.table import format_bench_table
    from evalkit.weights import WeightsUnavailable, cache_root

    cache = ProfileCache(args.cache_dir or cache_root() / "profile", enabled=not args.no_cache)
    try:
        result = bench(
            args.decoder,
            init=args.init,
            student_weights=args.student_weights,
            teacher_weights=args.teacher_weights,
            device=args.device,
            dtype=parse_dtype(args.dtype),
            threads=args.threads,
            seed=args.seed,
            resolutions=parse_resolutions(args.resolution),
            frames=args.frames,
            batch=args.batch,
            warmup=args.warmup,
            repeats=args.repeats,
            with_flops=not args.no_flops,
            with_memory=not args.no_memory,
            onnx=args.onnx,
            onnx_repeats=args.onnx_repeats,
            cache=cache,
        )
    except (KeyError, ValueError, WeightsUnavailable) as exc:
        print(f"evalkit bench: {exc.args[0] if isinstance(exc, KeyError) else exc}", file=sys.stderr)
        return 2
    output = Path(args.output)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(result, indent=1, sort_keys=True) + "\n")
    print(json.dumps(result, indent=1, sort_keys=True) if args.json else format_bench_table(result))
    print(f"wrote {output}", file=sys.stderr)
    return 0
