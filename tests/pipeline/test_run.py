"""End-to-end `evalkit run` on real sample clips with tiny random-weight decoders."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from evalkit.cli import main
from evalkit.data import ClipManifest
from evalkit.metrics.fvd import FVD
from evalkit.models.interfaces import StudentDecoder
from evalkit.models.teachers import TeacherVAE
from evalkit.pipeline import run
from evalkit.report.samples import read_samples
from evalkit.results.io import read_results
from tests.pipeline.conftest import VALUE_COLUMNS, values
from tests.tiny_ltx_pair import TINY_STUDENT


def _toml(path, settings: dict) -> str:
    lines = [f"{key} = {json.dumps(value)}" for key, value in settings.items() if not isinstance(value, dict)]
    for table in ("teacher_config", "student_config"):
        lines.append(f"[{table}]")
        lines += [f"{key} = {json.dumps(value)}" for key, value in settings[table].items()]
    path.write_text("\n".join(lines) + "\n")
    tomllib.loads(path.read_text())
    return str(path)


def _psnr(reference: np.ndarray, candidate: np.ndarray) -> float:
    """Mean over frames of 10 log10(255^2 / MSE), an independent NumPy PSNR."""
    diff = reference.astype(np.float64) - candidate.astype(np.float64)
    mse = (diff**2).reshape(diff.shape[0], -1).mean(axis=1)
    return float(np.mean(10 * np.log10(255.0**2 / mse)))


def test_cli_run_writes_every_file_with_provenance(tiny_config, tmp_path, capsys):
    config = tiny_config(max_clips=3)
    settings = {key: val for key, val in config.to_dict().items() if val is not None}
    settings["metrics"] = list(config.metrics)
    config_file = _toml(tmp_path / "run.toml", settings)
    assert main(["run", "--config", config_file, "--max-clips", "2"]) == 0
    summary = capsys.readouterr().out
    assert "*** RANDOM WEIGHTS" in summary
    run_dir = tmp_path / "run"
    doc = read_results(run_dir)
    assert doc["config"]["max_clips"] == 2  # the flag overrode the file
    assert (doc["status"], doc["random_weights"], doc["clips"]["evaluated"]) == ("complete", True, 2)
    assert doc["decoders"]["teacher"]["weights"] is None
    assert len(doc["decoders"]["teacher"]["state_sha256"]) == 64
    assert doc["provenance"]["packages"]["torch"]
    assert doc["protocol"]["params"]["output_quantisation"].startswith("clamp(x, -1, 1)")
    manifest = ClipManifest.read(run_dir / "manifest.json")
    assert manifest.hash() == doc["dataset"]["manifest_hash"]
    assert [clip.clip_id for clip in manifest.clips] == ["bigbuckbunny", "bikes"]
    report = (run_dir / "report.html").read_text()
    assert 'id="random-weights-banner"' in report
    assert "RANDOM WEIGHTS" in report
    samples = read_samples(run_dir)
    assert [sample.clip_id for sample in samples] == ["bigbuckbunny", "bikes"]
    assert sorted(path.name for path in (run_dir / "samples").iterdir()) == ["000.npz", "001.npz"]
    for sample in samples:
        assert sample.ground_truth.shape == (9, 32, 32, 3)
        assert sample.clip_id in report
    lpips = doc["metrics"]["lpips"]
    assert (lpips["available"], lpips["fetch"]) == (False, "evalkit weights fetch lpips-alex")
    fvd = doc["metrics"]["fvd"]
    assert fvd["available"]
    assert fvd["variant"]["detector"] == "i3d_torchscript.pt"
    assert set(fvd["values"]) == {"teacher", "student", "student_vs_teacher"}
    sample_size = {key: fvd["variant"][key] for key in ("n_clips", "frames", "min_clips", "comparable")}
    assert sample_size == {"n_clips": 2, "frames": 9, "min_clips": 800, "comparable": False}
    assert fvd["variant"]["detector_trust"] == "unverified detector (sha256 pinned on first use)"
    assert fvd["extrapolated"]["values"]["student"]["available"] is False
    assert "FVD StyleGAN-V, 9 f, N=2 (not comparable) ↓" in summary
    assert "FVD: not comparable: N=2 clips per set is below the minimum of 800" in summary
    assert "FVD∞: unavailable (FVD∞ needs at least 800 clips per set" in summary
    assert "FVD StyleGAN-V, 9 f, N=2" in report
    psnr = doc["metrics"]["psnr"]
    table = values(run_dir)
    assert psnr["values"]["student"]["value"] == pytest.approx(table["psnr.student"].mean(), rel=1e-12)
    assert psnr["paired"]["drop"]["value"] == pytest.approx(
        (table["psnr.teacher"] - table["psnr.student"]).mean(), rel=1e-9
    )
    gate = ["gate", str(run_dir / "results.json"), "--rule", "psnr.student_vs_teacher>=0"]
    assert main(gate) == 2  # tiny random decoders: refused unless allowed
    assert main([*gate, "--allow", "random"]) == 0
    for sample in samples:  # the saved frames are the ones the metrics scored
        row = table.loc[sample.clip_id]
        assert _psnr(sample.ground_truth, sample.student) == pytest.approx(row["psnr.student"], rel=1e-9)
        assert _psnr(sample.teacher, sample.student) == pytest.approx(row["psnr.student_vs_teacher"], rel=1e-9)


def test_teacher_psnr_matches_numpy_on_cached_frames(tiny_config):
    from evalkit.pipeline.cache import DiskCache

    result = run(tiny_config())
    table = values(result.run_dir)
    cache = DiskCache(result.results["cache"]["dir"])
    entries = [
        cache.get(usage.name, path.stem)
        for usage in cache.usage()
        for path in (cache.root / usage.name).glob("*.safetensors")
    ]
    by_clip = {}
    for tensors, metadata in entries:
        by_clip[metadata["clip_id"]] = tensors
    assert sorted(by_clip) == ["bigbuckbunny", "bikes"]
    for clip_id, tensors in by_clip.items():
        assert tensors["reference"].shape == (9, 32, 32, 3)
        expected = _psnr(tensors["reference"].numpy(), tensors["teacher"].numpy())
        assert table.loc[clip_id, "psnr.teacher"] == pytest.approx(expected, rel=1e-9)


def _counted_again(path, backend, max_pixels):
    raise AssertionError(f"{path}: frames counted again although the file is unchanged")


def test_warm_cache_skips_teacher_with_identical_numbers(tiny_config, tmp_path, teacher_calls, monkeypatch):
    detector_clips = []
    features = FVD.features
    monkeypatch.setattr(FVD, "features", lambda self, clips: detector_clips.append(len(clips)) or features(self, clips))
    cold = run(tiny_config(out=str(tmp_path / "cold")))
    assert teacher_calls["encode"] == 1  # one batch of two clips
    assert detector_clips == [2, 2, 2]  # ground truth, teacher, student
    teacher_calls.update(encode=0, decode=0)
    detector_clips.clear()
    assert (Path(tiny_config().cache_dir) / "frame_counts.json").exists()
    monkeypatch.setattr("evalkit.data.frame_counts.count_frames", _counted_again)
    new_student = {**TINY_STUDENT, "decoder_block_out_channels": [16, 16, 16, 32]}
    warm_same = run(tiny_config(out=str(tmp_path / "warm")))
    warm_new = run(tiny_config(out=str(tmp_path / "new-student"), student_config=new_student))
    assert teacher_calls == {"encode": 0, "decode": 0}
    assert detector_clips == [2, 2]  # the students only
    assert warm_new.results["cache"]["teacher_hits"] == 2
    pd.testing.assert_frame_equal(values(cold.run_dir)[VALUE_COLUMNS], values(warm_same.run_dir)[VALUE_COLUMNS])
    for comparison in ("teacher", "student", "student_vs_teacher"):
        assert (
            warm_same.results["metrics"]["fvd"]["values"][comparison]
            == cold.results["metrics"]["fvd"]["values"][comparison]
        )
    pd.testing.assert_series_equal(values(cold.run_dir)["psnr.teacher"], values(warm_new.run_dir)["psnr.teacher"])
    assert warm_same.results["per_frame"] == cold.results["per_frame"]  # teacher frame scores from the cache
    assert not np.allclose(values(cold.run_dir)["psnr.student"], values(warm_new.run_dir)["psnr.student"])
    for cold_sample, warm_sample in zip(read_samples(cold.run_dir), read_samples(warm_new.run_dir), strict=True):
        assert cold_sample.clip_id == warm_sample.clip_id  # warm samples come from the cached frames
        np.testing.assert_array_equal(cold_sample.ground_truth, warm_sample.ground_truth)
        np.testing.assert_array_equal(cold_sample.teacher, warm_sample.teacher)
        assert not np.array_equal(cold_sample.student, warm_sample.student)
    assert len(read_samples(warm_new.run_dir)) == 2
    assert 'id="random-weights-banner"' in (warm_new.run_dir / "report.html").read_text()
    uncached = run(tiny_config(out=str(tmp_path / "no-cache"), no_cache=True))
    assert teacher_calls["encode"] == 1
    assert uncached.results["cache"]["enabled"] is False
    pd.testing.assert_frame_equal(values(cold.run_dir)[VALUE_COLUMNS], values(uncached.run_dir)[VALUE_COLUMNS])


def test_nan_student_output_fails_that_clip_and_run_finishes(tiny_config, monkeypatch):
    original = StudentDecoder.decode

    def nan_for_last_clip(self, z):
        out = original(self, z).clone()
        out[-1, 0, 0, 0, 0] = float("nan")
        return out

    monkeypatch.setattr(StudentDecoder, "decode", nan_for_last_clip)
    result = run(tiny_config(no_cache=True))
    doc = result.results
    table = values(result.run_dir)
    assert table.loc["bikes", ["status", "stage", "reason"]].tolist() == [
        "failed",
        "student",
        "student decoder output has NaN/Inf values",
    ]
    assert table.loc["bigbuckbunny", "status"] == "ok"
    assert np.isnan(table.loc["bikes", "psnr.teacher"])
    assert (doc["status"], doc["clips"]["evaluated"], doc["clips"]["failed"]) == ("partial", 1, 1)
    assert "PARTIAL: 1 of 2 listed clips evaluated" in result.summary()
    assert doc["clips"]["skipped"] == [
        {"clip_id": "bikes", "stage": "student", "reason": "student decoder output has NaN/Inf values"}
    ]
    assert doc["metrics"]["psnr"]["values"]["student"]["n"] == 1
    assert doc["metrics"]["fvd"]["values"]["student"]["n"] == 1
    assert [sample.clip_id for sample in read_samples(result.run_dir)] == ["bigbuckbunny"]  # failed clips: none


def test_out_of_memory_halves_the_batch_and_gives_the_one_clip_numbers(tiny_config, request, caplog):
    one_at_a_time = run(tiny_config(out=f"{tiny_config().out}-b1", batch_size=1, no_cache=True))
    calls = request.getfixturevalue("teacher_too_big_for_two")  # only after the batch-1 reference run
    backed_off = run(tiny_config(batch_size=2, no_cache=True))
    assert calls == [2, 1, 1]
    assert "teacher decoder ran out of memory with 2 clips (CUDA out of memory." in caplog.text
    assert backed_off.results["device"]["out_of_memory"] == {
        "events": 1,
        "batch_size_after": 1,
        "student_tiled_clips": [],
    }
    assert one_at_a_time.results["device"]["out_of_memory"] is None
    pd.testing.assert_frame_equal(
        values(one_at_a_time.run_dir)[VALUE_COLUMNS], values(backed_off.run_dir)[VALUE_COLUMNS]
    )


def test_clip_too_big_even_alone_fails_with_the_fix_and_the_run_finishes(tiny_config, monkeypatch):
    original = StudentDecoder.decode

    def too_big_for_bikes(self, z):
        if z.shape[0] == 2 or float(z.abs().sum()) == bikes_latent_sum[0]:
            raise torch.OutOfMemoryError("CUDA out of memory")
        return original(self, z)

    bikes_latent_sum = []
    original_encode = TeacherVAE.encode

    def remember_bikes(self, x, generator=None):
        latents = original_encode(self, x, generator)
        bikes_latent_sum.append(float(latents[-1].abs().sum()))
        return latents

    monkeypatch.setattr(TeacherVAE, "encode", remember_bikes)
    monkeypatch.setattr(StudentDecoder, "decode", too_big_for_bikes)
    result = run(tiny_config(no_cache=True))
    table = values(result.run_dir)
    assert table.loc["bikes", ["status", "stage", "reason"]].tolist() == [
        "failed",
        "student",
        "student decoder ran out of memory on this clip alone (CUDA out of memory); "
        "try --offload always, a smaller --resolution or fewer --num-frames",
    ]
    assert table.loc["bigbuckbunny", "status"] == "ok"
    assert result.results["device"]["out_of_memory"] == {"events": 2, "batch_size_after": 1, "student_tiled_clips": []}
    assert result.results["status"] == "partial"


def test_student_that_does_not_fit_a_whole_clip_decodes_it_in_tiles(tiny_config, monkeypatch):
    original, widths = StudentDecoder.decode, []

    def only_small_tiles_fit(self, z):
        widths.append(z.shape[-1])
        if z.shape[-1] > 4:
            raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 9.00 GiB")
        return original(self, z)

    monkeypatch.setattr(StudentDecoder, "decode", only_small_tiles_fit)
    result = run(tiny_config(resolution=256, max_clips=1, metrics=("psnr",), no_cache=True))
    assert widths == [8] + [4, 4, 2] * 3  # the whole 8x8 latent, then 3x3 tiles: 4 wide, overlap 1, stride 3
    out_of_memory = result.results["device"]["out_of_memory"]
    assert out_of_memory["student_tiled_clips"] == [{"clip_id": "bigbuckbunny", "tile_latent": 4, "overlap_latent": 1}]
    table = values(result.run_dir)
    assert table.loc["bigbuckbunny", "status"] == "ok"
    assert 0 < table.loc["bigbuckbunny", "psnr.student_vs_teacher"] < 100


def test_missing_weights_stop_at_once_with_fetch_command(tmp_path, capsys):
    code = main(["run", "--decoder", "turbo-ltx", "--max-clips", "1", "--out", str(tmp_path / "r"), "--no-progress"])
    assert code == 2
    err = capsys.readouterr().err
    assert "evalkit weights fetch" in err
    assert not (tmp_path / "r").exists()


def test_settings_errors_name_the_fix(tiny_config, capsys):
    assert main(["run", "--decoder", "turbo-nope", "--init", "random"]) == 2
    assert "unknown decoder 'turbo-nope'; choose one of:" in capsys.readouterr().err
    with pytest.raises(ValueError, match="needs 8k\\+1 frames, got 10; use --num-frames 17"):
        run(tiny_config(num_frames=10))


def test_a_variant_the_clips_cannot_give_is_unavailable_before_decoding(tiny_config, monkeypatch):
    decoded = []
    original = FVD.update_features
    monkeypatch.setattr(FVD, "update_features", lambda self, *args: decoded.append(1) or original(self, *args))
    doc = run(tiny_config(max_clips=1, fvd_variant="turbo-vaed-compat")).results
    fvd = doc["metrics"]["fvd"]
    assert (fvd["available"], fvd["reason"]) == (
        False,
        "FVD (turbo-vaed-compat) needs at least 2 clips per set; the manifest has 1",
    )
    assert decoded == []  # FVD was set aside before the clip was decoded, not after
    assert doc["metrics"]["psnr"]["available"]
