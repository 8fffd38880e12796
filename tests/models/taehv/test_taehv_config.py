"""TAEHV presets chosen by the released file's name, and the frame rules of the decoder configs."""

import pytest
import torch

from evalkit.models.taehv import TaehvConfig, TaehvDecoder, preset_for_file


@pytest.mark.parametrize(("latent_frames", "expected"), [(4, 16), (5, 17), (1, 1)])
def test_cogvideox_keeps_every_frame_for_an_even_latent_count(latent_frames, expected):
    config = TaehvConfig(cogvideox=True)
    assert config.output_frames(latent_frames) == expected
    assert TaehvConfig().output_frames(latent_frames) == 4 * latent_frames - 3


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("taehv.pth", TaehvConfig()),
        ("safetensors/taecvx.safetensors", TaehvConfig(cogvideox=True)),
        ("taew2_2_super.pth", TaehvConfig(latent_channels=48, patch_size=2, variant="super")),
        ("taeltx_2.pth", TaehvConfig(latent_channels=128, patch_size=4, time_upscale=(True, True, True))),
    ],
)
def test_released_file_names_choose_their_preset(path, expected):
    assert preset_for_file(path) == expected


def test_an_unknown_file_name_lists_the_known_ones():
    with pytest.raises(ValueError, match=r"^taeh3\.pth: not a known TAEHV file name; known: taehv\.pth, taew2_1\.pth"):
        preset_for_file("taeh3.pth")


def test_dict_form_round_trips_and_refuses_unknown_keys():
    config = TaehvConfig(latent_channels=48, patch_size=2, variant="super", space_upscale=(True, False, True))
    assert TaehvConfig.from_dict(config.to_dict()) == config
    with pytest.raises(ValueError, match=r"^unknown TAEHV config keys \['widths'\]; known: latent_channels, "):
        TaehvConfig.from_dict({"widths": [1]})
    with pytest.raises(ValueError, match=r"^TAEHV variant must be one of base, super; got 'wide'$"):
        TaehvConfig(variant="wide")


@pytest.mark.parametrize("variant", ["base", "super"])
def test_disabled_upscale_stages_give_the_sizes_the_config_states(variant):
    config = TaehvConfig(variant=variant, space_upscale=(True, False, True), time_upscale=(False, False, True))
    with torch.inference_mode():
        video = TaehvDecoder(config).eval()(torch.randn(1, 3, 16, 2, 3))
    assert (config.space_factor, config.output_frames(3)) == (4, 5)
    assert video.shape == (1, 5, 3, 8, 12)
