"""Stage times: charged per stage, and on CUDA the device is synchronised at both ends of every stage."""

from __future__ import annotations

import pytest
import torch

from evalkit.pipeline.stage_clock import StageClock


def test_cpu_stages_accumulate_without_touching_cuda(monkeypatch):
    monkeypatch.setattr(torch.cuda, "synchronize", lambda *a: pytest.fail("synchronised on the CPU"))
    clock = StageClock("cpu")
    for _ in range(2):
        with clock.stage("metrics"):
            torch.ones(8).sum()
    assert list(clock.seconds) == ["metrics"]
    assert clock.seconds["metrics"] > 0


def test_cuda_stages_synchronise_the_device_before_and_after_the_block(monkeypatch):
    events: list[str] = []
    monkeypatch.setattr(torch.cuda, "synchronize", lambda device=None: events.append(f"sync {device}"))
    clock = StageClock("cuda:0")
    with clock.stage("student_decode"):
        events.append("work")
    assert events == ["sync cuda:0", "work", "sync cuda:0"]
    with pytest.raises(RuntimeError), clock.stage("teacher_decode"):
        raise RuntimeError("out of memory")
    assert events[-1] == "sync cuda:0"
    assert set(clock.seconds) == {"student_decode", "teacher_decode"}
