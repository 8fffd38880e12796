"""CPU decode cost on HunyuanVideo latents: diffusers' HunyuanVideo VAE decoder, Turbo-VAED-Hunyuan and TAEHV.

All three decode the latent of a 17-frame 256x256 clip, (1, 16, 5, 32, 32) -> 17 frames of 256x256, in one
process: float32, eval mode, ``torch.inference_mode()``, random weights (seed 0; cost only, no quality),
diffusers ``AutoencoderKLHunyuanVideo()`` with its default config, evalkit's Turbo-VAED ``hunyuan`` preset and
TAEHV's ``taehv`` preset decoding all frames at once (its pipeline mode) and frame by frame (streaming). FLOPs
(torch.utils.flop_counter, 2 x MACs) are counted on the meta device: they do not depend on values, and the
HunyuanVideo VAE decode alone is 25.8 TFLOPs here. Each small decoder gets one untimed warm-up call; then timed
rounds alternate between the models so that load from other processes hits all alike, the VAE taking part in
the first ``--teacher-runs`` rounds only (its first call is timed: one-time set-up is negligible against its
minutes). Medians and the ratios to TAEHV are printed with the CPU model and load average.

``--memory`` adds TAEHV's peak resident-memory growth at 17 and 129 frames (64x64 output), parallel and
streaming, each in a fresh subprocess (evalkit.profile.memory: VmHWM - VmRSS before the call).

    python benchmarks/bench_taehv_decode.py --runs 3 --teacher-runs 1 --memory \
        | tee benchmarks/results/taehv_decode_cpu_256.txt
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import torch

from evalkit.models.taehv import PRESETS, TaehvDecoder
from evalkit.models.turbo_vaed import TurboVAEDDecoder, load_preset
from evalkit.profile.flops import FLOP_UNIT, count_flops

LATENT_NCTHW = (1, 16, 5, 32, 32)
OUTPUT_FRAMES, OUTPUT_SIZE = 17, 256
MEMORY_FRAMES = (17, 129)

MEASURE_MEMORY = """
import json, sys, torch
from evalkit.models.taehv import PRESETS, TaehvDecoder
from evalkit.profile.memory import peak_memory
torch.set_num_threads(1)
frames, mode = int(sys.argv[1]), sys.argv[2]
torch.manual_seed(0)
decoder = TaehvDecoder(PRESETS["taehv"]).eval()
latent = torch.randn(1, (frames + 3) // 4, 16, 8, 8)
def run():
    if mode == "parallel":
        decoder(latent)
    else:
        for _ in decoder.stream(latent):
            pass
print(json.dumps(peak_memory(run).to_dict()))
"""


def cpu_model() -> str:
    """The CPU's model name from /proc/cpuinfo (else the platform's processor string)."""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


TEACHER = "HunyuanVideo VAE decoder (diffusers)"
TAEHV = "TAEHV taehv, parallel (evalkit)"


def build_calls(device: str = "cpu") -> dict[str, Callable[[], torch.Tensor]]:
    """name -> zero-argument decode of the shared latent, every output (1, 17, 3, 256, 256) NTCHW or NCTHW."""
    from diffusers import AutoencoderKLHunyuanVideo

    with torch.device(device):
        torch.manual_seed(0)
        hunyuan = AutoencoderKLHunyuanVideo().eval()
        torch.manual_seed(0)
        turbo = TurboVAEDDecoder.from_config(load_preset("hunyuan"), source="preset hunyuan").eval()
        torch.manual_seed(0)
        taehv = TaehvDecoder(PRESETS["taehv"]).eval()
        torch.manual_seed(0)
        latent = torch.randn(LATENT_NCTHW)
    latent_ntchw = latent.transpose(1, 2).contiguous()
    return {
        TEACHER: lambda: hunyuan.decode(latent, return_dict=False)[0],
        "Turbo-VAED-Hunyuan (evalkit)": lambda: turbo(latent),
        TAEHV: lambda: taehv(latent_ntchw),
        "TAEHV taehv, streaming (evalkit)": lambda: taehv.decode_streaming(latent_ntchw),
    }


def time_call(fn: Callable[[], torch.Tensor]) -> tuple[float, torch.Tensor]:
    start = time.perf_counter()
    output = fn()
    return time.perf_counter() - start, output


def shape_problem(name: str, frames: torch.Tensor) -> list[str]:
    """One failure line unless ``frames`` holds 17 RGB frames of 256x256 (NTCHW or NCTHW)."""
    size = (frames.shape[1] * frames.shape[2], frames.shape[-2], frames.shape[-1])
    ok = size == (3 * OUTPUT_FRAMES, OUTPUT_SIZE, OUTPUT_SIZE)
    return [] if ok else [f"{name}: unexpected output shape {tuple(frames.shape)}"]


def peak_memory_mib(frames: int, mode: str) -> float:
    """TAEHV's peak RSS growth decoding ``frames`` frames at 64x64, in a fresh subprocess."""
    result = subprocess.run(
        [sys.executable, "-c", MEASURE_MEMORY, str(frames), mode], capture_output=True, text=True, check=True
    )
    return json.loads(result.stdout)["peak_bytes"] / 2**20


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3, metavar="N", help="timed rounds (default 3)")
    parser.add_argument("--teacher-runs", type=int, default=None, metavar="N", help="rounds with the VAE (default all)")
    parser.add_argument("--threads", type=int, default=None, metavar="N", help="torch threads (default: torch's)")
    parser.add_argument("--memory", action="store_true", help="also measure TAEHV peak memory at 17 and 129 frames")
    args = parser.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    if args.threads:
        torch.set_num_threads(args.threads)
    print(f"{cpu_model()}, {os.cpu_count()} CPUs, torch {torch.__version__}, {torch.get_num_threads()} threads")
    print(f"load average before: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    print(f"OMP_WAIT_POLICY={os.environ.get('OMP_WAIT_POLICY', '(unset: OpenMP default)')}")
    print(f"latent {LATENT_NCTHW} (B, C, T, h, w) -> {OUTPUT_FRAMES} frames of {OUTPUT_SIZE}^2, random weights")
    with torch.inference_mode():
        flops = {name: count_flops(call, []).total_flops for name, call in build_calls("meta").items()}
    calls = build_calls()
    failures = []
    teacher_runs = args.runs if args.teacher_runs is None else args.teacher_runs
    times: dict[str, list[float]] = {name: [] for name in calls}
    with torch.inference_mode():
        for name, call in calls.items():
            if name != TEACHER:
                failures += shape_problem(name, call())
            print(f"{name}: {flops[name] / 1e9:.1f} G {FLOP_UNIT}", flush=True)
        for round_index in range(args.runs):
            for name, call in calls.items():
                if name != TEACHER or round_index < teacher_runs:
                    elapsed, frames = time_call(call)
                    times[name].append(elapsed)
                    failures += shape_problem(name, frames) if round_index == 0 else []
                    print(f"  round {round_index + 1} {name}: {times[name][-1]:.3f} s", flush=True)
    medians = {name: statistics.median(values) for name, values in times.items()}
    for name, values in times.items():
        print(
            f"{name}: median {medians[name]:.3f} s (runs {' '.join(f'{v:.3f}' for v in values)}); "
            f"vs TAEHV: latency {medians[name] / medians[TAEHV]:.1f}x, FLOPs {flops[name] / flops[TAEHV]:.1f}x"
        )
    print(f"load average after: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    if args.memory:
        for mode in ("parallel", "stream"):
            figures = ", ".join(f"{n} frames {peak_memory_mib(n, mode):.1f} MiB" for n in MEMORY_FRAMES)
            print(f"TAEHV peak RSS growth, 64x64 output, {mode}: {figures}", flush=True)
    for line in failures:
        print(f"FAIL: {line}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
