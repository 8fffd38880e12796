"""`evalkit generate-check` from a saved-latent folder, into a new folder and into an existing run; exit codes."""

from __future__ import annotations

import importlib.util
import json
from dataclasses import replace

import pytest
import torch

from evalkit.cli import main
from evalkit.generation import GeneratedLatent, read_latent_folder, save_latent
from evalkit.results.io import read_results


@pytest.fixture
def latent_folder(generated):
    return generated[1]


@pytest.fixture
def tiny_build_pair(monkeypatch, tiny_pair):
    """The CLI builds released-size decoders; give it the tiny pair instead."""
    monkeypatch.setattr("evalkit.models.registry.build_pair", lambda *args, **kwargs: tiny_pair)


def test_check_from_a_latent_folder_writes_a_run_folder(tiny_build_pair, latent_folder, tmp_path, capsys):
    out = tmp_path / "gen"
    code = main(
        [
            "generate-check",
            "--decoder",
            "turbo-ltx",
            "--latents",
            str(latent_folder),
            "--metrics",
            "psnr,ssim",
            "--device",
            "cpu",
            "--init",
            "random",
            "--out",
            str(out),
            "--save-clips",
            "1",
            "--bootstrap-resamples",
            "50",
        ]
    )
    assert code == 0
    printed = capsys.readouterr().out
    assert "generation check: turbo-ltx on 2/2 generated samples [RANDOM WEIGHTS]" in printed
    doc = read_results(out)
    assert doc["generation"]["source"]["kind"] == "latents"
    assert doc["generation"]["source"]["producers"][0]["pipeline"] == "LTXPipeline"
    assert doc["generation"]["files"]["clips"] == ["generated/000.npz"]
    assert doc["config"]["command"] == "generate-check"


def test_into_adds_the_section_to_an_existing_run(tiny_build_pair, latent_folder, tmp_path):
    run_dir = tmp_path / "run"
    assert (
        main(
            [
                "generate-check",
                "--decoder",
                "turbo-ltx",
                "--latents",
                str(latent_folder),
                "--metrics",
                "psnr",
                "--device",
                "cpu",
                "--out",
                str(run_dir),
                "--bootstrap-resamples",
                "50",
            ]
        )
        == 0
    )
    doc = json.loads((run_dir / "results.json").read_text())
    doc["random_weights"] = False
    del doc["generation"]
    (run_dir / "results.json").write_text(json.dumps(doc))
    assert (
        main(
            [
                "generate-check",
                "--decoder",
                "turbo-ltx",
                "--latents",
                str(latent_folder),
                "--metrics",
                "ssim",
                "--device",
                "cpu",
                "--into",
                str(run_dir),
                "--bootstrap-resamples",
                "50",
            ]
        )
        == 0
    )
    merged = read_results(run_dir)
    assert set(merged["generation"]["metrics"]) == {"ssim"}
    assert merged["random_weights"] is True  # the tiny pair is random: the stamp carries over


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--latents", "{folder}", "--metrics", "psnr,nope"], "unknown metric 'nope'; choose one of: "),
        (["--latents", "{folder}", "--into", "{tmp}/none"], "holds no results.json to attach the generation check"),
        (["--pipeline", "x", "--generate-only"], "--generate-only needs --pipeline and --save-latents DIR"),
        (["--latents", "{tmp}/empty"], "latent folder {tmp}/empty does not exist"),
    ],
)
def test_unusable_settings_exit_2(tiny_build_pair, latent_folder, tmp_path, capsys, extra, message):
    args = [arg.format(folder=latent_folder, tmp=tmp_path) for arg in extra]
    assert main(["generate-check", "--decoder", "turbo-ltx", "--device", "cpu", *args]) == 2
    assert message.format(tmp=tmp_path) in capsys.readouterr().err


def test_latents_of_another_teacher_exit_2(tiny_build_pair, latent_folder, tmp_path, capsys):
    item = read_latent_folder(latent_folder)[0]
    save_latent(tmp_path / "wan", GeneratedLatent(replace(item.meta, teacher="wan"), item.latent))
    code = main(["generate-check", "--decoder", "turbo-ltx", "--latents", str(tmp_path / "wan"), "--device", "cpu"])
    assert code == 2
    assert (
        "was made in the 'wan' latent space, but decoder 'turbo-ltx' decodes 'ltx' latents" in capsys.readouterr().err
    )


def test_generate_only_from_a_saved_pipeline_folder_reproduces_the_latents(tiny_pipeline, generated, tmp_path):
    """The CLI loads the pipeline with vae=None from disk; the same prompts and seeds give bit-identical latents."""
    tiny_pipeline.save_pretrained(tmp_path / "pipe")
    prompts = tmp_path / "prompts.csv"
    prompts.write_text("id,prompt,seed\n000,a cat runs on the beach,0\n001,a red car in the snow,1\n")
    args = ["--num-frames", "9", "--height", "64", "--width", "64", "--steps", "2", "--guidance-scale", "3"]
    code = main(
        [
            "generate-check",
            "--decoder",
            "turbo-ltx",
            "--pipeline",
            str(tmp_path / "pipe"),
            "--prompts",
            str(prompts),
            *args,
            "--max-sequence-length",
            "16",
            "--save-latents",
            str(tmp_path / "latents"),
            "--generate-only",
            "--device",
            "cpu",
            "--no-progress",
        ]
    )
    assert code == 0
    expected, _ = generated
    loaded = read_latent_folder(tmp_path / "latents")
    assert [item.meta.sample_id for item in loaded] == ["000-s0", "001-s1"]
    for got, want in zip(loaded, expected, strict=True):
        assert torch.equal(got.latent, want.latent)
        assert got.meta.source["model"] == str(tmp_path / "pipe")


def test_without_transformers_the_pipeline_source_names_the_extra(monkeypatch, tmp_path, capsys):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "transformers" else real(name))
    code = main(["generate-check", "--decoder", "turbo-ltx", "--pipeline", str(tmp_path), "--device", "cpu"])
    assert code == 2
    assert 'install the generation extra: pip install -e ".[generation]"' in capsys.readouterr().err
