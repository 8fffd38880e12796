"""Peak memory of one call: CUDA max allocated on a GPU, peak resident-set growth on a Linux CPU.

On CUDA ``peak_bytes`` is ``torch.cuda.max_memory_allocated`` over the call (weights and inputs included).
On the CPU it is how far the process's resident set rose above its level just before the call (weights
excluded), since the process's absolute RSS is mostly interpreter and libraries. That figure avoids
tracemalloc, which does not see torch's C++ allocations: it returns freed heap pages to the OS (glibc
``malloc_trim``), resets the kernel's peak-RSS mark (``/proc/self/clear_refs``), runs the call and reads
``VmHWM``. Memory the allocator keeps from earlier calls is reused silently, so it is a lower bound.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import torch

logger = logging.getLogger(__name__)

_PROC_STATUS = Path("/proc/self/status")
_PROC_CLEAR_REFS = Path("/proc/self/clear_refs")
_RESET_PEAK_RSS = "5"


@dataclass(frozen=True)
class MemoryReport:
    """The headline peak (see the module docstring), the level just before the call, and how it was measured."""

    peak_bytes: int | None
    baseline_bytes: int | None
    method: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable form."""
        return asdict(self)


def peak_memory(fn: Callable[[], object], device: str | torch.device = "cpu") -> MemoryReport:
    """Run ``fn`` once under ``torch.inference_mode`` and report its peak memory on ``device``."""
    device = torch.device(device)
    with torch.inference_mode():
        if device.type == "cuda":
            return _cuda_peak(fn, device)
        if _PROC_CLEAR_REFS.exists():
            return _linux_rss_peak(fn)
    logger.warning("peak memory on %s is not measured: needs CUDA or Linux /proc", device)
    fn()
    return MemoryReport(peak_bytes=None, baseline_bytes=None, method="unavailable")


def _cuda_peak(fn: Callable[[], object], device: torch.device) -> MemoryReport:
    torch.cuda.synchronize(device)
    baseline = torch.cuda.memory_allocated(device)
    torch.cuda.reset_peak_memory_stats(device)
    fn()
    torch.cuda.synchronize(device)
    peak = torch.cuda.max_memory_allocated(device)
    return MemoryReport(
        peak_bytes=peak, baseline_bytes=baseline, method="torch.cuda.max_memory_allocated (weights included)"
    )


def _linux_rss_peak(fn: Callable[[], object]) -> MemoryReport:
    _trim_heap()
    baseline = _status_kib("VmRSS") * 1024
    _PROC_CLEAR_REFS.write_text(_RESET_PEAK_RSS)
    fn()
    peak = _status_kib("VmHWM") * 1024
    return MemoryReport(
        peak_bytes=peak - baseline,
        baseline_bytes=baseline,
        method="peak RSS growth during the call: VmHWM - VmRSS before (weights excluded)",
    )


def _status_kib(field: str) -> int:
    for line in _PROC_STATUS.read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"{_PROC_STATUS} has no {field} line")


def _trim_heap() -> None:
    libc_name = ctypes.util.find_library("c")
    if libc_name is None:
        return
    libc = ctypes.CDLL(libc_name)
    if hasattr(libc, "malloc_trim"):
        libc.malloc_trim(0)
