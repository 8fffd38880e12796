"""What an FVD rests on reaches the run report and the leaderboard: protocol, frames, N, comparability, FVD∞."""

from evalkit.report.leaderboard import build_leaderboard
from evalkit.report.run_report import render_run_report
from evalkit.results.io import read_results, write_results

from .conftest import build_run
from .dom import parse, table_rows

TRUST = "unverified detector (sha256 pinned on first use)"


def _fvd_run(run_dir, n_clips: int, *, seed: int):
    """A hand-built run whose FVD entry is what `evalkit run` writes for ``n_clips`` clips per set."""
    build_run(run_dir, seed=seed, random_weights=False, student_weights_sha=f"{seed:064d}")
    doc = read_results(run_dir)
    fvd = doc["metrics"]["fvd"]
    fvd["label"] = "FVD"
    fvd["variant"] = {
        "name": "stylegan-v",
        "title": "StyleGAN-V",
        "frames_per_clip": 17,
        "n_clips": n_clips,
        "frames": 17,
        "min_clips": 800,
        "comparable": n_clips >= 800,
        "detector_trust": TRUST,
    }
    if n_clips >= 800:
        fit = {"available": True, "value": 41.2, "slope": 9000.0, "fit_residual": 0.31}
        fit |= {"subset_sizes": [400, 2048], "subset_values": [63.7, 45.6]}
    else:
        fit = {"available": False, "reason": f"FVD∞ needs at least 800 clips per set; this set has {n_clips}"}
    fvd["extrapolated"] = {"label": "FVD∞", "method": "fit", "values": {"teacher": fit, "student": fit}}
    write_results(run_dir, doc)
    render_run_report(run_dir)
    return parse((run_dir / "report.html").read_text(encoding="utf-8"))


def _facts(dom) -> list[tuple[str, str]]:
    variants = dom.by_id("metric-variants")
    return [(dt.text(), dd.text()) for dt, dd in zip(variants.iter("dt"), variants.iter("dd"), strict=True)]


def test_report_labels_fvd_with_its_sample_and_marks_a_small_one_not_comparable(tmp_path):
    dom = _fvd_run(tmp_path / "small", 6, seed=1)
    row = next(tr for tr in dom.by_id("quality-table").iter("tr") if tr.attrs.get("data-metric") == "fvd")
    label = next(row.iter("td"))
    assert label.find_all("strong")[0].text() == "FVD StyleGAN-V, 17 f, N=6"
    assert label.find_all("span", class_="badge not-comparable")[0].text() == "not comparable"
    facts = _facts(dom)
    assert (
        "FVD sample size",
        "not comparable: N=6 clips per set is below the minimum of 800 (FVD's small-N bias)",
    ) in facts
    assert ("extrapolated", "FVD∞: unavailable (FVD∞ needs at least 800 clips per set; this set has 6)") in facts
    assert TRUST in dict(facts)["FVD variant"]


def test_report_gives_fvd_infinity_with_its_fit_residual_and_subsets(tmp_path):
    facts = _facts(_fvd_run(tmp_path / "large", 2048, seed=2))
    assert ("extrapolated", "FVD∞ teacher vs GT: 41.20 (fit residual 0.31; subsets of 400-2048 clips)") in facts
    assert ("extrapolated", "FVD∞ student vs GT: 41.20 (fit residual 0.31; subsets of 400-2048 clips)") in facts
    assert "FVD sample size" not in dict(facts)


def test_leaderboard_cells_say_n_and_mark_small_sets_not_comparable(tmp_path):
    _fvd_run(tmp_path / "runs" / "small", 6, seed=1)
    _fvd_run(tmp_path / "runs" / "large", 2048, seed=2)
    dom = parse(build_leaderboard([tmp_path / "runs"], tmp_path / "site").read_text(encoding="utf-8"))
    headers, rows = table_rows(dom.find_all("table", class_="sortable leaderboard")[0])
    column = headers.index("FVD \u2193")
    cells = {row[0].find_all("a")[0].attrs["href"]: row[column] for row in rows}
    small, large = cells["runs/small.html"], cells["runs/large.html"]
    assert small.find_all("span", class_="note")[0].text() == "StyleGAN-V, 17 f, N=6, not comparable"
    assert "not-comparable" in small.attrs["class"]
    assert large.find_all("span", class_="note")[0].text() == "StyleGAN-V, 17 f, N=2048"
    assert "not-comparable" not in large.attrs["class"]
