"""Benchmark: `evalkit run` against a naive per-clip loop, cold and warm cache, side by side in one process.

The naive loop is what the official evaluation script does: for every clip, decode the video, encode it with
the teacher, decode the latent with teacher and student, and score the three comparisons. `evalkit run`
batches clips, and on a warm cache (same dataset, new student checkpoint) runs only the student and its
metrics. Tiny random-initialised decoders (saved to disk as real checkpoints) keep it offline. Metrics are
PSNR and SSIM (LPIPS and FVD need weight files that are not available offline). `evalkit run` also writes
everything a run writes (results.json, per-clip table, manifest, sample frames, the HTML report), which
the naive loop does not; the report's share is timed on its own (a second render of the same folder).

Two datasets: ``sample`` is the bundled sample dataset itself (3 clips, so per-run costs weigh heavily), and
``windows`` copies each sample video ``--windows`` times into a folder dataset with the ``random`` start
policy, so every link is its own 17-frame window: more clips, as a real dataset has.

The naive loop's time is split by stage, and the script prints what bounds the ratios: a cold run does the
same teacher and student work, so it cannot be faster than naive / (teacher + student time); a warm run still
runs the student, so it cannot beat naive / student time. Last, the cost of each additional clip (the slope
between the two datasets) is compared: what a dataset of thousands of clips sees.

    python benchmarks/bench_run_pipeline.py [--frames 17] [--resolution 128] [--windows 8] [--repeats 3]

Targets: >= 3x faster than the naive loop with a cold cache, >= 10x warm.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import torch
from safetensors.torch import save_file

from evalkit.data import ClipDataset, ClipProtocol, build_manifest
from evalkit.data.adapters.sample import SAMPLE_FILES, sample_dir
from evalkit.metrics import MetricOptions, build_metrics
from evalkit.models.quantize import to_uint8_clips
from evalkit.models.registry import DECODERS, build_pair, build_student
from evalkit.models.teachers import TEACHER_FAMILIES, load_teacher
from evalkit.pipeline import RunConfig, run
from evalkit.report.run_report import render_run_report

TEACHER = {
    "block_out_channels": [64, 64, 128, 128],
    "decoder_block_out_channels": [64, 64, 128, 128],
    "layers_per_block": [3, 3, 3, 3, 3],
    "decoder_layers_per_block": [3, 3, 3, 3, 3],
    "latent_channels": 16,
}
STUDENT = {
    "decoder_block_out_channels": [16, 16, 16, 16],
    "decoder_layers_per_block": [1, 1, 1, 1, 1],
    "latent_channels": 16,
    "aligned_feature_projection_dim": [[16, 16]],
}
METRIC_NAMES = ["psnr", "ssim"]
TARGETS = {"cold": 3.0, "warm": 10.0}


def save_checkpoints(folder: Path) -> tuple[Path, Path, Path]:
    """A tiny LTX teacher (diffusers folder) and two tiny student checkpoints (seeds 1 and 2)."""
    family = TEACHER_FAMILIES.get("ltx")
    teacher = load_teacher(family, weights_folder=None, config=TEACHER, seed=0)
    teacher.vae.save_pretrained(folder / "teacher")
    students = []
    for seed in (1, 2):
        student, _ = build_student(DECODERS.get("turbo-ltx"), init="random", config=STUDENT, seed=seed)
        path = folder / f"student-{seed}.safetensors"
        save_file({k: v.contiguous() for k, v in student.decoder.state_dict().items()}, path)
        students.append(path)
    return folder / "teacher", students[0], students[1]


def windows_folder(folder: Path, copies: int) -> Path:
    """A folder dataset holding each sample video ``copies`` times (``bikes_03.mp4``...): copies, since a folder
    dataset lists a file reached through several links once."""
    folder.mkdir()
    for name, file_name in SAMPLE_FILES.items():
        for copy in range(copies):
            shutil.copyfile(sample_dir() / file_name, folder / f"{name}_{copy:02d}.mp4")
    return folder


def naive_loop(
    teacher_dir: Path, student_path: Path, dataset: str, root: Path | None, protocol: ClipProtocol
) -> tuple[float, dict[str, float]]:
    """Seconds for the per-clip loop (models built inside the timing), and its split by stage."""
    started = time.perf_counter()
    stages: dict[str, float] = defaultdict(float)
    pair = build_pair("turbo-ltx", teacher_weights=teacher_dir, student_weights=student_path, student_config=STUDENT)
    dataset_ = ClipDataset(build_manifest(dataset, root, protocol))
    built, _ = build_metrics(METRIC_NAMES, MetricOptions())
    with torch.no_grad():
        for index in range(len(dataset_)):
            mark = time.perf_counter()
            item = dataset_[index]
            frames = item["frames"].unsqueeze(0)
            stages["video"] += time.perf_counter() - mark
            mark = time.perf_counter()
            latent = pair.teacher.encode(ClipProtocol.to_model_input(frames))
            teacher = to_uint8_clips(pair.teacher.decode(latent))
            stages["teacher"] += time.perf_counter() - mark
            mark = time.perf_counter()
            student = to_uint8_clips(pair.student.decode(latent))
            stages["student"] += time.perf_counter() - mark
            mark = time.perf_counter()
            for metric in built.values():
                for reference, candidate in ((frames, teacher), (frames, student), (teacher, student)):
                    scorer = metric.fresh()
                    scorer.update(reference, candidate, [item["clip_id"]])
                    scorer.per_clip()
            stages["metrics"] += time.perf_counter() - mark
    total = time.perf_counter() - started
    stages["other"] = total - sum(stages.values())
    return total, dict(stages)


def evalkit_run(
    teacher_dir: Path,
    student_path: Path,
    dataset: str,
    root: Path | None,
    args: argparse.Namespace,
    cache: Path,
    out: Path,
) -> tuple[float, float]:
    """Seconds for one `evalkit run` (pipeline.run, as the CLI calls it), and for rendering its report again."""
    config = RunConfig(
        decoder="turbo-ltx",
        dataset=dataset,
        root=str(root) if root else None,
        num_frames=args.frames,
        resolution=args.resolution,
        protocol={"start": "random"} if dataset == "folder" else {},
        teacher_weights=str(teacher_dir),
        student_weights=str(student_path),
        student_config=STUDENT,
        metrics=tuple(METRIC_NAMES),
        device="cpu",
        batch_size=args.batch_size,
        out=str(out),
        cache_dir=str(cache),
        progress=False,
        profile="off",  # the naive loop measures no cost profile either
    )
    started = time.perf_counter()
    run(config)
    total = time.perf_counter() - started
    started = time.perf_counter()
    render_run_report(out)
    return total, time.perf_counter() - started


def median(values: list[float]) -> float:
    """The middle value (the upper one of an even count)."""
    return sorted(values)[len(values) // 2]


def measure(
    name: str, dataset: str, root: Path | None, checkpoints, args, folder: Path, repeats: int
) -> dict[str, float]:
    """Time naive, cold and warm ``repeats`` times on one dataset, print the medians, bounds and ratios, and
    return the medians (with the clip count)."""
    teacher_dir, student_a, student_b = checkpoints
    protocol = ClipProtocol(num_frames=args.frames, resolution=args.resolution)
    if dataset == "folder":
        protocol = ClipProtocol(num_frames=args.frames, resolution=args.resolution, start="random")
    clips = len(build_manifest(dataset, root, protocol).clips)
    times: dict[str, list[float]] = defaultdict(list)
    stage_runs: list[dict[str, float]] = []
    for repeat in range(repeats):
        cache = folder / f"{name}-cache-{repeat}"
        naive_s, stages = naive_loop(teacher_dir, student_a, dataset, root, protocol)
        times["naive"].append(naive_s)
        stage_runs.append(stages)
        for kind, student in (("cold", student_a), ("warm", student_b)):
            seconds, report_s = evalkit_run(
                teacher_dir, student, dataset, root, args, cache, folder / f"{name}-{kind}-{repeat}"
            )
            times[kind].append(seconds)
            times["report"].append(report_s)
    medians = {kind: median(values) for kind, values in times.items()}
    naive, report = medians["naive"], medians["report"]
    split = {stage: median([run_[stage] for run_ in stage_runs]) for stage in stage_runs[0]}
    shares = ", ".join(f"{stage} {100 * seconds / naive:.0f}%" for stage, seconds in split.items())
    print(f"\n{name}: {clips} clips, {args.frames} frames at {args.resolution}px, median of {repeats}")
    print(f"  naive loop split: {shares}")
    print(f"  teacher (encode + decode) / student decode cost: {split['teacher'] / split['student']:.1f}x")
    bounds = {"cold": naive / (split["teacher"] + split["student"]), "warm": naive / split["student"]}
    print(f"  naive per-clip loop      {naive:7.2f} s")
    for kind in ("cold", "warm"):
        seconds = medians[kind]
        print(
            f"  evalkit run, {kind} cache  {seconds:7.2f} s  {naive / seconds:6.2f}x faster (target >= "
            f"{TARGETS[kind]:.0f}x; bound for the same decoder work {bounds[kind]:.1f}x); "
            f"without the report {naive / (seconds - report):.2f}x"
        )
    print(f"  the HTML report alone    {report:7.2f} s")
    return {**medians, "clips": clips}


def print_per_clip(small: dict[str, float], large: dict[str, float]) -> None:
    """Seconds each additional clip costs (the slope between the two datasets): what a dataset of thousands
    of clips sees once the per-run costs (model build, report, sample frames) are spread over it."""
    extra = large["clips"] - small["clips"]
    naive = (large["naive"] - small["naive"]) / extra
    print(f"\nper additional clip (from {small['clips']:.0f} to {large['clips']:.0f} clips): naive {naive:.3f} s")
    for kind in ("cold", "warm"):
        seconds = (large[kind] - small[kind]) / extra
        ratio = naive / seconds
        print(f"  evalkit run, {kind} cache  {seconds:.3f} s  {ratio:6.2f}x faster (target >= {TARGETS[kind]:.0f}x)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--frames", type=int, default=17, help="frames per clip")
    parser.add_argument("--resolution", type=int, default=128, help="clip short side (center crop)")
    parser.add_argument("--batch-size", type=int, default=4, help="evalkit run batch size")
    parser.add_argument("--windows", type=int, default=8, help="windows per sample video in the `windows` dataset")
    parser.add_argument("--repeats", type=int, default=3, help="timed repetitions; the median is reported")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        checkpoints = save_checkpoints(folder)
        windows = windows_folder(folder / "windows", args.windows)
        print(
            f"machine: {platform.processor() or platform.machine()}, {torch.get_num_threads()} torch threads, "
            f"torch {torch.__version__}; one untimed round first (imports, first decode, kernel set-up)"
        )
        measure("warm-up", "sample", None, checkpoints, args, folder, repeats=1)
        print("\n(the warm-up round above is not counted)")
        small = measure("sample", "sample", None, checkpoints, args, folder, args.repeats)
        large = measure("windows", "folder", windows, checkpoints, args, folder, args.repeats)
        print_per_clip(small, large)


if __name__ == "__main__":
    main()
