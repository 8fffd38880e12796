"""Peak memory: an allocation of known size shows up in the CPU peak-RSS delta (and CUDA max allocated)."""

import pytest
import torch

from evalkit.profile.memory import peak_memory

MIB = 1024 * 1024


def test_cpu_peak_sees_a_transient_allocation():
    def allocate_64_mib() -> None:
        block = torch.ones(64 * MIB // 4, dtype=torch.float32)  # written, so resident
        del block

    report = peak_memory(allocate_64_mib, "cpu")
    if report.method == "unavailable":
        pytest.skip("peak RSS needs Linux /proc/self/clear_refs")
    assert 60 * MIB <= report.peak_bytes <= 100 * MIB
    assert report.baseline_bytes > report.peak_bytes  # the interpreter and torch alone exceed 100 MiB
    assert "weights excluded" in report.method


def test_cpu_peak_of_a_no_op_is_small():
    report = peak_memory(lambda: None, "cpu")
    if report.method == "unavailable":
        pytest.skip("peak RSS needs Linux /proc/self/clear_refs")
    assert report.peak_bytes < 8 * MIB


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cuda_peak_is_max_allocated():
    resident = torch.empty(8 * MIB, dtype=torch.uint8, device="cuda")
    report = peak_memory(lambda: torch.empty(32 * MIB, dtype=torch.uint8, device="cuda").fill_(1), "cuda")
    assert report.method.startswith("torch.cuda.max_memory_allocated")
    assert report.peak_bytes - report.baseline_bytes == 32 * MIB
    assert report.baseline_bytes >= resident.numel()
