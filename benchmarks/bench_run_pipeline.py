"""Benchmark: `evalkit run` against a naive per-clip loop, cold and warm cache, side by side in one process.

The naive loop is what the official evaluation script does: for every clip, decode the video, encode it with
the teacher, decode the latent with teacher and student, and score the three comparisons. `evalkit run`
batches clips, and on a warm cache (same dataset, new student checkpoint) runs only the student and its
metrics. Tiny random-initialised decoders (saved to disk as real checkpoints) on the sample clips keep it
offline; the teacher costs several times the student, as in Turbo-VAED. Metrics are PSNR and SSIM (LPIPS and
FVD need weight files that are not available offline).

    python benchmarks/bench_run_pipeline.py [--frames 17] [--resolution 128] [--repeats 3]

Targets: >= 3x faster than the naive loop with a cold cache, >= 10x warm. `evalkit run` also writes the rich
HTML report (sample frames of the first clips, animated previews), a fixed cost per run that the naive loop
does not pay; it is timed on its own (a second render of the same folder) and the ratios are printed with and
without it.
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time
from pathlib import Path

import torch
from safetensors.torch import save_file

from evalkit.data import ClipDataset, ClipProtocol, build_manifest
from evalkit.metrics import MetricOptions, build_metrics
from evalkit.models.registry import DECODERS, build_pair, build_student
from evalkit.models.teachers import TEACHER_FAMILIES, load_teacher
from evalkit.pipeline import RunConfig, run
from evalkit.pipeline.quantize import to_uint8_clips
from evalkit.report.run_report import render_run_report

# Cost ratio as in the real pair: on this CPU the full LTX teacher's encode + decode took 9.3x the time of the
# Turbo-VAED LTX student's decode (346 s vs 37 s for 3 clips of 17 x 256^2); these tiny configs keep roughly that.
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


def naive_loop(teacher_dir: Path, student_path: Path, protocol: ClipProtocol) -> float:
    """Seconds for the per-clip loop over every sample clip (models built and loaded inside the timing)."""
    started = time.perf_counter()
    pair = build_pair("turbo-ltx", teacher_weights=teacher_dir, student_weights=student_path, student_config=STUDENT)
    manifest = build_manifest("sample", None, protocol)
    dataset = ClipDataset(manifest)
    built, _ = build_metrics(METRIC_NAMES, MetricOptions())
    with torch.no_grad():
        for index in range(len(dataset)):
            item = dataset[index]
            frames = item["frames"].unsqueeze(0)
            latent = pair.teacher.encode(ClipProtocol.to_model_input(frames))
            teacher = to_uint8_clips(pair.teacher.decode(latent))
            student = to_uint8_clips(pair.student.decode(latent))
            for metric in built.values():
                for reference, candidate in ((frames, teacher), (frames, student), (teacher, student)):
                    scorer = metric.fresh()
                    scorer.update(reference, candidate, [item["clip_id"]])
                    scorer.per_clip()
    return time.perf_counter() - started


def evalkit_run(
    teacher_dir: Path, student_path: Path, args: argparse.Namespace, cache: Path, out: Path
) -> tuple[float, float]:
    """Seconds for one `evalkit run` (pipeline.run, as the CLI calls it), and for rendering its report again."""
    config = RunConfig(
        decoder="turbo-ltx",
        dataset="sample",
        num_frames=args.frames,
        resolution=args.resolution,
        teacher_weights=str(teacher_dir),
        student_weights=str(student_path),
        student_config=STUDENT,
        metrics=tuple(METRIC_NAMES),
        device="cpu",
        batch_size=args.batch_size,
        out=str(out),
        cache_dir=str(cache),
        progress=False,
        bootstrap_resamples=200,
        profile="off",  # the naive loop measures no cost profile either
    )
    started = time.perf_counter()
    run(config)
    total = time.perf_counter() - started
    started = time.perf_counter()
    render_run_report(out)
    return total, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--frames", type=int, default=17, help="frames per clip")
    parser.add_argument("--resolution", type=int, default=128, help="clip short side (center crop)")
    parser.add_argument("--batch-size", type=int, default=3, help="evalkit run batch size")
    parser.add_argument("--repeats", type=int, default=3, help="timed repetitions; the median is reported")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    protocol = ClipProtocol(num_frames=args.frames, resolution=args.resolution)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        teacher_dir, student_a, student_b = save_checkpoints(folder)
        naive, cold, warm, report = [], [], [], []
        for repeat in range(args.repeats):
            cache = folder / f"cache-{repeat}"
            naive.append(naive_loop(teacher_dir, student_a, protocol))
            for name, times, student in (("cold", cold, student_a), ("warm", warm, student_b)):
                seconds, report_s = evalkit_run(teacher_dir, student, args, cache, folder / f"{name}-{repeat}")
                times.append(seconds)
                report.append(report_s)
    median = lambda values: sorted(values)[len(values) // 2]  # noqa: E731
    naive_s, cold_s, warm_s, report_s = median(naive), median(cold), median(warm), median(report)
    print(
        f"machine: {platform.processor() or platform.machine()}, {torch.get_num_threads()} torch threads, "
        f"torch {torch.__version__}"
    )
    print(f"sample dataset (3 clips), {args.frames} frames at {args.resolution}px, median of {args.repeats}")
    print(f"naive per-clip loop      {naive_s:8.2f} s")
    print(f"evalkit run, cold cache  {cold_s:8.2f} s   {naive_s / cold_s:5.2f}x faster (target >= 3x)")
    print(f"evalkit run, warm cache  {warm_s:8.2f} s   {naive_s / warm_s:5.2f}x faster (target >= 10x)")
    print(f"of which the HTML report {report_s:8.2f} s   (fixed per run); without it:")
    print(f"  cold {naive_s / (cold_s - report_s):5.2f}x, warm {naive_s / (warm_s - report_s):5.2f}x")


if __name__ == "__main__":
    main()
