"""The metric registry and one options record; each registry entry builds its metric (``MetricSpec.build``).

LPIPS needs a torchvision backbone and FVD the I3D detector; both come through ``evalkit.weights.resolve``
(explicit path > local cache > download only when online). A missing file makes the metric *unavailable*,
reported with the file name and fetch command, never computed with stand-in weights. Adding a metric takes its
module (a ``contract.Metric`` class) and one ``MetricSpec`` line here.
"""

from __future__ import annotations

import importlib
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from evalkit.options import MetricSettings
from evalkit.registry import Registry
from evalkit.weights import WeightsUnavailable, get_spec

if TYPE_CHECKING:
    from evalkit.metrics.contract import Metric


@dataclass(frozen=True)
class MetricSpec:
    """A registry entry: where the class lives, its direction and display label, and its weight file if any."""

    name: str
    target: str
    higher_is_better: bool
    label: str
    unit: str = ""
    per_clip: bool = True

    def load_class(self) -> type[Metric]:
        """Import and return the metric class (heavy imports wait until a metric is built)."""
        module_name, _, attr = self.target.partition(":")
        return getattr(importlib.import_module(module_name), attr)

    def build(self, options: MetricOptions) -> Metric:
        """The metric as ``options`` configure it (its class's ``from_options``)."""
        return self.load_class().from_options(options)

    def fetch_command(self, options: MetricOptions) -> str | None:
        """The command that fetches the weight file ``options`` make this metric load, if it loads one."""
        weight = self.load_class().weight_name(options)
        return None if weight is None else get_spec(weight).fetch_command


METRICS: Registry[MetricSpec] = Registry("metric")
for _spec in (
    MetricSpec("psnr", "evalkit.metrics.psnr:PSNR", True, "PSNR", "dB"),
    MetricSpec("ssim", "evalkit.metrics.ssim:SSIM", True, "SSIM"),
    MetricSpec("lpips", "evalkit.metrics.lpips:LPIPS", False, "LPIPS"),
    MetricSpec("fvd", "evalkit.metrics.fvd:FVD", False, "FVD", per_clip=False),
    MetricSpec("tdiff", "evalkit.metrics.temporal:TemporalDiffError", False, "Temporal diff. error (flicker)"),
    MetricSpec("msssim", "evalkit.metrics.msssim:MSSSIM", True, "MS-SSIM"),
    MetricSpec("vmaf", "evalkit.metrics.vmaf:VMAF", True, "VMAF"),
):
    METRICS.register(_spec.name, obj=_spec)


@dataclass(frozen=True)
class MetricOptions(MetricSettings):
    """Every metric option, shared by every command: the inherited :class:`~evalkit.options.MetricSettings`, and

    Args:
        device: where metric networks run.
        allow_download: passed to ``evalkit.weights.resolve``.
        frame_batch: frames per PSNR/SSIM/LPIPS call (None: by device, see ``FrameAveragedMetric.chunk_frames``).
        clip_batch: clips per I3D call.
    """

    device: str = "cpu"
    allow_download: bool | None = None
    frame_batch: int | None = None
    clip_batch: int = 4

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready record for the results ``config``."""
        return asdict(self)


class MetricUnavailableError(RuntimeError):
    """Raised by a metric that cannot run on this machine (e.g. an FFmpeg without libvmaf); says why and the fix."""


@dataclass(frozen=True)
class UnavailableMetric:
    """A metric that cannot run here: why, and the command that fixes it."""

    name: str
    reason: str
    fetch: str | None


def build_metric(name: str, options: MetricOptions | None = None) -> Metric:
    """One metric object for registry ``name``; raises ``WeightsUnavailable`` when its weight file is missing."""
    return METRICS.get(name).build(options or MetricOptions())


def build_metrics(
    names: list[str], options: MetricOptions | None = None, min_side: int | None = None
) -> tuple[dict[str, Metric], dict[str, UnavailableMetric]]:
    """Build every named metric; those whose weights or tools are missing or refused, or that cannot score frames
    whose short side is ``min_side`` pixels (MS-SSIM), are returned as ``UnavailableMetric``."""
    options = options or MetricOptions()
    built, unavailable = {}, {}
    for name in names:
        spec = METRICS.get(name)
        metric_class = spec.load_class()
        reason = None if min_side is None else metric_class.too_small(min_side)
        if reason is not None:
            unavailable[name] = UnavailableMetric(name, reason, None)
            continue
        try:
            built[name] = spec.build(options)
        except (WeightsUnavailable, *metric_class.unavailable_errors) as exc:
            unavailable[name] = UnavailableMetric(name, str(exc), spec.fetch_command(options))
        except MetricUnavailableError as exc:
            unavailable[name] = UnavailableMetric(name, str(exc), None)
    return built, unavailable


def set_aside_for_clip_count(
    built: dict[str, Metric], unavailable: dict[str, UnavailableMetric], num_clips: int
) -> None:
    """Before any clip is decoded: move a metric that ``num_clips`` clips per set cannot give (FVD's covariance
    needs 1 or 2) into ``unavailable``; each metric logs what a small N costs it."""
    for name, metric in list(built.items()):
        reason = metric.too_few_clips(num_clips)
        if reason is not None:
            del built[name]
            unavailable[name] = UnavailableMetric(name, reason, None)
