"""`evalkit generate-check`: decode text-to-video latents with teacher and student, score them, write results."""

from __future__ import annotations

import argparse
import sys

from evalkit.cli.arguments import add_device_arguments, add_metric_arguments
from evalkit.generation.config import GenerateCheckConfig, config_defaults
from evalkit.options import DTYPES, INITS, PIPELINE_OFFLOADS

EPILOG = """examples:
  evalkit generate-check --decoder turbo-ltx --pipeline Lightricks/LTX-Video --device cuda \\
      --student-weights ckpt/turbo_ltx.safetensors --reference-dataset ucf101 --reference-root /data/UCF-101 \\
      --save-latents latents/ltx
  evalkit generate-check --decoder turbo-ltx --pipeline Lightricks/LTX-Video --save-latents latents/ltx --generate-only
  evalkit generate-check --decoder turbo-ltx --latents latents/ltx --into reports/turbo-ltx-ucf101-0123456789ab

Per-sample PSNR/SSIM/LPIPS compare the student's decode with the teacher's decode of the same latent (the
teacher output is the reference: generated videos have no ground truth). FVD: teacher set and student set
against the real reference set, and student set against teacher set. Gate rules read them as gen.*, e.g.
`evalkit gate RUN --rule 'gen.fvd.loss<=5'`. Docs: docs/generation.md.
Exit codes: 0 done, 2 unusable settings, latents that do not fit the decoder, or missing weights/packages."""

_NOT_CONFIG = ("func", "command", "verbose")


def _seeds(text: str) -> tuple[int, ...]:
    """``--seeds`` value: comma-separated integers."""
    try:
        return tuple(int(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"seeds must be comma-separated integers, e.g. 0,1,2; got {text!r}") from None


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``generate-check`` subcommand."""
    parser = subparsers.add_parser(
        "generate-check",
        help="decode text-to-video latents with teacher and student; FVD and student-vs-teacher metrics",
        description="End-to-end generation check: latents from the teacher's diffusers text-to-video pipeline "
        "(output_type='latent'; its own VAE is never loaded) or from a folder of saved latents are decoded by "
        "the teacher and the student and scored.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--decoder", metavar="NAME", required=True, help="student decoder pair, e.g. turbo-ltx")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument(
        "--pipeline", metavar="MODEL", help="diffusers pipeline folder or Hub id of the teacher's model"
    )
    source.add_argument("--latents", metavar="DIR", help="folder of saved latents (*.safetensors with metadata)")
    weights = parser.add_argument_group("decoders")
    weights.add_argument("--student-weights", metavar="PATH", help="student checkpoint (default: resolved by name)")
    weights.add_argument(
        "--teacher-weights", metavar="PATH", help="teacher VAE folder/file (default: resolved by name)"
    )
    weights.add_argument(
        "--init", choices=INITS, help="decoder weights; random stamps RANDOM WEIGHTS (default: %(default)s)"
    )
    prompts = parser.add_argument_group("prompts (with --pipeline)")
    prompts.add_argument(
        "--prompts", metavar="FILE", help="text (one prompt a line) or CSV file (default: datasets/prompts/default.txt)"
    )
    prompts.add_argument("--prompt-column", metavar="NAME", help="CSV prompt column (default: %(default)s)")
    prompts.add_argument(
        "--seeds",
        metavar="LIST",
        type=_seeds,
        help="comma-separated seeds, one sample per prompt and seed (default: 0)",
    )
    prompts.add_argument("--max-samples", metavar="N", type=int, help="generate the first N samples (default: all)")
    generation = parser.add_argument_group("generation (default: the pipeline family's, see docs/generation.md)")
    generation.add_argument("--num-frames", metavar="N", type=int, help="frames per video")
    generation.add_argument("--height", metavar="PX", type=int, help="video height")
    generation.add_argument("--width", metavar="PX", type=int, help="video width")
    generation.add_argument("--steps", metavar="N", type=int, help="denoising steps")
    generation.add_argument("--guidance-scale", metavar="X", type=float, help="classifier-free guidance scale")
    generation.add_argument("--max-sequence-length", metavar="N", type=int, help="text tokens (pipeline default)")
    generation.add_argument(
        "--pipeline-dtype",
        choices=("auto", *DTYPES),
        help="pipeline precision; auto = bfloat16 on CUDA, float32 on CPU (default: %(default)s)",
    )
    generation.add_argument(
        "--pipeline-offload",
        choices=PIPELINE_OFFLOADS,
        help="diffusers CPU offload of text encoder/transformer, needs accelerate (default: %(default)s)",
    )
    generation.add_argument("--save-latents", metavar="DIR", help="also save every latent here (one file each)")
    generation.add_argument(
        "--generate-only",
        action="store_true",
        help="stop after saving latents (decode later with --latents, in another process)",
    )
    check = parser.add_argument_group("check")
    check.add_argument(
        "--metrics",
        metavar="LIST",
        help="comma-separated metrics; psnr/ssim/lpips/tdiff are student vs teacher per sample (default: %(default)s)",
    )
    check.add_argument("--reference-dataset", metavar="NAME", help="real videos for FVD, any `evalkit datasets` name")
    check.add_argument("--reference-root", metavar="PATH", help="reference dataset folder")
    check.add_argument("--reference-split", metavar="NAME", help="reference dataset split")
    check.add_argument("--reference-fold", metavar="N", type=int, help="reference dataset fold")
    check.add_argument("--reference-max-clips", metavar="N", type=int, help="use N reference videos (default: all)")
    add_metric_arguments(check, lpips_weights=False)
    check.add_argument(
        "--save-clips",
        metavar="N",
        type=int,
        help="keep decoded frames of the first N samples for the report (default: %(default)s)",
    )
    check.add_argument("--flicker", action="store_true", help="record per-frame flicker curves and a figure")
    check.add_argument("--seed", metavar="N", type=int, help="random init and bootstrap seed (default: %(default)s)")
    add_device_arguments(parser.add_argument_group("hardware"))
    output = parser.add_argument_group("output")
    output.add_argument("--out", metavar="DIR", help="run folder (default: reports/gen-<decoder>-<settings hash>)")
    output.add_argument("--into", metavar="RUN_DIR", help="add the generation section to this existing run instead")
    output.add_argument("--no-progress", dest="progress", action="store_false", help="no progress bars")
    parser.set_defaults(func=handle, **config_defaults())


def handle(args: argparse.Namespace) -> int:
    """Run the check and print its summary; 2 on unusable settings, unfit latents or missing weights/packages."""
    from evalkit.generation.results import format_generation_summary
    from evalkit.generation.runner import run_generate_check
    from evalkit.weights import WeightsUnavailable

    config = GenerateCheckConfig(**{key: value for key, value in vars(args).items() if key not in _NOT_CONFIG})
    try:
        items, run = run_generate_check(config)
    except (
        ValueError,
        FileNotFoundError,
        ImportError,
        WeightsUnavailable,
    ) as exc:  # LayoutError, CheckpointMismatchError included
        print(f"evalkit generate-check: {exc}", file=sys.stderr)
        return 2
    if run is None:
        print(f"wrote {len(items)} latents to {config.save_latents}; decode them with --latents {config.save_latents}")
        return 0
    print(format_generation_summary(run.section))
    print(f"results: {run.run_dir / 'results.json'}")
    return 0
