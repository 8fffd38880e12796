"""Student checkpoints: every accepted layout round-trips exactly; mismatches are listed, never loaded loosely."""

import pytest
import torch
from safetensors.torch import save_file

from evalkit.models.checkpoint import CheckpointMismatchError, load_decoder_checkpoint
from evalkit.models.turbo_vaed import TurboVAEDDecoder, load_preset
from evalkit.weights import resolve, sha256_file

TINY_STUDENT = {"decoder_block_out_channels": [16, 16, 32, 32], "decoder_layers_per_block": [1] * 5}


@pytest.fixture(autouse=True)
def isolated_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("EVALKIT_CACHE", str(tmp_path / "evalkit"))
    monkeypatch.setenv("EVALKIT_OFFLINE", "1")


def tiny_decoder(seed: int, preset: str = "ltx", **overrides) -> TurboVAEDDecoder:
    torch.manual_seed(seed)
    return TurboVAEDDecoder.from_config({**load_preset(preset), **TINY_STUDENT, **overrides})


@pytest.fixture(scope="module")
def source_state() -> dict[str, torch.Tensor]:
    return tiny_decoder(seed=1).state_dict()


def _load(path):
    target = tiny_decoder(seed=2)
    report = load_decoder_checkpoint(target, resolve("turbo-vaed-ltx", path=path))
    return target, report


def _save(obj, path):
    if path.suffix == ".safetensors":
        save_file(obj, str(path))
    else:
        torch.save(obj, path)
    return path


def _prefixed(state, prefix):
    return {prefix + k: v for k, v in state.items()}


LAYOUTS = {
    "bare.safetensors": (lambda s: s, None, ()),
    "bare.pt": (lambda s: s, None, ()),
    "decoder_prefixed.safetensors": (
        lambda s: {**_prefixed(s, "decoder."), "latents_mean": torch.zeros(128), "latents_std": torch.ones(128)},
        None,
        ("decoder.",),
    ),
    "module_prefixed.pth": (lambda s: _prefixed(s, "module."), None, ("module.",)),
    "state_dict.ckpt": (lambda s: {"state_dict": s, "global_step": 10}, "state_dict", ()),
    "ema_ddp.pt": (
        lambda s: {"ema_state_dict": _prefixed(s, "module.decoder.")},
        "ema_state_dict",
        ("module.", "decoder."),
    ),
    "nested.pt": (lambda s: {"model": {"ema": s}}, "model.ema", ()),
}


@pytest.mark.parametrize("filename", sorted(LAYOUTS))
def test_every_accepted_layout_round_trips(tmp_path, source_state, filename):
    build, wrapper, prefixes = LAYOUTS[filename]
    path = _save(build(source_state), tmp_path / filename)
    target, report = _load(path)
    loaded = target.state_dict()
    assert all(torch.equal(loaded[k], source_state[k]) for k in source_state)
    assert report.wrapper == wrapper
    assert report.stripped_prefixes == prefixes
    assert report.format == ("safetensors" if filename.endswith(".safetensors") else "torch")
    assert report.sha256 == sha256_file(path)
    assert report.dropped_keys == (2 if filename.startswith("decoder_prefixed") else 0)


def test_ema_weights_take_precedence_over_raw_weights(tmp_path, source_state):
    raw = tiny_decoder(seed=3).state_dict()
    path = _save({"state_dict": raw, "ema": source_state}, tmp_path / "both.pt")
    target, report = _load(path)
    assert report.wrapper == "ema"
    assert torch.equal(target.state_dict()["conv_in.conv.weight"], source_state["conv_in.conv.weight"])


def test_missing_and_unexpected_keys_are_listed(tmp_path, source_state):
    state = dict(source_state)
    del state["conv_in.conv.bias"]
    state["extra_head.weight"] = torch.zeros(1)
    with pytest.raises(CheckpointMismatchError) as info:
        _load(_save(state, tmp_path / "broken.safetensors"))
    message = str(info.value)
    assert "1 missing keys: conv_in.conv.bias; 1 unexpected keys: extra_head.weight." in message
    assert f"({len(state)} checkpoint keys, {len(source_state)} model keys)" in message
    assert "broken.safetensors" in message


def test_long_key_lists_show_the_first_ten_and_a_count(tmp_path, source_state):
    state = {k: v for k, v in source_state.items() if not k.startswith("up_blocks.")}
    missing = sorted(set(source_state) - set(state))
    with pytest.raises(CheckpointMismatchError, match=f"{len(missing)} missing keys: .*\\({len(missing) - 10} more\\)"):
        _load(_save(state, tmp_path / "partial.safetensors"))


def test_shape_mismatch_from_another_config_is_listed(tmp_path):
    other = tiny_decoder(seed=1, decoder_block_out_channels=[16, 16, 32, 64]).state_dict()
    with pytest.raises(CheckpointMismatchError, match=r"shape mismatches: .*conv_in\.conv\.bias \(64,\) vs \(32,\)"):
        _load(_save(other, tmp_path / "wider.safetensors"))


def test_file_without_a_state_dict_is_explained(tmp_path):
    path = _save({"optimizer": {"lr": torch.tensor(1.0)}, "step": 3}, tmp_path / "opt.pt")
    with pytest.raises(ValueError, match=r"no decoder state dict found; .*found \['optimizer', 'step'\]"):
        _load(path)


class _Pickled:
    pass


def test_unsafe_pickles_are_refused(tmp_path):
    path = tmp_path / "unsafe.pt"
    torch.save({"object": _Pickled()}, path)
    with pytest.raises(ValueError, match=r"holds Python objects other than tensors \(.*_Pickled\)"):
        _load(path)
