"""Where decoders run: whether to offload them to the CPU between uses, and keeping only the one in use on the GPU."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator

import torch
from torch import nn

logger = logging.getLogger(__name__)

# Activations of a video VAE at evaluation sizes take a few times the weights; below this headroom, offload.
OFFLOAD_HEADROOM = 4.0


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
