"""Latent source 1: a diffusers text-to-video pipeline matched to the teacher, run with ``output_type="latent"``.

The pipeline is loaded without its VAE (``vae=None``; every supported pipeline then falls back to the
released compression ratios), so its VAE is never resident and never decodes: the teacher and the student
of the decoder pair decode the latents later, possibly in another process. What differs between pipelines
is the layout of the latents they return; :class:`PipelineFamily` turns each into ``(B, C, t, h, w)``,
still normalised (the check maps them back with the teacher's statistics, SPEC §8).
"""

from __future__ import annotations

import importlib.util
import logging
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

import torch

from evalkit.generation.latents import GeneratedLatent, LatentMeta
from evalkit.generation.prompts import PromptSample
from evalkit.options import PIPELINE_OFFLOADS
from evalkit.registry import Registry

logger = logging.getLogger(__name__)


def require_generation_extra() -> None:
    """Raise ImportError naming the install command unless ``transformers`` (text encoders) is importable."""
    if importlib.util.find_spec("transformers") is None:
        raise ImportError(
            "diffusion pipelines need the `transformers` package for their text encoders, which is not installed; "
            'install the generation extra: pip install -e ".[generation]"'
        )


def _ltx_latents(pipe: Any, output: torch.Tensor, num_frames: int, height: int, width: int) -> torch.Tensor:
    """LTXPipeline returns packed token sequences ``(B, t*h*w, C)``; unpack with the pipeline's own inverse."""
    if output.ndim != 3:
        raise ValueError(f"LTXPipeline latents should be packed (B, tokens, C), got {tuple(output.shape)}")
    frames = (num_frames - 1) // pipe.vae_temporal_compression_ratio + 1
    return pipe._unpack_latents(
        output,
        frames,
        height // pipe.vae_spatial_compression_ratio,
        width // pipe.vae_spatial_compression_ratio,
        pipe.transformer_spatial_patch_size,
        pipe.transformer_temporal_patch_size,
    )


def _cogvideox_latents(pipe: Any, output: torch.Tensor, num_frames: int, height: int, width: int) -> torch.Tensor:
    """CogVideoXPipeline returns ``(B, t, C, h, w)``, for 1.5 with leading padding frames it drops before decode."""
    if output.ndim != 5:
        raise ValueError(f"CogVideoXPipeline latents should be (B, t, C, h, w), got {tuple(output.shape)}")
    frames = (num_frames - 1) // pipe.vae_scale_factor_temporal + 1
    padding = output.shape[1] - frames
    return output[:, padding:].permute(0, 2, 1, 3, 4)


def _channels_first(pipe: Any, output: torch.Tensor, num_frames: int, height: int, width: int) -> torch.Tensor:
    """HunyuanVideoPipeline and WanPipeline already return ``(B, C, t, h, w)``."""
    if output.ndim != 5:
        raise ValueError(f"{type(pipe).__name__} latents should be (B, C, t, h, w), got {tuple(output.shape)}")
    return output


@dataclass(frozen=True)
class PipelineFamily:
    """The diffusers pipeline of one teacher: class, released model, call defaults and latent layout."""

    teacher: str
    class_name: str
    model: str
    defaults: dict[str, Any]
    to_latents: Callable[[Any, torch.Tensor, int, int, int], torch.Tensor]

    def pipeline_class(self) -> type:
        """The diffusers pipeline class (needs the generation extra)."""
        require_generation_extra()
        import diffusers

        return getattr(diffusers, self.class_name)


PIPELINES: Registry[PipelineFamily] = Registry("text-to-video pipeline")
for _family in (
    PipelineFamily(
        "ltx",
        "LTXPipeline",
        "Lightricks/LTX-Video",
        {"num_frames": 161, "height": 480, "width": 704, "num_inference_steps": 50, "guidance_scale": 3.0},
        _ltx_latents,
    ),
    PipelineFamily(
        "hunyuan",
        "HunyuanVideoPipeline",
        "hunyuanvideo-community/HunyuanVideo",
        {"num_frames": 61, "height": 320, "width": 512, "num_inference_steps": 30, "guidance_scale": 6.0},
        _channels_first,
    ),
    PipelineFamily(
        "cogvideox",
        "CogVideoXPipeline",
        "zai-org/CogVideoX1.5-5B",
        {"num_frames": 81, "height": 768, "width": 1360, "num_inference_steps": 50, "guidance_scale": 6.0},
        _cogvideox_latents,
    ),
    PipelineFamily(
        "wan",
        "WanPipeline",
        "Wan-AI/Wan2.1-T2V-1.3B-Diffusers",
        {"num_frames": 81, "height": 480, "width": 832, "num_inference_steps": 50, "guidance_scale": 5.0},
        _channels_first,
    ),
):
    PIPELINES.register(_family.teacher, obj=_family)


@dataclass(frozen=True)
class GenerationSettings:
    """Pipeline call settings; ``extra`` is passed through (e.g. ``{"max_sequence_length": 128}``)."""

    num_frames: int
    height: int
    width: int
    num_inference_steps: int
    guidance_scale: float
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def for_family(cls, family: PipelineFamily, **given: Any) -> GenerationSettings:
        """The family's defaults, overridden by every ``given`` value that is not None."""
        chosen = {**family.defaults, **{key: value for key, value in given.items() if value is not None}}
        return cls(**chosen)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready record."""
        return asdict(self)


def load_pipeline(
    family: PipelineFamily,
    model: str,
    *,
    device: str | torch.device = "cpu",
    dtype: torch.dtype = torch.float32,
    offload: str = "none",
) -> Any:
    """Load ``family``'s pipeline from a diffusers folder or Hub id, without its VAE, placed on ``device``.

    ``offload="model"`` / ``"sequential"`` use diffusers' CPU offload (needs ``accelerate``), so the text
    encoder and transformer take turns on the GPU.
    """
    if offload not in PIPELINE_OFFLOADS:
        raise ValueError(f"pipeline offload must be one of {', '.join(PIPELINE_OFFLOADS)}, got {offload!r}")
    pipe = family.pipeline_class().from_pretrained(model, vae=None, torch_dtype=dtype)
    if offload == "model":
        pipe.enable_model_cpu_offload(device=device)
    elif offload == "sequential":
        pipe.enable_sequential_cpu_offload(device=device)
    else:
        pipe.to(device)
    return pipe


def check_pipeline(pipe: Any, family: PipelineFamily, decoder: str) -> None:
    """Refuse a pipeline of another class than the teacher's (its latents would be in another space)."""
    expected = family.pipeline_class()
    if not isinstance(pipe, expected):
        raise ValueError(
            f"decoder {decoder!r} decodes {family.teacher!r} latents, made by {family.class_name}; "
            f"got a {type(pipe).__name__}"
        )


def generate_latents(
    pipe: Any,
    family: PipelineFamily,
    samples: list[PromptSample],
    settings: GenerationSettings,
    *,
    source: dict[str, Any] | None = None,
    progress: bool = False,
) -> Iterator[GeneratedLatent]:
    """Run the pipeline once per sample (seeded CPU generator, so batching never changes a sample) and yield
    its normalised latent ``(C, t, h, w)`` with metadata."""
    pipe.set_progress_bar_config(disable=not progress)
    record = {"pipeline": family.class_name, **(source or {}), **settings.to_dict()}
    call = {key: value for key, value in settings.to_dict().items() if key != "extra"}
    call.update(output_type="latent", return_dict=False, **settings.extra)
    for sample in samples:
        kwargs = {"prompt": sample.prompt, "generator": torch.Generator("cpu").manual_seed(sample.seed), **call}
        if sample.negative_prompt is not None:
            kwargs["negative_prompt"] = sample.negative_prompt
        with torch.inference_mode():
            output = pipe(**kwargs)[0]
        latent = family.to_latents(pipe, output, settings.num_frames, settings.height, settings.width)
        meta = LatentMeta(
            teacher=family.teacher,
            num_frames=settings.num_frames,
            height=settings.height,
            width=settings.width,
            normalized=True,
            sample_id=sample.sample_id,
            prompt=sample.prompt,
            seed=sample.seed,
            source=record,
        )
        logger.info("generated %s: latent %s", sample.sample_id, tuple(latent.shape[1:]))
        yield GeneratedLatent(meta, latent[0].detach().cpu())
