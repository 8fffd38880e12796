"""Under what conditions a latency was measured: when, the machine's load, and the CPU share the process got.

A latency taken while other processes competed for the cores describes the neighbours, not the decoder (a demo
pair measured at 2129 / 920 ms on a busy machine took 233 / 127 ms on a quiet one). Every latency therefore
carries its conditions, a contended measurement is flagged in the report, and the profile cache never keeps one.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from dataclasses import asdict, dataclass
from typing import Any

import torch

LOAD_MARGIN = 0.5
"""A 1-minute load average above the logical CPU count plus this margin means runnable work waited for a core."""

MIN_CPU_SECONDS_PER_SECOND = 0.5
"""On the CPU, a process that got less than half a core while it computed was waiting for the cores."""


def read_load_average() -> float | None:
    """The 1-minute load average, or ``None`` where the platform has none (Windows)."""
    try:
        return os.getloadavg()[0]
    except (AttributeError, OSError):
        return None


@dataclass(frozen=True)
class MeasurementConditions:
    """When and under what load a measurement ran, and whether it was contended (with the reason)."""

    measured_utc: str
    load_avg_1m: float | None
    logical_cpus: int
    threads: int
    cpu_wall_ratio: float | None
    contended: bool
    reason: str | None

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable form."""
        return asdict(self)


class ConditionsProbe:
    """Context manager around timed calls: reads CPU time and wall time on entry and exit, the load on exit.

    ``cpu_wall_ratio`` is process CPU seconds per wall second over the block (about the thread count on a quiet
    machine for CPU work). On CUDA only the load is judged: the host's CPU share says little about GPU kernels.
    """

    def __init__(self, device: str | torch.device = "cpu") -> None:
        self.device = torch.device(device)
        self.conditions: MeasurementConditions | None = None

    def __enter__(self) -> ConditionsProbe:
        self._cpu, self._wall = time.process_time(), time.perf_counter()
        return self

    def __exit__(self, *exc_info: object) -> None:
        cpu, wall = time.process_time() - self._cpu, time.perf_counter() - self._wall
        ratio = cpu / wall if wall > 0 else None
        self.conditions = judge(
            load_avg_1m=read_load_average(),
            logical_cpus=os.cpu_count() or 1,
            threads=torch.get_num_threads(),
            cpu_wall_ratio=ratio if self.device.type == "cpu" else None,
        )


def judge(
    *, load_avg_1m: float | None, logical_cpus: int, threads: int, cpu_wall_ratio: float | None
) -> MeasurementConditions:
    """Conditions of a measurement, ``contended`` when the load or the CPU share says others competed."""
    reasons = []
    if load_avg_1m is not None and load_avg_1m > logical_cpus + LOAD_MARGIN:
        reasons.append(f"load average {load_avg_1m:.2f} on {logical_cpus} logical CPUs")
    if cpu_wall_ratio is not None and cpu_wall_ratio < MIN_CPU_SECONDS_PER_SECOND:
        reasons.append(f"the process got {cpu_wall_ratio:.2f} CPU-seconds per second for {threads} threads")
    return MeasurementConditions(
        measured_utc=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        load_avg_1m=None if load_avg_1m is None else round(load_avg_1m, 2),
        logical_cpus=logical_cpus,
        threads=threads,
        cpu_wall_ratio=None if cpu_wall_ratio is None else round(cpu_wall_ratio, 3),
        contended=bool(reasons),
        reason="; ".join(reasons) or None,
    )


def any_contended(profile: Any) -> bool:
    """True if any latency anywhere inside a (nested) profile dict was measured under contention."""
    if isinstance(profile, dict):
        conditions = profile.get("conditions")
        if isinstance(conditions, dict) and conditions.get("contended"):
            return True
        return any(any_contended(value) for value in profile.values())
    if isinstance(profile, list):
        return any(any_contended(value) for value in profile)
    return False
