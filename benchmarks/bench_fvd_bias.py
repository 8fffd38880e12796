"""Small-N bias of FVD, and what FVD∞ makes of it: the curve behind ``evalkit.metrics.fvd_sample_size``.

Two independent samples of N vectors from the same D-dimensional Gaussian (D = 400, the I3D feature size) have
a true Fréchet distance of 0; the measured distance (StyleGAN-V convention: covariance divided by N) is the
bias alone. Two covariances: the identity, and a power-law spectrum (eigenvalue i ∝ 1/i, trace D), closer to
real detector features whose variance sits in a few directions. For each N the script prints the mean over
``--repeats`` seeds, its standard deviation, the k/N line fitted on N >= 1024 and how far the curve is from
that line (the k/N regime is where FVD∞'s linear fit in 1/N holds). Last, FVD∞ on 2048 clips per set against
the plain FVD at 2048 and at the documented minimum.

    python benchmarks/bench_fvd_bias.py [--repeats 3] [--dim 400]
"""

from __future__ import annotations

import argparse
import os
import platform
import time

import numpy as np

from evalkit.metrics.frechet import FeatureStats, frechet_distance
from evalkit.metrics.fvd_sample_size import MIN_CLIPS, extrapolate

SIZES = (2, 4, 8, 16, 32, 64, 100, 200, 400, 600, 800, 1024, 1536, 2048)
LINE_FROM = 1024


def spectra(dim: int) -> dict[str, np.ndarray]:
    """Standard deviations per axis of the two covariances (diagonal; rotation does not change a distance)."""
    power_law = 1.0 / np.arange(1, dim + 1)
    return {"identity": np.ones(dim), "power-law": np.sqrt(power_law * dim / power_law.sum())}


def same_gaussian_fvd(n: int, scale: np.ndarray, rng: np.random.Generator) -> float:
    """Fréchet distance (covariance / N) between two samples of N draws from one zero-mean Gaussian."""
    first, second = (rng.standard_normal((n, scale.size)) * scale for _ in range(2))
    return frechet_distance(
        *FeatureStats.from_features(first).mean_cov("biased"), *FeatureStats.from_features(second).mean_cov("biased")
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--dim", type=int, default=400)
    args = parser.parse_args()
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}; "
        f"D={args.dim}, {args.repeats} seeds per point; true distance 0"
    )
    started = time.perf_counter()
    for name, scale in spectra(args.dim).items():
        curve = {}
        for n in SIZES:
            values = [same_gaussian_fvd(n, scale, np.random.default_rng([n, seed])) for seed in range(args.repeats)]
            curve[n] = (float(np.mean(values)), float(np.std(values)))
        large = [n for n in SIZES if n >= LINE_FROM]
        k = float(np.mean([curve[n][0] * n for n in large]))
        trace = float((scale**2).sum())
        print(f"\n{name} covariance (trace {trace:.0f}); k/N line fitted on N >= {LINE_FROM}: k={k:.0f}")
        print(f"  {'N':>5}  {'FVD mean':>9}  {'sd':>7}  {'k/N':>8}  {'mean / (k/N)':>12}")
        for n in SIZES:
            mean, sd = curve[n]
            print(f"  {n:>5}  {mean:9.2f}  {sd:7.2f}  {k / n:8.2f}  {mean / (k / n):12.3f}")
        rng = np.random.default_rng(7)
        first, second = (rng.standard_normal((2048, scale.size)) * scale for _ in range(2))
        fit = extrapolate(first, second, "biased", seed=0)
        plain = frechet_distance(
            *FeatureStats.from_features(first).mean_cov("biased"),
            *FeatureStats.from_features(second).mean_cov("biased"),
        )
        print(
            f"  FVD∞ on 2048 per set: {fit.value:.2f} (fit residual {fit.fit_residual:.2f}, subsets "
            f"{fit.subset_sizes[0]}..{fit.subset_sizes[-1]}); plain FVD at 2048: {plain:.2f}; "
            f"at the minimum N={MIN_CLIPS}: {curve[MIN_CLIPS][0]:.2f}"
        )
    print(f"\nwall time {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
