"""`evalkit run --device cuda`: the same tiny run on the GPU as on the CPU, offload, autocast and OOM back-off.

Skipped, with the reason, where no CUDA device is present; benchmarks/gpu_suite.py measures speed there.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from evalkit.pipeline import run
from tests.pipeline.conftest import VALUE_COLUMNS, values

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")

# GPU and CPU convolutions sum in different orders (float32 rounding ~1e-6 relative); after uint8 quantisation a
# pixel can move by one level, which moves a 32x32 clip's PSNR by well under 0.1 dB at these error levels.
PSNR_ATOL_DB = 0.1


def test_a_cuda_run_gives_the_cpu_run_numbers(tiny_config):
    cpu = run(tiny_config(out=f"{tiny_config().out}-cpu", device="cpu", no_cache=True))
    gpu = run(tiny_config(device="cuda", no_cache=True))
    assert gpu.results["device"]["type"] == "cuda"
    assert gpu.results["timings"]["stages_s"]["teacher_decode"] > 0
    for column in ("psnr.teacher", "psnr.student", "psnr.student_vs_teacher"):
        np.testing.assert_allclose(
            values(gpu.run_dir)[column], values(cpu.run_dir)[column], atol=PSNR_ATOL_DB, err_msg=column
        )


def test_offloading_decoders_changes_no_number(tiny_config):
    resident = run(tiny_config(out=f"{tiny_config().out}-resident", device="cuda", offload="never", no_cache=True))
    offloaded = run(tiny_config(device="cuda", offload="always", no_cache=True))
    assert offloaded.results["device"]["offload"] is True
    pd.testing.assert_frame_equal(values(resident.run_dir)[VALUE_COLUMNS], values(offloaded.run_dir)[VALUE_COLUMNS])


def test_bfloat16_autocast_runs_and_is_recorded(tiny_config):
    result = run(tiny_config(device="cuda", dtype="bfloat16", autocast=True, no_cache=True))
    assert result.results["device"]["autocast"] is True
    assert np.isfinite(values(result.run_dir)["psnr.student"]).all()


def test_cuda_out_of_memory_halves_the_batch(tiny_config, teacher_too_big_for_two):
    result = run(tiny_config(device="cuda", batch_size=2, no_cache=True))
    assert teacher_too_big_for_two == [2, 1, 1]
    assert result.results["device"]["out_of_memory"]["events"] == 1
