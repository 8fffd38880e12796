"""`evalkit run`: evaluate a student decoder against its teacher on a dataset and write a run folder."""

from __future__ import annotations

import argparse
import sys
from dataclasses import fields
from typing import Any

from evalkit.cli.arguments import add_device_arguments, add_frame_stride_argument, add_metric_arguments
from evalkit.data.protocol_presets import preset_names
from evalkit.options import DEFAULT_METRICS, INITS, ONNX_CHOICES, POSTERIORS, PROFILE_MODES, TILING_MODES
from evalkit.pipeline.config import RunConfig
from evalkit.profile.options import CPU_AUTO_MAX_TEACHER_PARAMS

EPILOG = """examples:
  evalkit run   (the shipped demo pair turbo-demo on the bundled sample clips: offline, under a minute on 2 CPU cores)
  evalkit run --decoder turbo-ltx --dataset sample --init random --max-clips 3
  evalkit run --decoder turbo-ltx --dataset ucf101 --root /data/UCF-101 --split test --fold 1 \\
      --student-weights ckpt/turbo_ltx.safetensors --metrics psnr,ssim,lpips,fvd --device cuda
  torchrun --nproc_per_node 4 -m evalkit run --config run.toml

Settings come from the defaults, then --config FILE (TOML or YAML, keys as below with '_' or '-'),
then these flags. Re-running the same command resumes an interrupted run in the same folder.
Exit codes: 0 done (status complete, or partial when some clips failed: the summary says so), 2 unusable
settings or missing weights (the message names the file and the fetch command), or a run that evaluated
no clip at all (status empty: every clip was unreadable or failed, e.g. NaN outputs; results.json is written)."""

EMPTY_RUN = (
    "no clip was evaluated (status empty in results.json); fix the input (see the skipped clips above) and run again"
)

_DEFAULTS = {f.name: f.default for f in fields(RunConfig) if not callable(f.default_factory)}


def _default(name: str) -> str:
    value = _DEFAULTS[name]
    if name == "metrics":
        value = ",".join(DEFAULT_METRICS)
    return f"(default: {value})"


def _resolutions(text: str) -> int | list[int]:
    """``256`` -> 256; ``256,512`` -> [256, 512] (a sweep)."""
    try:
        sizes = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"resolution must be whole pixels, e.g. 256 or 256,512; got {text!r}"
        ) from None
    if not sizes:
        raise argparse.ArgumentTypeError("resolution is empty; give e.g. 256 or 256,512")
    return sizes[0] if len(sizes) == 1 else sizes


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``run`` subcommand (flags default to SUPPRESS so a --config file is only overridden by given flags)."""
    parser = subparsers.add_parser(
        "run",
        help="evaluate a decoder pair on a dataset (results.json, per-clip table, report)",
        description="Run the paired teacher/student evaluation: clips -> teacher encode -> teacher and student "
        "decode the same latents -> PSNR/SSIM/LPIPS/FVD three ways -> results folder.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        argument_default=argparse.SUPPRESS,
    )
    parser.add_argument("--config", metavar="FILE", help="TOML/YAML file of settings; flags override it")
    what = parser.add_argument_group("what to evaluate")
    what.add_argument(
        "--decoder",
        metavar="NAME",
        help=f"decoder pair name, see `evalkit decoders`; turbo-demo is the shipped demo pair {_default('decoder')}; "
        "several students of one teacher (turbo-hunyuan,taehv-hunyuan) are compared on the same latents: one run each "
        "in <out>/<student>, teacher work done once, and students.json + students.html with paired differences",
    )
    what.add_argument("--dataset", metavar="NAME", help=f"dataset name, see `evalkit datasets` {_default('dataset')}")
    what.add_argument(
        "--protocol",
        dest="protocol_preset",
        metavar="NAME",
        help="a named, versioned protocol preset that fixes dataset, split, clip protocol and metric variants "
        f"({', '.join(preset_names())}; files in datasets/protocols/); flags may add to it, never contradict it",
    )
    what.add_argument("--root", metavar="PATH", help="dataset folder in its official layout (not needed for sample)")
    what.add_argument("--split", metavar="NAME", help="dataset split (default: the adapter's)")
    what.add_argument("--fold", metavar="N", type=int, help="dataset fold, e.g. UCF-101 1-3 (default: the adapter's)")
    what.add_argument("--max-clips", metavar="N", type=int, help="evaluate the first N clips (default: all)")
    what.add_argument(
        "--max-frame-pixels",
        metavar="N",
        type=int,
        help="skip videos whose frames have more pixels (read from the header, never decoded; protects memory) "
        f"{_default('max_frame_pixels')}",
    )
    what.add_argument("--student-weights", metavar="PATH", help="student checkpoint (default: resolved by name)")
    what.add_argument("--teacher-weights", metavar="PATH", help="teacher VAE folder/file (default: resolved by name)")
    what.add_argument("--init", choices=INITS, help=f"decoder weights; random stamps RANDOM WEIGHTS {_default('init')}")
    what.add_argument(
        "--posterior",
        choices=POSTERIORS,
        help=f"teacher latent: posterior mode or seeded sample {_default('posterior')}",
    )
    clip = parser.add_argument_group("clip protocol")
    clip.add_argument("--num-frames", metavar="N", type=int, help=f"frames per clip {_default('num_frames')}")
    clip.add_argument(
        "--resolution",
        metavar="PX[,PX...]",
        type=_resolutions,
        help=f"short side, center crop {_default('resolution')}; several sizes (256,512) run a resolution sweep: "
        "one run per size in <out>/r<size>, and sweep.json + sweep.html comparing every metric by size",
    )
    add_frame_stride_argument(clip, dest="stride", default=_DEFAULTS["stride"])
    measure = parser.add_argument_group("metrics")
    measure.add_argument(
        "--metrics",
        metavar="LIST",
        help=f"comma-separated metric names {_default('metrics')}; "
        "metrics whose weights are missing are reported unavailable; add msssim for MS-SSIM (opt-in: it costs "
        "more than the rest of the default run on 2 CPU cores; needs --resolution >= 176)",
    )
    add_metric_arguments(measure)
    measure.add_argument(
        "--tiling",
        choices=TILING_MODES,
        help="compare decodes every student clip a second time in overlapped spatial tiles (one more student "
        "decode per clip) and reports tiled-vs-untiled PSNR and a seam score at the tile joins "
        f"{_default('tiling')}",
    )
    cost = parser.add_argument_group("cost profile")
    cost.add_argument(
        "--profile",
        choices=PROFILE_MODES,
        help="parameters, FLOPs, latency and memory of both decoders at the clip shape, in results.json and "
        "cached under $EVALKIT_CACHE/profile; auto skips it where it is too slow (a teacher decoder over "
        f"{CPU_AUTO_MAX_TEACHER_PARAMS // 1_000_000}M parameters on the CPU) and names the `evalkit bench` "
        f"command instead {_default('profile')}",
    )
    cost.add_argument(
        "--profile-onnx",
        nargs="?",
        const="student",
        choices=ONNX_CHOICES,
        help=f"add the ONNX mobile proxy of the student (bare flag) or of both {_default('profile_onnx')}",
    )
    hardware = parser.add_argument_group("hardware")
    add_device_arguments(hardware)
    hardware.add_argument(
        "--autocast", action="store_true", help="keep float32 weights, run ops in --dtype (default: off)"
    )
    hardware.add_argument(
        "--batch-size",
        metavar="N|auto",
        help="clips per decoder call, halved for the rest of the run if a call runs out of memory (a clip the "
        f"student cannot decode alone is decoded in spatial tiles) {_default('batch_size')}",
    )
    hardware.add_argument(
        "--num-workers", metavar="N", type=int, help=f"video decoding workers {_default('num_workers')}"
    )
    output = parser.add_argument_group("output and caches")
    output.add_argument("--out", metavar="DIR", help="run folder (default: reports/<decoder>-<dataset>-<config hash>)")
    output.add_argument(
        "--seed", metavar="N", type=int, help=f"posterior sample, random init, bootstrap {_default('seed')}"
    )
    output.add_argument(
        "--cache-dir",
        metavar="DIR",
        help="teacher cache (default: $EVALKIT_CACHE/pipeline, i.e. ~/.cache/evalkit/pipeline)",
    )
    output.add_argument(
        "--no-cache", action="store_true", help="neither read nor write the teacher cache (default: cache on)"
    )
    output.add_argument(
        "--cache-max-gb",
        metavar="GB",
        type=float,
        help=f"cache size cap, least recently used entries go first {_default('cache_max_gb')}",
    )
    output.add_argument(
        "--no-progress", dest="progress", action="store_false", help="no progress bar (default: bar on stderr)"
    )
    parser.set_defaults(func=handle)


def handle(args: argparse.Namespace) -> int:
    """Build the config (defaults < file < flags), run, print the summary; 2 on unusable settings."""
    from evalkit.data import LayoutError
    from evalkit.models.checkpoint import CheckpointMismatchError
    from evalkit.pipeline import ConfigError, build_config, run
    from evalkit.pipeline.journal import JournalMismatchError
    from evalkit.weights import WeightsUnavailable

    given: dict[str, Any] = {key: val for key, val in vars(args).items() if key not in ("func", "command", "verbose")}
    config_file = given.pop("config", None)
    sizes = given.get("resolution") if isinstance(given.get("resolution"), list) else None
    students = given["decoder"].split(",") if "," in str(given.get("decoder", "")) else None
    first = {"resolution": sizes[0]} if sizes else {}
    try:
        config = build_config(config_file, **{**given, **first, **({"decoder": students[0]} if students else {})})
        if students and sizes:
            raise ConfigError("compare several students at one resolution at a time (a sweep takes one decoder)")
        if students:
            return _students(config, students)
        if sizes:
            return _sweep(config, sizes)
        result = run(config)
    except (ConfigError, WeightsUnavailable, LayoutError, JournalMismatchError, CheckpointMismatchError) as exc:
        print(f"evalkit run: {exc}", file=sys.stderr)
        return 2
    if result.results is not None:
        print(result.summary())
        if result.results["status"] == "empty":
            print(f"evalkit run: {EMPTY_RUN}", file=sys.stderr)
            return 2
    return 0


def _students(config: Any, names: list[str]) -> int:
    """One run per student on the shared teacher work, then the comparison summary."""
    from evalkit.pipeline.students import run_students

    comparison = run_students(config, names)
    code = _print_runs(dict(comparison.runs))
    teacher, page = comparison.document["teacher"], comparison.folder / "students.html"
    print(f"students {', '.join(names)} of teacher {teacher}: {page}")
    return code


def _sweep(config: Any, sizes: list[int]) -> int:
    """One run per size, then the sweep summary."""
    from evalkit.pipeline.sweep import run_sweep

    sweep = run_sweep(config, sizes)
    code = _print_runs({f"resolution {size}": result for size, result in sweep.runs.items()})
    print(f"resolution sweep {', '.join(map(str, sizes))}: {sweep.sweep_dir / 'sweep.html'}")
    return code


def _print_runs(runs: dict[str, Any]) -> int:
    """Each run's summary under its label; 2 when any of them evaluated nothing."""
    code = 0
    for label, result in runs.items():
        if result.results is None:
            continue
        print(f"--- {label} ---")
        print(result.summary())
        if result.results["status"] == "empty":
            print(f"evalkit run: {label}: {EMPTY_RUN}", file=sys.stderr)
            code = 2
    return code
