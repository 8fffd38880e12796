"""`evalkit distill`: train a Turbo-VAED student decoder on a frozen teacher's latents (SPEC §9)."""

from __future__ import annotations

import argparse
import json
import logging
import sys

from evalkit.distill.config import DistillConfig
from evalkit.options import INITS, LR_SCHEDULES, POSTERIORS, TRAINING_DTYPES

logger = logging.getLogger(__name__)

EPILOG = """examples:
  evalkit distill --teacher ltx --student ltx --dataset folder --root /data/clips --out runs/turbo-ltx \\
      --eval-dataset ucf101 --eval-root /data/UCF-101 --eval-every 1000 --max-steps 100000
  evalkit distill --teacher demo --student student.json --dataset folder --root train/ --no-perceptual \\
      --crop-size 96 --max-minutes 30 --out runs/turbo-demo

Re-running the same command continues from the latest checkpoint in --out (bit-identical on CPU).
The student checkpoint to evaluate is <out>/checkpoints/step-N/decoder.safetensors (EMA weights):
  evalkit run --decoder turbo-ltx --student-weights <out>/checkpoints/step-N/decoder.safetensors
Exit codes: 0 done, 2 unusable settings, missing weights or a missing LPIPS backbone."""

DEFAULTS = DistillConfig(teacher="", student="", out="")


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``distill`` subcommand."""
    parser = subparsers.add_parser(
        "distill",
        help="distil a Turbo-VAED decoder from a frozen teacher VAE",
        description="Frozen teacher encoder -> latents -> student decoder trained with L1 + LPIPS(VGG) + feature "
        "alignment (projection heads of the student config) against the teacher decoder. Writes safetensors "
        "checkpoints, a CSV training log and held-out evaluations through the `evalkit run` pipeline.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    models = parser.add_argument_group("models")
    models.add_argument(
        "--teacher", metavar="NAME", required=True, help="decoder name with a teacher VAE (ltx, demo...)"
    )
    models.add_argument("--student", metavar="PRESET|JSON", required=True, help="Turbo-VAED preset or config JSON")
    models.add_argument("--teacher-weights", metavar="PATH", help="teacher VAE folder/file (default: resolved by name)")
    models.add_argument("--student-weights", metavar="PATH", help="initialise the student from this decoder checkpoint")
    _add_defaulted(
        models,
        ("--teacher-init", None, INITS, "random: a random teacher, for smoke tests only"),
        ("--posterior", None, POSTERIORS, "teacher latents: seeded posterior sample (official) or mode"),
    )
    data = parser.add_argument_group("training data")
    data.add_argument("--dataset", metavar="NAME", default=DEFAULTS.dataset, help="dataset name (default: %(default)s)")
    data.add_argument("--root", metavar="PATH", help="dataset folder")
    data.add_argument("--split", metavar="NAME", help="dataset split (default: the adapter's)")
    data.add_argument("--fold", metavar="N", type=int, help="dataset fold (default: the adapter's)")
    _add_defaulted(
        data,
        ("--num-frames", int, "N", "frames per window"),
        ("--crop-size", int, "PX", "square crop"),
        ("--resolution", int, "PX", "short side before cropping"),
    )
    data.add_argument("--no-hflip", dest="hflip", action="store_false", help="no random horizontal flips")
    data.add_argument(
        "--channel-shuffle", action="store_true", help="random RGB channel order per window (few-hue footage)"
    )
    optim = parser.add_argument_group("optimisation")
    _add_defaulted(
        optim,
        ("--batch-size", int, "N", "clips per micro-batch"),
        ("--grad-accum", int, "N", "micro-batches per step"),
        ("--lr", float, "RATE", "AdamW learning rate"),
        ("--lr-schedule", None, LR_SCHEDULES, "lr over the run: constant, or cosine decay to --lr-min-ratio"),
        ("--lr-min-ratio", float, "R", "cosine: the last step's lr as a fraction of --lr"),
    )
    optim.add_argument(
        "--betas",
        type=float,
        nargs=2,
        default=DEFAULTS.betas,
        metavar=("B1", "B2"),
        help="AdamW betas (default: %(default)s)",
    )
    _add_defaulted(
        optim,
        ("--weight-decay", float, "WD", "AdamW weight decay"),
        ("--ema-decay", float, "DECAY", "EMA decay"),
        ("--dtype", None, TRAINING_DTYPES, "student compute precision"),
        ("--seed", int, "N", "seed of init, windows and posterior"),
        ("--threads", int, "N", "torch CPU threads, 0: torch default"),
    )
    loss = parser.add_argument_group("loss")
    loss.add_argument(
        "--no-perceptual", dest="perceptual", action="store_false", help="drop the LPIPS term (no VGG backbone)"
    )
    _add_defaulted(loss, ("--perceptual-weight", float, "W", "LPIPS weight"))
    loss.add_argument(
        "--perceptual-weights", metavar="PATH", help="torchvision vgg16 file for LPIPS (default: resolved)"
    )
    _add_defaulted(loss, ("--feature-weight", float, "W", "feature alignment weight"))
    run = parser.add_argument_group("run")
    run.add_argument("--out", metavar="DIR", required=True, help="run folder (checkpoints, logs, evaluations)")
    _add_defaulted(run, ("--max-steps", int, "N", "optimiser steps"))
    run.add_argument("--max-minutes", metavar="M", type=float, help="stop (and checkpoint) after M minutes")
    _add_defaulted(
        run,
        ("--save-every", int, "N", "steps between checkpoints"),
        ("--eval-every", int, "N", "steps between held-out evaluations, 0: none"),
    )
    run.add_argument("--eval-dataset", metavar="NAME", help="held-out dataset for evaluation")
    run.add_argument("--eval-root", metavar="PATH", help="held-out dataset folder")
    run.add_argument("--eval-split", metavar="NAME", help="held-out split")
    run.add_argument("--eval-max-clips", metavar="N", type=int, help="held-out clips per evaluation (default: all)")
    run.add_argument("--eval-decoder", metavar="NAME", help="registry name pairing this teacher with a student")
    run.add_argument("--no-progress", dest="progress", action="store_false", help="no progress bar")
    run.add_argument(
        "--no-resume", dest="resume", action="store_false", help="start over even if --out has checkpoints"
    )
    parser.set_defaults(func=handle)


def _add_defaulted(group: argparse._ArgumentGroup, *specs: tuple) -> None:
    """Add options whose default comes from :class:`DistillConfig`: (flag, type, metavar or choices, help)."""
    for flag, kind, shape, text in specs:
        shown = {"type": kind, "metavar": shape} if kind else {"choices": shape}
        group.add_argument(
            flag, default=getattr(DEFAULTS, flag[2:].replace("-", "_")), help=f"{text} (default: %(default)s)", **shown
        )


def handle(args: argparse.Namespace) -> int:
    """Build the config from the flags and train; settings errors exit with 2 and a message."""
    from evalkit.distill.losses import PerceptualUnavailableError
    from evalkit.distill.trainer import distill
    from evalkit.weights import WeightsUnavailable

    settings = {k: v for k, v in vars(args).items() if k not in ("func", "command", "verbose", "resume")}
    try:
        config = DistillConfig(**settings)
        result = distill(config, resume=args.resume)
    except (ValueError, FileNotFoundError, WeightsUnavailable, PerceptualUnavailableError) as exc:
        print(f"evalkit distill: {exc}", file=sys.stderr)
        return 2
    print(json.dumps({"step": result.step, "checkpoint": str(result.checkpoint)}, indent=2))
    return 0
