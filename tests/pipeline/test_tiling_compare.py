"""`--tiling compare`: tiles that disagree show a seam, an exactly tileable decoder does not; the run section."""

from __future__ import annotations

import html
import math

import pytest
import torch

from evalkit.metrics.psnr import PSNR_CAP_DB
from evalkit.models.quantize import to_uint8_clips
from evalkit.pipeline import run
from evalkit.pipeline.tiling_compare import compare_clip, tile_layout, tiling_section
from evalkit.results.io import read_results
from evalkit.results.schema import ResultsSchemaError, validate_results


def pixel_local(z: torch.Tensor) -> torch.Tensor:
    """Each output pixel from its own latent only (spatial compression 1), within +-6 levels: tiles agree exactly."""
    return 0.05 * torch.tanh(z[:, :3])


class DisagreeingTiles:
    """``pixel_local`` plus +0.25 on odd calls and -0.25 on even ones: neighbouring tiles (raster order on a 3x3
    grid) are 64 levels apart."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, z: torch.Tensor) -> torch.Tensor:
        self.calls += 1
        return pixel_local(z) + (0.25 if self.calls % 2 else -0.25)


def random_latent() -> torch.Tensor:
    return torch.randn(4, 2, 64, 64, generator=torch.Generator().manual_seed(0))


def test_layout_halves_the_longer_side_and_overlaps_an_eighth():
    assert tile_layout(64, 64) == (32, 4)
    assert tile_layout(8, 12) == (6, 0)
    assert tile_layout(2, 2) == (1, 0)
    assert tile_layout(1, 1) is None


def test_exactly_tileable_decoder_has_no_seam():
    latent = random_latent()
    untiled = to_uint8_clips(pixel_local(latent[None]))[0]
    result = compare_clip(pixel_local, latent, untiled, spatial_compression=1)
    assert (result["tile_latent"], result["overlap_latent"], result["stride_px"]) == (32, 4, 28)
    assert result["tiled_vs_untiled_psnr"] == PSNR_CAP_DB  # identical uint8 frames
    assert result["seam_tiled"] == result["seam_untiled"]
    # i.i.d. pixels: 7680 band pairs, |difference| has a coefficient of variation ~0.7, so 1 +- 0.01 (1 sigma)
    assert result["seam_tiled"] == pytest.approx(1.0, abs=0.05)


def test_disagreeing_tiles_score_a_seam():
    latent = random_latent()
    untiled = to_uint8_clips(pixel_local(latent[None]))[0]
    decode = DisagreeingTiles()
    result = compare_clip(decode, latent, untiled, spatial_compression=1)
    assert decode.calls == 9  # origins 0, 28, 56 on each side
    assert result["seam_untiled"] == pytest.approx(1.0, abs=0.05)
    # a 64-level step spread over the 4-pixel blend (16 a pixel) against noise of ~4 levels a neighbour pair
    assert result["seam_tiled"] > 2.0
    assert result["tiled_vs_untiled_psnr"] < 25.0  # about 32 levels off everywhere: ~18 dB


def test_latent_too_small_to_split_is_unavailable():
    latent = torch.zeros(4, 2, 1, 1)
    untiled = to_uint8_clips(pixel_local(latent[None]))[0]
    result = compare_clip(pixel_local, latent, untiled, spatial_compression=1)
    assert result == {"status": "unavailable", "reason": "latent 1x1 is too small to split into tiles"}


def test_section_estimates_over_the_compared_clips():
    records = [
        {
            "clip_id": "a",
            "tiling": {
                "status": "ok",
                "tile_latent": 4,
                "overlap_latent": 0,
                "stride_px": 32,
                "tiled_vs_untiled_psnr": 30.0,
                "seam_tiled": 2.0,
                "seam_untiled": 1.0,
            },
        },
        {
            "clip_id": "b",
            "tiling": {
                "status": "ok",
                "tile_latent": 4,
                "overlap_latent": 0,
                "stride_px": 32,
                "tiled_vs_untiled_psnr": 40.0,
                "seam_tiled": math.inf,
                "seam_untiled": 1.2,
            },
        },
        {"clip_id": "c", "tiling": {"status": "unavailable", "reason": "latent 1x1 is too small to split into tiles"}},
        {"clip_id": "d"},
    ]
    section = tiling_section(records, seed=0, resamples=200)
    assert (section["tile_latent"], section["overlap_latent"], section["clips_compared"]) == (4, 0, 2)
    assert section["tiled_vs_untiled_psnr"]["value"] == 35.0
    assert (section["seam_score"]["tiled"]["value"], section["seam_score"]["tiled"]["n"]) == (2.0, 1)  # inf dropped
    assert section["seam_score"]["untiled"]["value"] == pytest.approx(1.1)
    assert [clip["clip_id"] for clip in section["per_clip"]] == ["a", "b", "c"]
    assert tiling_section([{"clip_id": "a"}], seed=0, resamples=200) is None


def test_run_with_tiling_compare_writes_the_section_and_the_report_shows_it(tiny_config):
    # 64 px through LTX's 32x compression: a 2x2 latent, tiles of 1 latent without overlap (joins at 32 px)
    result = run(tiny_config(tiling="compare", resolution=64, metrics=("psnr",)))
    doc = read_results(result.run_dir)
    section = doc["tiling"]
    assert (section["tile_latent"], section["overlap_latent"], section["clips_compared"]) == (1, 0, 2)
    assert [clip["stride_px"] for clip in section["per_clip"]] == [32, 32]
    assert section["seam_score"]["tiled"]["n"] == 2
    # 1-latent tiles cut every receptive field: the tiny random student's tiles disagree
    assert section["tiled_vs_untiled_psnr"]["value"] < PSNR_CAP_DB
    line = next(line for line in result.summary().splitlines() if line.startswith("tiling ("))
    assert "tiles of 1 latents overlapping 0, 2 clips" in line
    page = (result.run_dir / "report.html").read_text()
    assert 'id="tiling"' in page
    assert html.escape(line, quote=False) in page
    del section["seam_score"]["untiled"]
    with pytest.raises(ResultsSchemaError, match="tiling.seam_score.untiled must be an object"):
        validate_results(doc)


def test_tiling_off_keeps_the_run_id_and_leaves_the_section_out(tiny_config):
    config = tiny_config()
    assert config.run_id == tiny_config(tiling="off").run_id
    assert config.identity_hash() != tiny_config(tiling="compare").identity_hash()


@pytest.mark.browser
def test_the_tiling_section_loads_in_a_browser_without_errors(tiny_config):
    from tests.report.browser import find_chromium, self_test

    chromium = find_chromium()
    if chromium is None:
        pytest.skip("no headless Chromium on PATH (Debian: apt-get install -y --no-install-recommends chromium)")
    result = run(tiny_config(tiling="compare", resolution=64, metrics=("psnr",)))
    report, console = self_test(chromium, result.run_dir / "report.html", "table.none", 0, 1280, 900)
    assert "Tiled decoding" in (result.run_dir / "report.html").read_text()
    assert report["errors"] == []
    assert console == []
    assert all(image["loaded"] for image in report["images"])
