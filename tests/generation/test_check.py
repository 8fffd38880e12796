"""Acceptance: a tiny LTX pipeline's latents for two prompts, checked straight from the pipeline and from the
saved-latent folder, give identical decoded clips and numbers; the teacher decode equals the pipeline's own."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from evalkit.generation.check import raw_latent
from evalkit.generation.results import format_generation_summary, validate_generation
from evalkit.results.io import read_results
from tests.generation.conftest import PROMPTS


def test_latents_are_unpacked_and_carry_their_metadata(generated):
    items, folder = generated
    assert [item.meta.sample_id for item in items] == ["000-s0", "001-s1"]
    assert all(tuple(item.latent.shape) == (8, 2, 2, 2) for item in items)  # 9 frames -> 2, 64 px -> 2 at 32x
    assert all(item.meta.normalized and item.meta.teacher == "ltx" for item in items)
    assert items[0].meta.source["pipeline"] == "LTXPipeline"
    assert sorted(path.name for path in folder.iterdir()) == ["000-s0.safetensors", "001-s1.safetensors"]
    assert not torch.equal(items[0].latent, items[1].latent)


def test_teacher_decode_equals_the_pipelines_own_decode(generated, tiny_pipeline, tiny_pair, checked):
    """The pipeline, given the teacher as its VAE and output_type='pt', unpacks, denormalises and decodes itself."""
    prompt = PROMPTS[0]
    video = tiny_pipeline(
        prompt=prompt.prompt,
        num_frames=9,
        height=64,
        width=64,
        num_inference_steps=2,
        guidance_scale=3.0,
        max_sequence_length=16,
        generator=torch.Generator().manual_seed(prompt.seed),
        output_type="pt",
    ).frames[0]
    expected = (video.permute(0, 2, 3, 1) * 255).round().to(torch.uint8).numpy()
    saved = np.load(checked[0].run_dir / "generated" / "000.npz")
    assert str(saved["clip_id"]) == "000-s0"
    np.testing.assert_array_equal(saved["teacher"], expected)
    # denormalisation is not the identity here, so skipping it would have failed the comparison above
    items, _ = generated
    assert not torch.allclose(raw_latent(items[0], tiny_pair), items[0].latent[None])


def test_pipeline_and_folder_give_identical_results(checked):
    from_pipeline, from_folder = checked
    for name in ("000.npz", "001.npz"):
        a = np.load(from_pipeline.run_dir / "generated" / name)
        b = np.load(from_folder.run_dir / "generated" / name)
        for key in ("teacher", "student"):
            np.testing.assert_array_equal(a[key], b[key])
    assert from_pipeline.section["metrics"] == from_folder.section["metrics"]
    table_a = pd.read_parquet(from_pipeline.run_dir / "generation.parquet")
    table_b = pd.read_parquet(from_folder.run_dir / "generation.parquet")
    pd.testing.assert_frame_equal(table_a, table_b)


def test_per_sample_psnr_is_student_against_teacher(checked):
    run = checked[0]
    table = pd.read_parquet(run.run_dir / "generation.parquet").set_index("clip_id")
    assert [c for c in table.columns if "." in c] == [f"{m}.student_vs_teacher" for m in ("psnr", "ssim", "tdiff")]
    for index, sample_id in enumerate(["000-s0", "001-s1"]):
        clip = np.load(run.run_dir / "generated" / f"{index:03d}.npz")
        teacher, student = clip["teacher"] / 255.0, clip["student"] / 255.0
        mse = ((teacher - student) ** 2).reshape(teacher.shape[0], -1).mean(axis=1)
        expected = float(np.mean(10 * np.log10(1.0 / mse)))
        assert table.loc[sample_id, "psnr.student_vs_teacher"] == pytest.approx(expected, rel=1e-6)
        assert table.loc[sample_id, "prompt"] == PROMPTS[index].prompt
    psnr = run.section["metrics"]["psnr"]
    assert set(psnr["values"]) == {"student_vs_teacher"}
    assert psnr["paired"] == {}
    assert psnr["values"]["student_vs_teacher"]["value"] == pytest.approx(table["psnr.student_vs_teacher"].mean())


def test_fvd_has_both_sets_against_real_videos_and_the_pair(checked):
    fvd = checked[0].section["metrics"]["fvd"]
    values = {key: fvd["values"][key]["value"] for key in ("teacher", "student", "student_vs_teacher")}
    assert all(value > 0 for value in values.values())
    assert fvd["paired"]["increase"]["value"] == pytest.approx(values["student"] - values["teacher"])
    assert fvd["variant"]["frames_per_clip"] == 9
    assert (fvd["variant"]["n_clips"], fvd["variant"]["frames"], fvd["variant"]["comparable"]) == (2, 9, False)
    summary = format_generation_summary(checked[0].section)
    assert "  FVD StyleGAN-V, 9 f, N=2: teacher " in summary
    assert "(not comparable: N=2 clips per set is below the minimum of 800 (FVD's small-N bias))" in summary
    reference = checked[0].section["reference"]
    assert reference["dataset"] == "sample"
    assert reference["clips"] == 2
    assert "H=64, W=64" in reference["transform"]


def test_results_file_is_a_valid_run_document_with_a_generation_section(checked):
    run = checked[0]
    doc = read_results(run.run_dir)
    assert doc["metrics"] == {}
    assert doc["random_weights"] is True
    section = validate_generation(doc["generation"])
    assert section["samples"] == {**section["samples"], "total": 2, "evaluated": 2, "failed": 0}
    assert section["files"]["clips"] == ["generated/000.npz", "generated/001.npz"]
    assert "teacher output is the reference" in section["comparison_note"]
    assert section["latents"]["normalized"] is True
    assert section["latents"]["denormalization"].startswith("z * latents_std / scaling_factor + latents_mean")
    flicker = section["flicker"]
    assert set(flicker["curves"]) == {"teacher", "student"}
    assert len(flicker["curves"]["teacher"]) == 8
    assert (run.run_dir / flicker["figure"]).stat().st_size > 1000
