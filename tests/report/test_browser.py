"""The report and the leaderboard in a real browser: headless Chromium opens them from disk, checks for
script/console/CSP errors, that the main table is visible, that sorting reorders rows, and screenshots
them at desktop and phone widths. Skipped, with the reason, where no Chromium is installed."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from evalkit.report.leaderboard import build_leaderboard
from evalkit.report.run_report import render_run_report

from .browser import find_chromium, screenshot, self_test
from .conftest import build_run
from .dom import parse

CHROMIUM = find_chromium()
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        CHROMIUM is None,
        reason="no headless Chromium on PATH (Debian: apt-get install -y --no-install-recommends chromium; "
        ".ci/run installs it)",
    ),
]
DESKTOP = (1280, 900)
PHONE = (390, 844)


@pytest.fixture(scope="module")
def report_page(real_runs, tmp_path_factory):
    """The report of a real small run."""
    return render_run_report(real_runs["seed0"], out=tmp_path_factory.mktemp("browser") / "report.html")


@pytest.fixture(scope="module")
def leaderboard_page(real_runs, tmp_path_factory):
    """The leaderboard of two real small runs."""
    return build_leaderboard(list(real_runs.values()), tmp_path_factory.mktemp("browser-site"))


def _numbers(keys):
    return [float(key["sort"]) for key in keys if key["sort"]]


def _metric_rows(keys):
    return [key for key in keys if not key["id"].startswith("floor ")]


@pytest.mark.parametrize("size", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_report_table_is_visible_and_sorts(report_page, size):
    result, console = self_test(CHROMIUM, report_page, "#quality-table", 3, *size)
    assert result["errors"] == []
    assert console == []
    table = result["table"]
    assert table["visible"]
    assert table["header"] == "student vs GT"
    psnr, ssim = (["psnr", "floor resample", "floor flat"], ["ssim", "floor resample", "floor flat"])
    assert [key["id"] for key in table["before"]] == psnr + ssim
    assert table["first_sort"] == "ascending"
    assert [key["id"] for key in table["first_click"]] == ssim + psnr  # SSIM < 1 < PSNR in dB; floors stay below
    assert _numbers(_metric_rows(table["first_click"])) == sorted(_numbers(_metric_rows(table["before"])))
    assert table["second_sort"] == "descending"
    assert [key["id"] for key in table["second_click"]] == psnr + ssim


def test_per_frame_chart_and_table_show_without_errors(report_page):
    result, console = self_test(CHROMIUM, report_page, "#per-frame-table", 2, *DESKTOP)
    assert result["errors"] == []
    assert console == []
    table = result["table"]
    assert table["visible"]
    assert table["header"] == "worst frame index"
    indices = _numbers(table["before"])
    assert len(indices) == 6  # PSNR and SSIM: teacher, student and the gap
    assert all(0 <= index < 9 for index in indices)  # 9-frame clips
    assert _numbers(table["first_click"]) == sorted(indices)
    assert 'id="per-frame-chart"><img src="data:image/svg+xml;base64,' in report_page.read_text()


def test_leaderboard_table_is_visible_and_sorts(leaderboard_page):
    result, console = self_test(CHROMIUM, leaderboard_page, "table.leaderboard", 1, *DESKTOP)
    assert result["errors"] == []
    assert console == []
    table = result["table"]
    assert table["visible"]
    assert table["header"] == "PSNR \u2191"
    ranked = _numbers(table["before"])
    assert ranked == sorted(ranked, reverse=True)  # served best first
    assert _numbers(table["first_click"]) == sorted(ranked)
    assert [key["id"] for key in table["first_click"]] == [key["id"] for key in reversed(table["before"])]


@pytest.fixture(scope="module")
def ranked_site(tmp_path_factory):
    """Three trained students of one teacher (one fast, one best, one dominated) and a random-weights run."""
    runs = tmp_path_factory.mktemp("ranked-runs")
    students = (("fast", 0.0, 0.02), ("best", 3.0, 0.1), ("dominated", -2.0, 0.1))
    for index, (name, shift, median_s) in enumerate(students):
        build_run(
            runs / name,
            pair=f"turbo-{name}",
            student_weights_sha=str(index) * 64,
            random_weights=False,
            psnr_shift=shift,
            student_median_s=median_s,
            seed=index,
        )
    build_run(runs / "random", pair="turbo-random", seed=9)
    return build_leaderboard([runs], tmp_path_factory.mktemp("ranked-site"))


def test_leaderboard_ranks_students_and_draws_their_pareto_chart(ranked_site):
    result, console = self_test(CHROMIUM, ranked_site, "table.leaderboard", 1, *DESKTOP)
    assert result["errors"] == []
    assert console == []
    assert result["table"]["visible"]
    assert {key["id"] for key in result["table"]["before"]} == {"fast", "best", "dominated"}
    charts = [image for image in result["images"] if image["alt"].startswith("student quality against speed")]
    assert len(charts) == 1
    assert charts[0]["loaded"]
    dom = parse(ranked_site.read_text(encoding="utf-8"))
    front = {tr.attrs["data-run"] for tr in dom.find_all("tr", class_="pareto")}
    assert front == {"fast", "best"}


def test_images_and_charts_load_without_policy_errors(built_run, tmp_path):
    """The hand-built run has every section (profile, chart, frame panels, GIF previews)."""
    page = render_run_report(built_run, out=tmp_path / "report.html")
    result, console = self_test(CHROMIUM, page, "#class-table", 2, *DESKTOP)
    assert result["errors"] == []
    assert console == []
    table = result["table"]
    assert _numbers(table["first_click"]) == sorted(_numbers(table["before"]))
    assert _numbers(table["second_click"]) == sorted(_numbers(table["before"]), reverse=True)


def test_screenshots_at_desktop_and_phone_widths(report_page, leaderboard_page, tmp_path):
    for name, page in (("report", report_page), ("leaderboard", leaderboard_page)):
        for label, (width, height) in (("desktop", DESKTOP), ("phone", PHONE)):
            image = Image.open(screenshot(CHROMIUM, page, tmp_path / f"{name}-{label}.png", width, height))
            assert image.size == (width, height)
            assert np.asarray(image.convert("L")).std() > 10  # a rendered page, not a blank frame
