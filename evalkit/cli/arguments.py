"""Flags that several subcommands share, so each is spelled, explained and defaulted one way everywhere.

Choices come from `evalkit.options`, defaults from `RunConfig` (every command defaults as `evalkit run` does).
On a parser whose unset flags are left out (``argument_default=SUPPRESS``: `evalkit run`, where a --config file
fills them) no default is set and the help text names the settings default instead.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import Any

from evalkit.options import DEVICES, DTYPES, FVD_VARIANTS, LPIPS_NETS, OFFLOAD_MODES, SSIM_VARIANTS
from evalkit.pipeline.config import RunConfig

Group = argparse.ArgumentParser | argparse._ArgumentGroup
RUN_DEFAULTS = RunConfig()


class DeprecatedAlias(argparse.Action):
    """An old spelling of a flag: stores its value like the new one after a one-line warning on stderr."""

    def __init__(self, option_strings: list[str], dest: str, replacement: str, **kwargs: Any) -> None:
        self.replacement = replacement
        super().__init__(option_strings, dest, **kwargs)

    def __call__(
        self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values: Any, option: Any = None
    ) -> None:
        print(f"evalkit: {option} is deprecated and will be removed; use {self.replacement}", file=sys.stderr)
        setattr(namespace, self.dest, values)


def defaulted(group: Group, value: Any, help_text: str) -> dict[str, Any]:
    """``default`` and ``help`` keywords of a flag whose default is ``value`` (see the module docstring)."""
    if group.argument_default is argparse.SUPPRESS:
        return {"help": f"{help_text} (default: {value})"}
    return {"default": value, "help": f"{help_text} (default: %(default)s)"}


def int_or(keyword: str) -> Callable[[str], int | str]:
    """An argparse type reading a whole number or ``keyword`` (its error says "invalid int or 'all' value")."""

    def parse(text: str) -> int | str:
        return keyword if text == keyword else int(text)

    parse.__name__ = f"int or {keyword!r}"
    return parse


def add_frame_stride_argument(group: Group, *, dest: str = "frame_stride", default: int = 1) -> None:
    """``--frame-stride K`` (old spelling ``--stride``, deprecated: it still works and warns)."""
    group.add_argument(
        "--frame-stride", dest=dest, metavar="K", type=int, **defaulted(group, default, "step between chosen frames")
    )
    group.add_argument(
        "--stride",
        dest=dest,
        type=int,
        action=DeprecatedAlias,
        replacement="--frame-stride",
        default=argparse.SUPPRESS,
        help=argparse.SUPPRESS,
    )


def add_protocol_arguments(group: Group, *, sampling: bool = True) -> None:
    """The clip protocol flags (defaults from :class:`ClipProtocol`): frames, stride and resolution, and with
    ``sampling`` where the clip starts, how it is cropped and resized, and what short videos do."""
    from evalkit.data.protocol import CROP_MODES, RESIZE_FILTERS, SHORT_POLICIES, START_POLICIES, ClipProtocol

    default = ClipProtocol()
    group.add_argument(
        "--num-frames",
        type=int_or("all"),
        metavar="N|all",
        **defaulted(group, default.num_frames, "frames per clip, or all"),
    )
    add_frame_stride_argument(group, default=default.frame_stride)
    group.add_argument(
        "--resolution",
        type=int_or("native"),
        metavar="PX|native",
        **defaulted(group, default.resolution, "shorter side after resizing (centre crop), or native"),
    )
    if not sampling:
        return
    group.add_argument("--start", choices=START_POLICIES, **defaulted(group, default.start, "where the clip starts"))
    group.add_argument("--seed", type=int, **defaulted(group, default.seed, "seed of --start random"))
    group.add_argument(
        "--crop",
        choices=CROP_MODES,
        **defaulted(group, default.crop, "center: square crop; none: keep aspect, sides rounded to --spatial-multiple"),
    )
    group.add_argument(
        "--spatial-multiple",
        type=int,
        metavar="M",
        **defaulted(group, default.spatial_multiple, "decoder spatial multiple used by --crop none"),
    )
    group.add_argument(
        "--resize-filter", choices=RESIZE_FILTERS, **defaulted(group, default.resize_filter, "resize filter")
    )
    group.add_argument(
        "--short-policy",
        choices=SHORT_POLICIES,
        **defaulted(group, default.short_policy, "videos shorter than the clip: skip (recorded), pad-last or loop"),
    )


def add_metric_arguments(group: Group, *, lpips_weights: bool = True) -> None:
    """Metric variants, their weight files and the bootstrap of the confidence intervals."""
    group.add_argument(
        "--bootstrap-resamples",
        metavar="N",
        type=int,
        **defaulted(group, RUN_DEFAULTS.bootstrap_resamples, "resamples of the 95%% CIs"),
    )
    group.add_argument("--lpips-net", choices=LPIPS_NETS, **defaulted(group, RUN_DEFAULTS.lpips_net, "LPIPS backbone"))
    if lpips_weights:
        group.add_argument(
            "--lpips-weights", metavar="PATH", help="torchvision backbone file (default: resolved by name)"
        )
    group.add_argument(
        "--ssim-variant",
        choices=SSIM_VARIANTS,
        **defaulted(group, RUN_DEFAULTS.ssim_variant, "SSIM reduction; torchmetrics: the Turbo-VAED paper's"),
    )
    group.add_argument(
        "--fvd-variant",
        choices=FVD_VARIANTS,
        **defaulted(
            group, RUN_DEFAULTS.fvd_variant, "FVD input convention; videomae: content-debiased FVD on VideoMAE features"
        ),
    )
    group.add_argument(
        "--fvd-detector", metavar="PATH", help="I3D TorchScript file, or VideoMAE folder (default: resolved by name)"
    )


def add_device_arguments(group: Group) -> None:
    """Where and in which precision the decoders run, and whether they share the GPU one at a time."""
    group.add_argument(
        "--device", metavar="DEVICE", **defaulted(group, RUN_DEFAULTS.device, f"{'|'.join(DEVICES)} or cuda:N")
    )
    group.add_argument("--dtype", choices=DTYPES, **defaulted(group, RUN_DEFAULTS.dtype, "decoder precision"))
    group.add_argument(
        "--offload", choices=OFFLOAD_MODES, **defaulted(group, RUN_DEFAULTS.offload, "one decoder on the GPU at a time")
    )
