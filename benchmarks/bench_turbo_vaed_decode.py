"""CPU decode latency: evalkit's Turbo-VAED-LTX decoder against diffusers' LTX-Video VAE decoder, side by side.

Both decode the LTX latent of a 17-frame 256x256 clip, (1, 128, 3, 8, 8) -> (1, 3, 17, 256, 256), in one process:
float32, eval mode, ``torch.inference_mode()``, random weights (seed 0), diffusers ``AutoencoderKLLTXVideo()`` with
its default config. One warm-up call each, then ``--runs`` timed calls, alternating between the two models so
that load from other processes hits both alike; medians and their ratio are printed. Before timing, the script
re-checks our decoder against the official golden vectors in tests/data/turbo_vaed/golden.

    python benchmarks/bench_turbo_vaed_decode.py            # exit 1 if golden fails or ratio < --target
    python benchmarks/bench_turbo_vaed_decode.py --runs 7 --threads 2
    OMP_WAIT_POLICY=PASSIVE python benchmarks/bench_turbo_vaed_decode.py   # on a CPU shared with other jobs

On a machine shared with other busy processes, OpenMP's default spin-waiting at every parallel region makes a
thread burn CPU while its partner is descheduled; this penalises the model with more, shorter ops (ours) far more
than the other, so the ratio then measures the scheduler. ``OMP_WAIT_POLICY=PASSIVE`` (read by OpenMP at start-up,
so it must be set in the environment) applies the same policy to both models; the header prints the setting.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import torch
from safetensors.torch import load_file

from evalkit.models.turbo_vaed import TurboVAEDDecoder, load_preset

GOLDEN = Path(__file__).resolve().parents[1] / "tests" / "data" / "turbo_vaed" / "golden"
GOLDEN_CASES = {  # case -> (weights/latent stem, output max-abs tolerance); see tests/models/turbo_vaed
    "ltx_reduced": ("ltx_reduced", 1.2e-4),
    "ltx_reduced_causal": ("ltx_reduced", 4.5e-4),
    "hunyuan_reduced": ("hunyuan_reduced", 1e-4),
    "dc_reduced": ("dc_reduced", 1e-4),
}
FEATURE_ATOL = 1e-5
LATENT_SHAPE = (1, 128, 3, 8, 8)


def check_golden() -> list[str]:
    """Decode every golden case; return one failure line per tensor outside tolerance (empty list: all good)."""
    failures = []
    for case, (stem, output_atol) in GOLDEN_CASES.items():
        decoder = TurboVAEDDecoder.from_config(json.loads((GOLDEN / f"{case}_config.json").read_text())).eval()
        decoder.load_state_dict(load_file(GOLDEN / f"{stem}_decoder.safetensors"), strict=True)
        expected = load_file(GOLDEN / f"{case}_expected.safetensors")
        with torch.inference_mode():
            out, features = decoder.forward_features(load_file(GOLDEN / f"{stem}_latent.safetensors")["latent"])
        got = {"output": out, **{f"feature.{name}": value for name, value in features.items()}}
        for key, want in expected.items():
            if key not in got:
                continue
            diff = (got[key] - want).abs().max().item()
            limit = output_atol if key == "output" else FEATURE_ATOL
            if diff > limit:
                failures.append(f"{case} {key}: max abs diff {diff:.2e} > {limit:.0e}")
        print(f"golden {case}: output max abs diff {(out - expected['output']).abs().max().item():.1e}")
    return failures


def time_call(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5, metavar="N", help="timed calls per model (default 5)")
    parser.add_argument("--threads", type=int, default=None, metavar="N", help="torch threads (default: torch's)")
    parser.add_argument("--target", type=float, default=4.5, metavar="X", help="required speed-up (default 4.5)")
    args = parser.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    if args.threads:
        torch.set_num_threads(args.threads)
    from diffusers import AutoencoderKLLTXVideo

    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, {platform.processor() or platform.machine()}")
    print(f"load average before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    print(f"OMP_WAIT_POLICY={os.environ.get('OMP_WAIT_POLICY', '(unset: OpenMP default, spinning)')}")
    failures = check_golden()

    torch.manual_seed(0)
    turbo = TurboVAEDDecoder.from_config(load_preset("ltx"), source="preset ltx").eval()
    torch.manual_seed(0)
    ltx = AutoencoderKLLTXVideo().eval()
    torch.manual_seed(0)
    latent = torch.randn(LATENT_SHAPE)
    calls = {
        "Turbo-VAED-LTX (evalkit)": lambda: turbo(latent),
        "LTX-Video VAE (diffusers)": lambda: ltx.decode(latent, return_dict=False)[0],
    }
    times: dict[str, list[float]] = {name: [] for name in calls}
    with torch.inference_mode():
        for name, call in calls.items():
            shape = tuple(call().shape)
            print(f"{name}: output {shape}")
            if shape != (1, 3, 17, 256, 256):
                failures.append(f"{name}: unexpected output shape {shape}")
        for _ in range(args.runs):
            for name, call in calls.items():
                times[name].append(time_call(call))
    medians = {name: statistics.median(values) for name, values in times.items()}
    for name, values in times.items():
        print(f"{name}: median {medians[name]:.3f} s  runs {' '.join(f'{v:.3f}' for v in values)}")
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    ours, theirs = medians.values()
    ratio = theirs / ours
    print(f"speed-up (LTX-Video median / Turbo-VAED median): {ratio:.2f}x  (target {args.target}x)")
    if ratio < args.target:
        failures.append(f"speed-up {ratio:.2f}x below target {args.target}x")
    for line in failures:
        print(f"FAIL: {line}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
