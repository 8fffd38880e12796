"""Released TAEHV files (``decoder.*`` and ``encoder.*`` keys, .pth or .safetensors) load strictly into a student.

The files are written here in the released key layout of the manifest (decoder and encoder keys and shapes), so
the loader is exercised exactly as with the madebyollin/taehv files, without downloading them.
"""

import pytest
import torch
from safetensors.torch import save_file

from evalkit.models.checkpoint import CheckpointMismatchError, load_decoder_checkpoint
from evalkit.models.registry import DECODERS, build_student
from evalkit.models.taehv import TaehvConfig, TaehvDecoder, adapt_released_state
from evalkit.weights import WeightsUnavailable, resolve
from tests.models.taehv.taehv_golden import MANIFEST, recipe_weights


@pytest.fixture(autouse=True)
def isolated_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("EVALKIT_CACHE", str(tmp_path / "evalkit"))
    monkeypatch.setenv("EVALKIT_OFFLINE", "1")


def released_state(case: str, decoder_state: dict[str, torch.Tensor] | None = None) -> dict[str, torch.Tensor]:
    """A whole released file's state dict: ``decoder.*`` (recipe weights unless given) plus ``encoder.*`` tensors."""
    decoder = decoder_state or recipe_weights(case)
    encoder = {key: torch.full(shape, 0.5) for key, shape in MANIFEST[case]["encoder_state_dict"]}
    return {**decoder, **encoder}


def write(state: dict[str, torch.Tensor], path):
    if path.suffix == ".safetensors":
        save_file(state, str(path))
    else:
        torch.save(state, path)
    return path


@pytest.mark.parametrize("suffix", [".pth", ".safetensors"])
def test_released_layout_loads_into_the_student_exactly(tmp_path, suffix):
    path = write(released_state("base_p1_c16"), tmp_path / f"taehv{suffix}")
    student, record = build_student(DECODERS.get("taehv-hunyuan"), weights=path)
    loaded = student.decoder.decoder.state_dict()
    for key, value in recipe_weights("base_p1_c16").items():
        assert torch.equal(loaded[key.removeprefix("decoder.")], value), key
    assert record["format"] == ("safetensors" if suffix == ".safetensors" else "torch")
    assert record["stripped_prefixes"] == ["decoder."]
    assert record["dropped_keys"] == len(MANIFEST["base_p1_c16"]["encoder_state_dict"])


def test_tgrow_keeps_the_last_rows_when_time_upscaling_is_disabled(tmp_path):
    """A file with time upscaling in every stage (LTX-2 layout) loaded into decoders that upscale less."""
    source = TaehvDecoder(TaehvConfig(time_upscale=(True, True, True)))
    state = {f"decoder.{k}": v for k, v in source.state_dict().items()}
    path = write(released_state("base_p1_c16", state), tmp_path / "time_up.pth")
    for flags in [(False, True, True), (False, False, False)]:
        target = TaehvDecoder(TaehvConfig(time_upscale=flags))
        load_decoder_checkpoint(
            target, resolve("taehv", path=path), adapt=lambda s, t=target: adapt_released_state(t, s)
        )
        for index in (7, 13, 19):
            full = source.state_dict()[f"{index}.conv.weight"]
            rows = target.state_dict()[f"{index}.conv.weight"].shape[0]
            assert rows == (full.shape[0] if flags[(index - 7) // 6] else full.shape[0] // 2)
            assert torch.equal(target.state_dict()[f"{index}.conv.weight"], full[-rows:])
        assert torch.equal(target.state_dict()["22.weight"], source.state_dict()["22.weight"])


def test_without_the_row_rule_a_time_upscaled_file_is_refused(tmp_path):
    source = TaehvDecoder(TaehvConfig(time_upscale=(True, True, True)))
    path = write({f"decoder.{k}": v for k, v in source.state_dict().items()}, tmp_path / "time_up.safetensors")
    with pytest.raises(CheckpointMismatchError, match=r"1 shape mismatches: 7\.conv\.weight \(512, 256, 1, 1\) vs"):
        load_decoder_checkpoint(TaehvDecoder(TaehvConfig()), resolve("taehv", path=path))


@pytest.mark.parametrize("suffix", [".pth", ".safetensors"])
def test_a_wrong_key_file_is_refused_with_the_first_mismatches_listed(tmp_path, suffix):
    state = released_state("base_p1_c16")
    state["decoder.3.conv.9.weight"] = state.pop("decoder.3.conv.4.weight")
    state["decoder.22.weight"] = torch.zeros(12, 64, 3, 3)
    path = write(state, tmp_path / f"taehv{suffix}")
    with pytest.raises(CheckpointMismatchError) as caught:
        build_student(DECODERS.get("taehv-hunyuan"), weights=path)
    message = str(caught.value)
    assert str(path) in message
    assert "1 missing keys: 3.conv.4.weight" in message
    assert "1 unexpected keys: 3.conv.9.weight" in message
    assert "1 shape mismatches: 22.weight (12, 64, 3, 3) vs (3, 64, 3, 3)" in message


def test_a_file_of_another_preset_is_refused(tmp_path):
    """taew2_2 (48 channels, patch 2) handed to the Wan 2.1 student: every mismatch counted, the first listed."""
    other = TaehvDecoder(TaehvConfig(latent_channels=48, patch_size=2))
    path = write({f"decoder.{k}": v for k, v in other.state_dict().items()}, tmp_path / "taew2_2.pth")
    listed = r"3 shape mismatches: 1\.weight \(256, 48, 3, 3\) vs \(256, 16, 3, 3\), 22\.bias"
    with pytest.raises(CheckpointMismatchError, match=listed):
        build_student(DECODERS.get("taehv-wan"), weights=path)


def test_pickled_objects_are_not_unpickled(tmp_path):
    path = tmp_path / "taehv.pth"
    torch.save({"decoder.1.weight": torch.zeros(1), "note": object()}, path)
    with pytest.raises(ValueError, match=r"holds Python objects other than tensors \(object\), which evalkit never"):
        build_student(DECODERS.get("taehv-hunyuan"), weights=path)


def test_missing_weights_name_the_file_and_the_fetch_command():
    with pytest.raises(WeightsUnavailable) as caught:
        build_student(DECODERS.get("taehv-cog"))
    message = str(caught.value)
    assert "taecvx.pth" in message
    assert "evalkit weights fetch taecvx" in message
