"""Report and leaderboard from the files of real small `evalkit run`s (tiny random turbo-ltx pairs)."""

import json

import pandas as pd
import pytest

from evalkit.report.leaderboard import build_leaderboard
from evalkit.report.run_report import render_run_report

from .conftest import REAL_CLASSES
from .dom import parse, table_rows


@pytest.fixture(scope="module")
def real_report(real_runs, tmp_path_factory):
    path = render_run_report(real_runs["seed0"], out=tmp_path_factory.mktemp("real-report") / "report.html")
    html = path.read_text(encoding="utf-8")
    return html, parse(html)


def _results(run_dir):
    return json.loads((run_dir / "results.json").read_text())


def test_quality_cells_equal_the_runs_results(real_runs, real_report):
    _, dom = real_report
    results = _results(real_runs["seed0"])
    assert dom.by_id("random-weights-banner") is not None
    rows = {
        tr.attrs["data-metric"]: list(tr.iter("td"))
        for tr in dom.by_id("quality-table").iter("tr")
        if "data-metric" in tr.attrs
    }
    assert list(rows) == ["psnr", "ssim"]
    for name, cells in rows.items():
        metric = results["metrics"][name]
        for index, comparison in ((1, "teacher"), (3, "student"), (5, "student_vs_teacher")):
            assert float(cells[index].attrs["data-sort"]) == metric["values"][comparison]["value"]
            assert float(cells[index + 1].attrs["data-ci-low"]) == metric["values"][comparison]["ci_low"]
        assert float(cells[7].attrs["data-sort"]) == metric["paired"]["retention"]["value"]
        assert float(cells[8].attrs["data-ci-high"]) == metric["paired"]["retention"]["ci_high"]


def test_per_class_and_worst_clips_come_from_the_per_clip_table(real_runs, real_report):
    html, dom = real_report
    table = pd.read_parquet(real_runs["seed0"] / "per_clip.parquet")
    _, class_rows = table_rows(dom.by_id("class-table"))
    assert sorted((row[0].text(), row[1].text()) for row in class_rows) == sorted(
        [(REAL_CLASSES[0], "2"), (REAL_CLASSES[1], "1")]
    )
    _, worst = table_rows(dom.by_id("worst-table"))
    gap = table["psnr.teacher"] - table["psnr.student"]
    assert [row[0].text() for row in worst] == table.loc[gap.sort_values(ascending=False).index, "clip_id"].tolist()
    assert "<script>alert(" not in html
    assert "&lt;script&gt;alert(&#39;class&#39;)" in html


def test_cost_section_follows_the_runs_profile(real_runs, real_report):
    """`evalkit run` may profile the pair (``profile``) or not: the section shows exactly what results.json holds."""
    _, dom = real_report
    profile = _results(real_runs["seed0"]).get("profile")
    if not profile:
        assert "not measured" in dom.by_id("cost-not-measured").text()
        return
    params = next(tr for tr in dom.by_id("cost-table").iter("tr") if tr.attrs.get("data-measure") == "params")
    cells = list(params.iter("td"))
    for cell, role in zip(cells[1:3], ("teacher", "student"), strict=True):
        assert float(cell.attrs["data-sort"]) == profile[role]["params"]


def test_leaderboard_of_real_runs(real_runs, tmp_path):
    index = build_leaderboard(list(real_runs.values()), tmp_path / "site", title="real runs")
    dom = parse(index.read_text(encoding="utf-8"))
    tables = dom.find_all("table", class_="sortable leaderboard")
    assert [t.attrs["data-protocol"] for t in tables] == [_results(real_runs["seed0"])["protocol"]["hash"]]
    assert table_rows(tables[0])[1] == []  # random weights are never ranked ...
    headers, rows = table_rows(dom.find_all("table", class_="unranked")[0])
    assert len(rows) == 2  # ... but listed apart: two random initialisations are two checkpoints
    assert [row[1].text() for row in rows] == ["random weights"] * 2
    shown = sorted(float(row[headers.index("PSNR \u2191")].attrs["data-sort"]) for row in rows)
    expected = sorted(_results(path)["metrics"]["psnr"]["values"]["student"]["value"] for path in real_runs.values())
    assert shown == expected
    for row in rows:
        assert (tmp_path / "site" / row[0].find_all("a")[0].attrs["href"]).is_file()
