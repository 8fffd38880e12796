"""`evalkit run` with a TAEHV student: random weights, tiny HunyuanVideo teacher, two sample clips, offline."""

import json

from evalkit.models.teachers import TEACHER_FAMILIES
from evalkit.pipeline import run


def test_a_taehv_student_run_completes_with_its_latent_convention_recorded(tiny_config):
    config = tiny_config(
        decoder="taehv-hunyuan",
        metrics=("psnr", "ssim"),
        teacher_config=TEACHER_FAMILIES.get("hunyuan").tiny_config,
        student_config=None,
    )
    results = json.loads((run(config).run_dir / "results.json").read_text())
    info = results["decoders"]["info"]
    assert info["student"]["class"] == "TaehvStudent"
    assert "scaling_factor (0.476986)" in info["student"]["latents"]
    psnr = results["metrics"]["psnr"]["values"]
    assert psnr["student"]["value"] > 0
    assert results["random_weights"] is True
