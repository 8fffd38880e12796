"""Builders of small but complete run folders (results.json + per-clip table) for results and gate tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from evalkit.results.aggregate import per_clip_metric_result, pooled_metric_result, unavailable_metric_result
from evalkit.results.io import write_per_clip, write_results
from evalkit.results.schema import RESULTS_KIND, SCHEMA_VERSION


def make_document(
    metrics: dict, *, protocol_hash: str = "p0", manifest_hash: str = "m0", clips: int = 4, **overrides
) -> dict:
    """A valid results document around ``metrics`` (name -> MetricResult); ``overrides`` replace top-level keys."""
    return {
        "schema_version": SCHEMA_VERSION,
        "kind": RESULTS_KIND,
        "run_id": "unit-run",
        "status": "complete",
        "random_weights": False,
        "created_utc": "2026-01-01T00:00:00Z",
        "config": {"decoder": "turbo-ltx"},
        "protocol": {"hash": protocol_hash, "params": {"num_frames": 9}},
        "dataset": {
            "name": "sample",
            "root": None,
            "split": None,
            "fold": None,
            "manifest_hash": manifest_hash,
            "clips_total": clips,
        },
        "decoders": {"pair": "turbo-ltx", "teacher": {"name": "ltx"}, "student": {"name": "turbo-ltx"}},
        "metrics": {name: metric.to_dict() for name, metric in metrics.items()},
        "ci": {"method": "bootstrap-percentile", "level": 0.95, "resamples": 200, "seed": 0},
        "clips": {"total": clips, "evaluated": clips, "failed": 0, "skipped": []},
        "provenance": {"evalkit_version": "0.1.0"},
        "device": {"type": "cpu"},
        "seed": 0,
        "timings": {"wall_s": 1.0, "clips_per_s": 4.0, "sessions": 1},
        "cache": {"enabled": False},
        "files": {},
        "profile": None,
        **overrides,
    }


@pytest.fixture
def write_run(tmp_path: Path):
    """Write a run folder with PSNR (per clip), LPIPS (per clip) and FVD (pooled) and return its path."""

    def write(
        name: str,
        psnr_teacher: list[float],
        psnr_student: list[float],
        *,
        lpips_teacher: list[float] | None = None,
        lpips_student: list[float] | None = None,
        fvd: tuple[float, float] = (100.0, 101.0),
        protocol_hash: str = "p0",
        psnr_variant: dict | None = None,
        fvd_variant: dict | None = None,
        **overrides,
    ) -> Path:
        """``fvd_variant`` defaults to a comparable FVD over all clips; ``overrides`` replace top-level keys."""
        n = len(psnr_teacher)
        lpips_teacher = lpips_teacher or [0.1] * n
        lpips_student = lpips_student or [0.1] * n
        table = pd.DataFrame(
            {
                "clip_id": [f"c{i}" for i in range(n)],
                "status": ["ok"] * n,
                "stage": [None] * n,
                "reason": [None] * n,
                "rank": [0] * n,
                "psnr.teacher": np.array(psnr_teacher, dtype=np.float64),
                "psnr.student": np.array(psnr_student, dtype=np.float64),
                "lpips.teacher": np.array(lpips_teacher, dtype=np.float64),
                "lpips.student": np.array(lpips_student, dtype=np.float64),
            }
        )
        metrics = {
            "psnr": per_clip_metric_result(
                "psnr",
                table,
                label="PSNR",
                higher_is_better=True,
                variant=psnr_variant or {"data_range": 1.0},
                unit="dB",
                resamples=200,
            ),
            "lpips": per_clip_metric_result(
                "lpips", table, label="LPIPS", higher_is_better=False, variant={"net": "alex"}, resamples=200
            ),
            "fvd": pooled_metric_result(
                "fvd",
                {"teacher": fvd[0], "student": fvd[1]},
                num_clips=n,
                label="rFVD",
                higher_is_better=False,
                variant=fvd_variant
                or {"detector": "i3d", "n_clips": n, "frames": 9, "min_clips": n, "comparable": True},
            ),
            "ssim": unavailable_metric_result(
                "ssim", label="SSIM", higher_is_better=True, reason="disabled in this test\n  (a second line)"
            ),
        }
        run_dir = tmp_path / name
        write_per_clip(run_dir, table)
        write_results(run_dir, make_document(metrics, protocol_hash=protocol_hash, clips=n, **overrides))
        return run_dir / "results.json"

    return write
