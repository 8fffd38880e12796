"""Spatially tiled decoding for a decoder that does not fit in memory on a whole clip.

The scheme is the one diffusers' video VAEs (and the Turbo-VAED release) use: overlapping latent tiles are
decoded one by one, each tile is blended linearly into its upper and left neighbours over the overlap, and
the tiles are cut to the stride and joined. All frames go into every tile, so temporal behaviour is
unchanged; near tile seams the output differs a little from a whole-clip decode (the receptive field is cut),
which is why a run records every clip it had to decode this way.
"""

from __future__ import annotations

from collections.abc import Callable

import torch


def blend_into(previous: torch.Tensor, tile: torch.Tensor, extent: int, dim: int) -> torch.Tensor:
    """``tile`` with its first ``extent`` positions along ``dim`` faded in from the end of ``previous``."""
    extent = min(extent, previous.shape[dim], tile.shape[dim])
    if extent <= 0:
        return tile
    shape = [1] * tile.ndim
    shape[dim] = extent
    weight = (torch.arange(extent, device=tile.device, dtype=tile.dtype) / extent).reshape(shape)
    head = tile.narrow(dim, 0, extent)
    tail = previous.narrow(dim, previous.shape[dim] - extent, extent)
    blended = tile.clone()
    blended.narrow(dim, 0, extent).copy_(tail * (1 - weight) + head * weight)
    return blended


def tile_origins(size_latent: int, tile_latent: int, overlap_latent: int) -> list[int]:
    """Latent positions where the tiles along one side of ``size_latent`` start (the first is 0)."""
    return list(range(0, max(size_latent - overlap_latent, 1), tile_latent - overlap_latent))


def decode_in_tiles(
    decode: Callable[[torch.Tensor], torch.Tensor],
    z: torch.Tensor,
    spatial_compression: int,
    tile_latent: int,
    overlap_latent: int,
) -> torch.Tensor:
    """Decode latents ``(B, C, t, h, w)`` in spatial tiles of ``tile_latent`` latent pixels overlapping by
    ``overlap_latent``; returns what ``decode(z)`` returns, ``(B, 3, T, h·s, w·s)``."""
    if not 0 <= overlap_latent < tile_latent:
        raise ValueError(f"tile overlap must be in [0, tile size); got tile {tile_latent}, overlap {overlap_latent}")
    height, width = z.shape[-2:]
    stride = tile_latent - overlap_latent
    stride_px, blend_px = stride * spatial_compression, overlap_latent * spatial_compression
    rows = [
        [
            decode(z[..., top : top + tile_latent, left : left + tile_latent])
            for left in tile_origins(width, tile_latent, overlap_latent)
        ]
        for top in tile_origins(height, tile_latent, overlap_latent)
    ]
    joined_rows = []
    for i, row in enumerate(rows):
        pieces = []
        for j, tile in enumerate(row):
            if i > 0:
                tile = blend_into(rows[i - 1][j], tile, blend_px, dim=-2)
            if j > 0:
                tile = blend_into(row[j - 1], tile, blend_px, dim=-1)
            row[j] = tile  # later neighbours blend with the blended tile, as diffusers' in-place blend does
            last_row, last_column = i == len(rows) - 1, j == len(row) - 1  # the last tiles are kept whole
            pieces.append(tile[..., : None if last_row else stride_px, : None if last_column else stride_px])
        joined_rows.append(torch.cat(pieces, dim=-1))
    return torch.cat(joined_rows, dim=-2)[..., : height * spatial_compression, : width * spatial_compression]
