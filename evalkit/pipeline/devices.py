"""Device, precision, batch size and GPU offload decisions for a run (arguments, never globals)."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator

import torch
from torch import nn

from evalkit.options import DTYPES as DTYPE_NAMES
from evalkit.pipeline.config import ConfigError

logger = logging.getLogger(__name__)

DTYPES = {name: getattr(torch, name) for name in DTYPE_NAMES}
AUTO_BATCH = {"cpu": 2, "cuda": 8}
# Activations of a video VAE at evaluation sizes take a few times the weights; below this headroom, offload.
OFFLOAD_HEADROOM = 4.0


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


def module_bytes(*modules: nn.Module | None) -> int:
    """Bytes of the parameters and buffers of ``modules``."""
    return sum(
        t.numel() * t.element_size()
        for module in modules
        if module is not None
        for t in (*module.parameters(), *module.buffers())
    )


def should_offload(mode: str, device: torch.device, *modules: nn.Module | None) -> bool:
    """Whether to keep decoders on the CPU and move each to the GPU only while it runs."""
    if mode == "never" or device.type != "cuda":
        return False
    if mode == "always":
        return True
    free, _ = torch.cuda.mem_get_info(device)
    needed = OFFLOAD_HEADROOM * module_bytes(*modules)
    if needed > free:
        logger.warning("GPU has %.1f GiB free, decoders need about %.1f GiB: offloading", free / 2**30, needed / 2**30)
        return True
    return False


class Placement:
    """Puts decoders where they run; with offload, only the one in use is on the GPU."""

    def __init__(self, device: torch.device, offload: bool) -> None:
        self.device = device
        self.offload = offload

    def place(self, *modules: nn.Module | None) -> None:
        """Initial placement: the device, or the CPU when offloading."""
        for module in modules:
            if module is not None:
                module.to("cpu" if self.offload else self.device)

    @contextlib.contextmanager
    def use(self, module: nn.Module) -> Iterator[nn.Module]:
        """``module`` on the device for the duration of the block."""
        if not self.offload:
            yield module
            return
        module.to(self.device)
        try:
            yield module
        finally:
            module.to("cpu")
            torch.cuda.empty_cache()


def autocast_context(enabled: bool, device: torch.device, dtype: torch.dtype) -> contextlib.AbstractContextManager:
    """``torch.autocast`` in ``dtype`` when enabled (weights stay float32), else a no-op."""
    if not enabled or dtype == torch.float32:
        return contextlib.nullcontext()
    return torch.autocast(device_type=device.type, dtype=dtype)
