"""Device, precision and batch size decisions for a run (arguments, never globals)."""

from __future__ import annotations

import contextlib

import torch

from evalkit.options import DTYPES as DTYPE_NAMES
from evalkit.pipeline.config import ConfigError

DTYPES = {name: getattr(torch, name) for name in DTYPE_NAMES}
AUTO_BATCH = {"cpu": 2, "cuda": 8}


def resolve_device(device: str) -> str:
    """``auto`` -> ``cuda`` when available, else ``cpu``; an unavailable CUDA request is an error."""
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise ConfigError(f"device {device!r} was requested but CUDA is not available; use --device cpu")
    return device


def resolve_batch_size(batch_size: int | str, device_type: str) -> int:
    """An explicit size, or the ``auto`` size for the device (2 clips on CPU, 8 on CUDA)."""
    return batch_size if isinstance(batch_size, int) else AUTO_BATCH.get(device_type, 1)


def autocast_context(enabled: bool, device: torch.device, dtype: torch.dtype) -> contextlib.AbstractContextManager:
    """``torch.autocast`` in ``dtype`` when enabled (weights stay float32), else a no-op."""
    if not enabled or dtype == torch.float32:
        return contextlib.nullcontext()
    return torch.autocast(device_type=device.type, dtype=dtype)
