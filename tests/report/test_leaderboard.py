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
    assert headers[-6:] == ["student params", "student FPS", "Pareto", "clips", "date", "older runs"]
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
        "demo-run.html",
        "other.html",
        "protocol-b.html",
        "random-run.html",
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


def test_random_weight_and_demo_runs_are_listed_apart_stamped_and_never_ranked(site):
    _, _, _, dom = site
    ranked = dom.find_all("table", class_="sortable leaderboard")[0]
    assert {tr.attrs["data-run"] for tr in ranked.iter("tr") if "data-run" in tr.attrs} == {"ckpt-new", "other"}
    (unranked,) = dom.find_all("table", class_="unranked")
    _, rows = table_rows(unranked)
    reasons = {row[0].text(): row[1].text() for row in rows}
    assert reasons == {"turbo-random": "random weights", "turbo-demo-pair": "demonstration models"}


def test_pareto_front_marks_students_nobody_beats_on_both_quality_and_speed(site):
    _, _, _, dom = site
    ranked = dom.find_all("table", class_="sortable leaderboard")[0]
    headers, rows = table_rows(ranked)
    front = {row[0].find_all("a")[0].text(): row[headers.index("Pareto")].text() for row in rows}
    # same student FPS, higher PSNR: "other" dominates "ckpt-new"
    assert front == {"turbo-<script>alert('alias')</script>": "on the front", "turbo-demo": "\u2014"}


def _entry(fps, psnr, name):
    from evalkit.report.leaderboard import Entry, RunLink
    from evalkit.results.schema import Estimate

    return Entry(None, RunLink(name, "", ""), {"psnr.student": Estimate(psnr)}, None, fps, None)


def test_mark_pareto_front_on_hand_checked_points():
    from evalkit.report.leaderboard import mark_pareto_front

    entries = [
        _entry(10, 30.0, "slow-good"),
        _entry(100, 28.0, "fast"),
        _entry(50, 27.0, "dominated"),
        _entry(100, 28.0, "tie"),
        _entry(None, 40.0, "untimed"),
    ]
    mark_pareto_front(entries)
    assert [e.link.run_id for e in entries if e.pareto] == ["slow-good", "fast", "tie"]


def test_teachers_get_their_own_tables_and_a_preset_brings_its_published_rows(tmp_path):
    results = tmp_path / "runs"
    for name, teacher in (("ltx-run", "ltx"), ("hunyuan-run", "hunyuan")):
        run_dir = build_run(
            results / name,
            pair=f"turbo-{teacher}",
            teacher=teacher,
            student_weights_sha=teacher[0] * 64,
            random_weights=False,
        )
        doc = read_results(run_dir)
        doc["protocol"]["preset"] = {"name": "turbo-vaed-ucf101", "version": 1, "hash": "x", "title": "Table 1"}
        write_results(run_dir, doc)
    dom = parse(build_leaderboard([results], tmp_path / "site").read_text(encoding="utf-8"))
    assert len(dom.find_all("table", class_="sortable leaderboard")) == 2
    published = {table.attrs["id"]: table_rows(table)[1] for table in dom.find_all("table", class_="published")}
    assert len(published) == 2
    labels = sorted(row[0].text() for rows in published.values() for row in rows)
    assert labels == [
        "HunyuanVideo VAE published",
        "LTX-Video VAE published",
        "Turbo-VAED-Hunyuan published",
        "Turbo-VAED-LTX published",
    ]
    ltx = next(rows for key, rows in published.items() if "ltx" in key)
    assert [float(cell.attrs["data-sort"]) for cell in ltx[1][3:7]] == [31.68, 0.9209, 0.0419, 25.01]
    assert any("Table 1" in p.text() and "min-max" in p.text() for p in dom.find_all("p", class_="note"))


def test_a_tiling_comparison_adds_the_seam_score_column(tmp_path):
    results = tmp_path / "runs"
    tiled = build_run(results / "tiled", student_weights_sha="e" * 64, random_weights=False)
    build_run(results / "plain", pair="turbo-plain", student_weights_sha="f" * 64, random_weights=False)
    doc = read_results(tiled)
    estimate = {"ci_low": None, "ci_high": None, "n": 6}
    doc["tiling"] = {
        "scheme": "evalkit overlapped tiles",
        "tile_latent": 16,
        "overlap_latent": 2,
        "layouts": [{"tile_latent": 16, "overlap_latent": 2}],
        "clips_compared": 6,
        "per_clip": [],
        "tiled_vs_untiled_psnr": {"value": 41.7, **estimate},
        "seam_score": {"tiled": {"value": 1.022, **estimate}, "untiled": {"value": 1.019, **estimate}},
    }
    write_results(tiled, doc)
    dom = parse(build_leaderboard([results], tmp_path / "site").read_text(encoding="utf-8"))
    headers, rows = table_rows(dom.find_all("table", class_="sortable leaderboard")[0])
    column = headers.index("tiled seam score (1 = no seam) \u2193")
    seams = {row[0].find_all("a")[0].text(): row[column].attrs["data-sort"] for row in rows}
    assert seams == {"turbo-demo": "1.022", "turbo-plain": ""}
