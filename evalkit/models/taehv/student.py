"""A TAEHV decoder as a student of a diffusers teacher: raw teacher latents in, pixels in [-1, 1] out.

TAEHV decodes the latents the diffusion model works in (SPEC "Conventions"), so the teacher's raw posterior is
first put into that space with the teacher pipeline's own constants (the inverse of
:func:`evalkit.models.teachers.denormalize_pipeline_latents`), times a per-file factor where the TAEHV
documentation hands its decoder something else (``taecvx``). Frames go NCTHW -> NTCHW and back, and TAEHV's
[0, 1] output becomes [-1, 1], evalkit's pixel convention, before the pipeline clamps and quantises it.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from typing import Any

import torch
from torch import nn

from evalkit.models.taehv.config import TaehvConfig
from evalkit.models.taehv.decoder import TaehvDecoder
from evalkit.models.teachers import TeacherFamily


def released_vae_config(family: TeacherFamily) -> dict[str, Any]:
    """The teacher's released VAE config as diffusers builds it: the class defaults plus ``checkpoint_config``."""
    parameters = inspect.signature(family.model_class().__init__).parameters.values()
    defaults = {p.name: p.default for p in parameters if p.default is not inspect.Parameter.empty}
    return {**defaults, **family.checkpoint_config}


def pipeline_affine(family: TeacherFamily, vae_config: Mapping[str, Any]) -> tuple[torch.Tensor, torch.Tensor]:
    """``(shift, scale)`` per channel such that pipeline latents = (raw - shift) * scale, from the VAE config.

    Hunyuan and CogVideoX pipelines divide by ``scaling_factor`` before decoding, so their latents are
    raw * scaling_factor; Wan's are (raw - latents_mean) / latents_std. LTX keeps its statistics in checkpoint
    buffers, which no TAEHV file pairs with here, so it is refused.
    """
    kind = family.pipeline_latents.kind
    if kind == "scale":
        scale = torch.tensor([float(vae_config["scaling_factor"])], dtype=torch.float64)
        return torch.zeros(1, dtype=torch.float64), scale
    if kind == "config_mean_std":
        mean = torch.tensor(vae_config["latents_mean"], dtype=torch.float64)
        return mean, 1 / torch.tensor(vae_config["latents_std"], dtype=torch.float64)
    raise ValueError(f"{family.label}: no TAEHV pairing for the pipeline latent convention {kind!r}")


class TaehvStudent(nn.Module):
    """TAEHV decoder behind evalkit's student call: ``forward(raw z (B, C, t, h, w)) -> pixels (B, 3, T, H, W)``.

    ``shift`` / ``scale`` (non-persistent buffers, so checkpoints and architecture hashes see the decoder only)
    map the raw posterior to the latent TAEHV decodes: ``(z - shift) * scale``.
    """

    def __init__(self, decoder: TaehvDecoder, shift: torch.Tensor, scale: torch.Tensor) -> None:
        super().__init__()
        self.decoder = decoder
        self.register_buffer("shift", shift.float().view(1, -1, 1, 1, 1), persistent=False)
        self.register_buffer("scale", scale.float().view(1, -1, 1, 1, 1), persistent=False)

    @property
    def config(self) -> TaehvConfig:
        """The decoder's TAEHV config."""
        return self.decoder.config

    @property
    def latent_channels(self) -> int:
        """Channels of the latent this student takes."""
        return self.decoder.config.latent_channels

    def taehv_latents(self, z: torch.Tensor) -> torch.Tensor:
        """Raw teacher latents (B, C, t, h, w) -> TAEHV's input (B, t, C, h, w)."""
        return ((z - self.shift) * self.scale).transpose(1, 2)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.decoder(self.taehv_latents(z)).transpose(1, 2) * 2 - 1

    def decode_streaming(self, z: torch.Tensor) -> torch.Tensor:
        """``forward`` computed frame by frame (:meth:`TaehvDecoder.stream`), for long videos."""
        return self.decoder.decode_streaming(self.taehv_latents(z)).transpose(1, 2) * 2 - 1


def build_taehv_student(
    config: TaehvConfig,
    family: TeacherFamily,
    *,
    vae_config: Mapping[str, Any] | None = None,
    extra_scale: float = 1.0,
) -> TaehvStudent:
    """A student with random weights whose latent map uses ``vae_config`` (else the released teacher config)."""
    shift, scale = pipeline_affine(family, vae_config if vae_config is not None else released_vae_config(family))
    return TaehvStudent(TaehvDecoder(config), shift, scale * extra_scale)
