"""Every choice list and shared default of evalkit's settings, in one torch-free module.

Settings classes (`RunConfig`, `DistillConfig`, `GenerateCheckConfig`), the model and metric code that checks a
value, and the CLI flags all read their choices here, so a new choice is added once and every command offers it.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

DEVICES = ("auto", "cpu", "cuda")
"""Besides these, ``cuda:N``."""
DTYPES = ("float32", "bfloat16", "float16")
TRAINING_DTYPES = ("float32", "bfloat16")
"""`evalkit distill` trains in float32 or under bfloat16 autocast (float16 would need a loss scaler)."""
INITS = ("pretrained", "random")
POSTERIORS = ("mode", "sample")
LR_SCHEDULES = ("constant", "cosine")
"""`evalkit distill`'s learning rate over the run: constant (official ``train.sh``) or cosine decay to a floor."""
OFFLOAD_MODES = ("auto", "always", "never")
PROFILE_MODES = ("auto", "on", "off")
TILING_MODES = ("off", "compare")
ONNX_CHOICES = ("none", "student", "both")
"""ONNX mobile proxy of nothing, the student, or both decoders."""
PIPELINE_OFFLOADS = ("none", "model", "sequential")
"""diffusers CPU offload of a text-to-video pipeline's text encoder and transformer."""
COMPARISONS = ("teacher", "student", "student_vs_teacher")
"""What a three-way metric scores: ground truth vs teacher, ground truth vs student, student vs teacher."""

DEFAULT_METRICS: tuple[str, ...] = ("psnr", "ssim", "lpips", "fvd", "vmaf", "tdiff")
"""``msssim`` is opt-in (``--metrics ...,msssim``): on 2 CPU cores it cost more than the rest of the default run."""
FLOOR_FACTORS_DEFAULT = (8, 4)
"""`evalkit score`'s resample floor (no teacher): 8x8 space, 4x time."""

SSIM_VARIANTS = ("wang", "torchmetrics")
LPIPS_NETS = ("alex", "vgg")
FVD_VARIANTS = ("stylegan-v", "turbo-vaed-compat", "videomae")
"""The names of ``evalkit.metrics.fvd.FVD_VARIANTS`` (a test keeps the two equal)."""


@dataclass(frozen=True, kw_only=True)
class MetricVariants:
    """The metric variants and the FVD detector file, declared once: every command's settings inherit them
    (keyword-only, so a subclass may still start with required fields).

    Args:
        ssim_variant: ``"wang"`` (standard) or ``"torchmetrics"`` (Turbo-VAED paper).
        lpips_net: ``"alex"`` or ``"vgg"``.
        fvd_variant: ``"stylegan-v"`` (standard), ``"turbo-vaed-compat"`` or ``"videomae"`` (content-debiased).
        fvd_detector: explicit path of ``i3d_torchscript.pt`` (used even if its hash differs from the pin), or
            for ``"videomae"`` of the folder holding the VideoMAE checkpoint.
    """

    ssim_variant: str = "wang"
    lpips_net: str = "alex"
    fvd_variant: str = "stylegan-v"
    fvd_detector: str | None = None


@dataclass(frozen=True, kw_only=True)
class MetricSettings(MetricVariants):
    """:class:`MetricVariants` and ``lpips_weights``, an explicit torchvision backbone file (else the weights
    resolver finds it), for `evalkit run` and ``MetricOptions``."""

    lpips_weights: str | None = None


def metric_settings(settings: Any) -> dict[str, Any]:
    """The ``MetricSettings`` fields that ``settings`` (a config or parsed flags) carries, as keywords."""
    return {f.name: getattr(settings, f.name) for f in fields(MetricSettings) if hasattr(settings, f.name)}
