from dataclasses import replace

import pytest

from evalkit.pipeline.config import ConfigError, RunConfig, build_config


def test_file_then_flags_precedence(tmp_path):
    toml = tmp_path / "run.toml"
    toml.write_text(
        'decoder = "turbo-ltx"\nnum-frames = 9\nmetrics = ["psnr"]\n[teacher_config]\nlatent_channels = 8\n'
    )
    config = build_config(toml, num_frames=17)
    assert (config.decoder, config.num_frames, config.metrics) == ("turbo-ltx", 17, ("psnr",))
    assert config.teacher_config == {"latent_channels": 8}
    yaml_file = tmp_path / "run.yaml"
    yaml_file.write_text("decoder: turbo-ltx\nbatch_size: '4'\nmetrics: psnr,ssim\n")
    config = build_config(yaml_file)
    assert (config.batch_size, config.metrics) == (4, ("psnr", "ssim"))


def test_unknown_setting_in_file_is_named(tmp_path):
    toml = tmp_path / "run.toml"
    toml.write_text("decodr = 'x'\n")
    with pytest.raises(ConfigError, match=r"unknown setting in .*run.toml: decodr; valid: .*decoder"):
        build_config(toml)


def test_bad_values_are_refused_with_choices():
    with pytest.raises(ConfigError, match="dtype must be one of float32, bfloat16, float16; got 'fp8'"):
        RunConfig(decoder="x", dtype="fp8")
    with pytest.raises(ConfigError, match="batch_size must be a positive integer or 'auto', got 'many'"):
        RunConfig(decoder="x", batch_size="many")
    with pytest.raises(ConfigError, match="max_clips must be a positive integer, got 0"):
        RunConfig(decoder="x", max_clips=0)
    with pytest.raises(ConfigError, match="no decoder given: pass --decoder NAME"):
        RunConfig(decoder=None).require_decoder()
    with pytest.raises(ConfigError, match="num_workers must be 0 .* or more, got -3"):
        RunConfig(num_workers=-3)
    with pytest.raises(ConfigError, match="cache_max_gb must be a positive number of GB, got -1"):
        RunConfig(cache_max_gb=-1)
    with pytest.raises(ConfigError, match="device must be one of auto, cpu, cuda; got 'cuda:x'"):
        RunConfig(device="cuda:x")
    assert RunConfig(device="cuda:1").device == "cuda:1"


def test_defaults_evaluate_the_shipped_demo_pair_on_the_sample_clips():
    config = RunConfig()
    assert (config.decoder, config.dataset, config.init) == ("turbo-demo", "sample", "pretrained")
    assert config.run_id.startswith("turbo-demo-sample-")


def test_run_id_follows_settings_that_change_numbers_only():
    base = RunConfig(decoder="turbo-ltx", max_clips=3)
    assert base.run_id.startswith("turbo-ltx-sample-")
    assert replace(base, batch_size=4, progress=False, no_cache=True).run_id == base.run_id
    assert replace(base, seed=1).run_id != base.run_id
    assert str(replace(base, out="reports/mine").run_dir) == "reports/mine"
    assert base.to_dict()["metrics"] == ["psnr", "ssim", "lpips", "fvd", "vmaf", "tdiff"]
