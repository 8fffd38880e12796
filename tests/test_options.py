"""`evalkit.options` loads without torch and names exactly what the registries and dtype tables accept."""

from __future__ import annotations

import subprocess
import sys

from evalkit import options


def test_options_load_without_torch():
    code = "import sys, evalkit.options; print(sorted(m for m in ('torch', 'numpy') if m in sys.modules))"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout == "[]\n"


def test_choices_are_the_registries_names():
    import torch

    from evalkit.metrics.fvd import DETECTOR_WEIGHTS, FVD_VARIANTS
    from evalkit.metrics.lpips import BACKBONE_WEIGHTS
    from evalkit.pipeline.devices import DTYPES

    assert options.FVD_VARIANTS == tuple(FVD_VARIANTS) == tuple(DETECTOR_WEIGHTS)
    assert tuple(BACKBONE_WEIGHTS) == options.LPIPS_NETS
    assert {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16} == DTYPES


def test_metric_settings_takes_the_fields_a_config_has():
    from evalkit.pipeline.config import RunConfig

    config = RunConfig(ssim_variant="torchmetrics", lpips_net="vgg", fvd_detector="i3d.pt")
    assert options.metric_settings(config) == {
        "ssim_variant": "torchmetrics",
        "lpips_net": "vgg",
        "lpips_weights": None,
        "fvd_variant": "stylegan-v",
        "fvd_detector": "i3d.pt",
    }
    metric_options = config.metric_options("cpu")
    assert (metric_options.device, metric_options.ssim_variant, metric_options.lpips_net) == (
        "cpu",
        "torchmetrics",
        "vgg",
    )
