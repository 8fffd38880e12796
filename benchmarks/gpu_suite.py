"""One prepared command for a GPU window: decoder FPS against the paper, and what bounds `evalkit run` there.

    python benchmarks/gpu_suite.py                # on a CUDA machine, within --budget-s (default 420 s)
    python benchmarks/gpu_suite.py --smoke        # the same code on the CPU at tiny sizes, in well under a minute

Part 1, decoders: every registered pair that has a teacher and a student, random weights (the shipped demo pair
with its own), decoded at each shape, dtype and batch (1 and the largest that fits, found by doubling), teacher
and student side by side in this process, with latency, FPS and peak memory from `evalkit.profile`, and the
paper's FPS where it gives one. Part 2, `evalkit run` on a folder of sample-video windows with --num-workers
0/2/4: clips per second and the share of wall time spent in the decoders, the floor an evaluation cannot beat.
Work is done in priority order and stops cleanly when the budget runs out; what was skipped is listed.
Writes one JSON (schema ``evalkit.gpu_suite/1``) with the card, driver, torch and CUDA versions.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from evalkit.data.adapters.sample import sample_dir
from evalkit.models.registry import DECODERS, build_pair
from evalkit.pipeline.config import RunConfig
from evalkit.pipeline.runner import run
from evalkit.profile.bench import DTYPES, latent_shape
from evalkit.profile.decoder_profile import profile_decoder
from evalkit.profile.env import environment

SCHEMA = "evalkit.gpu_suite/1"
DECODER_STAGES = ("teacher_encode", "teacher_decode", "student_decode")
PAPER_FPS = {
    # (pair, frames, height, width): (teacher FPS, student FPS), Turbo-VAED paper (arXiv 2508.09136), GPU
    ("turbo-ltx", 17, 512, 512): (290.6, 841.6),
    ("turbo-hunyuan", 17, 512, 512): (10.1, 87.5),
}


@dataclass(frozen=True)
class Plan:
    """What one suite run measures."""

    device: str
    pairs: tuple[str, ...]
    init: str
    shapes: tuple[tuple[int, int, int], ...]
    dtypes: tuple[str, ...]
    max_batch: int
    repeats: int
    run_pair: str
    run_frames: int
    run_size: int
    run_clips: int
    run_workers: tuple[int, ...]


def full_plan() -> Plan:
    """The GPU plan: every student with a teacher, the paper's shapes, three dtypes."""
    pairs = tuple(
        name
        for name in DECODERS.names()
        if DECODERS.get(name).student_preset is not None
        and DECODERS.get(name).teacher is not None
        and DECODERS.get(name).demo_note is None
    )
    return Plan(
        device="cuda",
        pairs=pairs,
        init="random",
        shapes=((17, 512, 512), (17, 256, 256), (121, 704, 1280)),
        dtypes=("bfloat16", "float16", "float32"),
        max_batch=64,
        repeats=5,
        run_pair="turbo-ltx",
        run_frames=17,
        run_size=256,
        run_clips=24,
        run_workers=(0, 2, 4),
    )


def smoke_plan() -> Plan:
    """The CPU plan: the shipped demo pair (no weights to fetch) at tiny sizes, same code paths."""
    demo = RunConfig().require_decoder()
    return Plan(
        device="cpu",
        pairs=(demo,),
        init="pretrained",
        shapes=((9, 64, 64),),
        dtypes=("float32", "bfloat16"),
        max_batch=2,
        repeats=2,
        run_pair=demo,
        run_frames=9,
        run_size=64,
        run_clips=2,
        run_workers=(0, 2),
    )


class Budget:
    """Seconds left for the suite; every measurement asks before it starts."""

    def __init__(self, seconds: float) -> None:
        self.deadline = time.monotonic() + seconds
        self.skipped: list[str] = []

    def allows(self, what: str) -> bool:
        """True while time is left; otherwise records ``what`` as skipped."""
        if time.monotonic() < self.deadline:
            return True
        self.skipped.append(what)
        return False


def machine(device: str) -> dict[str, Any]:
    """Card, driver, torch and CUDA versions (the CPU model on the CPU)."""
    info = environment(device, torch.float32)
    if device == "cuda":
        query = ["nvidia-smi", "--query-gpu=driver_version", "--format=csv,noheader"]
        found = shutil.which("nvidia-smi")
        info["driver"] = subprocess.run(query, capture_output=True, text=True).stdout.strip() if found else None
    return info


def decode_fps(plan: Plan, budget: Budget) -> list[dict[str, Any]]:
    """Latency, FPS and peak memory of each pair's teacher and student at every shape, dtype and batch."""
    rows = []
    for shape in plan.shapes:
        for name in plan.pairs:
            for dtype in plan.dtypes:
                if not budget.allows(f"decode {name} {dtype} {shape}"):
                    continue
                rows.extend(_pair_rows(name, shape, dtype, plan, budget))
    return rows


def _pair_rows(name: str, shape: tuple[int, int, int], dtype: str, plan: Plan, budget: Budget) -> list[dict[str, Any]]:
    frames, height, width = shape
    pair = build_pair(name, init=plan.init, device=plan.device, dtype=DTYPES[dtype])
    try:
        latent_shape(pair, height, width, frames, 1)
    except ValueError as error:
        return [{"pair": name, "shape": list(shape), "dtype": dtype, "skipped": str(error)}]
    rows = []
    for batch in _batches(plan.max_batch):
        if batch > 1 and not budget.allows(f"decode {name} {dtype} {shape} batch {batch}"):
            break
        measured = {}
        for role, decode in (("teacher", pair.teacher.decode), ("student", pair.student.decode)):
            profile = profile_decoder(
                decode,
                latent_shape(pair, height, width, frames, batch),
                device=plan.device,
                dtype=DTYPES[dtype],
                repeats=plan.repeats,
                with_flops=False,
            )
            measured[role] = profile.to_dict()
        row = _row(name, shape, dtype, batch, measured)
        rows.append(row)
        if "oom" in (measured["teacher"]["status"], measured["student"]["status"]):
            break
    del pair
    if plan.device == "cuda":
        torch.cuda.empty_cache()
    return rows


def _batches(max_batch: int) -> list[int]:
    """1, 2, 4, ... up to ``max_batch``: the largest that fits is the last row whose decoders did not run out."""
    sizes, batch = [], 1
    while batch <= max_batch:
        sizes.append(batch)
        batch *= 2
    return sizes


def _row(name: str, shape: tuple[int, int, int], dtype: str, batch: int, measured: dict) -> dict[str, Any]:
    fps = {role: (measured[role].get("latency") or {}).get("fps") for role in measured}
    paper = PAPER_FPS.get((name, *shape)) if batch == 1 else None
    return {
        "pair": name,
        "shape": list(shape),
        "dtype": dtype,
        "batch": batch,
        "teacher": measured["teacher"],
        "student": measured["student"],
        "speedup": fps["student"] / fps["teacher"] if fps["student"] and fps["teacher"] else None,
        "paper_fps": None
        if paper is None
        else {"teacher": paper[0], "student": paper[1], "speedup": paper[1] / paper[0]},
    }


def run_throughput(plan: Plan, budget: Budget, workdir: Path) -> list[dict[str, Any]]:
    """`evalkit run` clips/s and the decoders' share of wall time for each ``--num-workers``."""
    root = _windows(workdir / "clips", plan.run_clips)
    rows = []
    for workers in plan.run_workers:
        if not budget.allows(f"run --num-workers {workers}"):
            continue
        config = RunConfig(
            decoder=plan.run_pair,
            dataset="folder",
            root=str(root),
            num_frames=plan.run_frames,
            resolution=plan.run_size,
            init=plan.init,
            device=plan.device,
            num_workers=workers,
            metrics=("psnr", "ssim"),
            out=str(workdir / f"run-{workers}"),
            no_cache=True,
            progress=False,
            profile="off",
            bootstrap_resamples=100,
        )
        timings = run(config).results["timings"]
        stages = timings["stages_s"]
        decoders = sum(stages.get(stage, 0.0) for stage in DECODER_STAGES)
        rows.append(
            {
                "num_workers": workers,
                "clips_per_s": timings.get("clips_per_s"),
                "wall_s": timings["wall_s"],
                "stage_s": stages,
                "decoder_share": decoders / timings["wall_s"] if timings["wall_s"] else None,
            }
        )
    return rows


def _windows(folder: Path, clips: int) -> Path:
    """A folder dataset of ``clips`` copies of the sample videos (copies, not links: links to one file dedupe)."""
    folder.mkdir(parents=True)
    videos = sorted(sample_dir().glob("*.mp4"))
    for index in range(clips):
        source = videos[index % len(videos)]
        shutil.copyfile(source, folder / f"{source.stem}_{index:02d}.mp4")
    return folder


def main(argv: list[str] | None = None) -> int:
    """Run the suite and write its JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="the same code on the CPU at tiny sizes")
    parser.add_argument("--budget-s", type=float, default=420.0, help="stop starting new measurements after this")
    parser.add_argument("--out", type=Path, default=None, help="JSON path (default benchmarks/results/...)")
    args = parser.parse_args(argv)
    plan = smoke_plan() if args.smoke else full_plan()
    if plan.device == "cuda" and not torch.cuda.is_available():
        print("gpu_suite: no CUDA device here; run with --smoke on the CPU", file=sys.stderr)
        return 2
    budget = Budget(args.budget_s)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        result = {
            "schema": SCHEMA,
            "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "smoke": args.smoke,
            "machine": machine(plan.device),
            "plan": dict(plan.__dict__),
            "decode": decode_fps(plan, budget),
            "run": run_throughput(plan, budget, Path(tmp)),
        }
    result["skipped_for_time"] = budget.skipped
    result["wall_s"] = time.perf_counter() - started
    name = "gpu_suite_smoke_cpu.json" if args.smoke else f"gpu_suite_{_slug(result['machine']['device_name'])}.json"
    out = args.out or Path(__file__).parent / "results" / name
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1, sort_keys=True) + "\n")
    _print_summary(result, out)
    return 0


def _slug(text: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in text).strip("_").lower()


def _print_summary(result: dict[str, Any], out: Path) -> None:
    print(f"{result['machine']['device_name']} | torch {result['machine']['torch']} | wrote {out}")
    for row in result["decode"]:
        if "skipped" in row:
            print(f"{row['pair']:<16} {row['shape']} {row['dtype']}: skipped ({row['skipped']})")
            continue
        fps = [(row[role].get("latency") or {}).get("fps") for role in ("teacher", "student")]
        text = " / ".join("oom" if value is None else f"{value:.1f}" for value in fps)
        speedup = "-" if row["speedup"] is None else f"{row['speedup']:.2f}x"
        paper = row["paper_fps"]
        paper_text = (
            "" if paper is None else f" (paper {paper['teacher']} / {paper['student']}, {paper['speedup']:.1f}x)"
        )
        shape = "x".join(map(str, row["shape"]))
        print(f"{row['pair']:<16} {shape:<12} {row['dtype']:<8} b{row['batch']:<3} FPS {text}  {speedup}{paper_text}")
    for row in result["run"]:
        share = row["decoder_share"]
        print(
            f"run --num-workers {row['num_workers']}: {row['clips_per_s']:.2f} clips/s, "
            f"decoders {'-' if share is None else f'{100 * share:.0f}%'} of {row['wall_s']:.1f} s"
        )
    if result["skipped_for_time"]:
        print(f"skipped for time: {len(result['skipped_for_time'])} measurements (listed in the JSON)")


if __name__ == "__main__":
    sys.exit(main())
