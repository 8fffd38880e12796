"""Distillation on tiny configs: the loss falls, resume is bit-identical, checkpoints load as student weights."""

from __future__ import annotations

import csv
import math

import pytest
import torch
from safetensors.torch import load_file

from evalkit.data.protocol import ClipProtocol
from evalkit.distill.checkpoints import DECODER_FILE, latest_checkpoint
from evalkit.distill.trainer import Distiller
from evalkit.models.registry import DECODERS, build_student

from .conftest import TINY_STUDENT


def _fixed_loss(distiller: Distiller, pixels: torch.Tensor) -> float:
    distiller.posterior_generator.manual_seed(99)
    with torch.no_grad():
        return distiller.compute_loss(pixels)[0].item()


def test_a_few_steps_lower_the_loss(tiny_config):
    distiller = Distiller(tiny_config(max_steps=8, grad_accum=1, lr=3e-3, posterior="mode"))
    pixels = ClipProtocol.to_model_input(distiller.sampler.batch(2))
    before = _fixed_loss(distiller, pixels)
    distiller.train(resume=False)
    after = _fixed_loss(distiller, pixels)
    assert after < 0.95 * before, (before, after)


def test_feature_alignment_term_is_logged(tiny_config, tmp_path):
    result = Distiller(tiny_config(max_steps=1)).train()
    with open(tmp_path / "run" / "train_log.csv") as handle:
        rows = list(csv.DictReader(handle))
    assert [row["step"] for row in rows] == ["1"]
    assert set(rows[0]) == {"step", "seconds", "l1", "feature/up_block_1", "total"}
    assert float(rows[0]["total"]) == pytest.approx(float(rows[0]["l1"]) + float(rows[0]["feature/up_block_1"]))
    assert result.summary["stopped_by"] == "max_steps"


def test_resume_continues_bit_identically(tiny_config, tmp_path):
    straight = Distiller(tiny_config(out=str(tmp_path / "straight"), max_steps=4, save_every=2)).train()

    interrupted = tiny_config(out=str(tmp_path / "resumed"), max_steps=2, save_every=2)
    Distiller(interrupted).train()
    resumed = Distiller(tiny_config(out=str(tmp_path / "resumed"), max_steps=4, save_every=2)).train()

    assert resumed.step == straight.step == 4
    for name in (DECODER_FILE, "decoder_raw.safetensors"):
        a = load_file(straight.checkpoint / name)
        b = load_file(resumed.checkpoint / name)
        assert a.keys() == b.keys()
        assert all(torch.equal(a[k], b[k]) for k in a), name
    logs = [(tmp_path / d / "train_log.csv").read_text().splitlines() for d in ("straight", "resumed")]
    assert [line.split(",")[2:] for line in logs[0]] == [line.split(",")[2:] for line in logs[1]]  # all but seconds


def test_checkpoint_loads_as_student_weights(tiny_config, tmp_path):
    result = Distiller(tiny_config(max_steps=1)).train()
    assert latest_checkpoint(tmp_path / "run") == result.checkpoint
    path = result.checkpoint / DECODER_FILE
    student, record = build_student(DECODERS.get("turbo-ltx"), weights=path, config=TINY_STUDENT)
    saved = load_file(path)
    assert student.decoder.state_dict().keys() == saved.keys()
    assert all(torch.equal(student.decoder.state_dict()[k], saved[k]) for k in saved)
    assert record["path"] == str(path)

    again = Distiller(tiny_config(out=str(tmp_path / "again"), student_weights=str(path), max_steps=1))
    assert all(torch.equal(again.decoder.state_dict()[k], saved[k]) for k in saved)


def test_bfloat16_autocast_trains_float32_weights(tiny_config):
    distiller = Distiller(tiny_config(max_steps=1, dtype="bfloat16"))
    result = distiller.train()
    assert all(p.dtype == torch.float32 for p in distiller.decoder.parameters())
    assert math.isfinite(result.summary["loss_last_10_steps"]["total"])


def test_cosine_schedule_sets_each_steps_lr(tiny_config):
    distiller = Distiller(tiny_config(max_steps=4, grad_accum=1, lr_schedule="cosine", lr_min_ratio=0.2))
    seen = []
    original = distiller.optimizer.step
    distiller.optimizer.step = lambda: seen.append(distiller.optimizer.param_groups[0]["lr"]) or original()
    distiller.train(resume=False)
    # 1e-3 * (0.2 + 0.8 * (1 + cos(pi * s / 4)) / 2) for s = 0..3, by hand
    assert seen == pytest.approx([1e-3, 8.828427e-4, 6e-4, 3.171573e-4], rel=1e-6)
