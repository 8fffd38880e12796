"""Trivial floors on the run report: grey rows under each metric and the below-floor banner, escaped."""

from __future__ import annotations

import numpy as np
import pytest

from evalkit.report.run_report import render_run_report
from evalkit.results.floors import BELOW_FLOOR, floor_results
from evalkit.results.io import read_per_clip, read_results, write_per_clip, write_results

from .conftest import build_run
from .dom import parse

LABEL = "resample <script>alert('floor')</script>"


def _with_floors(run_dir, resample_psnr: float):
    """Add floor columns (resample at ``resample_psnr`` dB +-0.5, flat at 12 dB) and the floors block to a run."""
    table = read_per_clip(run_dir)
    ok = (table["status"] == "ok").to_numpy()
    offsets = np.linspace(-0.5, 0.5, ok.sum())
    for floor, psnr, ssim in (("resample", resample_psnr, 0.6), ("flat", 12.0, 0.3)):
        table[f"psnr.floor_{floor}"] = np.nan
        table.loc[ok, f"psnr.floor_{floor}"] = psnr + offsets
        table[f"ssim.floor_{floor}"] = np.nan
        table.loc[ok, f"ssim.floor_{floor}"] = ssim
    write_per_clip(run_dir, table)
    settings = {
        "resample": {"params": {"spatial": 8, "temporal": 4}, "label": LABEL},
        "flat": {"params": {}, "label": "flat mean colour"},
    }
    doc = read_results(run_dir)
    doc["floors"] = floor_results(table, settings, ["psnr", "ssim"], resamples=50)
    write_results(run_dir, doc)  # as a run writes it: keys sorted, so "flat" comes first in the file
    html = render_run_report(run_dir).read_text(encoding="utf-8")
    return doc, html, parse(html)


@pytest.fixture(scope="module")
def below(tmp_path_factory):
    """Floor at 40 dB: above both decoders (teacher PSNR 28-34 dB); the student's name carries markup."""
    run_dir = build_run(tmp_path_factory.mktemp("below") / "run", pair="turbo-<b>demo</b>")
    return _with_floors(run_dir, 40.0)


@pytest.fixture(scope="module")
def above(tmp_path_factory):
    """Floor at 20 dB: both decoders clear it by far more than 1 dB."""
    return _with_floors(build_run(tmp_path_factory.mktemp("above") / "run"), 20.0)


def test_floor_rows_sit_grey_under_their_metric_with_the_floor_values(above):
    doc, _, dom = above
    body = list(next(dom.by_id("quality-table").iter("tbody")).iter("tr"))
    order = [(tr.attrs.get("data-metric"), tr.attrs.get("data-floor")) for tr in body]
    assert order[:6] == [
        ("psnr", None),
        (None, "resample"),
        (None, "flat"),
        ("ssim", None),
        (None, "resample"),
        (None, "flat"),
    ]
    for tr in body[1:3] + body[4:6]:
        assert tr.attrs["class"] == "floor"
        floor = doc["floors"][tr.attrs["data-floor"]]["values"][tr.attrs["data-floor-of"]]
        cells = list(tr.iter("td"))
        assert float(cells[1].attrs["data-sort"]) == floor["value"]  # under teacher vs GT
        assert float(cells[2].attrs["data-ci-low"]) == floor["ci_low"]
        assert float(cells[3].attrs["data-sort"]) == floor["value"]  # under student vs GT
        assert [cell.text() for cell in cells[5:]] == ["", "", "", ""]  # student vs teacher, retention: empty
    assert dom.find_all("div", class_="banner below-floor") == []


def test_below_floor_banners_name_each_decoder_escaped(below):
    _, html, dom = below
    banners = [" ".join(div.text().split()) for div in dom.find_all("div", class_="banner below-floor")]
    assert len(banners) == 2
    assert banners[0].startswith(f"teacher demo {BELOW_FLOOR} (PSNR ")
    assert banners[1].startswith(f"student turbo-<b>demo</b> {BELOW_FLOOR} (PSNR ")
    assert f"the {LABEL} floor scores 40.00 dB" in banners[0]
    assert "turbo-&lt;b&gt;demo&lt;/b&gt;" in html
    assert "<script>alert('floor')" not in html
    assert "floor: resample &lt;script&gt;" in html
