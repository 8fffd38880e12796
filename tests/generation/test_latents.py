"""Saved latents: exact round trip, and clear errors when metadata or shape do not fit the decoder pair."""

from __future__ import annotations

import re

import pytest
import torch
from safetensors.torch import save_file

from evalkit.generation import GeneratedLatent, LatentMeta, LatentMetadataError, read_latent, save_latent
from evalkit.generation.check import check_latents
from evalkit.generation.latents import check_latent, latent_frames, read_latent_folder
from evalkit.models.interfaces import FrameRule


def item(channels=8, frames=2, size=2, **meta) -> GeneratedLatent:
    settings = {"teacher": "ltx", "num_frames": 9, "height": 64, "width": 64, "normalized": True, "sample_id": "s0"}
    latent = torch.randn(channels, frames, size, size, generator=torch.Generator().manual_seed(0))
    return GeneratedLatent(LatentMeta(**{**settings, **meta}), latent)


def test_round_trip_is_exact(tmp_path):
    original = item(prompt="a cat, on snow", seed=3, source={"pipeline": "LTXPipeline", "num_inference_steps": 2})
    path = save_latent(tmp_path, original)
    assert path.name == "s0.safetensors"
    loaded = read_latent(path)
    assert loaded.meta == original.meta
    assert torch.equal(loaded.latent, original.latent)
    assert loaded.latent.dtype == torch.float32


def test_bfloat16_latents_keep_their_dtype(tmp_path):
    original = item()
    original.latent = original.latent.to(torch.bfloat16)
    assert torch.equal(read_latent(save_latent(tmp_path, original)).latent, original.latent)


def test_latent_frames_follow_the_frame_rule():
    assert latent_frames(FrameRule(8, 1), 8, 161) == 21
    assert latent_frames(FrameRule(8, 1), 4, 49) == 13
    assert latent_frames(FrameRule(4, 0), 4, 16) == 4


@pytest.mark.parametrize(
    ("latent", "message"),
    [
        (
            item(channels=16),
            "latent 's0' has 16 latent channels, but the LTX teacher of 'turbo-ltx' takes 8; these latents come "
            "from another VAE or were saved packed/transposed (save them unpacked as (C, t, h, w))",
        ),
        (
            item(num_frames=10),
            "latent 's0': num_frames=10 breaks the LTX frame rule 8k+1 (nearest valid: 17); "
            "fix the file's num_frames metadata",
        ),
        (
            item(num_frames=17),
            "latent 's0' has 2 latent frames, but 17 frames need 3 (LTX: frame rule 8k+1, temporal compression 8x); "
            "fix num_frames or the latent",
        ),
        (
            item(height=96),
            "latent 's0' is 2x2 latents, which decode to 64x64 pixels at 32x, but its metadata says 96x64",
        ),
        (
            item(teacher="hunyuan"),
            "latent 's0' was made in the 'hunyuan' latent space, but decoder 'turbo-ltx' decodes 'ltx' latents; "
            "pick the decoder of that teacher (see `evalkit decoders`)",
        ),
    ],
)
def test_mismatched_latents_are_refused_with_the_fix(tiny_pair, latent, message):
    with pytest.raises(LatentMetadataError, match=re.escape(message)):
        check_latent(latent, "turbo-ltx", "ltx", tiny_pair.teacher)


def test_check_refuses_a_bad_latent_before_decoding_anything(tiny_pair, tmp_path, monkeypatch):
    def no_decode(*args, **kwargs):
        raise AssertionError("decoded before validating")

    monkeypatch.setattr(type(tiny_pair.teacher), "decode", no_decode)
    with pytest.raises(LatentMetadataError, match="has 16 latent channels"):
        check_latents([item(), item(channels=16, sample_id="s1")], tiny_pair, tmp_path)


def test_files_from_elsewhere_need_the_metadata(tmp_path):
    save_file({"latent": torch.zeros(8, 2, 2, 2)}, str(tmp_path / "x.safetensors"), metadata={"teacher": "ltx"})
    with pytest.raises(LatentMetadataError, match=r"metadata lacks format, num_frames, height, width, normalized"):
        read_latent(tmp_path / "x.safetensors")
    meta = item().meta.to_metadata()
    save_file({"z": torch.zeros(8, 2, 2, 2)}, str(tmp_path / "y.safetensors"), metadata=meta)
    with pytest.raises(LatentMetadataError, match=r"no tensor named 'latent' \(found: z\)"):
        read_latent(tmp_path / "y.safetensors")
    save_file({"latent": torch.zeros(2, 8, 8)}, str(tmp_path / "z.safetensors"), metadata=meta)
    with pytest.raises(LatentMetadataError, match=r"latent must be \(C, t, h, w\), got \(2, 8, 8\)"):
        read_latent(tmp_path / "z.safetensors")


def test_folder_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="holds no \\*.safetensors latents; write them with --save-latents"):
        read_latent_folder(tmp_path)
    save_latent(tmp_path / "a", item())
    (tmp_path / "a" / "s0.safetensors").rename(tmp_path / "a" / "copy.safetensors")
    save_latent(tmp_path / "a", item())
    with pytest.raises(LatentMetadataError, match=r"sample ids repeat across files: \['s0'\]"):
        read_latent_folder(tmp_path / "a")


def test_unsafe_sample_ids_cannot_name_files(tmp_path):
    with pytest.raises(ValueError, match="sample id '../x' cannot name a file"):
        save_latent(tmp_path, item(sample_id="../x"))
