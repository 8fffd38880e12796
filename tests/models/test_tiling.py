"""Tiled decoding: exact on a pixel-local decoder, equal to diffusers' own tiled decode, close to a whole decode."""

from __future__ import annotations

import pytest
import torch
from diffusers import AutoencoderKLLTXVideo

from evalkit.models.registry import DECODERS, build_student
from evalkit.models.tiling import blend_into, decode_in_tiles
from tests.tiny_ltx_pair import TINY_STUDENT, TINY_TEACHER


def _local_decode(z: torch.Tensor) -> torch.Tensor:
    """A decoder whose every output pixel depends on one latent pixel: tiling cannot change it."""
    return torch.tanh(z[:, :3]).repeat_interleave(4, dim=-1).repeat_interleave(4, dim=-2)


@pytest.mark.parametrize(("height", "width", "tile", "overlap"), [(7, 10, 4, 1), (12, 12, 8, 2), (5, 3, 4, 0)])
def test_pixel_local_decoder_is_unchanged_by_tiling(height, width, tile, overlap):
    z = torch.randn(2, 4, 3, height, width, generator=torch.Generator().manual_seed(0))
    tiled = decode_in_tiles(_local_decode, z, 4, tile, overlap)
    assert tiled.shape == (2, 3, 3, 4 * height, 4 * width)
    torch.testing.assert_close(tiled, _local_decode(z), atol=1e-6, rtol=0)


def test_matches_diffusers_tiled_decode_of_the_same_decoder():
    torch.manual_seed(0)
    vae = AutoencoderKLLTXVideo(**TINY_TEACHER).eval()
    ratio = vae.spatial_compression_ratio
    vae.tile_sample_min_height = vae.tile_sample_min_width = 8 * ratio
    vae.tile_sample_stride_height = vae.tile_sample_stride_width = 6 * ratio
    z = torch.randn(1, 8, 2, 12, 12, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        expected = vae.tiled_decode(z, temb=None, return_dict=False)[0]
        ours = decode_in_tiles(lambda tile: vae.decoder(tile, None), z, ratio, tile_latent=8, overlap_latent=2)
        whole = vae.decoder(z, None)
    torch.testing.assert_close(ours, expected, atol=1e-6, rtol=0)
    assert (ours - whole).abs().max() > 1e-4  # the seams do differ from a whole decode


def test_student_tiles_improve_with_overlap_and_one_tile_is_the_whole_decode():
    student, _ = build_student(DECODERS.get("turbo-ltx"), init="random", config=TINY_STUDENT, seed=3)
    z = torch.randn(1, 8, 2, 12, 16, generator=torch.Generator().manual_seed(2))
    whole = student.decode(z)
    errors = []
    for tile, overlap in ((8, 2), (8, 4), (12, 4)):
        tiled = decode_in_tiles(student.decode, z, 32, tile_latent=tile, overlap_latent=overlap)
        assert tiled.shape == whole.shape
        errors.append(float((tiled - whole).pow(2).mean()))
    assert errors[0] > errors[1] > errors[2] > 0
    one_tile = decode_in_tiles(student.decode, z, 32, tile_latent=16, overlap_latent=4)
    torch.testing.assert_close(one_tile, whole, atol=0, rtol=0)


def test_blend_fades_linearly_and_bad_overlap_is_refused():
    previous, tile = torch.zeros(1, 6), torch.ones(1, 6)
    assert blend_into(previous, tile, 4, dim=-1).tolist() == [[0.0, 0.25, 0.5, 0.75, 1.0, 1.0]]
    assert tile.tolist() == [[1.0] * 6]  # the input tile is not modified
    with pytest.raises(ValueError, match=r"tile overlap must be in \[0, tile size\); got tile 4, overlap 4"):
        decode_in_tiles(_local_decode, torch.zeros(1, 4, 1, 8, 8), 4, 4, 4)
