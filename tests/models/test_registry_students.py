"""Student pairs: teacher latents -> student decode shape contract, checkpoint provenance, turbo-dc without teacher."""

import pytest
import torch
from safetensors.torch import save_file

from evalkit.models.registry import build_pair
from evalkit.models.teachers import TEACHER_FAMILIES
from evalkit.weights import WeightsUnavailable, sha256_file

TINY_STUDENT = {"decoder_block_out_channels": [16, 16, 32, 32], "decoder_layers_per_block": [1] * 5}


pytestmark = pytest.mark.usefixtures("isolated_caches")


def tiny_pair(name: str, teacher: str, **kwargs):
    return build_pair(
        name,
        init="random",
        teacher_config=TEACHER_FAMILIES.get(teacher).tiny_config,
        student_config=TINY_STUDENT,
        **kwargs,
    )


DECODER_PRESETS = {"turbo-ltx": "ltx", "turbo-hunyuan": "hunyuan", "turbo-cog": "cog"}


@pytest.mark.parametrize(
    ("name", "teacher", "frames", "size"),
    [("turbo-ltx", "ltx", 9, 32), ("turbo-hunyuan", "hunyuan", 5, 16), ("turbo-cog", "cogvideox", 9, 16)],
)
def test_teacher_latents_decode_to_the_input_shape_with_both_decoders(name, teacher, frames, size):
    pair = tiny_pair(name, teacher)
    x = torch.rand(1, 3, frames, size, size) * 2 - 1
    z = pair.teacher.encode(x)
    assert tuple(pair.teacher.decode(z).shape) == tuple(x.shape)
    assert tuple(pair.student.decode(z).shape) == tuple(x.shape)
    assert pair.random_weights is True
    assert pair.info["student"] == {"preset": DECODER_PRESETS[name], "class": "TurboVAEDDecoder"}
    assert pair.info["student_weights"] is None


def test_turbo_dc_builds_its_student_alone():
    pair = build_pair("turbo-dc", init="random", student_config=TINY_STUDENT)
    assert pair.teacher is None
    assert "not released" in pair.info["teacher_unavailable"]
    assert tuple(pair.student.decode(torch.randn(1, 128, 2, 1, 1)).shape) == (1, 3, 8, 32, 32)
    with pytest.raises(ValueError, match="^turbo-dc needs 4k frames, got 9; use --num-frames 12$"):
        pair.check_frames(9)
    with pytest.raises(ValueError, match="multiples of 32, got 48x64"):
        pair.check_size(48, 64)


def test_student_latent_channels_must_match_the_teacher():
    with pytest.raises(ValueError, match="student decoder takes 64 latent channels but the teacher makes 16"):
        build_pair(
            "turbo-hunyuan",
            init="random",
            teacher_config=TEACHER_FAMILIES.get("hunyuan").tiny_config,
            student_config={**TINY_STUDENT, "latent_channels": 64},
        )


@pytest.fixture
def hunyuan_teacher_folder(tmp_path):
    teacher = tiny_pair("turbo-hunyuan", "hunyuan").teacher
    folder = tmp_path / "hunyuan_vae"
    teacher.vae.save_pretrained(folder)
    return folder


def test_pretrained_pair_records_both_files_and_decodes_like_the_source(tmp_path, hunyuan_teacher_folder):
    source = tiny_pair("turbo-hunyuan", "hunyuan", seed=4).student
    checkpoint = tmp_path / "student.safetensors"
    save_file({f"decoder.{k}": v for k, v in source.decoder.state_dict().items()}, str(checkpoint))
    pair = build_pair(
        "turbo-hunyuan",
        teacher_weights=hunyuan_teacher_folder,
        student_weights=checkpoint,
        student_config=TINY_STUDENT,
    )
    assert pair.random_weights is False
    record = pair.info["student_weights"]
    assert (record["path"], record["sha256"], record["source"]) == (
        str(checkpoint),
        sha256_file(checkpoint),
        "explicit",
    )
    assert (record["format"], record["stripped_prefixes"]) == ("safetensors", ["decoder."])
    assert pair.info["teacher_weights"]["sha256"] == sha256_file(
        hunyuan_teacher_folder / "diffusion_pytorch_model.safetensors"
    )
    z = torch.randn(1, 16, 2, 2, 2)
    torch.testing.assert_close(pair.student.decode(z), source.decode(z), rtol=0, atol=0)


def test_missing_student_checkpoint_is_an_error_not_random_weights(hunyuan_teacher_folder):
    with pytest.raises(WeightsUnavailable, match="evalkit weights fetch turbo-vaed-hunyuan"):
        build_pair("turbo-hunyuan", teacher_weights=hunyuan_teacher_folder, student_config=TINY_STUDENT)


def test_student_checkpoint_discovered_in_the_hub_cache(isolated_caches, hunyuan_teacher_folder):
    source = tiny_pair("turbo-hunyuan", "hunyuan").student
    snapshot = isolated_caches / "hf" / "models--hustvl--Turbo-VAED" / "snapshots" / ("c" * 40)
    snapshot.mkdir(parents=True)
    (snapshot.parent.parent / "refs").mkdir()
    (snapshot.parent.parent / "refs" / "main").write_text("c" * 40)
    torch.save({"ema": source.decoder.state_dict()}, snapshot / "Turbo-VAED-Hunyuan.pth")
    pair = build_pair("turbo-hunyuan", teacher_weights=hunyuan_teacher_folder, student_config=TINY_STUDENT)
    assert pair.info["student_weights"]["source"] == "cache"
    assert pair.info["student_weights"]["wrapper"] == "ema"
