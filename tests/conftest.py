"""Fixtures every test package shares."""

from __future__ import annotations

import pytest

from evalkit.profile import conditions


@pytest.fixture(autouse=True)
def quiet_machine_for_latency(monkeypatch, request):
    """Latencies measured in tests are judged as taken on a quiet machine, so whether a profile is cached does not
    depend on how busy the test machine is; tests/profile/test_conditions.py checks the judgement itself."""
    if request.node.get_closest_marker("real_load"):
        return
    judge = conditions.judge

    def quiet(**kwargs):
        return judge(**{**kwargs, "load_avg_1m": 0.0, "cpu_wall_ratio": None})

    monkeypatch.setattr(conditions, "judge", quiet)
