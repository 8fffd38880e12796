"""Named protocol presets: pinned by version, applied under the flags that may add to them, recorded in results."""

from __future__ import annotations

import json

import pytest
import yaml

from evalkit.data import protocol_presets
from evalkit.data.protocol_presets import PresetError, load_preset, preset_names
from evalkit.pipeline.config import ConfigError, build_config


def test_every_shipped_preset_matches_the_hash_pinned_for_its_version():
    pins = json.loads(protocol_presets.VERSIONS_FILE.read_text(encoding="utf-8"))
    assert preset_names() == sorted(pins)
    for name in preset_names():
        preset = load_preset(name)
        assert pins[name].get(str(preset.version)) == preset.content_hash(), (
            f"{preset.path} changed without a new version: raise `version` and pin the new hash in "
            f"{protocol_presets.VERSIONS_FILE.name} (old versions stay pinned)"
        )


def test_turbo_vaed_ucf101_is_the_papers_table_1_protocol():
    preset = load_preset("turbo-vaed-ucf101")
    config = build_config(protocol_preset="turbo-vaed-ucf101", decoder="turbo-ltx")
    assert (config.dataset, config.split, config.fold) == ("ucf101", "test", 1)
    assert (config.num_frames, config.stride, config.resolution) == (17, 1, 256)
    assert config.protocol == {"start": "first", "crop": "center"}
    assert (config.ssim_variant, config.lpips_net, config.fvd_variant) == ("torchmetrics", "alex", "turbo-vaed-compat")
    assert config.posterior == "sample"
    assert "2508.09136" in preset.source


def test_a_changed_setting_changes_the_hash():
    preset = load_preset("turbo-vaed-ucf101")
    edited = protocol_presets.ProtocolPreset(**{**preset.__dict__, "settings": {**preset.settings, "num_frames": 16}})
    assert edited.content_hash() != preset.content_hash()


def test_flags_may_add_to_a_preset_but_never_contradict_it():
    config = build_config(
        protocol_preset="turbo-vaed-ucf101", decoder="turbo-ltx", max_clips=5, protocol={"resize_filter": "bicubic"}
    )
    assert config.max_clips == 5
    assert config.protocol == {"start": "first", "crop": "center", "resize_filter": "bicubic"}
    assert build_config(protocol_preset="turbo-vaed-ucf101", resolution=256).resolution == 256
    with pytest.raises(ConfigError, match=r"turbo-vaed-ucf101 v1 fixes resolution=256, but 512 was given"):
        build_config(protocol_preset="turbo-vaed-ucf101", resolution=512)
    with pytest.raises(ConfigError, match=r"fixes crop='center', but 'none' was given"):
        build_config(protocol_preset="turbo-vaed-ucf101", protocol={"crop": "none"})


def test_an_unknown_preset_lists_the_choices():
    with pytest.raises(ConfigError, match=r"unknown protocol preset 'ucf'; choose one of: turbo-vaed-davis, turbo"):
        build_config(protocol_preset="ucf")
    with pytest.raises(PresetError, match="unknown protocol preset"):
        load_preset("../ucf101")


def test_the_cli_refuses_a_contradicting_flag_with_exit_2(capsys):
    from evalkit.cli import main

    assert main(["run", "--protocol", "turbo-vaed-ucf101", "--num-frames", "33"]) == 2
    assert "fixes num_frames=17, but 33 was given" in capsys.readouterr().err


def test_a_run_under_a_preset_records_its_name_version_and_hash(tmp_path, monkeypatch):
    from evalkit.pipeline import run
    from tests.pipeline.conftest import set_offline
    from tests.tiny_ltx_pair import TINY_STUDENT, TINY_TEACHER

    set_offline(monkeypatch, tmp_path)
    presets = tmp_path / "protocols"
    presets.mkdir()
    settings = {"dataset": "sample", "num_frames": 9, "resolution": 32, "protocol": {"start": "first"}}
    document = {"name": "tiny-sample", "version": 3, "title": "tiny", "source": "a test", "settings": settings}
    (presets / "tiny-sample.yaml").write_text(yaml.safe_dump(document))
    monkeypatch.setattr(protocol_presets, "PRESETS_DIR", presets)
    config = build_config(
        protocol_preset="tiny-sample",
        decoder="turbo-ltx",
        init="random",
        max_clips=1,
        metrics="psnr",
        device="cpu",
        progress=False,
        profile="off",
        bootstrap_resamples=50,
        out=str(tmp_path / "run"),
        cache_dir=str(tmp_path / "cache"),
        teacher_config=TINY_TEACHER,
        student_config=TINY_STUDENT,
    )
    results = run(config).results
    assert results["protocol"]["preset"] == load_preset("tiny-sample").identity()
    assert results["protocol"]["preset"]["version"] == 3
    assert results["protocol"]["params"]["num_frames"] == 9
    assert results["config"]["protocol_preset"] == "tiny-sample"
