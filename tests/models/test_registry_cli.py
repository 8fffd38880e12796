"""`evalkit decoders`: parameter counts from configs on the meta device, compression, frame rule, weight status."""

import json

import pytest

from evalkit.cli import main
from evalkit.models.registry import DECODERS, describe

pytestmark = pytest.mark.usefixtures("isolated_caches")


@pytest.fixture(scope="module")
def described(tmp_path_factory):
    from huggingface_hub import constants

    root = tmp_path_factory.mktemp("caches")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("EVALKIT_CACHE", str(root / "evalkit"))
        patch.setenv("EVALKIT_OFFLINE", "1")
        patch.setattr(constants, "HF_HUB_CACHE", str(root / "hf"))
        return {name: describe(name) for name in DECODERS.names()}


@pytest.mark.parametrize(
    ("name", "teacher_params", "student_params"),
    [
        ("ltx", 238_789_296, None),
        ("turbo-ltx", 238_789_296, 41_896_023),
        ("turbo-hunyuan", 146_136_339, 40_687_811),
        ("turbo-cog", 123_368_451, 40_687_811),
        ("turbo-dc", None, 45_831_383),
        ("wan", 73_295_603, None),
    ],
)
def test_parameter_counts_match_the_released_models(described, name, teacher_params, student_params):
    assert described[name]["teacher_decoder_params"] == teacher_params
    assert described[name]["student_params"] == student_params


def test_compression_frame_rule_and_weight_status(described):
    ltx = described["turbo-ltx"]
    assert (ltx["spatial_compression"], ltx["temporal_compression"], ltx["frame_rule"]) == (32, 8, "8k+1")
    assert (ltx["teacher_weights_status"], ltx["student_weights_status"]) == ("missing", "missing")
    assert described["turbo-dc"]["frame_rule"] == "4k"
    assert described["hunyuan"]["frame_rule"] == "4k+1"


def test_decoders_table_and_json(capsys, isolated_caches):
    assert main(["decoders"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[:4] == ["name", "teacher", "teacher", "dec"]
    row = next(line for line in lines if line.startswith("turbo-ltx "))
    assert row.split() == ["turbo-ltx", "AutoencoderKLLTXVideo", "238.8M", "41.9M", "32x32x8", "8k+1", "128"] + [
        "missing",
        "missing",
    ]
    assert any(line.startswith("turbo-dc: teacher unavailable:") for line in lines)
    student = isolated_caches / "evalkit" / "weights" / "turbo-vaed-ltx" / "Turbo-VAED-LTX.pth"
    student.parent.mkdir(parents=True)
    student.write_bytes(b"x")
    assert main(["decoders", "--json"]) == 0
    rows = {row["name"]: row for row in json.loads(capsys.readouterr().out)}
    assert rows["turbo-ltx"]["student_weights_status"] == "present"
    assert rows["turbo-hunyuan"]["student_weights_status"] == "missing"
