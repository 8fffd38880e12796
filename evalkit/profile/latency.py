"""Latency of a decode call: untimed warm-up calls, then a fixed number of timed calls, median and p90.

Written as a plain loop rather than ``torch.utils.benchmark.Timer.blocked_autorange`` because a teacher
decode can take tens of seconds on a CPU (autorange would run it many times), because the report needs
every per-call time (for p90), and because the timer has to be injectable so tests can check the
statistics. On CUDA each call is bracketed by CUDA events with a device synchronize, so asynchronous
kernel launches are not mistaken for finished work.
"""

from __future__ import annotations

import logging
import statistics
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import torch

from evalkit.profile.conditions import ConditionsProbe, MeasurementConditions

logger = logging.getLogger(__name__)

CallTimer = Callable[[Callable[[], object]], float]
"""Times one call of a zero-argument function and returns seconds."""


def wall_clock_timer(fn: Callable[[], object]) -> float:
    """Seconds one CPU call takes, by ``time.perf_counter``."""
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def cuda_event_timer(fn: Callable[[], object]) -> float:
    """Seconds one GPU call takes, from CUDA events recorded around it on the current stream."""
    torch.cuda.synchronize()
    start = torch.cuda.Event(enable_timing=True)
    end = torch.cuda.Event(enable_timing=True)
    start.record()
    fn()
    end.record()
    torch.cuda.synchronize()
    return start.elapsed_time(end) / 1000.0


def default_timer(device: str | torch.device) -> CallTimer:
    """CUDA events for a CUDA device, wall clock otherwise."""
    return cuda_event_timer if torch.device(device).type == "cuda" else wall_clock_timer


@dataclass(frozen=True)
class LatencyStats:
    """Per-call times (seconds) and their summary; ``fps`` is output frames per second at the median.

    ``conditions`` says when and under what load the timed calls ran (``None`` for stats built from given times).
    """

    runs_s: tuple[float, ...]
    median_s: float
    p90_s: float
    mean_s: float
    min_s: float
    max_s: float
    warmup: int
    frames_per_call: int | None
    fps: float | None
    timer: str
    conditions: MeasurementConditions | None = None

    @classmethod
    def from_runs(
        cls,
        runs_s: list[float] | tuple[float, ...],
        *,
        warmup: int,
        frames_per_call: int | None,
        timer: str,
        conditions: MeasurementConditions | None = None,
    ) -> LatencyStats:
        """Summarise timed runs; p90 uses linear interpolation between order statistics (numpy's default)."""
        if not runs_s:
            raise ValueError("latency needs at least one timed run; got repeats=0")
        median = statistics.median(runs_s)
        fps = frames_per_call / median if frames_per_call and median > 0 else None
        return cls(
            runs_s=tuple(float(t) for t in runs_s),
            median_s=float(median),
            p90_s=float(np.percentile(runs_s, 90)),
            mean_s=float(statistics.fmean(runs_s)),
            min_s=float(min(runs_s)),
            max_s=float(max(runs_s)),
            warmup=warmup,
            frames_per_call=frames_per_call,
            fps=fps,
            timer=timer,
            conditions=conditions,
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable form."""
        out = asdict(self)
        out["runs_s"] = list(self.runs_s)
        return out


def measure_latency(
    fn: Callable[[], object],
    *,
    warmup: int = 1,
    repeats: int = 5,
    device: str | torch.device = "cpu",
    frames_per_call: int | None = None,
    timer: CallTimer | None = None,
) -> LatencyStats:
    """Call ``fn`` ``warmup`` times untimed, then ``repeats`` times timed, and summarise.

    Args:
        fn: the call to time, e.g. ``lambda: decoder(z)``; run under ``torch.inference_mode``.
        warmup: untimed calls first (allocator, cuDNN autotuning, lazy init).
        repeats: timed calls.
        device: picks the default timer (CUDA events on CUDA, ``perf_counter`` otherwise).
        frames_per_call: output frames one call produces (batch x frames), for ``fps``.
        timer: replaces the default timer; takes the zero-argument call and returns seconds.
    """
    if warmup < 0 or repeats < 1:
        raise ValueError(f"need warmup >= 0 and repeats >= 1; got warmup={warmup}, repeats={repeats}")
    timer = timer or default_timer(device)
    with torch.inference_mode():
        for _ in range(warmup):
            timer(fn)
        with ConditionsProbe(device) as probe:
            runs = [timer(fn) for _ in range(repeats)]
    logger.debug("latency runs (s): %s", ", ".join(f"{t:.4f}" for t in runs))
    if probe.conditions is not None and probe.conditions.contended:
        logger.warning("latency measured under contention (%s); it will not be cached", probe.conditions.reason)
    return LatencyStats.from_runs(
        runs,
        warmup=warmup,
        frames_per_call=frames_per_call,
        timer=getattr(timer, "__name__", type(timer).__name__),
        conditions=probe.conditions,
    )
