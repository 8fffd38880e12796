"""Seconds per pipeline stage, charged to the stage that did the work even when the device runs asynchronously.

CUDA kernels return before they finish, so a plain ``perf_counter`` pair charges a decoder's work to whichever
later stage first waits for it (usually the copy back for metrics). On CUDA the clock synchronises the device
at both ends of a stage; on the CPU it reads the clock only.
"""

from __future__ import annotations

import contextlib
import time
from collections import defaultdict
from collections.abc import Iterator

import torch


class StageClock:
    """Accumulates wall seconds per stage name in ``seconds``; ``clear()`` starts a new account."""

    def __init__(self, device: torch.device | str = "cpu") -> None:
        device = torch.device(device)
        self._sync = (lambda: torch.cuda.synchronize(device)) if device.type == "cuda" else (lambda: None)
        self.seconds: dict[str, float] = defaultdict(float)

    @contextlib.contextmanager
    def stage(self, name: str) -> Iterator[None]:
        """Time the block as ``name`` (device-synchronised at entry and exit)."""
        self._sync()
        started = time.perf_counter()
        try:
            yield
        finally:
            self._sync()
            self.seconds[name] += time.perf_counter() - started
