"""Teacher VAEs: diffusers video autoencoders behind one encode/decode interface with clear shape checks.

``encode`` returns the RAW posterior (mode, or a seeded sample) with no latent normalisation: that is what
Turbo-VAED was trained and evaluated on (SPEC §8). Pipeline latents are mapped back with
:func:`denormalize_pipeline_latents`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn

from evalkit.models.checkpoint import CheckpointMismatchError
from evalkit.models.interfaces import FrameRule, PipelineLatents, check_frames, check_size
from evalkit.options import POSTERIORS
from evalkit.registry import Registry

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class TeacherFamily:
    """What differs between the diffusers VAE classes: class, compression, frame rule, pipeline latent convention.

    ``latent_frames_per_decode`` is 2 for CogVideoX: diffusers decodes its latents in pairs, so only an odd latent
    count (8k+1 frames) decodes back to the input length (13 frames -> 4 latents -> 16 frames).
    ``checkpoint_config`` turns the diffusers defaults into the released checkpoint's config; ``tiny_config``
    (after the diffusers tests) keeps its compression and latent channels with 8-channel blocks, for tests and
    smoke runs with random weights.
    """

    key: str
    label: str
    class_name: str
    weights: str
    compression: Callable[[Any], tuple[int, int]]
    latent_channels_key: str
    pipeline_latents: PipelineLatents
    checkpoint_config: dict[str, Any] = field(default_factory=dict)
    tiny_config: dict[str, Any] = field(default_factory=dict)
    latent_frames_per_decode: int = 1

    def model_class(self) -> type:
        """The diffusers autoencoder class."""
        import diffusers

        return getattr(diffusers, self.class_name)

    def frame_rule(self, temporal_compression: int) -> FrameRule:
        """Clip lengths that reconstruct to the same length."""
        return FrameRule(temporal_compression * self.latent_frames_per_decode, 1)


def _ltx_compression(config: Any) -> tuple[int, int]:
    scaling = sum(config.spatio_temporal_scaling)
    spatial = config.spatial_compression_ratio or config.patch_size * 2**scaling
    temporal = config.temporal_compression_ratio or config.patch_size_t * 2**scaling
    return spatial, temporal


def _hunyuan_compression(config: Any) -> tuple[int, int]:
    return config.spatial_compression_ratio, config.temporal_compression_ratio


def _cogvideox_compression(config: Any) -> tuple[int, int]:
    return 2 ** (len(config.block_out_channels) - 1), int(config.temporal_compression_ratio)


def _wan_compression(config: Any) -> tuple[int, int]:
    patch = config.patch_size or 1
    return patch * 2 ** (len(config.dim_mult) - 1), 2 ** sum(config.temperal_downsample)


TEACHER_FAMILIES: Registry[TeacherFamily] = Registry("teacher VAE")
for _family in (
    TeacherFamily(
        key="ltx",
        label="LTX",
        class_name="AutoencoderKLLTXVideo",
        weights="ltx-vae",
        compression=_ltx_compression,
        latent_channels_key="latent_channels",
        tiny_config={
            "block_out_channels": (8, 8, 8, 8),
            "decoder_block_out_channels": (8, 8, 8, 8),
            "layers_per_block": (1, 1, 1, 1, 1),
            "decoder_layers_per_block": (1, 1, 1, 1, 1),
        },
        pipeline_latents=PipelineLatents(
            kind="buffers_mean_std",
            formula="z * latents_std / scaling_factor + latents_mean (per-channel buffers of the VAE checkpoint)",
            scaling_factor=1.0,
            note="LTXPipeline._denormalize_latents; only VAEs without timestep conditioning (0.9.0 layout)",
        ),
    ),
    TeacherFamily(
        key="hunyuan",
        label="HunyuanVideo",
        class_name="AutoencoderKLHunyuanVideo",
        weights="hunyuan-vae",
        compression=_hunyuan_compression,
        latent_channels_key="latent_channels",
        tiny_config={"block_out_channels": (8, 8, 8, 8), "layers_per_block": 1, "norm_num_groups": 4},
        pipeline_latents=PipelineLatents(kind="scale", formula="z / scaling_factor", scaling_factor=0.476986),
    ),
    TeacherFamily(
        key="cogvideox",
        label="CogVideoX",
        class_name="AutoencoderKLCogVideoX",
        weights="cogvideox-vae",
        compression=_cogvideox_compression,
        latent_channels_key="latent_channels",
        tiny_config={"block_out_channels": (8, 8, 8, 8), "layers_per_block": 1, "norm_num_groups": 2},
        pipeline_latents=PipelineLatents(
            kind="scale",
            formula="z / scaling_factor",
            scaling_factor=0.7,
            note="0.7 for CogVideoX1.5-5B and CogVideoX-5b; 1.15258426 for CogVideoX-2b",
        ),
        checkpoint_config={"scaling_factor": 0.7},
        latent_frames_per_decode=2,
    ),
    TeacherFamily(
        key="wan",
        label="Wan",
        class_name="AutoencoderKLWan",
        weights="wan-vae",
        compression=_wan_compression,
        latent_channels_key="z_dim",
        tiny_config={"base_dim": 4, "dim_mult": [1, 1, 1, 1], "num_res_blocks": 1},
        pipeline_latents=PipelineLatents(
            kind="config_mean_std",
            formula="z * latents_std + latents_mean (per-channel lists in the VAE config)",
            note="WanPipeline: latents / (1 / latents_std) + latents_mean",
        ),
    ),
):
    TEACHER_FAMILIES.register(_family.key, obj=_family)


class TeacherVAE(nn.Module):
    """A diffusers video VAE with ``encode`` to the raw posterior and ``decode`` back to pixels.

    Args:
        family: which diffusers class and conventions this is.
        vae: the diffusers autoencoder (eval mode).
        posterior: ``"mode"`` (deterministic, default) or ``"sample"`` (reparameterised, seeded by ``seed``).
        seed: seed of the sampling generator; sampled latents depend on call order unless a generator is passed.
    """

    def __init__(self, family: TeacherFamily, vae: nn.Module, posterior: str = "mode", seed: int = 0) -> None:
        super().__init__()
        if posterior not in POSTERIORS:
            raise ValueError(f"posterior must be one of {POSTERIORS}, got {posterior!r}")
        self.family = family
        self.vae = vae.eval()
        self.posterior = posterior
        self.seed = seed
        self.spatial_compression, self.temporal_compression = family.compression(vae.config)
        self.latent_channels = int(vae.config[family.latent_channels_key])
        self.frame_rule = family.frame_rule(self.temporal_compression)
        self._generator = torch.Generator().manual_seed(seed)

    def check_frames(self, num_frames: int) -> None:
        """Raise ValueError unless ``num_frames`` reconstructs to the same length."""
        check_frames(self.family.label, self.frame_rule, num_frames)

    def check_size(self, height: int, width: int) -> None:
        """Raise ValueError unless height and width are multiples of the spatial compression."""
        check_size(self.family.label, self.spatial_compression, height, width)

    def check_input(self, x: torch.Tensor) -> None:
        """Validate a pixel batch (B, 3, T, H, W)."""
        if x.ndim != 5 or x.shape[1] != 3:
            raise ValueError(f"expected pixels shaped (B, 3, T, H, W), got {tuple(x.shape)}")
        self.check_frames(x.shape[2])
        self.check_size(x.shape[3], x.shape[4])

    @property
    def dtype(self) -> torch.dtype:
        return next(self.vae.parameters()).dtype

    @property
    def device(self) -> torch.device:
        return next(self.vae.parameters()).device

    @torch.no_grad()
    def encode(self, x: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        """Pixels in [-1, 1] (B, 3, T, H, W) -> raw latent (B, C, t, h, w): posterior mode, or a seeded sample."""
        self.check_input(x)
        posterior = self.vae.encode(x.to(device=self.device, dtype=self.dtype)).latent_dist
        if self.posterior == "mode":
            return posterior.mode()
        return posterior.sample(generator=generator or self._generator)

    @torch.no_grad()
    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """Raw latent (B, C, t, h, w) -> pixels (B, 3, T, H, W), unclamped."""
        return self.vae.decode(z.to(device=self.device, dtype=self.dtype)).sample

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decode(self.encode(x))


# State-dict key fragments that only LTX-Video VAEs from 0.9.1 on have (their decoders are timestep-conditioned).
LTX_TIMESTEP_KEYS: tuple[str, ...] = ("time_embedder", "timestep_scale_multiplier", "scale_shift_table")


def _later_ltx_release(source: str, evidence: str) -> CheckpointMismatchError:
    return CheckpointMismatchError(
        f"{source}: looks like an LTX-Video 0.9.1-or-later VAE ({evidence}: a timestep-conditioned decoder), but "
        "the ltx decoders build the LTX-Video 0.9.0 layout (Turbo-VAED has no timestep path). Use the ltx-vae "
        "spec (`evalkit weights fetch ltx-vae`) or pass a 0.9.0 vae/ folder as --teacher-weights."
    )


def _check_ltx_keys(folder: Path) -> None:
    """Refuse an LTX VAE folder whose weights carry the timestep-conditioned decoder of LTX-Video >= 0.9.1."""
    from safetensors import safe_open

    for weights_file in sorted(folder.glob("*.safetensors")):
        with safe_open(str(weights_file), framework="pt") as handle:
            keys = list(handle.keys())
        later = next((key for key in keys if any(part in key for part in LTX_TIMESTEP_KEYS)), None)
        if later is not None:
            raise _later_ltx_release(str(weights_file), f"it has the key {later}")


def _check_layout(family: TeacherFamily, vae: nn.Module, source: str) -> None:
    if family.key == "ltx" and vae.config.get("timestep_conditioning"):
        raise _later_ltx_release(source, "its config sets timestep_conditioning")


def _from_folder(cls: type, folder: Path, dtype: torch.dtype) -> nn.Module:
    """``cls.from_pretrained(folder)``; damaged weight files are named instead of ending in diffusers' traceback."""
    from evalkit.models.checkpoint import CheckpointReadError, check_safetensors_file

    for weights_file in sorted(folder.glob("*.safetensors")):
        check_safetensors_file(weights_file)
    if cls.__name__ == "AutoencoderKLLTXVideo":
        _check_ltx_keys(folder)
    try:
        # low_cpu_mem_usage needs `accelerate` (not a dependency); without it diffusers warns on every load
        return cls.from_pretrained(folder, torch_dtype=dtype, low_cpu_mem_usage=False)
    except OSError as exc:
        raise CheckpointReadError(
            f"{folder}: diffusers cannot load this teacher folder ({str(exc).splitlines()[0]}); it needs config.json "
            "and the weight file beside it, as `evalkit weights fetch` stores them"
        ) from None


def load_teacher(
    family: TeacherFamily,
    *,
    weights_folder: Path | None,
    config: dict[str, Any] | None = None,
    device: str | torch.device = "cpu",
    dtype: torch.dtype = torch.float32,
    posterior: str = "mode",
    seed: int = 0,
) -> TeacherVAE:
    """Build a teacher from a diffusers folder (config.json + weights), or with random weights when it is None.

    Random weights use the released checkpoint's config (diffusers defaults plus ``checkpoint_config``) updated
    with ``config``, initialised under ``torch.manual_seed(seed)`` so benchmarks are reproducible.
    """
    cls = family.model_class()
    if weights_folder is not None:
        if config:
            raise ValueError("teacher_config overrides apply only to random weights; edit the folder's config.json")
        vae = _from_folder(cls, Path(weights_folder), dtype)
        source = str(weights_folder)
    else:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            vae = cls.from_config({**family.checkpoint_config, **(config or {})})
        source = f"random {family.class_name}"
    _check_layout(family, vae, source)
    vae = vae.to(device=device)
    if next(vae.parameters()).dtype != dtype:
        vae = vae.to(dtype=dtype)
    return TeacherVAE(family, vae, posterior=posterior, seed=seed)


def decode_path_parameters(vae: nn.Module) -> int:
    """Parameters used by ``decode``: the decoder plus ``post_quant_conv`` where the class has one."""
    modules = [vae.decoder, getattr(vae, "post_quant_conv", None)]
    return sum(p.numel() for m in modules if m is not None for p in m.parameters())


def count_teacher_parameters(family: TeacherFamily, config: dict[str, Any] | None = None) -> dict[str, int]:
    """Decode-path and total parameter counts of the released config, built on the meta device (no memory)."""
    cls = family.model_class()
    with torch.device("meta"):
        vae = cls.from_config({**family.checkpoint_config, **(config or {})})
    return {"decoder": decode_path_parameters(vae), "total": sum(p.numel() for p in vae.parameters())}


def denormalize_pipeline_latents(family: TeacherFamily, z: torch.Tensor, teacher: TeacherVAE) -> torch.Tensor:
    """Map a diffusion pipeline's normalised latents (B, C, t, h, w) back to the teacher's raw posterior space."""
    convention = family.pipeline_latents
    vae = teacher.vae
    shape = (1, -1, 1, 1, 1)
    if convention.kind == "buffers_mean_std":
        mean = vae.latents_mean.view(shape).to(z)
        std = vae.latents_std.view(shape).to(z)
        return z * std / vae.config.scaling_factor + mean
    if convention.kind == "scale":
        factor = vae.config.scaling_factor
        if convention.scaling_factor is not None and abs(factor - convention.scaling_factor) > 1e-9:
            logger.warning(
                "%s VAE config has scaling_factor %s, not the expected %s; using the config's (as the pipeline does)",
                family.label,
                factor,
                convention.scaling_factor,
            )
        return z / factor
    if convention.kind == "config_mean_std":
        mean = torch.tensor(vae.config.latents_mean).view(shape).to(z)
        std = torch.tensor(vae.config.latents_std).view(shape).to(z)
        return z * std + mean
    raise ValueError(f"{family.label}: pipeline latent convention {convention.kind!r} is not known")
