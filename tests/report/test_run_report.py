import json
import math

import pandas as pd
import pytest

from evalkit.report.run_report import MAX_REPORT_BYTES, render_run_report
from evalkit.results.schema import ResultsSchemaError

from .conftest import CLASS_NAMES, build_run
from .dom import parse, table_rows


def _facts(dom):
    dl = dom.find_all("dl")[0]
    return {dt.text(): " ".join(dd.text().split()) for dt, dd in zip(dl.iter("dt"), dl.iter("dd"), strict=True)}


def _render(run_dir, **kwargs):
    path = render_run_report(run_dir, **kwargs)
    html = path.read_text(encoding="utf-8")
    return path, html, parse(html)


@pytest.fixture(scope="module")
def rendered(built_run):
    return _render(built_run)


def test_report_is_written_into_the_run_folder(built_run, rendered):
    path, html, _ = rendered
    assert path == built_run / "report.html"
    assert html.startswith("<!doctype html>")
    assert len(html.encode()) < MAX_REPORT_BYTES


def test_quality_table_equals_results_json(built_run, rendered):
    _, _, dom = rendered
    results = json.loads((built_run / "results.json").read_text())
    headers, rows = table_rows(dom.by_id("quality-table"))
    assert headers == [
        "metric",
        "teacher vs GT",
        "95% CI",
        "student vs GT",
        "95% CI",
        "student vs teacher",
        "95% CI",
        "retention",
        "95% CI",
    ]
    by_metric = {
        tr.attrs["data-metric"]: list(tr.iter("td"))
        for tr in dom.by_id("quality-table").iter("tr")
        if "data-metric" in tr.attrs
    }
    assert list(by_metric) == ["psnr", "ssim", "lpips", "fvd"]
    psnr = results["metrics"]["psnr"]
    cells = by_metric["psnr"]
    for index, comparison in ((1, "teacher"), (3, "student"), (5, "student_vs_teacher")):
        estimate = psnr["values"][comparison]
        assert float(cells[index].attrs["data-sort"]) == estimate["value"]
        assert cells[index].text() == f"{estimate['value']:.2f}"
        assert float(cells[index + 1].attrs["data-ci-low"]) == estimate["ci_low"]
        assert float(cells[index + 1].attrs["data-ci-high"]) == estimate["ci_high"]
    assert float(cells[7].attrs["data-sort"]) == psnr["paired"]["retention"]["value"]
    assert by_metric["ssim"][3].text() == f"{results['metrics']['ssim']['values']['student']['value']:.4f}"
    # FVD is pooled: values without CIs, no student-vs-teacher score in this run (a dash, not a zero)
    fvd = by_metric["fvd"]
    assert [cell.text() for cell in fvd[1:7]] == ["120.50", "\u2014", "150.25", "\u2014", "\u2014", "\u2014"]
    assert fvd[0].text().startswith("rFVD")
    variants = dom.by_id("metric-variants")
    labelled = {dt.text(): dd.text() for dt, dd in zip(variants.iter("dt"), variants.iter("dd"), strict=True)}
    assert labelled["rFVD variant"] == "detector=i3d, resize=224"
    assert labelled["PSNR variant"] == "aggregation=mean of per-frame PSNR, data_range=255"
    # an unavailable metric says why and how to fetch what it needs
    lpips = " ".join(by_metric["lpips"][1].text().split())
    assert lpips == "not available: LPIPS alex weights are missing (get it with evalkit weights fetch lpips-alex)"


def test_random_weights_banner_appears_only_for_random_runs(tmp_path):
    _, _, random_dom = _render(build_run(tmp_path / "random", random_weights=True))
    _, _, trained_dom = _render(build_run(tmp_path / "trained", random_weights=False, student_weights_sha="a" * 64))
    assert "RANDOM WEIGHTS" in random_dom.by_id("random-weights-banner").text()
    assert trained_dom.by_id("random-weights-banner") is None
    assert _facts(trained_dom)["student weights"] == f"turbo-demo: sha256 {'a' * 64} (explicit)"
    assert _facts(random_dom)["student weights"] == f"turbo-demo: random init (state sha256 {'s' * 64})"


def test_header_names_protocol_clips_and_provenance(rendered):
    _, _, dom = rendered
    facts = _facts(dom)
    assert facts["protocol hash"] == "abcdef123456"
    settings = dom.by_id("protocol-settings")
    assert {dt.text(): dd.text() for dt, dd in zip(settings.iter("dt"), settings.iter("dd"), strict=True)} == {
        "frames": "9",
        "resolution": "32",
    }
    assert facts["clips"] == "6 evaluated of 7; 1 skipped or failed"
    assert facts["evalkit"] == "0.1.0, commit 0123456789abcdef"
    assert facts["device"] == "cpu (test cpu), float32, batch 1, 1 process(es)"
    assert facts["date"] == "2026-01-02T03:04:05+00:00"
    assert facts["decoder pair"] == "turbo-demo: teacher demo, student turbo-demo"
    assert facts["dataset"] == "folder (split test)"
    _, skipped = table_rows(dom.by_id("skipped-table"))
    assert [cell.text() for cell in skipped[0]] == ["broken/clip.mp4", "load", "cannot decode <b>header</b>"]


def test_cost_table_reads_the_profile_and_says_not_measured_without_one(tmp_path):
    _, _, dom = _render(build_run(tmp_path / "profiled"))
    rows = {
        tr.attrs["data-measure"]: [td.text() for td in tr.iter("td")]
        for tr in dom.by_id("cost-table").iter("tr")
        if "data-measure" in tr.attrs
    }
    assert rows["params"] == ["decoder parameters", "2.00 M", "500.00 k", "4.00\u00d7"]
    assert rows["fps@9\u00d732\u00d732"] == ["frames per second @ 9\u00d732\u00d732", "18.0", "180.0", "10.00\u00d7"]
    assert rows["latency@9\u00d732\u00d732"][1:] == ["500.0", "50.0", "10.00\u00d7"]
    assert rows["onnx_bytes"][1:] == ["not measured", "not measured", "\u2014"]
    assert "FLOPs are counted as FLOPs (2 x MACs)." in dom.by_id("cost").text()
    assert dom.by_id("quality-speed-chart") is not None
    _, _, bare = _render(build_run(tmp_path / "bare", profile=False))
    assert bare.by_id("cost-table") is None
    assert "not measured" in bare.by_id("cost-not-measured").text()
    assert bare.by_id("quality-speed-chart") is None


def test_cost_section_gives_the_reason_a_run_recorded_for_skipping_its_profile(tmp_path):
    run_dir = build_run(tmp_path / "skipped", profile=False)
    results = json.loads((run_dir / "results.json").read_text(encoding="utf-8"))
    results["profile"] = {"skipped": "teacher has 239M parameters on CPU; measure it with: evalkit bench <x>"}
    (run_dir / "results.json").write_text(json.dumps(results), encoding="utf-8")
    _, html, dom = _render(run_dir)
    text = dom.by_id("cost-not-measured").text()
    assert text == (
        "Size and speed: not measured \u2014 teacher has 239M parameters on CPU; measure it with: evalkit bench <x>"
    )
    assert "evalkit bench &lt;x&gt;" in html


def test_class_breakdown_matches_pandas_on_the_per_clip_table(built_run, rendered):
    _, _, dom = rendered
    table = pd.read_parquet(built_run / "per_clip.parquet")
    ok = table[table["status"] == "ok"].copy()
    ok["class"] = [clip.rsplit("/", 1)[0] for clip in ok["clip_id"]]  # the builder files clips under class folders
    expected = ok.groupby("class")["psnr.student"].mean()
    headers, rows = table_rows(dom.by_id("class-table"))
    assert headers[:5] == ["class", "clips", "PSNR teacher", "PSNR student", "PSNR gap"]
    assert sorted(row[0].text() for row in rows) == sorted(CLASS_NAMES)
    for row in rows:
        assert int(row[1].text()) == 2
        assert math.isclose(float(row[3].attrs["data-sort"]), expected[row[0].text()], rel_tol=1e-12)


def test_worst_clips_are_ranked_by_psnr_gap(built_run, rendered):
    _, _, dom = rendered
    table = pd.read_parquet(built_run / "per_clip.parquet")
    gaps = (table["psnr.teacher"] - table["psnr.student"]).dropna()
    expected = table.loc[gaps.sort_values(ascending=False).index, "clip_id"].tolist()
    headers, rows = table_rows(dom.by_id("worst-table"))
    assert headers[:2] == ["clip id", "class"]
    assert [row[0].text() for row in rows] == expected  # failed clip left out, largest gap first
    assert dom.by_id("worst").find_all("h2")[0].text() == "Worst 6 clips by PSNR gap"


def test_samples_show_four_panels_and_an_animated_preview(rendered):
    _, _, dom = rendered
    samples = dom.by_id("samples").find_all("div", class_="sample")
    assert [s.attrs["data-clip"] for s in samples] == [f"{CLASS_NAMES[0]}/clip_0.mp4", "walking/clip_1.mp4"]
    for sample in samples:
        images = sample.find_all("img")
        assert [img.attrs["src"][:15] for img in images] == ["data:image/png;"] * 4 + ["data:image/gif;"]


def test_page_is_self_contained(rendered):
    _, html, dom = rendered
    for node in dom.iter():
        for attribute in ("src", "href"):
            value = node.attrs.get(attribute)
            if value is not None:
                assert value.startswith(("data:", "#")), f"<{node.tag} {attribute}={value[:40]!r}> needs a network"
    assert "http://" not in html.split("</head>")[1].replace("http://www.w3.org", "")


def test_data_never_reaches_the_page_unescaped(tmp_path):
    run = build_run(tmp_path / "xss", pair="turbo-<script>alert('alias')</script>")
    _, html, dom = _render(run, title="<img src=x onerror=alert('title')>")
    assert "<script>alert(" not in html
    assert "<img src=x" not in html
    assert "&lt;script&gt;alert(&#39;alias&#39;)&lt;/script&gt;" in html
    assert "&lt;script&gt;alert(&#39;class&#39;)&lt;/script&gt;" in html  # the class folder name
    assert "cannot decode &lt;b&gt;header&lt;/b&gt;" in html  # a failure reason
    scripts = dom.find_all("script")
    assert len(scripts) == 1
    assert "function cellKey" in scripts[0].text()
    assert dom.find_all("h1")[0].text() == "<img src=x onerror=alert('title')>"


def test_missing_results_is_a_clear_error(tmp_path):
    with pytest.raises(ResultsSchemaError, match="no such results file; run `evalkit run` first"):
        render_run_report(tmp_path)


def test_header_names_the_protocol_preset_a_run_followed(tmp_path):
    run_dir = build_run(tmp_path / "preset")
    results_path = run_dir / "results.json"
    results = json.loads(results_path.read_text())
    preset = {"name": "turbo-vaed-ucf101", "version": 1, "hash": "4966cf0372ca", "title": "Table 1 <i>setup</i>"}
    results["protocol"]["preset"] = preset
    results_path.write_text(json.dumps(results))
    _, html, dom = _render(run_dir)
    assert _facts(dom)["protocol preset"] == "turbo-vaed-ucf101 v1 (Table 1 <i>setup</i>; content 4966cf0372ca)"
    assert "<i>setup</i>" not in html
    assert "protocol preset" not in _facts(_render(build_run(tmp_path / "plain"))[2])
