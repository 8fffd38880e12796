"""Turbo-VAED decoder configuration: the official config-file keys, validated once.

Field names and defaults follow the official ``AutoencoderKLTurboVAED`` constructor (hustvl/Turbo-VAED), so the
shipped JSON files load unchanged. Per-block lists are written in *encoder* order, as in the official files; the
decoder reverses them (see ``TurboVAEDDecoder``).
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

logger = logging.getLogger(__name__)

SUPPORTED_PATCH_SIZES = (1, 2, 4)


@dataclass(frozen=True)
class TurboVAEDConfig:
    """Every key an official Turbo-VAED config may hold; ``validate()`` rejects the paths we do not build.

    Keys marked "unused" are accepted so official files load, but they do not change the decoder: the
    compression-ratio keys only matter for tiled decoding, which this module does not implement, and the
    projection-head keys describe ``ProjectionHeads``, which live outside the decoder.
    """

    latent_channels: int = 128
    out_channels: int = 3
    decoder_block_out_channels: tuple[int, ...] = (128, 256, 512, 512)
    decoder_layers_per_block: tuple[int, ...] = (4, 3, 3, 3, 4)
    decoder_spatio_temporal_scaling: tuple[bool, ...] = (True, True, True, False)
    decoder_spatio_only: tuple[bool, ...] = (False, False, False, False)
    decoder_is_dw_conv: tuple[bool, ...] = (False, False, False, False, False)
    decoder_dw_kernel_size: int = 3
    decoder_causal: bool = False
    patch_size: int = 4
    is_video_dc_ae: bool = False
    resnet_norm_eps: float = 1e-6
    timestep_conditioning: bool = False
    decoder_inject_noise: tuple[bool, ...] = (False, False, False, False, False)
    upsample_factor: tuple[int, ...] = (1, 1, 1, 1)
    # Unused by the decoder (see class docstring).
    patch_size_t: int = 1
    upsample_residual: tuple[bool, ...] = (False, False, False, False)
    in_channels: int = 3
    layers_per_block: tuple[int, ...] | None = None
    scaling_factor: float = 1.0
    spatio_temporal_scaling: tuple[bool, ...] | None = None
    spatial_compression_ratio: int | None = None
    temporal_compression_ratio: int | None = None
    aligned_feature_projection_mode: str | None = None
    aligned_feature_projection_dim: tuple[tuple[int, int], ...] | None = None
    aligned_blks_indices: tuple[int, ...] | None = None
    extra: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_dict(cls, config: Mapping[str, Any], *, source: str = "config") -> TurboVAEDConfig:
        """Build and validate a config from a parsed JSON dict.

        ``_``-prefixed metadata keys (``_class_name``, ``_diffusers_version``) are dropped; unknown keys are
        logged as a warning and kept in ``extra``; keys left at their default are logged at debug level.
        ``source`` names the file or preset in messages.
        """
        known = {f.name for f in dataclasses.fields(cls)} - {"extra"}
        values: dict[str, Any] = {}
        extra: dict[str, Any] = {}
        for key, value in config.items():
            if key.startswith("_"):
                continue
            if key in known:
                values[key] = _freeze(value)
            else:
                extra[key] = value
        if extra:
            logger.warning("%s: ignoring unknown Turbo-VAED config keys %s", source, sorted(extra))
        defaults = sorted(known - values.keys())
        if defaults:
            logger.debug("%s: keys left at their defaults: %s", source, defaults)
        built = cls(**values, extra=extra)
        built.validate(source)
        return built

    def validate(self, source: str = "config") -> None:
        """Raise ``ValueError`` for settings the official decoder cannot run or that this module does not build."""
        if self.timestep_conditioning:
            raise ValueError(
                f"{source}: timestep_conditioning=True is not supported. The official Turbo-VAED timestep path is "
                "broken (an up block's conv_in resnet receives the raw timestep and crashes whenever a block changes "
                "width, and the decoder-level time embedder is never used), so no released checkpoint relies on it. "
                "Set timestep_conditioning to false."
            )
        if any(self.decoder_inject_noise):
            raise ValueError(
                f"{source}: decoder_inject_noise={list(self.decoder_inject_noise)} is not supported. The official "
                "Turbo-VAED noise-injection path is broken (it crashes in every resnet that changes width) and no "
                "released checkpoint uses it. Set every decoder_inject_noise entry to false."
            )
        lengths = {
            "decoder_block_out_channels": 4,
            "decoder_layers_per_block": 5,
            "decoder_spatio_temporal_scaling": 4,
            "decoder_spatio_only": 4,
            "decoder_is_dw_conv": 5,
            "upsample_factor": 4,
        }
        for name, expected in lengths.items():
            got = len(getattr(self, name))
            if got != expected:
                raise ValueError(f"{source}: {name} needs {expected} entries (encoder order), got {got}")
        if any(factor != 1 for factor in self.upsample_factor):
            raise ValueError(
                f"{source}: upsample_factor={list(self.upsample_factor)} is not supported; the official decoder only "
                "ever runs with factor 1. Set every entry to 1."
            )
        if self.patch_size not in SUPPORTED_PATCH_SIZES:
            raise ValueError(
                f"{source}: patch_size={self.patch_size} is not supported; use one of {SUPPORTED_PATCH_SIZES}"
            )
        first = self.decoder_block_out_channels[0]
        divisor = self.patch_size**2
        if first % divisor:
            raise ValueError(
                f"{source}: patch_size={self.patch_size} needs decoder_block_out_channels[0] divisible by {divisor} "
                f"(the pixel stage divides it by {divisor}), got {first}"
            )
        if self.decoder_dw_kernel_size % 2 == 0:
            raise ValueError(f"{source}: decoder_dw_kernel_size must be odd, got {self.decoder_dw_kernel_size}")


def _freeze(value: Any) -> Any:
    """Turn JSON lists (nested too) into tuples so the frozen config is hashable and cannot be mutated."""
    if isinstance(value, list):
        return tuple(_freeze(item) for item in value)
    return value
