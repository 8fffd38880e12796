import json

import pytest

from evalkit.report.leaderboard import build_leaderboard, checkpoint_key, find_runs
from evalkit.results.io import read_results, write_results

from .conftest import build_generation_run, build_run
from .dom import parse, table_rows


def _psnr(run_dir):
    return json.loads((run_dir / "results.json").read_text())["metrics"]["psnr"]["values"]["student"]["value"]


def test_one_table_per_protocol(site):
    _, _, _, dom = site
    tables = dom.find_all("table", class_="sortable leaderboard")
    assert [t.attrs["data-protocol"] for t in tables] == ["abcdef123456", "ffffff000000"]
    assert [len(table_rows(t)[1]) for t in tables] == [2, 1]  # the repeated checkpoint is one row


def test_latest_run_wins_and_older_runs_are_linked(site):
    results, out, _, dom = site
    table = dom.find_all("table", class_="sortable leaderboard")[0]
    rows = {tr.attrs["data-run"]: tr for tr in table.iter("tr") if "data-run" in tr.attrs}
    assert set(rows) == {"ckpt-new", "other"}
    older = rows["ckpt-new"].find_all("a", class_="older")
    assert [a.attrs["href"] for a in older] == ["runs/ckpt-old.html"]
    assert (out / "runs" / "ckpt-old.html").is_file()
    psnr_cell = next(td for td in rows["ckpt-new"].iter("td") if td.attrs.get("data-sort"))
    assert float(psnr_cell.attrs["data-sort"]) == _psnr(results / "ckpt-new")


def test_rows_rank_by_student_psnr_and_link_their_reports(site):
    results, out, _, dom = site
    table = dom.find_all("table", class_="sortable leaderboard")[0]
    headers, rows = table_rows(table)
    assert headers[:3] == ["decoder", "PSNR \u2191", "SSIM \u2191"]
    assert headers[-5:] == ["student params", "student FPS", "clips", "date", "older runs"]
    values = [float(row[1].attrs["data-sort"]) for row in rows]
    assert values == sorted(values, reverse=True)
    assert values == sorted([_psnr(results / "nested" / "other"), _psnr(results / "ckpt-new")], reverse=True)
    for row in rows:
        href = row[0].find_all("a")[0].attrs["href"]
        page = (out / href).read_text(encoding="utf-8")
        assert 'href="../index.html"' in page
    assert rows[0][headers.index("student params")].text() == "500.00 k"
    assert rows[0][headers.index("student FPS")].text() == "180.0"


def test_run_without_profile_shows_a_dash_for_cost(site):
    _, _, _, dom = site
    table = dom.find_all("table", class_="sortable leaderboard")[1]
    headers, rows = table_rows(table)
    assert rows[0][headers.index("student FPS")].text() == "\u2014"


def test_everything_from_data_is_escaped(site):
    _, out, html, dom = site
    assert "<script>alert(" not in html
    assert "<b>1</b>" not in html
    assert dom.find_all("h1")[0].text() == "Board <b>1</b>"
    assert "turbo-&lt;script&gt;alert(&#39;alias&#39;)&lt;/script&gt;" in html
    assert len(dom.find_all("script")) == 1
    for page in (out / "runs").glob("*.html"):
        assert "<script>alert(" not in page.read_text(encoding="utf-8")


def test_site_is_ready_for_github_pages(site):
    _, out, _, _ = site
    assert (out / ".nojekyll").is_file()
    assert sorted(p.name for p in (out / "runs").iterdir()) == [
        "ckpt-new.html",
        "ckpt-old.html",
        "other.html",
        "protocol-b.html",
    ]


def test_checkpoint_key_prefers_weights_hash():
    decoders = {"pair": "p", "init": "pretrained", "student": {"weights": {"sha256": "w"}, "state_sha256": "s"}}
    assert checkpoint_key({"decoders": decoders}) == ("p", "pretrained", "w")
    decoders["student"]["weights"] = None
    assert checkpoint_key({"decoders": decoders}) == ("p", "pretrained", "s")


def test_find_runs_explains_empty_and_missing_folders(tmp_path):
    with pytest.raises(FileNotFoundError, match="no results.json in it or below it; is this a run folder"):
        find_runs([tmp_path])
    with pytest.raises(FileNotFoundError, match="no such folder; pass run folders written by `evalkit run`"):
        find_runs([tmp_path / "absent"])


def test_score_results_are_left_out_and_generation_checks_get_pages(tmp_path):
    build_run(tmp_path / "runs" / "run-a")
    build_generation_run(tmp_path / "runs" / "gen-a")
    scored = build_run(tmp_path / "runs" / "scored")
    doc = read_results(scored)
    doc["decoders"] = {"pair": None, "reconstruction": "/rec", "teacher": None, "student": None}
    write_results(scored, doc)
    index = build_leaderboard([tmp_path / "runs"], tmp_path / "site")
    dom = parse(index.read_text(encoding="utf-8"))
    assert "2 runs" in dom.find_all("p", class_="lead")[0].text()
    assert sorted(p.name for p in (tmp_path / "site" / "runs").iterdir()) == ["gen-a.html", "run-a.html"]
