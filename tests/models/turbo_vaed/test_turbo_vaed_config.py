"""Turbo-VAED config parsing: metadata dropped, unknown keys warned, unsupported official paths rejected clearly."""

import logging

import pytest
import torch

from evalkit.models.turbo_vaed import (
    ProjectionHeads,
    TurboVAEDConfig,
    TurboVAEDDecoder,
    load_preset,
    strip_official_prefix,
)


def test_metadata_keys_are_dropped_and_lists_become_tuples():
    config = TurboVAEDConfig.from_dict(load_preset("hunyuan"))
    assert config.decoder_block_out_channels == (16, 32, 256, 512)
    assert config.decoder_spatio_only == (True, False, False, False)
    assert config.aligned_feature_projection_dim == ((512, 2048),)
    assert config.extra == {}


def test_official_configs_load_without_warnings(caplog):
    with caplog.at_level(logging.WARNING):
        for name in ("ltx", "hunyuan", "cog", "dc"):
            TurboVAEDConfig.from_dict(load_preset(name), source=name)
    assert caplog.records == []


def test_unknown_keys_are_warned_about_and_kept_aside(caplog):
    with caplog.at_level(logging.WARNING, logger="evalkit.models.turbo_vaed.config"):
        config = TurboVAEDConfig.from_dict({**load_preset("ltx"), "decoder_mystery": 3}, source="my.json")
    assert "my.json: ignoring unknown Turbo-VAED config keys ['decoder_mystery']" in caplog.text
    assert config.extra == {"decoder_mystery": 3}


def test_timestep_conditioning_is_rejected_with_the_reason():
    with pytest.raises(
        ValueError,
        match=r"cfg\.json: timestep_conditioning=True is not supported\. The official "
        r"Turbo-VAED timestep path is broken .* Set timestep_conditioning to false\.",
    ):
        TurboVAEDDecoder.from_config({**load_preset("ltx"), "timestep_conditioning": True}, source="cfg.json")


def test_noise_injection_is_rejected_with_the_reason():
    flags = [False, False, True, False, False]
    message = r"decoder_inject_noise=\[False, False, True, False, False\] is not supported\. The official Turbo-VAED"
    with pytest.raises(ValueError, match=message):
        TurboVAEDDecoder.from_config({**load_preset("ltx"), "decoder_inject_noise": flags})


def test_patch_size_4_needs_first_channel_divisible_by_16():
    message = r"patch_size=4 needs decoder_block_out_channels\[0\] divisible by 16 .* got 24"
    with pytest.raises(ValueError, match=message):
        TurboVAEDConfig.from_dict({**load_preset("ltx"), "decoder_block_out_channels": [24, 32, 32, 32]})
    TurboVAEDConfig.from_dict({**load_preset("hunyuan"), "decoder_block_out_channels": [24, 32, 32, 32]})


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"decoder_layers_per_block": [1, 1, 1, 1]}, "decoder_layers_per_block needs 5 entries"),
        ({"patch_size": 8}, r"patch_size=8 is not supported; use one of \(1, 2, 4\)"),
        ({"upsample_factor": [2, 1, 1, 1]}, r"upsample_factor=\[2, 1, 1, 1\] is not supported"),
        ({"decoder_dw_kernel_size": 4}, "decoder_dw_kernel_size must be odd, got 4"),
    ],
)
def test_other_unbuildable_settings_are_rejected(override, message):
    with pytest.raises(ValueError, match=message):
        TurboVAEDConfig.from_dict({**load_preset("ltx"), **override})


def test_projection_heads_reject_unimplemented_modes_and_mismatched_lists():
    with pytest.raises(ValueError, match="aligned_feature_projection_mode='mlp-1layer' is not supported"):
        ProjectionHeads.from_config({**load_preset("ltx"), "aligned_feature_projection_mode": "mlp-1layer"})
    with pytest.raises(ValueError, match="aligned_feature_projection_dim has 1 entries but aligned_blks_indices has 2"):
        ProjectionHeads.from_config({**load_preset("ltx"), "aligned_blks_indices": [1, 2]})
    assert len(ProjectionHeads.from_config({**load_preset("ltx"), "aligned_feature_projection_mode": None})) == 0


def test_strip_official_prefix_refuses_keys_that_are_not_head_keys():
    weight = torch.zeros(1)
    stripped = strip_official_prefix({"aligned_feature_projection_heads.0.1.conv.bias": weight})
    assert stripped == {"0.1.conv.bias": weight}
    with pytest.raises(KeyError, match="'conv_in.conv.weight' is not a projection-head key"):
        strip_official_prefix({"conv_in.conv.weight": weight})
