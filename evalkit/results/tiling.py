"""The ``tiling`` section (``--tiling compare``) in words, for the terminal summary and the report."""

from __future__ import annotations

from typing import Any

from evalkit.results.schema import Estimate

SEAM_NOTE = (
    "seam score: mean |neighbour pixel difference| across the tile joins (over the blend) / mean on all other "
    "neighbour pairs; 1.0 = no seam, the untiled decode at the same joins is the frame's own baseline"
)


def tiling_rows(section: dict[str, Any]) -> list[tuple[str, Estimate]]:
    """(label, estimate) of the tiled-vs-untiled PSNR and both seam scores."""
    return [
        ("tiled vs untiled PSNR (dB, 100 = identical)", Estimate.from_dict(section["tiled_vs_untiled_psnr"])),
        ("seam score, tiled", Estimate.from_dict(section["seam_score"]["tiled"])),
        ("seam score, untiled (baseline)", Estimate.from_dict(section["seam_score"]["untiled"])),
    ]


def tiling_layout(section: dict[str, Any]) -> str:
    """``tiles of T latents overlapping O`` (or every layout, ``T/O``, when the clips differ)."""
    if not section["layouts"]:
        return "no clip large enough to split into tiles"
    if section["tile_latent"] is None:
        return "tiles of " + ", ".join(f"{lay['tile_latent']}/{lay['overlap_latent']}" for lay in section["layouts"])
    return f"tiles of {section['tile_latent']} latents overlapping {section['overlap_latent']}"
