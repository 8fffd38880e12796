"""Benchmark: what the trivial floors add to `evalkit run`, measured side by side in one process.

On each clip of the default run (the shipped pair on the sample clips, 17 frames at 256x256) it times, in turn:
the decoders (teacher encode + decode, student decode), the run's per-clip metrics on the three decoder
comparisons, the same metrics with the two floor comparisons added, and making the floors. The floors' cost is
their reconstruction plus the difference between the two metric calls; it is printed against the rest of the
per-clip work (decoders + metrics), per clip, as the median over ``--repeats``. Times are CPU seconds of this
process (``time.process_time``), which a shared machine disturbs less than wall time; wall time is printed too.
A warm run (teacher cache hit) reads the floors' scores from the cache and pays none of this.

    python benchmarks/bench_floors.py [--repeats 3] [--threads 1] [--decoder turbo-demo]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import tempfile
import time

import torch

from evalkit.data import ClipDataset, ClipProtocol, build_manifest
from evalkit.metrics import METRICS, MetricOptions, build_metrics
from evalkit.models.quantize import to_uint8_clips
from evalkit.models.registry import build_pair
from evalkit.options import DEFAULT_METRICS
from evalkit.pipeline import RunConfig, run
from evalkit.pipeline.floors import FloorSettings

RUN_COMPARISONS = {
    "teacher": ("ground_truth", "teacher"),
    "student": ("ground_truth", "student"),
    "student_vs_teacher": ("teacher", "student"),
}


def timed(work) -> tuple[object, float, float]:
    """``work()``'s result, CPU seconds and wall seconds."""
    cpu, wall = time.process_time(), time.perf_counter()
    result = work()
    return result, time.process_time() - cpu, time.perf_counter() - wall


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            return next(line.split(":", 1)[1].strip() for line in info if line.startswith("model name"))
    except (OSError, StopIteration):
        return platform.processor() or platform.machine()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--decoder", default="turbo-demo")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1, help="torch threads (1: least disturbed by other load)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    protocol = ClipProtocol(num_frames=17, resolution=256)
    manifest = build_manifest("sample", None, protocol, split=None, fold=None, max_clips=None)
    dataset = ClipDataset(manifest)
    with tempfile.TemporaryDirectory() as folder:
        _, run_cpu, run_wall = timed(
            lambda: run(RunConfig(decoder=args.decoder, out=folder, no_cache=True, progress=False))
        )
    pair = build_pair(args.decoder)
    floors = FloorSettings.of_teacher(pair)
    built, unavailable = build_metrics(list(DEFAULT_METRICS), MetricOptions())
    per_clip = {name: metric for name, metric in built.items() if METRICS.get(name).per_clip}
    load = os.getloadavg()[0]
    print(f"cpu: {cpu_model()}, {os.cpu_count()} logical cores, load {load:.1f}, {args.threads} thread(s)")
    print(f"pair {args.decoder}, floors {floors.describe()['resample']['label']} + flat, metrics {sorted(per_clip)}")
    if unavailable:
        print(f"unavailable (not timed): {sorted(unavailable)}")
    samples: dict[str, list[float]] = {key: [] for key in ("decoders", "metrics", "metrics_with_floors", "make_floors")}
    walls: dict[str, list[float]] = {key: [] for key in samples}
    with torch.inference_mode():
        for _ in range(args.repeats):
            for index in range(len(dataset)):
                item = dataset[index]
                frames = item["frames"][None]

                def decode(frames=frames):
                    latent = pair.teacher.encode(ClipProtocol.to_model_input(frames))
                    return to_uint8_clips(pair.teacher.decode(latent)), to_uint8_clips(pair.student.decode(latent))

                (teacher, student), cpu, wall = timed(decode)
                samples["decoders"].append(cpu)
                walls["decoders"].append(wall)
                clips = {"ground_truth": frames, "teacher": teacher, "student": student}
                made, cpu, wall = timed(lambda clips=clips: floors.reconstruct(clips["ground_truth"]))
                samples["make_floors"].append(cpu)
                walls["make_floors"].append(wall)
                clips.update(made)
                for key, comparisons in (
                    ("metrics", RUN_COMPARISONS),
                    ("metrics_with_floors", {**RUN_COMPARISONS, **floors.comparisons()}),
                ):
                    ids = [item["clip_id"]]
                    _, cpu, wall = timed(
                        lambda c=comparisons, clips=clips, ids=ids: [
                            m.score_comparisons(clips, c, ids) for m in per_clip.values()
                        ]
                    )
                    samples[key].append(cpu)
                    walls[key].append(wall)
    median = {key: statistics.median(values) for key, values in samples.items()}
    wall_median = {key: statistics.median(values) for key, values in walls.items()}
    for key in samples:
        print(f"{key:>20}: {median[key]:.3f} CPU s per clip (wall {wall_median[key]:.3f} s)")
    extra = median["metrics_with_floors"] - median["metrics"] + median["make_floors"]
    base = median["decoders"] + median["metrics"]
    print(
        f"floors add {extra:.3f} CPU s per clip to {base:.3f} (decoders + metrics): {extra / base:.1%} "
        f"of the per-clip work on a cold run; 0 on a warm one (scores cached with the teacher's)"
    )
    clips = len(dataset)
    print(
        f"whole cold `evalkit run --decoder {args.decoder}` ({clips} clips): {run_cpu:.1f} CPU s "
        f"(wall {run_wall:.1f} s); floors' share: {clips * extra:.2f} CPU s = {clips * extra / run_cpu:.1%}"
    )


if __name__ == "__main__":
    main()
