"""The facts about this machine that change a cost measurement, recorded with every profile and in its cache key."""

from __future__ import annotations

import platform
from pathlib import Path
from typing import Any

import torch

_CPUINFO = Path("/proc/cpuinfo")


def device_name(device: str | torch.device) -> str:
    """Human-readable name of ``device``: the GPU model for CUDA, the CPU model otherwise."""
    device = torch.device(device)
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    if _CPUINFO.exists():
        for line in _CPUINFO.read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def environment(device: str | torch.device, dtype: torch.dtype) -> dict[str, Any]:
    """torch/CUDA versions, device name, thread count and dtype for ``device``."""
    device = torch.device(device)
    env: dict[str, Any] = {
        "torch": torch.__version__,
        "python": platform.python_version(),
        "device": str(device),
        "device_name": device_name(device),
        "threads": torch.get_num_threads(),
        "dtype": str(dtype).removeprefix("torch."),
    }
    if device.type == "cuda":
        env["cuda"] = torch.version.cuda
        env["cudnn"] = torch.backends.cudnn.version()
    return env
