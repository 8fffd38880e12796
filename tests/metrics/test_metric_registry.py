import pytest

from evalkit.metrics import METRICS, MetricOptions, build_metric, build_metrics


def test_registry_names_and_directions():
    assert METRICS.names() == ["fvd", "lpips", "msssim", "psnr", "ssim", "tdiff", "vmaf"]
    assert {name: METRICS.get(name).higher_is_better for name in METRICS} == {
        "fvd": False,
        "lpips": False,
        "msssim": True,
        "psnr": True,
        "ssim": True,
        "tdiff": False,
        "vmaf": True,
    }
    assert [name for name in METRICS if not METRICS.get(name).per_clip] == ["fvd"]
    for name in METRICS:
        assert METRICS.get(name).load_class().higher_is_better == METRICS.get(name).higher_is_better


def test_factory_applies_options_and_lists_choices():
    assert build_metric("ssim", MetricOptions(ssim_variant="torchmetrics")).variant["name"] == "torchmetrics"
    choices = "fvd, lpips, msssim, psnr, ssim, tdiff, vmaf"
    with pytest.raises(KeyError, match=f"unknown metric 'vmav'; choose one of: {choices}"):
        build_metric("vmav")
    with pytest.raises(ValueError, match="unknown LPIPS network 'squeeze'; choose one of: alex, vgg"):
        build_metric("lpips", MetricOptions(lpips_net="squeeze"))


def test_msssim_is_unavailable_below_its_minimum_frame_side():
    built, unavailable = build_metrics(["psnr", "msssim"], min_side=160)
    assert list(built) == ["psnr"]
    assert unavailable["msssim"].reason == (
        "unavailable: MS-SSIM needs >= 176 px per side for 5 scales (an 11-px window at 1/16 size), got 160x160; "
        "use --resolution 176 or more"
    )
    built, unavailable = build_metrics(["msssim"], min_side=176)
    assert list(built) == ["msssim"]
    assert not unavailable


def test_vmaf_is_unavailable_with_an_ffmpeg_lacking_libvmaf(monkeypatch):
    import evalkit.metrics.vmaf as vmaf

    monkeypatch.setattr(vmaf, "has_libvmaf", lambda: False)
    built, unavailable = build_metrics(["vmaf"])
    assert not built
    assert "has no libvmaf filter" in unavailable["vmaf"].reason
    assert unavailable["vmaf"].fetch is None
