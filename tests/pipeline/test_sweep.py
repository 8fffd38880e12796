"""Resolution sweep: one complete run per size, sweep.json equal to each run's results, sweep.html escaped."""

from __future__ import annotations

import json

import pytest

from evalkit.cli import main
from evalkit.pipeline.config import ConfigError
from evalkit.pipeline.sweep import run_sweep
from evalkit.results.io import read_results
from tests.report.dom import parse, table_rows


@pytest.fixture(scope="module")
def sweep(tmp_path_factory):
    from tests.pipeline.conftest import make_config

    folder = tmp_path_factory.mktemp("sweep")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("EVALKIT_OFFLINE", "1")
        patch.setenv("HF_HUB_OFFLINE", "1")
        patch.setenv("EVALKIT_CACHE", str(folder / "evalkit-cache"))
        config = make_config(folder, folder / "no-detector.pt", metrics=("psnr", "ssim"), max_clips=1)
        return run_sweep(config, [32, 64])


def test_every_size_is_a_complete_run_with_its_own_protocol(sweep):
    runs = sweep.document["runs"]
    assert [run["resolution"] for run in runs] == [32, 64]
    assert [run["run_dir"] for run in runs] == ["r32", "r64"]
    hashes = {run["protocol_hash"] for run in runs}
    assert len(hashes) == 2
    for run in runs:
        results = read_results(sweep.sweep_dir / run["run_dir"])
        assert results["protocol"]["hash"] == run["protocol_hash"]
        assert results["protocol"]["params"]["resolution"] == run["resolution"]
        for side in ("teacher", "student", "student_vs_teacher"):
            assert run["metrics"]["psnr"]["values"][side] == results["metrics"]["psnr"]["values"][side]
    assert json.loads((sweep.sweep_dir / "sweep.json").read_text()) == sweep.document


def test_sweep_page_tables_every_metric_by_size_with_a_chart(sweep):
    dom = parse((sweep.sweep_dir / "sweep.html").read_text(encoding="utf-8"))
    for metric in ("psnr", "ssim"):
        headers, rows = table_rows(dom.by_id(f"sweep-table-{metric}"))
        assert headers[0] == "resolution"
        assert [row[0].text() for row in rows] == ["32", "64"]
        value = float(rows[1][3].attrs["data-sort"])
        assert value == sweep.document["runs"][1]["metrics"][metric]["values"]["student"]["value"]
        assert dom.by_id(f"sweep-{metric}").find_all("img")
    links = [a.attrs["href"] for a in dom.by_id("sweep-runs").find_all("a")]
    assert links == ["r32/report.html", "r64/report.html"]


def test_a_sweep_needs_two_different_sizes(tiny_config):
    with pytest.raises(ConfigError, match="two or more different sizes"):
        run_sweep(tiny_config(), [64, 64])


def test_the_cli_refuses_a_size_that_is_not_a_number(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["run", "--resolution", "256,big"])
    assert exit_info.value.code == 2
    assert "resolution must be whole pixels" in capsys.readouterr().err


@pytest.mark.browser
def test_sweep_page_loads_in_a_browser_without_errors(sweep):
    from tests.report.browser import find_chromium, self_test

    chromium = find_chromium()
    if chromium is None:
        pytest.skip("no headless Chromium on PATH (Debian: apt-get install -y --no-install-recommends chromium)")
    result, console = self_test(chromium, sweep.sweep_dir / "sweep.html", "table.none", 1, 1280, 900)
    assert result["errors"] == []
    assert console == []
    assert len(result["images"]) == 2
    assert all(image["loaded"] for image in result["images"])
