"""Build metric objects from registry names and one options record, resolving their weight files.

LPIPS needs a torchvision backbone and FVD the I3D detector; both come through ``evalkit.weights.resolve``
(explicit path > local cache > download only when online). A missing file makes the metric *unavailable*,
reported with the file name and fetch command, never computed with stand-in weights.
"""

from __future__ import annotations

import importlib
import logging
from dataclasses import asdict, dataclass
from typing import Any

from evalkit.options import DEFAULT_FVD_VARIANT, DEFAULT_LPIPS_NET, DEFAULT_SSIM_VARIANT
from evalkit.registry import Registry
from evalkit.weights import WeightsUnavailable, get_spec, resolve

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class MetricSpec:
    """A registry entry: where the class lives, its direction and display label, and its weight file if any."""

    name: str
    target: str
    higher_is_better: bool
    label: str
    unit: str = ""
    per_clip: bool = True

    def load_class(self) -> type:
        """Import and return the metric class (heavy imports wait until a metric is built)."""
        module_name, _, attr = self.target.partition(":")
        return getattr(importlib.import_module(module_name), attr)


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
class MetricOptions:
    """Every metric option, shared by `evalkit run` and `evalkit score` (same defaults, same protocol).

    Args:
        device: where metric networks run.
        ssim_variant: ``"wang"`` (standard) or ``"torchmetrics"`` (Turbo-VAED paper).
        lpips_net: ``"alex"`` or ``"vgg"``.
        lpips_weights: explicit path of the torchvision backbone file (else the weights resolver finds it).
        fvd_variant: ``"stylegan-v"`` (standard), ``"turbo-vaed-compat"`` or ``"videomae"`` (content-debiased).
        fvd_detector: explicit path of ``i3d_torchscript.pt`` (used even if its hash differs from the pin), or
            for ``"videomae"`` of the folder holding the VideoMAE checkpoint.
        allow_download: passed to ``evalkit.weights.resolve``.
        frame_batch: frames per PSNR/SSIM/LPIPS call (None: by device, see ``FrameAveragedMetric.chunk_frames``).
        clip_batch: clips per I3D call.
    """

    device: str = "cpu"
    ssim_variant: str = DEFAULT_SSIM_VARIANT
    lpips_net: str = DEFAULT_LPIPS_NET
    lpips_weights: str | None = None
    fvd_variant: str = DEFAULT_FVD_VARIANT
    fvd_detector: str | None = None
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


def build_metric(name: str, options: MetricOptions | None = None) -> Any:
    """One metric object for registry ``name``; raises ``WeightsUnavailable`` when its weight file is missing."""
    options = options or MetricOptions()
    cls = METRICS.get(name).load_class()
    if name in ("psnr", "tdiff", "msssim", "vmaf"):
        return cls(device=options.device, frame_batch=options.frame_batch)
    if name == "ssim":
        return cls(variant=options.ssim_variant, device=options.device, frame_batch=options.frame_batch)
    if name == "lpips":
        from evalkit.metrics.lpips import BACKBONE_WEIGHTS, LPIPS_NETS

        if options.lpips_net not in LPIPS_NETS:
            raise ValueError(f"unknown LPIPS network {options.lpips_net!r}; choose one of: {', '.join(LPIPS_NETS)}")
        backbone = resolve(BACKBONE_WEIGHTS[options.lpips_net], options.lpips_weights, options.allow_download)
        return cls(backbone.path, options.lpips_net, backbone.sha256, options.device, options.frame_batch)
    from evalkit.metrics.fvd import DETECTOR_WEIGHTS, FVD_VARIANTS, load_detector

    if options.fvd_variant not in FVD_VARIANTS:
        raise ValueError(f"unknown FVD variant {options.fvd_variant!r}; choose one of: {', '.join(FVD_VARIANTS)}")
    resolved = resolve(DETECTOR_WEIGHTS[options.fvd_variant], options.fvd_detector, options.allow_download)
    if options.fvd_variant == "videomae":
        from evalkit.metrics.videomae import load_videomae

        backbone = load_videomae(resolved.path, options.device)
        return cls(
            backbone,
            resolved.sha256,
            variant="videomae",
            device=options.device,
            clip_batch=options.clip_batch,
            detector_name=f"{resolved.name} ({resolved.path.name})",
            feature_dim=backbone.feature_dim,
            detector_input=backbone.input_label,
            detector_trust=f"sha256 recorded on load; Hub revision {resolved.revision or 'not known (explicit path)'}",
        )
    detector = load_detector(resolved.path, resolved.sha256, options.device)
    return cls(
        detector,
        resolved.sha256,
        variant=options.fvd_variant,
        device=options.device,
        clip_batch=options.clip_batch,
        detector_name=resolved.path.name,
    )


def build_metrics(
    names: list[str], options: MetricOptions | None = None, min_side: int | None = None
) -> tuple[dict[str, Any], dict[str, UnavailableMetric]]:
    """Build every named metric; those whose weights or tools are missing or refused, or that cannot score frames
    whose short side is ``min_side`` pixels (MS-SSIM), are returned as ``UnavailableMetric``."""
    from evalkit.metrics.fvd import DETECTOR_WEIGHTS, DetectorRefusedError
    from evalkit.metrics.videomae import VideoMAEFileError

    built, unavailable = {}, {}
    for name in names:
        if name == "msssim" and min_side is not None:
            from evalkit.metrics.msssim import too_small_reason

            reason = too_small_reason(min_side, min_side)
            if reason is not None:
                unavailable[name] = UnavailableMetric(name, reason, None)
                continue
        try:
            built[name] = build_metric(name, options)
        except (WeightsUnavailable, DetectorRefusedError, VideoMAEFileError) as exc:
            chosen = options or MetricOptions()
            weight = {"lpips": f"lpips-{chosen.lpips_net}", "fvd": DETECTOR_WEIGHTS.get(chosen.fvd_variant)}[name]
            unavailable[name] = UnavailableMetric(name, str(exc), get_spec(weight).fetch_command)
        except MetricUnavailableError as exc:
            unavailable[name] = UnavailableMetric(name, str(exc), None)
    return built, unavailable


def set_aside_for_clip_count(built: dict[str, Any], unavailable: dict[str, UnavailableMetric], num_clips: int) -> None:
    """Before any clip is decoded: move FVD into ``unavailable`` when ``num_clips`` cannot give it (its
    covariance needs 1 or 2 clips per set), and log what a small N costs (not comparable, no FVD∞)."""
    from evalkit.metrics.fvd import FVD
    from evalkit.metrics.fvd_sample_size import min_clips, min_clips_for_extrapolation

    fvd = built.get("fvd")
    if not isinstance(fvd, FVD):
        return
    if num_clips < fvd.clips_needed:
        del built["fvd"]
        unavailable["fvd"] = UnavailableMetric(
            "fvd",
            f"FVD ({fvd.protocol.name}) needs at least {fvd.clips_needed} clips per set; the manifest has {num_clips}",
            None,
        )
        return
    minimum = min_clips(fvd.feature_dim)
    if num_clips < minimum:
        logger.warning("FVD from %d clips will be marked not comparable (minimum %d per set)", num_clips, minimum)
    if num_clips < min_clips_for_extrapolation(fvd.feature_dim):
        logger.warning(
            "FVD∞ unavailable: it needs %d clips per set, the manifest has %d",
            min_clips_for_extrapolation(fvd.feature_dim),
            num_clips,
        )
