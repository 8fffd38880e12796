"""`evalkit generate-check`: decode text-to-video latents with teacher and student, score them, write results."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from evalkit.hashing import canonical_sha256

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
        "--init",
        choices=("pretrained", "random"),
        default="pretrained",
        help="decoder weights; random stamps RANDOM WEIGHTS (default: pretrained)",
    )
    prompts = parser.add_argument_group("prompts (with --pipeline)")
    prompts.add_argument(
        "--prompts", metavar="FILE", help="text (one prompt a line) or CSV file (default: datasets/prompts/default.txt)"
    )
    prompts.add_argument(
        "--prompt-column", metavar="NAME", default="prompt", help="CSV prompt column (default: prompt)"
    )
    prompts.add_argument(
        "--seeds",
        metavar="LIST",
        type=_seeds,
        default=(0,),
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
        choices=("auto", "float32", "bfloat16", "float16"),
        default="auto",
        help="pipeline precision; auto = bfloat16 on CUDA, float32 on CPU (default: auto)",
    )
    generation.add_argument(
        "--pipeline-offload",
        choices=("none", "model", "sequential"),
        default="none",
        help="diffusers CPU offload of text encoder/transformer, needs accelerate (default: none)",
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
        default="psnr,ssim,lpips,fvd",
        help="comma-separated metrics; psnr/ssim/lpips/tdiff are student vs teacher per sample "
        "(default: psnr,ssim,lpips,fvd)",
    )
    check.add_argument("--reference-dataset", metavar="NAME", help="real videos for FVD, any `evalkit datasets` name")
    check.add_argument("--reference-root", metavar="PATH", help="reference dataset folder")
    check.add_argument("--reference-split", metavar="NAME", help="reference dataset split")
    check.add_argument("--reference-fold", metavar="N", type=int, help="reference dataset fold")
    check.add_argument("--reference-max-clips", metavar="N", type=int, help="use N reference videos (default: all)")
    check.add_argument("--lpips-net", choices=("alex", "vgg"), default="alex", help="LPIPS backbone (default: alex)")
    check.add_argument("--ssim-variant", choices=("wang", "torchmetrics"), default="wang", help="SSIM (default: wang)")
    check.add_argument(
        "--fvd-variant",
        choices=("stylegan-v", "turbo-vaed-compat", "videomae"),
        default="stylegan-v",
        help="FVD input convention (default: stylegan-v)",
    )
    check.add_argument(
        "--fvd-detector", metavar="PATH", help="I3D TorchScript file, or VideoMAE folder (default: resolved by name)"
    )
    check.add_argument(
        "--save-clips",
        metavar="N",
        type=int,
        default=4,
        help="keep decoded frames of the first N samples for the report (default: 4)",
    )
    check.add_argument("--flicker", action="store_true", help="record per-frame flicker curves and a figure")
    check.add_argument(
        "--bootstrap-resamples", metavar="N", type=int, default=1000, help="CI resamples (default: 1000)"
    )
    check.add_argument("--seed", metavar="N", type=int, default=0, help="random init and bootstrap seed (default: 0)")
    hardware = parser.add_argument_group("hardware")
    hardware.add_argument("--device", metavar="DEVICE", default="auto", help="auto|cpu|cuda|cuda:N (default: auto)")
    hardware.add_argument(
        "--dtype",
        choices=("float32", "bfloat16", "float16"),
        default="float32",
        help="decoder precision (default: float32)",
    )
    hardware.add_argument(
        "--offload",
        choices=("auto", "always", "never"),
        default="auto",
        help="one decoder on the GPU at a time (default: auto)",
    )
    output = parser.add_argument_group("output")
    output.add_argument("--out", metavar="DIR", help="run folder (default: reports/gen-<decoder>-<settings hash>)")
    output.add_argument("--into", metavar="RUN_DIR", help="add the generation section to this existing run instead")
    output.add_argument("--no-progress", dest="progress", action="store_false", help="no progress bars")
    parser.set_defaults(func=handle)


def _config(args: argparse.Namespace) -> dict[str, Any]:
    return {key: value for key, value in sorted(vars(args).items()) if key not in _NOT_CONFIG}


def default_run_dir(config: dict[str, Any]) -> Path:
    """``reports/gen-<decoder>-<12 hex>`` from the settings that change results (not where they are written)."""
    settled = {key: value for key, value in config.items() if key not in ("out", "into", "progress")}
    digest = canonical_sha256(settled, length=12, compact=False)
    return Path("reports") / f"gen-{config['decoder']}-{digest}"


def _check_args(args: argparse.Namespace) -> None:
    from evalkit.data import DATASETS
    from evalkit.metrics import METRICS
    from evalkit.models.registry import DECODERS

    names = [(DECODERS, args.decoder)] + [(METRICS, name) for name in args.metrics.split(",")]
    if args.reference_dataset:
        names.append((DATASETS, args.reference_dataset))
    for registry, name in names:
        if name not in registry:
            raise ValueError(f"unknown {registry.kind} {name!r}; choose one of: {', '.join(registry.names())}")
    if args.generate_only and not (args.pipeline and args.save_latents):
        raise ValueError("--generate-only needs --pipeline and --save-latents DIR (where the latents go)")
    if args.out and args.into:
        raise ValueError("give --out (new run folder) or --into (existing run), not both")


def _generate(args: argparse.Namespace, device: str) -> tuple[list[Any], dict[str, Any]]:
    """Load the pipeline, produce (and save) latents, free the pipeline; returns latents and source record."""
    import gc

    import torch

    from evalkit.generation import PIPELINES, GenerationSettings, load_pipeline, load_prompts, produce_latents
    from evalkit.generation.prompts import DEFAULT_PROMPTS, prompts_sha256
    from evalkit.models.interfaces import check_frames, check_size
    from evalkit.models.registry import DECODERS

    spec = DECODERS.get(args.decoder)
    if spec.teacher is None:
        raise ValueError(f"decoder {args.decoder!r} has no teacher ({spec.teacher_unavailable})")
    family = PIPELINES.get(spec.teacher)
    samples = load_prompts(
        args.prompts,
        seeds=args.seeds,
        prompt_column=args.prompt_column,
        max_samples=args.max_samples,
    )
    extra = {"max_sequence_length": args.max_sequence_length} if args.max_sequence_length else {}
    settings = GenerationSettings.for_family(
        family,
        num_frames=args.num_frames,
        height=args.height,
        width=args.width,
        num_inference_steps=args.steps,
        guidance_scale=args.guidance_scale,
        extra=extra,
    )
    check_frames(spec.name, spec.frame_rule, settings.num_frames)
    check_size(spec.name, spec.spatial_compression, settings.height, settings.width)
    dtype_name = args.pipeline_dtype
    if dtype_name == "auto":
        dtype_name = "bfloat16" if device.startswith("cuda") else "float32"
    pipe = load_pipeline(
        family, args.pipeline, device=device, dtype=getattr(torch, dtype_name), offload=args.pipeline_offload
    )
    prompts_path = Path(args.prompts) if args.prompts else DEFAULT_PROMPTS
    source = {"model": args.pipeline, "dtype": dtype_name}
    items = produce_latents(
        pipe, args.decoder, samples, settings, save_dir=args.save_latents, source=source, progress=args.progress
    )
    del pipe
    gc.collect()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()
    record = {
        "kind": "pipeline",
        "pipeline": family.class_name,
        **source,
        "prompts": str(prompts_path),
        "prompts_sha256": prompts_sha256(prompts_path),
        "settings": settings.to_dict(),
        "latents_dir": args.save_latents,
    }
    return items, record


def _run(args: argparse.Namespace) -> int:
    import torch

    from evalkit.generation import CheckOptions, ReferenceSet, check_and_write, read_latent_folder
    from evalkit.generation.results import format_generation_summary
    from evalkit.generation.runner import folder_source
    from evalkit.metrics import MetricOptions
    from evalkit.models.placement import should_offload
    from evalkit.models.registry import build_pair
    from evalkit.pipeline.devices import DTYPES, resolve_device

    _check_args(args)
    device = resolve_device(args.device)
    if args.pipeline:
        items, source = _generate(args, device)
        if args.generate_only:
            print(f"wrote {len(items)} latents to {args.save_latents}; decode them with --latents {args.save_latents}")
            return 0
    else:
        items = read_latent_folder(args.latents)
        source = folder_source(items, args.latents)
    pair = build_pair(
        args.decoder,
        student_weights=args.student_weights,
        teacher_weights=args.teacher_weights,
        init=args.init,
        dtype=DTYPES[args.dtype],
        seed=args.seed,
    )
    reference = None
    if args.reference_dataset:
        reference = ReferenceSet(
            args.reference_dataset,
            args.reference_root,
            args.reference_split,
            args.reference_fold,
            args.reference_max_clips,
        )
    options = CheckOptions(
        metrics=tuple(args.metrics.split(",")),
        metric_options=MetricOptions(
            device=device,
            ssim_variant=args.ssim_variant,
            lpips_net=args.lpips_net,
            fvd_variant=args.fvd_variant,
            fvd_detector=args.fvd_detector,
        ),
        reference=reference,
        save_clips=args.save_clips,
        flicker=args.flicker,
        seed=args.seed,
        resamples=args.bootstrap_resamples,
    )
    config = _config(args)
    run_dir = Path(args.into) if args.into else Path(args.out) if args.out else default_run_dir(config)
    result = check_and_write(
        items,
        pair,
        run_dir,
        options,
        source=source,
        into_existing_run=bool(args.into),
        config={"command": "generate-check", **config},
        device=device,
        offload=should_offload(args.offload, torch.device(device), pair.teacher, pair.student),
    )
    print(format_generation_summary(result.section))
    print(f"results: {result.run_dir / 'results.json'}")
    return 0


def handle(args: argparse.Namespace) -> int:
    """Run the check and print its summary; 2 on unusable settings, unfit latents or missing weights/packages."""
    from evalkit.data import LayoutError
    from evalkit.models.checkpoint import CheckpointMismatchError
    from evalkit.weights import WeightsUnavailable

    try:
        return _run(args)
    except (
        ValueError,
        FileNotFoundError,
        ImportError,
        WeightsUnavailable,
        LayoutError,
        CheckpointMismatchError,
    ) as exc:
        print(f"evalkit generate-check: {exc}", file=sys.stderr)
        return 2
