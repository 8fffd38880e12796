"""`evalkit run` with no decoder flags evaluates the shipped demo pair: real weights, no RANDOM WEIGHTS stamp."""

from __future__ import annotations

import pytest

from evalkit.cli import main
from evalkit.models import demo
from evalkit.results.io import read_results


def test_default_run_evaluates_the_shipped_demo_pair(tmp_path, capsys):
    out = tmp_path / "run"
    args = ["run", "--max-clips", "1", "--num-frames", "9", "--resolution", "64", "--metrics", "psnr,ssim"]
    args += ["--out", str(out), "--cache-dir", str(tmp_path / "cache"), "--profile", "off", "--no-progress"]
    assert main(args) == 0
    assert "RANDOM WEIGHTS" not in capsys.readouterr().out
    doc = read_results(out)
    decoders = doc["decoders"]
    assert (decoders["pair"], decoders["teacher"]["name"], decoders["init"]) == ("turbo-demo", "demo", "pretrained")
    assert doc["random_weights"] is False
    assert decoders["info"]["demo"] == demo.DEMO_NOTE
    pins = demo.pins()
    assert decoders["teacher"]["weights"]["sha256"] == pins["demo-vae"]
    assert decoders["student"]["weights"]["sha256"] == pins["turbo-vaed-demo"]
    assert (doc["dataset"]["name"], doc["clips"]["evaluated"]) == ("sample", 1)
    psnr = {key: value["value"] for key, value in doc["metrics"]["psnr"]["values"].items()}
    # golden values of the shipped weights on frames 0-8 of the first sample clip at 64 px (posterior mode)
    assert psnr == pytest.approx({"teacher": 24.192, "student": 22.617, "student_vs_teacher": 27.702}, abs=0.05)
    assert doc["metrics"]["ssim"]["values"]["student_vs_teacher"]["value"] == pytest.approx(0.943, abs=0.01)
    page = (out / "report.html").read_text(encoding="utf-8")
    assert f'id="demo-banner" role="note">DEMONSTRATION MODELS: {demo.DEMO_NOTE}.' in page
    assert 'id="random-weights-banner"' not in page
