"""`evalkit score`: score videos decoded elsewhere against their references, with `evalkit run`'s metrics."""

from __future__ import annotations

import argparse
import sys

EPILOG = """examples:
  evalkit score --reference data/UCF-101 --reconstruction out/recon --out reports/recon-score
  evalkit score --reference carphone_pristine.mp4 --reconstruction carphone_distorted.mp4 \\
      --resolution native --num-frames all --metrics psnr,ssim --out reports/carphone

Files pair by relative path (extension ignored); a file without a partner is listed as skipped, never
re-paired by position. Defaults are `evalkit run`'s (17 frames from the first, short side 256 + centre
crop); --resolution native --num-frames all compares the files as they are. Writes results.json,
the per-clip table and report.html; values sit under `student` = metric(reference, reconstruction), beside
the trivial floors of each reference (flat mean colour; resample at --floor-spatial x --floor-temporal).
Exit codes: 0 done (complete, or partial: the summary says which pairs failed), 2 unusable input
(missing folder, unknown metric, mismatched sizes without --allow-resize, or no pair scored at all)."""


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``score`` subcommand."""
    from evalkit.cli.arguments import RUN_DEFAULTS, add_metric_arguments, add_protocol_arguments
    from evalkit.options import DEFAULT_METRICS, FLOOR_FACTORS_DEFAULT

    parser = subparsers.add_parser(
        "score",
        help="score reconstructions decoded elsewhere against their reference videos",
        description="Compute PSNR/SSIM/LPIPS/FVD between reference videos and reconstructions made elsewhere.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    files = parser.add_argument_group("files")
    files.add_argument("--reference", metavar="PATH", required=True, help="reference video or folder of videos")
    files.add_argument("--reconstruction", metavar="PATH", required=True, help="reconstruction video or folder")
    files.add_argument("--out", metavar="DIR", default="reports/score", help="results folder (default: %(default)s)")
    clip = parser.add_argument_group("clip protocol (as evalkit run)")
    add_protocol_arguments(clip, sampling=False)
    clip.add_argument(
        "--allow-resize",
        action="store_true",
        help="score pairs whose frame sizes differ, both resized by the protocol (default: such pairs fail)",
    )
    measure = parser.add_argument_group("metrics (as evalkit run)")
    measure.add_argument(
        "--metrics",
        metavar="LIST",
        default=",".join(DEFAULT_METRICS),
        help="comma-separated metric names (default: %(default)s)",
    )
    measure.add_argument(
        "--seed", metavar="N", type=int, default=RUN_DEFAULTS.seed, help="bootstrap seed (default: %(default)s)"
    )
    add_metric_arguments(measure)
    measure.add_argument(
        "--device", metavar="DEVICE", default="cpu", help="where metric networks run (default: %(default)s)"
    )
    floors = parser.add_argument_group("trivial floor (scored beside the reconstruction)")
    floors.add_argument(
        "--floor-spatial",
        metavar="N",
        type=int,
        default=FLOOR_FACTORS_DEFAULT[0],
        help="resample floor: area-average N x N pixels, as a latent with this spatial compression (default: "
        "%(default)s)",
    )
    floors.add_argument(
        "--floor-temporal",
        metavar="K",
        type=int,
        default=FLOOR_FACTORS_DEFAULT[1],
        help="resample floor: keep every K-th frame, as a latent with this temporal compression (default: %(default)s)",
    )
    parser.set_defaults(func=handle)


def handle(args: argparse.Namespace) -> int:
    """Build the protocol and metric options, score, print a one-line summary per metric; 2 on unusable input."""
    from evalkit.data.protocol import ClipProtocol
    from evalkit.metrics import METRICS, MetricOptions
    from evalkit.options import metric_settings
    from evalkit.pipeline.floors import FloorSettings
    from evalkit.pipeline.score import score_videos
    from evalkit.results.summary import format_summary

    metrics = tuple(name.strip() for name in args.metrics.split(",") if name.strip())
    try:
        for name in metrics:
            METRICS.get(name)
        protocol = ClipProtocol(num_frames=args.num_frames, resolution=args.resolution, frame_stride=args.frame_stride)
        options = MetricOptions(device=args.device, **metric_settings(args))
        result = score_videos(
            args.reference,
            args.reconstruction,
            args.out,
            protocol=protocol,
            metrics=metrics,
            options=options,
            seed=args.seed,
            resamples=args.bootstrap_resamples,
            floors=FloorSettings(args.floor_spatial, args.floor_temporal),
            allow_resize=args.allow_resize,
        )
    except (KeyError, ValueError, FileNotFoundError) as exc:
        print(f"evalkit score: {exc}", file=sys.stderr)
        return 2
    print(format_summary(result.results, str(result.run_dir)))
    if result.results["status"] == "empty":
        print(
            "evalkit score: no pair was scored (status empty); fix the files listed above and run again",
            file=sys.stderr,
        )
        return 2
    return 0
