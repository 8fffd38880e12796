"""bench: latent shapes from the registry, preset parameter counts against the official manifests and the paper,
and `evalkit bench` end to end on tiny random pairs (table, bench.json layout, cache)."""

import json
from pathlib import Path

import pytest
import torch

from evalkit.cli import main
from evalkit.profile.bench import (
    _float32_cpu,
    _tiled_decode,
    latent_shape,
    parameter_report,
    parse_dtype,
    parse_resolutions,
    student_head_parameters,
)
from evalkit.profile.params import count_parameters, parameters_by_block
from evalkit.profile.published import STUDENT_DECODER_PARAMS, STUDENT_DECODER_SOURCE, TEACHER_DECODER_PARAMS

turbo_vaed = pytest.importorskip("evalkit.models.turbo_vaed")
registry = pytest.importorskip("evalkit.models.registry")
from evalkit.models.teachers import TEACHER_FAMILIES, count_teacher_parameters  # noqa: E402

BUILD_PAIR = registry.build_pair
REFERENCE = json.loads((Path(__file__).parent / "data" / "turbo_vaed_parameter_counts.json").read_text())
GOLDEN = Path(__file__).parents[1] / "data" / "turbo_vaed" / "golden"


def tiny_student_config() -> dict:
    """The reduced LTX golden config with the LTX teacher's 128 latent channels."""
    return {**json.loads((GOLDEN / "ltx_reduced_config.json").read_text()), "latent_channels": 128}


def tiny_build_pair(name, **kwargs):
    """build_pair with the tiny diffusers LTX teacher and the reduced student (random weights only)."""
    kwargs["teacher_config"] = kwargs.get("teacher_config") or TEACHER_FAMILIES.get("ltx").tiny_config
    kwargs["student_config"] = kwargs.get("student_config") or tiny_student_config()
    return BUILD_PAIR(name, **kwargs)


def test_parse_resolutions_and_dtype():
    assert parse_resolutions("256,512,720x1280") == [(256, 256), (512, 512), (720, 1280)]
    assert parse_resolutions(" 64X96 ") == [(64, 96)]
    with pytest.raises(ValueError, match=r"bad resolution 'big' in '256,big'; use e.g. 256,512,720x1280"):
        parse_resolutions("256,big")
    assert parse_dtype("bfloat16") is torch.bfloat16
    with pytest.raises(ValueError, match="dtype must be one of float32, float16, bfloat16; got 'fp8'"):
        parse_dtype("fp8")


def test_latent_shapes_follow_the_teacher_compression():
    pair = tiny_build_pair("turbo-ltx", init="random")
    assert latent_shape(pair, 256, 256, 17, 1) == (1, 128, 3, 8, 8)  # 32x spatial, 8x temporal, 8k+1 frames
    assert latent_shape(pair, 704, 1280, 121, 2) == (2, 128, 16, 22, 40)
    with pytest.raises(ValueError, match=r"multiples of 32, got 720x1280; .* \(e.g. 704x1280\)"):
        latent_shape(pair, 720, 1280, 17, 1)
    with pytest.raises(ValueError, match="--num-frames 17"):
        latent_shape(pair, 256, 256, 16, 1)
    dc = registry.build_pair("turbo-dc", init="random", student_config={"decoder_block_out_channels": [32, 16, 16, 24]})
    assert latent_shape(dc, 256, 512, 16, 1) == (1, 128, 4, 8, 16)  # no teacher: spec rule 4k, T = frames / 4


def test_tiled_decode_uses_the_teacher_tiling_for_one_call():
    pair = tiny_build_pair("turbo-ltx", init="random")
    tiled = _tiled_decode(pair, "teacher")
    latent = torch.randn(1, 128, 2, 2, 2)
    calls = []
    original = pair.teacher.vae.tiled_decode
    pair.teacher.vae.tiled_decode = lambda *args, **kwargs: calls.append(1) or original(*args, **kwargs)
    vae = pair.teacher.vae
    vae.tile_sample_min_height = vae.tile_sample_min_width = 32  # 2x2 tiles over a 64x64 output
    vae.tile_sample_stride_height = vae.tile_sample_stride_width = 32
    assert tiled(latent).shape == (1, 3, 9, 64, 64)
    assert calls == [1]
    assert vae.use_tiling is False  # switched off again after the call
    assert _tiled_decode(pair, "student") is None  # the Turbo-VAED decoder has no tiling: OOM stays OOM


def test_onnx_gets_a_float32_cpu_copy_and_the_measured_module_is_untouched():
    as_is = torch.nn.Conv3d(2, 2, 1)
    assert _float32_cpu(as_is) is as_is
    half = torch.nn.Conv3d(2, 2, 1).to(torch.bfloat16)
    copied = _float32_cpu(half)
    assert copied is not half
    assert copied.weight.dtype == torch.float32
    assert half.weight.dtype == torch.bfloat16


@pytest.mark.parametrize("preset", ["ltx", "hunyuan", "cog", "dc"])
def test_preset_parameter_counts_equal_the_reference_manifests(preset):
    expected = REFERENCE["presets"][preset]
    with torch.device("meta"):
        decoder = turbo_vaed.TurboVAEDDecoder.from_config(turbo_vaed.load_preset(preset))
    assert count_parameters(decoder) == expected["decoder"]
    assert parameters_by_block(decoder) == expected["by_block"]
    assert student_head_parameters(decoder.config) == expected["projection_heads"]
    assert count_parameters(decoder) + expected["projection_heads"] == expected["full_model"]


def test_published_student_counts_round_to_the_papers_figures():
    paper_millions = {"ltx": 41.9, "hunyuan": 40.7, "cog": 40.7, "dc": 45.8}  # Turbo-VAED, arXiv 2508.09136
    assert {preset: round(count / 1e6, 1) for preset, count in STUDENT_DECODER_PARAMS.items()} == paper_millions
    assert {preset: REFERENCE["presets"][preset]["decoder"] for preset in paper_millions} == STUDENT_DECODER_PARAMS


def test_ltx_teacher_decoder_count_matches_the_published_count():
    counts = count_teacher_parameters(TEACHER_FAMILIES.get("ltx"))
    assert counts["decoder"] == TEACHER_DECODER_PARAMS["ltx"]


@pytest.mark.parametrize(
    ("name", "teacher_published"), [("turbo-ltx", True), ("turbo-hunyuan", False), ("turbo-dc", None)]
)
def test_parameter_report_checks_released_presets_against_published_counts(name, teacher_published):
    with torch.device("meta"):  # full-size models, no memory
        pair = BUILD_PAIR(name, init="random", device="meta")
    report = parameter_report(pair)
    student = report["student"]["decoder"]
    assert student == {
        "counted": STUDENT_DECODER_PARAMS[pair.spec.student_preset],
        "expected": STUDENT_DECODER_PARAMS[pair.spec.student_preset],
        "matches": True,
        "source": STUDENT_DECODER_SOURCE,
    }
    assert report["student"]["full_model"]["matches"] is None  # the paper does not count the distillation heads
    if teacher_published is None:
        assert "teacher" not in report
    elif teacher_published:
        assert report["teacher"]["decoder"]["matches"] is True
    else:
        assert report["teacher"]["decoder"]["expected"] is None  # no published count for this teacher
        assert report["teacher"]["decoder"]["matches"] is None


def test_cli_bench_prints_the_table_writes_bench_json_and_caches(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(registry, "build_pair", tiny_build_pair)
    output = tmp_path / "bench.json"
    argv = [
        "bench",
        "--decoder",
        "turbo-ltx",
        "--init",
        "random",
        "--resolution",
        "64",
        "--frames",
        "9",
        "--repeats",
        "2",
        "--onnx",
        "none",
        "--output",
        str(output),
        "--cache-dir",
        str(tmp_path / "cache"),
    ]
    assert main(argv) == 0
    table = capsys.readouterr().out
    for text in ("9x64x64", "teacher", "student", "teacher/student", "FLOPs (2 x MACs)", "RANDOM WEIGHTS"):
        assert text in table
    bench = json.loads(output.read_text())
    teacher, student = bench["teacher"]["shapes"][0], bench["student"]["shapes"][0]
    assert teacher["output_shape"] == student["output_shape"] == [1, 3, 9, 64, 64]
    assert teacher["latent_shape"] == [1, 128, 2, 2, 2]
    assert teacher["flops"]["unit"] == bench["flop_unit"] == "FLOPs (2 x MACs)"
    assert student["flops"]["zero_count_ops"]  # norms, activations and residual adds are never counted
    assert "aten.convolution" not in student["flops"]["zero_count_ops"]
    assert len(student["latency"]["runs_s"]) == 2
    compare = bench["compare"][0]
    assert compare["speedup_median"] == pytest.approx(teacher["latency"]["median_s"] / student["latency"]["median_s"])
    assert compare["flops_ratio"] == pytest.approx(teacher["flops"]["total_flops"] / student["flops"]["total_flops"])
    assert compare["cached"] is False
    pair = tiny_build_pair("turbo-ltx", init="random")
    assert bench["student"]["params"] == count_parameters(pair.student.decoder)
    assert bench["student"]["parameters"]["decoder"] == {
        "counted": count_parameters(pair.student.decoder),
        "expected": 41_896_023,  # the paper's Turbo-VAED-LTX decoder
        "matches": False,  # tiny config against the released preset
        "source": STUDENT_DECODER_SOURCE,
    }
    assert bench["teacher"]["parameters"]["decoder"]["matches"] is False  # tiny teacher against LTX-Video's
    assert f"(!= published 41,896,023, {STUDENT_DECODER_SOURCE})" in table
    assert bench["env"]["torch"] == torch.__version__
    assert bench["random_weights"] is True

    assert main(argv) == 0
    assert "cached" in capsys.readouterr().out
    again = json.loads(output.read_text())
    assert again["compare"][0]["cached"] is True
    assert again["teacher"]["shapes"] == bench["teacher"]["shapes"]


def test_cli_bench_reports_bad_settings(monkeypatch, capsys):
    monkeypatch.setattr(registry, "build_pair", tiny_build_pair)
    assert main(["bench", "--decoder", "turbo-nope", "--init", "random"]) == 2
    assert "unknown decoder 'turbo-nope'; choose one of:" in capsys.readouterr().err
    assert main(["bench", "--decoder", "turbo-ltx", "--init", "random", "--resolution", "250"]) == 2
    assert "multiples of 32" in capsys.readouterr().err


@pytest.mark.slow
def test_cli_bench_full_turbo_ltx_at_256(tmp_path, capsys):
    output = tmp_path / "bench.json"
    argv = [
        "bench",
        "--decoder",
        "turbo-ltx",
        "--init",
        "random",
        "--resolution",
        "256",
        "--device",
        "cpu",
        "--repeats",
        "1",
        "--output",
        str(output),
        "--no-cache",
    ]
    assert main(argv) == 0
    bench = json.loads(output.read_text())
    assert bench["student"]["parameters"]["decoder"]["matches"] is True
    assert bench["teacher"]["parameters"]["decoder"]["matches"] is True
    assert bench["student"]["onnx"]["max_abs_diff"] < 1e-3
    assert bench["compare"][0]["speedup_median"] > 1
