"""Measurement conditions: contention is judged from the load average and the CPU share, and never cached."""

from __future__ import annotations

import json
import os

import pytest
import torch

from evalkit.profile import conditions
from evalkit.profile.cache import ProfileCache
from evalkit.profile.latency import measure_latency

pytestmark = pytest.mark.real_load  # these tests check the judgement that tests/conftest.py fakes elsewhere


def test_a_quiet_machine_is_not_contended():
    quiet = conditions.judge(load_avg_1m=2.1, logical_cpus=2, threads=2, cpu_wall_ratio=1.93)
    assert (quiet.contended, quiet.reason) == (False, None)
    assert (quiet.load_avg_1m, quiet.cpu_wall_ratio, quiet.threads) == (2.1, 1.93, 2)


def test_load_above_the_cores_is_contention_with_the_figure_in_the_reason():
    busy = conditions.judge(load_avg_1m=9.38, logical_cpus=2, threads=2, cpu_wall_ratio=None)
    assert busy.contended
    assert busy.reason == "load average 9.38 on 2 logical CPUs"
    assert not conditions.judge(load_avg_1m=2.5, logical_cpus=2, threads=2, cpu_wall_ratio=None).contended


def test_a_process_starved_of_cpu_is_contended_even_at_low_load():
    starved = conditions.judge(load_avg_1m=1.0, logical_cpus=16, threads=8, cpu_wall_ratio=0.31)
    assert starved.contended
    assert starved.reason == "the process got 0.31 CPU-seconds per second for 8 threads"
    both = conditions.judge(load_avg_1m=40.0, logical_cpus=16, threads=8, cpu_wall_ratio=0.31)
    assert both.reason.count(";") == 1


def test_contention_is_found_anywhere_in_a_nested_profile():
    quiet = {"conditions": {"contended": False}}
    busy = {"conditions": {"contended": True}}
    assert not conditions.any_contended({"teacher": {"latency": quiet}, "student": [{"latency": quiet}]})
    assert conditions.any_contended({"teacher": {"latency": quiet}, "student": [{"latency": busy}]})


def test_profile_cache_returns_but_never_stores_a_contended_profile(tmp_path):
    cache = ProfileCache(tmp_path)
    busy = {"latency": {"median_s": 2.129, "conditions": {"contended": True, "reason": "load average 9.38"}}}
    assert cache.get_or_compute("demo", {"a": 1}, lambda: busy) == (busy, False)
    assert list(tmp_path.iterdir()) == []
    quiet = {"latency": {"median_s": 0.233, "conditions": {"contended": False}}}
    assert cache.get_or_compute("demo", {"a": 1}, lambda: quiet) == (quiet, False)
    assert cache.get_or_compute("demo", {"a": 1}, lambda: busy) == (quiet, True)
    (stored,) = tmp_path.iterdir()
    assert json.loads(stored.read_text())["profile"] == quiet


def test_measured_latency_records_its_conditions_from_this_machine(monkeypatch):
    monkeypatch.setattr(conditions, "read_load_average", lambda: 7.5)
    stats = measure_latency(lambda: torch.ones(64, 64) @ torch.ones(64, 64), warmup=1, repeats=3)
    recorded = stats.to_dict()["conditions"]
    assert recorded["load_avg_1m"] == 7.5
    assert recorded["threads"] == torch.get_num_threads()
    assert recorded["cpu_wall_ratio"] >= 0
    assert recorded["measured_utc"].endswith("+00:00")
    load_says_busy = (os.cpu_count() or 1) + conditions.LOAD_MARGIN < 7.5
    share_says_busy = recorded["cpu_wall_ratio"] < conditions.MIN_CPU_SECONDS_PER_SECOND
    assert recorded["contended"] is (load_says_busy or share_says_busy)
