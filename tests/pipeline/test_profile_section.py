"""The ``profile`` section of `evalkit run`: measured once per weights/environment/shape, skipped or failed
without losing the run's results, and off on request."""

from __future__ import annotations

import pytest
import yaml

import evalkit.pipeline
import evalkit.pipeline.profile_section as profile_section
import evalkit.profile.bench as bench
from evalkit.cli import main
from evalkit.models.registry import build_pair
from evalkit.pipeline import ConfigError, RunConfig, build_config, run
from evalkit.pipeline.runner import RunResult
from evalkit.report.cost import cost_view
from evalkit.results.io import read_results
from tests.tiny_ltx_pair import TINY_STUDENT, TINY_TEACHER

BENCH_COMMAND = (
    "evalkit bench --decoder turbo-ltx --init random --resolution 32 --frames 9 --device cpu "
    "--dtype float32 --onnx none"
)


@pytest.fixture
def measured(monkeypatch) -> list[tuple[int, ...]]:
    """The latent shapes `profile_decoder` was really called with (a profile cache hit calls it not at all)."""
    shapes = []
    original = bench.profile_decoder

    def counted(decode, latent_shape, **kwargs):
        shapes.append(tuple(latent_shape))
        return original(decode, latent_shape, **kwargs)

    monkeypatch.setattr(bench, "profile_decoder", counted)
    return shapes


def _decoder_parameters() -> dict[str, int]:
    """Parameter elements of the tiny pair's decode paths, counted from a freshly built pair."""
    pair = build_pair("turbo-ltx", init="random", teacher_config=TINY_TEACHER, student_config=TINY_STUDENT)
    assert not hasattr(pair.teacher.vae, "post_quant_conv")  # LTX decodes with its decoder alone
    return {
        "teacher": sum(p.numel() for p in pair.teacher.vae.decoder.parameters()),
        "student": sum(p.numel() for p in pair.student.decoder.parameters()),
    }


def test_run_profiles_the_pair_once_then_reads_the_cache(tiny_config, tmp_path, measured):
    first = run(tiny_config(out=str(tmp_path / "first"), metrics=("psnr",), profile="auto"))
    profile = read_results(first.run_dir)["profile"]
    assert measured == [(1, 8, 2, 1, 1)] * 2  # teacher and student, 9 frames at 32x32 -> latent 2x1x1
    counts = _decoder_parameters()
    assert {role: profile[role]["params"] for role in counts} == counts
    assert counts["teacher"] != counts["student"]
    assert (profile["random_weights"], first.results["random_weights"]) == (True, True)
    (teacher,), (student,) = profile["teacher"]["shapes"], profile["student"]["shapes"]
    assert teacher["output_shape"] == student["output_shape"] == [1, 3, 9, 32, 32]
    assert len(teacher["latency"]["runs_s"]) == profile_section.REPEATS
    (compare,) = profile["compare"]
    assert compare["cached"] is False
    assert compare["speedup_median"] == pytest.approx(teacher["latency"]["median_s"] / student["latency"]["median_s"])
    assert compare["flops_ratio"] == pytest.approx(teacher["flops"]["total_flops"] / student["flops"]["total_flops"])
    assert (profile["teacher"]["onnx"], profile["student"]["onnx"]) == (None, None)
    view = cost_view(profile)
    params_row = next(row for row in view.rows if row.key == "params")
    assert params_row.gain == pytest.approx(counts["teacher"] / counts["student"])
    assert 'id="cost-table"' in (first.run_dir / "report.html").read_text()

    second = run(tiny_config(out=str(tmp_path / "second"), metrics=("psnr",), profile="on"))
    assert len(measured) == 2  # nothing measured again
    again = read_results(second.run_dir)["profile"]
    assert again["compare"][0]["cached"] is True
    assert again["teacher"]["shapes"] == profile["teacher"]["shapes"]
    assert again["student"]["shapes"] == profile["student"]["shapes"]

    off = run(tiny_config(out=str(tmp_path / "off"), metrics=("psnr",), profile="off"))
    assert read_results(off.run_dir)["profile"] is None
    assert 'id="cost-not-measured"' in (off.run_dir / "report.html").read_text()


def test_auto_skips_a_teacher_too_big_for_the_cpu_and_names_the_bench_command(
    tiny_config, tmp_path, monkeypatch, measured
):
    monkeypatch.setattr(profile_section, "CPU_AUTO_MAX_TEACHER_PARAMS", 1000)
    result = run(tiny_config(out=str(tmp_path / "skipped"), metrics=("psnr",), profile="auto"))
    teacher_params = _decoder_parameters()["teacher"]
    skipped = read_results(result.run_dir)["profile"]
    assert skipped == {
        "skipped": f"the teacher decoder has {teacher_params:,} parameters, over the 1,000 that --profile auto "
        f"times on the CPU (--profile on forces it); measure it with: {BENCH_COMMAND}"
    }
    assert measured == []
    assert result.results["metrics"]["psnr"]["values"]["student"]["n"] == 2
    assert cost_view(skipped) is None
    assert 'id="cost-not-measured"' in (result.run_dir / "report.html").read_text()
    pair = build_pair("turbo-ltx", init="random", teacher_config=TINY_TEACHER, student_config=TINY_STUDENT)
    forced = tiny_config(profile="on")
    assert profile_section.skip_reason(forced, pair, profile_section.torch.device("cpu")) is None


def test_a_failing_profile_is_recorded_and_the_results_are_kept(tiny_config, tmp_path, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("decoder exploded")

    monkeypatch.setattr(profile_section, "bench_pair", broken)
    result = run(tiny_config(out=str(tmp_path / "failed"), metrics=("psnr",), profile="on"))
    doc = read_results(result.run_dir)
    assert doc["profile"] == {"error": f"RuntimeError: decoder exploded; measure it with: {BENCH_COMMAND}"}
    assert (doc["status"], doc["clips"]["evaluated"]) == ("complete", 2)
    assert doc["metrics"]["psnr"]["values"]["teacher"]["n"] == 2


def test_profile_settings_are_checked_and_do_not_change_the_run_id(tmp_path, monkeypatch):
    with pytest.raises(ConfigError, match=r"profile must be one of auto, on, off; got 'sometimes'"):
        RunConfig(decoder="turbo-ltx", profile="sometimes")
    with pytest.raises(ConfigError, match=r"profile_onnx must be one of none, student, both; got 'all'"):
        RunConfig(decoder="turbo-ltx", profile_onnx="all")
    assert RunConfig(decoder="turbo-ltx", profile="off").run_id == RunConfig(decoder="turbo-ltx").run_id
    settings = tmp_path / "run.yaml"
    settings.write_text("decoder: turbo-ltx\nprofile: off\n")
    assert yaml.safe_load(settings.read_text())["profile"] is False  # YAML 1.1 reads off as a boolean
    assert build_config(settings).profile == "off"

    seen = []
    monkeypatch.setattr(evalkit.pipeline, "run", lambda config: seen.append(config) or RunResult(tmp_path, None))
    assert main(["run", "--decoder", "turbo-ltx", "--profile", "off", "--profile-onnx"]) == 0
    assert main(["run", "--decoder", "turbo-ltx", "--profile-onnx", "both"]) == 0
    assert main(["run", "--decoder", "turbo-ltx"]) == 0
    assert [(c.profile, c.profile_onnx) for c in seen] == [("off", "student"), ("auto", "both"), ("auto", "none")]
