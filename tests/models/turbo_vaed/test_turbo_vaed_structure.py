"""Turbo-VAED decoder structure: state_dict keys/order/shapes and parameter counts equal the official decoders,
presets load, and the output frame count follows each family's rule."""

import json
from pathlib import Path

import pytest
import torch

from evalkit.models.turbo_vaed import PRESETS, ProjectionHeads, TurboVAEDDecoder, load_preset

MANIFESTS = Path(__file__).parents[2] / "data" / "turbo_vaed" / "manifests"
PARAMETER_COUNTS = {"ltx": 41_896_023, "hunyuan": 40_687_811, "cog": 40_687_811, "dc": 45_831_383}
HEAD_PARAMETER_COUNTS = {"ltx": 394_240, "hunyuan": 5_246_976, "cog": 18_882_560, "dc": 4_462_592}


def build_on_meta(config: dict) -> TurboVAEDDecoder:
    with torch.device("meta"):
        return TurboVAEDDecoder.from_config(config)


@pytest.mark.parametrize("preset", list(PRESETS))
def test_state_dict_keys_order_and_shapes_match_official_manifest(preset):
    manifest = json.loads((MANIFESTS / f"{preset}.json").read_text())
    decoder = build_on_meta(load_preset(preset))
    ours = [[key, list(value.shape)] for key, value in decoder.state_dict().items()]
    assert ours == manifest["decoder_state_dict"]
    assert all(value.dtype == torch.float32 for value in decoder.state_dict().values())
    assert list(decoder.buffers()) == []


@pytest.mark.parametrize("preset", list(PRESETS))
def test_parameter_counts_match_paper_decoders(preset):
    manifest = json.loads((MANIFESTS / f"{preset}.json").read_text())
    decoder = build_on_meta(load_preset(preset))
    count = sum(p.numel() for p in decoder.parameters())
    assert count == PARAMETER_COUNTS[preset] == manifest["decoder_num_params"]


@pytest.mark.parametrize("preset", list(PRESETS))
def test_projection_heads_match_official_keys_and_counts(preset):
    manifest = json.loads((MANIFESTS / f"{preset}.json").read_text())
    parent = torch.nn.Module()
    with torch.device("meta"):
        parent.aligned_feature_projection_heads = ProjectionHeads.from_config(load_preset(preset))
    ours = [[key, list(value.shape)] for key, value in parent.state_dict().items()]
    assert ours == manifest["projection_head_state_dict"]
    assert sum(p.numel() for p in parent.parameters()) == HEAD_PARAMETER_COUNTS[preset]


def test_load_preset_returns_fresh_official_dicts_and_lists_choices():
    ltx = load_preset("ltx")
    assert ltx["_class_name"] == "AutoencoderKLTurboVAED"
    assert ltx["latent_channels"] == 128
    ltx["latent_channels"] = 1
    assert load_preset("ltx")["latent_channels"] == 128
    assert load_preset("dc")["is_video_dc_ae"] is True
    assert load_preset("hunyuan") | {"aligned_feature_projection_dim": None} == load_preset("cog") | {
        "aligned_feature_projection_dim": None
    }
    with pytest.raises(KeyError, match="unknown Turbo-VAED preset 'wan'; choose one of: ltx, hunyuan, cog, dc"):
        load_preset("wan")


TINY = {"latent_channels": 4, "decoder_block_out_channels": [16, 16, 16, 32], "decoder_layers_per_block": [1] * 5}


@pytest.mark.parametrize(
    ("preset", "frames", "expected_frames", "scale"),
    [
        ("ltx", 1, 1, 32),  # 8(T-1)+1
        ("ltx", 3, 17, 32),
        ("hunyuan", 3, 9, 8),  # 4(T-1)+1
        ("cog", 2, 5, 8),
        ("dc", 2, 8, 32),  # 4T
    ],
)
def test_output_frames_and_size_follow_each_family_rule(preset, frames, expected_frames, scale):
    torch.manual_seed(0)
    decoder = TurboVAEDDecoder.from_config({**load_preset(preset), **TINY}).eval()
    with torch.inference_mode():
        out = decoder(torch.randn(1, 4, frames, 2, 3))
    assert out.shape == (1, 3, expected_frames, 2 * scale, 3 * scale)
    assert torch.isfinite(out).all()


def test_from_config_builds_a_train_mode_float32_module_whose_mode_does_not_change_output():
    torch.manual_seed(0)
    decoder = TurboVAEDDecoder.from_config({**load_preset("ltx"), **TINY})
    assert decoder.training
    assert all(p.dtype == torch.float32 for p in decoder.parameters())
    latent = torch.randn(1, 4, 2, 2, 2)
    with torch.inference_mode():
        train_out = decoder(latent)
        eval_out = decoder.eval()(latent)
    assert torch.equal(train_out, eval_out)


def test_latents_with_the_wrong_layout_are_rejected():
    decoder = TurboVAEDDecoder.from_config({**load_preset("ltx"), **TINY})
    with pytest.raises(ValueError, match=r"expects latents \(B, 4, T, h, w\), got \(1, 3, 2, 2, 2\)"):
        decoder(torch.randn(1, 3, 2, 2, 2))
    with pytest.raises(ValueError, match=r"got \(4, 2, 2, 2\)"):
        decoder(torch.randn(4, 2, 2, 2))


@pytest.mark.parametrize("temporal_stride", [1, 2])
def test_export_unpacking_of_rank_5_equals_the_eager_one(temporal_stride):
    from evalkit.models.turbo_vaed.blocks import unpack_channels_last, unpack_rank5

    channels = 3 * 4 * temporal_stride
    packed = torch.randn(2, channels, 4, 5, 6, generator=torch.Generator().manual_seed(temporal_stride))
    eager, export = unpack_channels_last(packed, temporal_stride), unpack_rank5(packed, temporal_stride)
    assert eager.shape == export.shape == (2, 3, 4 * temporal_stride, 10, 12)
    assert torch.equal(eager, export)
    # conv channel ((c*2 + i)*2 + j)*st + dt lands on channel c, frame t*st + dt, pixel (2h + i, 2w + j)
    c, i, j, dt, t, h, w = 2, 1, 0, temporal_stride - 1, 3, 4, 5
    channel = ((c * 2 + i) * 2 + j) * temporal_stride + dt
    assert export[1, c, t * temporal_stride + dt, 2 * h + i, 2 * w + j] == packed[1, channel, t, h, w]
