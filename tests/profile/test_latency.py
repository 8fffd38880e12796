"""Latency statistics from injected timings: warm-up discarded, median / p90 / fps exact."""

import time

import pytest
import torch

from evalkit.profile.latency import LatencyStats, cuda_event_timer, default_timer, measure_latency, wall_clock_timer


class ScriptedTimer:
    """Calls the function (so call counts are real) and returns the next scripted duration."""

    def __init__(self, durations: list[float]) -> None:
        self.durations = iter(durations)
        self.calls = 0

    def __call__(self, fn) -> float:
        fn()
        self.calls += 1
        return next(self.durations)


def test_statistics_from_injected_timings():
    timer = ScriptedTimer([100.0, 200.0, *[float(t) for t in range(10, 0, -1)]])
    calls = []
    stats = measure_latency(lambda: calls.append(1), warmup=2, repeats=10, frames_per_call=17, timer=timer)
    assert len(calls) == timer.calls == 12
    assert stats.runs_s == tuple(float(t) for t in range(10, 0, -1))  # warm-up times (100, 200) dropped
    assert stats.median_s == 5.5
    assert stats.p90_s == pytest.approx(9.1)  # linear interpolation: 9 + 0.1 * (10 - 9)
    assert stats.mean_s == 5.5
    assert (stats.min_s, stats.max_s) == (1.0, 10.0)
    assert stats.fps == pytest.approx(17 / 5.5)
    assert stats.warmup == 2
    assert stats.timer == "ScriptedTimer"


def test_odd_count_median_and_no_fps_without_frames():
    stats = LatencyStats.from_runs([3.0, 1.0, 2.0], warmup=0, frames_per_call=None, timer="t")
    assert stats.median_s == 2.0
    assert stats.p90_s == pytest.approx(2.8)
    assert stats.fps is None
    assert stats.to_dict()["runs_s"] == [3.0, 1.0, 2.0]


def test_bad_arguments_are_rejected():
    with pytest.raises(ValueError, match="repeats >= 1; got warmup=0, repeats=0"):
        measure_latency(lambda: None, warmup=0, repeats=0)
    with pytest.raises(ValueError, match="at least one timed run"):
        LatencyStats.from_runs([], warmup=0, frames_per_call=None, timer="t")


def test_wall_clock_timer_measures_real_time():
    assert wall_clock_timer(lambda: time.sleep(0.02)) >= 0.02
    assert default_timer("cpu") is wall_clock_timer
    assert default_timer("cuda") is cuda_event_timer


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cuda_event_timer_waits_for_the_kernel():
    a = torch.randn(4096, 4096, device="cuda")
    one = cuda_event_timer(lambda: a @ a)
    ten = cuda_event_timer(lambda: [a @ a for _ in range(10)])
    assert ten > 5 * one > 0
