"""Student configs from presets or files, checked against the teacher's latent channels."""

from __future__ import annotations

import json

import pytest

from evalkit.distill.student import build_student, load_student_config
from evalkit.models.turbo_vaed import load_preset

from .conftest import TINY_STUDENT


def test_preset_name_and_config_file(student_json):
    assert load_student_config("ltx") == load_preset("ltx")
    assert load_student_config(str(student_json)) == json.loads(student_json.read_text())


def test_unknown_student_names_the_choices(tmp_path):
    with pytest.raises(ValueError, match=r"unknown student 'ltxx': give a preset \(ltx, hunyuan, cog, dc\)"):
        load_student_config("ltxx")
    with pytest.raises(FileNotFoundError, match=r"student config .*nope\.json does not exist"):
        load_student_config(str(tmp_path / "nope.json"))


def test_latent_channels_must_match_the_teacher(student_json):
    config, decoder, heads = build_student(str(student_json), latent_channels=8)
    assert config == TINY_STUDENT
    assert heads.feature_names == ("up_block_1",)
    assert decoder.training
    with pytest.raises(ValueError, match="takes 8 latent channels but the teacher makes 16"):
        build_student(str(student_json), latent_channels=16)
