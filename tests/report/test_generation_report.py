"""The "Generated videos" section: a standalone generate-check folder and one attached to a run (`--into`)."""

import base64
import io
import json

import numpy as np
import pytest
from PIL import Image

from evalkit.report.run_report import render_run_report
from evalkit.results.io import read_results, write_results

from .conftest import PROMPTS, build_generation_run, build_run, generation_section
from .dom import parse, table_rows


def _render(run_dir):
    html = render_run_report(run_dir).read_text(encoding="utf-8")
    return html, parse(html)


def _facts(dl):
    return {dt.text(): " ".join(dd.text().split()) for dt, dd in zip(dl.iter("dt"), dl.iter("dd"), strict=True)}


def _decode(uri):
    return base64.b64decode(uri.split(",", 1)[1])


@pytest.fixture(scope="module")
def standalone(tmp_path_factory):
    run_dir = build_generation_run(tmp_path_factory.mktemp("gen") / "gen-turbo-ltx")
    html, dom = _render(run_dir)
    return run_dir, json.loads((run_dir / "results.json").read_text())["generation"], html, dom


def test_generated_videos_table_equals_results_json(standalone):
    _, section, _, dom = standalone
    table = dom.by_id("generation-table")
    headers, _ = table_rows(table)
    assert headers == [
        "metric",
        "teacher set vs real",
        "95% CI",
        "student set vs real",
        "95% CI",
        "student vs teacher",
        "95% CI",
        "increase",
        "95% CI",
    ]
    rows = {tr.attrs["data-metric"]: list(tr.iter("td")) for tr in table.iter("tr") if "data-metric" in tr.attrs}
    assert list(rows) == ["psnr", "fvd"]
    psnr, fvd = section["metrics"]["psnr"], section["metrics"]["fvd"]
    # per-sample PSNR: only student vs teacher, with its bootstrap CI; the set columns are dashes, not zeros
    cells = rows["psnr"]
    assert [cell.text() for cell in cells[1:5]] == ["\u2014"] * 4
    assert float(cells[5].attrs["data-sort"]) == psnr["values"]["student_vs_teacher"]["value"]
    assert cells[5].text() == f"{psnr['values']['student_vs_teacher']['value']:.2f}"
    assert float(cells[6].attrs["data-ci-low"]) == psnr["values"]["student_vs_teacher"]["ci_low"]
    assert float(cells[6].attrs["data-ci-high"]) == psnr["values"]["student_vs_teacher"]["ci_high"]
    # FVD: both sets against real videos, the pair, and the increase (student - teacher)
    cells = rows["fvd"]
    for index, key in ((1, "teacher"), (3, "student"), (5, "student_vs_teacher")):
        assert float(cells[index].attrs["data-sort"]) == fvd["values"][key]["value"]
    assert [cells[i].text() for i in (1, 3, 5, 7)] == ["180.25", "184.50", "12.75", "4.25"]
    assert float(cells[7].attrs["data-sort"]) == fvd["paired"]["increase"]["value"] == pytest.approx(4.25)
    variants = _facts(dom.by_id("generation-variants"))
    assert variants["FVD variant"] == f"detector=i3d_torchscript.pt, detector_sha256={'f' * 64}, frames_per_clip=9"


def test_section_says_the_teacher_output_is_the_reference(standalone):
    _, section, _, dom = standalone
    note = dom.by_id("generation-reference-note").text()
    assert note == section["comparison_note"]
    assert "the teacher output is the reference" in note


def test_source_reference_and_skipped_samples_are_listed(standalone):
    _, _, _, dom = standalone
    source = _facts(dom.by_id("generation-source"))
    assert source["samples"] == "2 evaluated of 3; 1 failed (ids hash 26bd38d17def)"
    assert source["pipeline"] == "LTXPipeline"
    assert source["model"] == "Lightricks/LTX-Video"
    assert source["prompts file"] == "prompts/<b>default</b>.txt"
    assert source["prompts sha256"] == "a" * 64
    assert source["generation settings"] == "height=32, num_frames=9, num_inference_steps=2, width=48"
    assert "latent folder" not in source  # null in results: not shown
    assert source["decoded size"] == "9 frames \u00d7 32 \u00d7 48"
    reference = _facts(dom.by_id("generation-reference"))
    assert reference["reference set"] == "ucf101 (root /data/UCF-101, split test, fold 1)"
    assert reference["clips used"] == "63; 1 skipped"
    assert reference["manifest hash"] == "434e16c1d7c9"
    _, skipped_videos = table_rows(dom.by_id("generation-reference-skipped-table"))
    assert [cell.text() for cell in skipped_videos[0]] == ["short/<i>clip</i>.avi", "", "8 frames, needs 9"]
    _, skipped = table_rows(dom.by_id("generation-skipped-table"))
    assert [cell.text() for cell in skipped[0]] == ["002-s2", "student", "student decoder output has NaN/Inf values"]


def test_flicker_figure_is_inlined_byte_for_byte(standalone):
    run_dir, _, _, dom = standalone
    image = dom.by_id("generation-flicker").find_all("img")[0]
    assert image.attrs["src"].startswith("data:image/png;base64,")
    assert _decode(image.attrs["src"]) == (run_dir / "generation_flicker.png").read_bytes()


def test_teacher_and_student_frames_are_shown_with_their_prompts(standalone):
    run_dir, _, _, dom = standalone
    views = dom.by_id("generation").find_all("div", class_="sample")
    assert [view.attrs["data-clip"] for view in views] == ["000-s0", "001-s1"]
    for index, view in enumerate(views):
        assert view.find_all("p", class_="caption")[0].text() == f"\u201c{PROMPTS[index]}\u201d (seed {index})"
        images = view.find_all("img")
        titles = [figure.find_all("figcaption")[0].text() for figure in view.find_all("figure")]
        assert titles[:2] == ["teacher", "student"]
        assert titles[2].startswith("|student \u2212 teacher|")
        assert titles[3] == "teacher | student"
        saved = np.load(run_dir / "generated" / f"{index:03d}.npz")
        still = Image.open(io.BytesIO(_decode(images[1].attrs["src"])))
        np.testing.assert_array_equal(np.asarray(still.convert("RGB")), saved["student"][4])  # the middle frame
        preview = Image.open(io.BytesIO(_decode(images[3].attrs["src"])))
        assert (preview.format, preview.n_frames, preview.size) == ("GIF", 9, (96, 32))


def test_prompts_and_paths_never_become_markup(standalone):
    _, _, html, dom = standalone
    assert "<script>alert(" not in html
    assert "&lt;script&gt;alert(&#39;prompt&#39;)&lt;/script&gt; a cat on the beach" in html
    assert "<b>default</b>" not in html
    assert "<i>clip</i>" not in html
    scripts = dom.find_all("script")
    assert len(scripts) == 1
    assert "function cellKey" in scripts[0].text()


def test_a_standalone_check_has_an_empty_quality_table_and_no_reconstruction_samples(standalone):
    _, _, _, dom = standalone
    assert dom.by_id("quality-table") is None
    assert "generation check only" in dom.by_id("quality-empty").text()
    assert dom.by_id("samples") is None
    assert dom.find_all("h1")[0].text() == "turbo-demo on generated videos"


def test_random_weights_stamp_follows_the_section(standalone, tmp_path):
    _, _, _, random_dom = standalone
    assert "RANDOM WEIGHTS" in random_dom.by_id("generation-random-weights-banner").text()
    trained = build_run(tmp_path / "trained", random_weights=False, student_weights_sha="b" * 64)
    doc = read_results(trained)
    doc["generation"] = generation_section(trained, random_weights=False, reference=False)
    write_results(trained, doc)
    _, dom = _render(trained)
    assert dom.by_id("generation-random-weights-banner") is None
    assert dom.by_id("random-weights-banner") is None
    reference = _facts(dom.by_id("generation-reference"))
    assert reference == {"reference set": "none: only FVD(teacher set, student set) was computed"}
    # attached to a reconstruction run (`--into`): both tables and the run's own samples are shown
    assert dom.by_id("quality-table") is not None
    assert dom.by_id("generation-table") is not None
    assert len(dom.by_id("samples").find_all("div", class_="sample")) == 2
    assert len(dom.by_id("generation").find_all("div", class_="sample")) == 2
