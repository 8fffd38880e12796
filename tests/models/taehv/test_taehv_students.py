"""TAEHV students of evalkit's teachers: registry entries, the latent each teacher's pipeline hands TAEHV, pixels in
evalkit's [-1, 1] convention, and `evalkit decoders` / `evalkit bench` rows (random weights, tiny teachers)."""

import json

import pytest
import torch

from evalkit.cli import main
from evalkit.models import registry
from evalkit.models.registry import DECODERS, build_pair, build_student, denormalize_pipeline_latents, describe
from evalkit.models.teachers import TEACHER_FAMILIES
from tests.models.taehv.taehv_golden import MANIFEST

BUILD_PAIR = build_pair
STUDENTS = {
    "taehv-hunyuan": ("hunyuan", "taehv"),
    "taehv-wan": ("wan", "taew2_1"),
    "taehv-cog": ("cogvideox", "taecvx"),
}
BASE_PARAMS = MANIFEST["base_p1_c16"]["decoder_params"]
# Constants of the teachers' own pipelines (diffusers VAE configs of HunyuanVideo, Wan2.1 and CogVideoX1.5-5B)
HUNYUAN_SCALING_FACTOR = 0.476986
WAN_FIRST_MEAN_STD = (-0.7571, 2.8184)
COGVIDEOX_1_5_SCALING_FACTOR = 0.7


pytestmark = pytest.mark.usefixtures("isolated_caches")


def tiny_pair(name: str, **kwargs):
    """The TAEHV student (full size, 9.8M parameters) with a tiny random teacher of the same latent space."""
    kwargs.setdefault("teacher_config", TEACHER_FAMILIES.get(DECODERS.get(name).teacher).tiny_config)
    kwargs.setdefault("init", "random")
    return BUILD_PAIR(name, **kwargs)


@pytest.mark.parametrize("name", STUDENTS)
def test_registry_entries_pair_each_file_with_its_teacher(name):
    teacher, preset = STUDENTS[name]
    spec = DECODERS.get(name)
    assert (spec.teacher, spec.student_preset, spec.student_kind, spec.student_weights) == (
        teacher,
        preset,
        "taehv",
        preset,
    )
    assert spec.frame_rule == DECODERS.get(teacher).frame_rule
    row = describe(name)
    assert row["student_params"] == BASE_PARAMS
    assert row["student_weights"] == preset


def _taehv_input(name: str, z: torch.Tensor):
    pair = tiny_pair(name)
    return pair, pair.student.decoder.taehv_latents(z).transpose(1, 2)


def test_hunyuan_student_gets_the_pipelines_scaled_latents():
    z = torch.randn(1, 16, 2, 4, 4)
    pair, given = _taehv_input("taehv-hunyuan", z)
    torch.testing.assert_close(given, z * HUNYUAN_SCALING_FACTOR)
    torch.testing.assert_close(denormalize_pipeline_latents("taehv-hunyuan", given, pair.teacher), z)


def test_wan_student_gets_the_pipelines_normalised_latents():
    z = torch.randn(1, 16, 2, 4, 4)
    pair, given = _taehv_input("taehv-wan", z)
    config = pair.teacher.vae.config
    assert (config.latents_mean[0], config.latents_std[0]) == WAN_FIRST_MEAN_STD
    mean = torch.tensor(config.latents_mean).view(1, -1, 1, 1, 1)
    std = torch.tensor(config.latents_std).view(1, -1, 1, 1, 1)
    torch.testing.assert_close(given, (z - mean) / std)
    torch.testing.assert_close(denormalize_pipeline_latents("taehv-wan", given, pair.teacher), z)


def test_cog_student_gets_the_cogvideox_1_5_pipeline_latents_times_one_over_0_7():
    """TAEHV's CogVideoX demo decodes CogVideoX1.5-5B pipeline latents (raw * 0.7) times 1 / 0.7: the raw posterior."""
    z = torch.randn(1, 16, 3, 4, 4)
    pair, given = _taehv_input("taehv-cog", z)
    assert pair.teacher.vae.config.scaling_factor == COGVIDEOX_1_5_SCALING_FACTOR
    pipeline_latents = z * COGVIDEOX_1_5_SCALING_FACTOR
    torch.testing.assert_close(given, pipeline_latents / COGVIDEOX_1_5_SCALING_FACTOR)
    torch.testing.assert_close(denormalize_pipeline_latents("taehv-cog", pipeline_latents, pair.teacher), given)
    assert "1/0.7" in pair.info["student"]["latents"]


@pytest.mark.parametrize(
    ("name", "shift", "scale"),
    [
        ("taehv-hunyuan", 0.0, HUNYUAN_SCALING_FACTOR),
        ("taehv-wan", WAN_FIRST_MEAN_STD[0], 1 / WAN_FIRST_MEAN_STD[1]),
        ("taehv-cog", 0.0, 1.0),
    ],
)
def test_a_student_built_alone_uses_the_released_teacher_config(name, shift, scale):
    student, _ = build_student(DECODERS.get(name), init="random")
    assert student.decoder.shift.flatten()[0].item() == pytest.approx(shift)
    assert student.decoder.scale.flatten()[0].item() == pytest.approx(scale)


@pytest.mark.parametrize(("bias", "pixel"), [(0.25, -0.5), (1.5, 1.0), (-0.5, -1.0)])
def test_taehv_output_in_0_1_becomes_minus_1_to_1_in_evalkit_layout(bias, pixel):
    pair = tiny_pair("taehv-hunyuan")
    last = pair.student.decoder.decoder[22]
    with torch.no_grad():
        last.weight.zero_()
        last.bias.fill_(bias)
    video = pair.student.decode(torch.randn(1, 16, 3, 2, 3))
    assert video.shape == (1, 3, 9, 16, 24)
    assert torch.equal(video, torch.full_like(video, pixel))


def test_teacher_latents_decode_to_the_clip_length_of_the_frame_rule():
    pair = tiny_pair("taehv-cog")
    x = torch.rand(1, 3, 9, 16, 16) * 2 - 1
    z = pair.teacher.encode(x)
    assert z.shape[2] == 3
    assert pair.student.decode(z).shape == x.shape
    streamed = pair.student.decoder.decode_streaming(z)
    assert (streamed - pair.student.decode(z)).abs().max().item() <= 2e-5  # [-1, 1]: twice the 1e-5 of [0, 1]


def test_decoders_lists_the_taehv_students(capsys):
    assert main(["decoders", "--json"]) == 0
    rows = {row["name"]: row for row in json.loads(capsys.readouterr().out)}
    for name, (teacher, preset) in STUDENTS.items():
        row = rows[name]
        assert row["student_params"] == BASE_PARAMS
        assert row["frame_rule"] == rows[teacher]["frame_rule"]
        assert (row["spatial_compression"], row["temporal_compression"]) == (8, 4)
        assert (row["student_weights"], row["student_weights_status"]) == (preset, "missing")
    assert main(["decoders"]) == 0
    table = capsys.readouterr().out
    assert "taehv-hunyuan  AutoencoderKLHunyuanVideo" in table
    assert "9.8M" in table


@pytest.mark.parametrize("onnx", ["none", pytest.param("student", marks=pytest.mark.slow)])
def test_bench_profiles_a_taehv_student(tmp_path, monkeypatch, capsys, onnx):
    monkeypatch.setattr(registry, "build_pair", tiny_pair)
    output = tmp_path / "bench.json"
    argv = ["bench", "--decoder", "taehv-hunyuan", "--init", "random", "--resolution", "32", "--frames", "5"]
    argv += ["--repeats", "1", "--onnx", onnx, "--onnx-repeats", "1", "--output", str(output), "--no-cache"]
    assert main(argv) == 0
    assert "RANDOM WEIGHTS" in capsys.readouterr().out
    bench = json.loads(output.read_text())
    student = bench["student"]
    decoder = student["parameters"]["decoder"]
    assert (decoder["counted"], decoder["expected"], decoder["matches"]) == (BASE_PARAMS, BASE_PARAMS, True)
    assert decoder["source"].startswith("madebyollin/taehv reference code")
    assert student["parameters"]["full_model"]["counted"] == BASE_PARAMS
    shape = student["shapes"][0]
    assert shape["output_shape"] == [1, 3, 5, 32, 32]
    assert shape["flops"]["total_flops"] > 0
    assert shape["latency"]["median_s"] > 0
    if onnx == "student":
        assert "error" not in student["onnx"], student["onnx"]
