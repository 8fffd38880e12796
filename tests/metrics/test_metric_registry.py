import pytest

from evalkit.metrics import METRICS, MetricOptions, build_metric


def test_registry_names_and_directions():
    assert METRICS.names() == ["fvd", "lpips", "psnr", "ssim", "tdiff"]
    assert {name: METRICS.get(name).higher_is_better for name in METRICS} == {
        "fvd": False,
        "lpips": False,
        "psnr": True,
        "ssim": True,
        "tdiff": False,
    }
    assert [name for name in METRICS if not METRICS.get(name).per_clip] == ["fvd"]
    for name in METRICS:
        assert METRICS.get(name).load_class().higher_is_better == METRICS.get(name).higher_is_better


def test_factory_applies_options_and_lists_choices():
    assert build_metric("ssim", MetricOptions(ssim_variant="torchmetrics")).variant["name"] == "torchmetrics"
    with pytest.raises(KeyError, match="unknown metric 'vmaf'; choose one of: fvd, lpips, psnr, ssim, tdiff"):
        build_metric("vmaf")
    with pytest.raises(ValueError, match="unknown LPIPS network 'squeeze'; choose one of: alex, vgg"):
        build_metric("lpips", MetricOptions(lpips_net="squeeze"))
