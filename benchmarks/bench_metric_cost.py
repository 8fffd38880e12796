"""CPU seconds (this process plus FFmpeg children) of each per-clip metric scoring the three comparisons of one
default-protocol clip (17 frames, 256x256), side by side in one process, against the whole default run per clip
measured here the same way. Decides which metrics are opt-in: those above 20% of the default run.

    python benchmarks/bench_metric_cost.py                       # every per-clip metric, 3 clips
    python benchmarks/bench_metric_cost.py --run-cpu-s 15.5       # share of a measured default run per clip
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import time

import torch

from evalkit.data import ClipDataset, ClipProtocol, build_manifest
from evalkit.metrics import build_metrics

THREE_WAY = {
    "teacher": ("ground_truth", "teacher"),
    "student": ("ground_truth", "student"),
    "student_vs_teacher": ("teacher", "student"),
}


def cpu_seconds() -> float:
    """User + system time of this process and its finished children (FFmpeg for VMAF)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--metrics", default="psnr,ssim,msssim,vmaf,tdiff")
    parser.add_argument("--run-cpu-s", type=float, help="CPU seconds per clip of `evalkit run` (user+sys / clips)")
    args = parser.parse_args()
    protocol = ClipProtocol()
    manifest = build_manifest("sample", None, protocol)
    clips = [item["frames"] for item in ClipDataset(manifest)]
    built, unavailable = build_metrics(args.metrics.split(","))
    print(f"cpu: {platform.processor() or platform.machine()}, load {os.getloadavg()[0]:.1f}, {len(clips)} clips "
          f"of {tuple(clips[0].shape)}; unavailable: {sorted(unavailable)}")
    for name, metric in built.items():
        started_cpu, started_wall = cpu_seconds(), time.perf_counter()
        for frames in clips:  # a stand-in teacher and student: the clip shifted in time and brightness
            batch = {
                "ground_truth": frames[None],
                "teacher": frames.flip(0)[None],
                "student": (frames.int() + 8).clamp(0, 255).to(torch.uint8)[None],
            }
            metric.score_comparisons_by_frame(batch, THREE_WAY, ["clip"])
        per_clip = (cpu_seconds() - started_cpu) / len(clips)
        wall = (time.perf_counter() - started_wall) / len(clips)
        share = f", {per_clip / args.run_cpu_s:.1%} of the default run" if args.run_cpu_s else ""
        print(f"{name:8s} {per_clip:7.2f} CPU s per clip ({wall:.2f} s wall){share}")


if __name__ == "__main__":
    main()
