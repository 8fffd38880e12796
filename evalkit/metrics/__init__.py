"""Streaming video metrics (PSNR, SSIM, MS-SSIM, LPIPS, FVD, VMAF, temporal difference error), per clip and three-way.

Every metric meets ``contract.Metric``: uint8 clips ``(B, T, H, W, 3)`` through ``update(reference, candidate,
clip_ids)``, then ``per_clip()``, ``compute()`` (value + variant label), ``state_dict()``, ``load_state_dict()`` and
``merge()``. ``METRICS`` lists them with their direction; each entry builds its metric from options.
"""

from evalkit.metrics.factory import (
    METRICS,
    MetricOptions,
    MetricSpec,
    UnavailableMetric,
    build_metric,
    build_metrics,
)

__all__ = ["METRICS", "MetricOptions", "MetricSpec", "UnavailableMetric", "build_metric", "build_metrics"]
