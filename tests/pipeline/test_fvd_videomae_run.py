"""A tiny run with content-debiased FVD: its results entry names the VideoMAE backbone and its minimum N."""

from evalkit.pipeline import run
from evalkit.results.sample_size import metric_caption
from evalkit.results.schema import MetricResult
from tests.metrics.tiny_videomae import TINY_HIDDEN, save_tiny_videomae


def test_a_run_with_the_videomae_variant_labels_its_fvd_with_the_backbone(tiny_config, tmp_path):
    folder = save_tiny_videomae(tmp_path / "videomae")
    doc = run(tiny_config(metrics=("psnr", "fvd"), fvd_variant="videomae", fvd_detector=str(folder))).results
    fvd = doc["metrics"]["fvd"]
    assert fvd["available"]
    variant = fvd["variant"]
    assert variant["name"] == "videomae"
    assert variant["backbone"] == "VideoMAE v1 ViT-B (MCG-NJU/videomae-base, self-supervised on Kinetics-400)"
    assert (variant["n_clips"], variant["frames"], variant["feature_dim"]) == (2, 9, TINY_HIDDEN)
    assert (variant["min_clips"], variant["comparable"]) == (2 * TINY_HIDDEN, False)
    caption = metric_caption(MetricResult.from_dict("fvd", fvd))
    assert caption == "FVD content-debiased (VideoMAE ViT-B), 9 f, N=2"
    assert fvd["values"]["student"]["value"] >= 0.0
