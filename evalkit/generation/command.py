"""`evalkit generate-check` from a :class:`GenerateCheckConfig`: latents from a pipeline or a folder, then the check.

The pipeline (text encoder + transformer) is freed before any decoder is built, so both never share memory.
"""

from __future__ import annotations

import gc
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evalkit.generation.config import GenerateCheckConfig
from evalkit.generation.latents import GeneratedLatent, read_latent_folder
from evalkit.generation.runner import GenerationRun, check_and_write, folder_source


@dataclass
class GenerateCheckOutcome:
    """The latents the check used (or only generated), and its run (``None`` with ``generate_only``)."""

    latents: list[GeneratedLatent]
    run: GenerationRun | None


def run_generate_check(config: GenerateCheckConfig) -> GenerateCheckOutcome:
    """Check ``config``, produce or read the latents, then decode, score and write the results."""
    import torch

    from evalkit.generation.check import CheckOptions
    from evalkit.generation.reference import ReferenceSet
    from evalkit.metrics import MetricOptions
    from evalkit.models.placement import should_offload
    from evalkit.models.registry import build_pair
    from evalkit.options import metric_settings
    from evalkit.pipeline.devices import DTYPES, resolve_device

    config.check()
    device = resolve_device(config.device)
    if config.pipeline:
        items, source = generate_from_pipeline(config, device)
        if config.generate_only:
            return GenerateCheckOutcome(items, None)
    else:
        items = read_latent_folder(config.latents)
        source = folder_source(items, config.latents)
    pair = build_pair(
        config.decoder,
        student_weights=config.student_weights,
        teacher_weights=config.teacher_weights,
        init=config.init,
        dtype=DTYPES[config.dtype],
        seed=config.seed,
    )
    reference = None
    if config.reference_dataset:
        reference = ReferenceSet(
            config.reference_dataset,
            config.reference_root,
            config.reference_split,
            config.reference_fold,
            config.reference_max_clips,
        )
    options = CheckOptions(
        metrics=config.metric_names,
        metric_options=MetricOptions(device=device, **metric_settings(config)),
        reference=reference,
        save_clips=config.save_clips,
        flicker=config.flicker,
        seed=config.seed,
        resamples=config.bootstrap_resamples,
    )
    run = check_and_write(
        items,
        pair,
        config.run_dir,
        options,
        source=source,
        into_existing_run=bool(config.into),
        config={"command": "generate-check", **config.to_dict()},
        device=device,
        offload=should_offload(config.offload, torch.device(device), pair.teacher, pair.student),
    )
    return GenerateCheckOutcome(items, run)


def generate_from_pipeline(config: GenerateCheckConfig, device: str) -> tuple[list[GeneratedLatent], dict[str, Any]]:
    """Load the teacher's pipeline, produce (and save) latents, free the pipeline; returns latents and source record."""
    import torch

    from evalkit.generation.pipelines import PIPELINES, GenerationSettings, load_pipeline
    from evalkit.generation.prompts import DEFAULT_PROMPTS, load_prompts, prompts_sha256
    from evalkit.generation.runner import produce_latents
    from evalkit.models.interfaces import check_frames, check_size
    from evalkit.models.registry import DECODERS

    spec = DECODERS.get(config.decoder)
    if spec.teacher is None:
        raise ValueError(f"decoder {config.decoder!r} has no teacher ({spec.teacher_unavailable})")
    family = PIPELINES.get(spec.teacher)
    samples = load_prompts(
        config.prompts, seeds=config.seeds, prompt_column=config.prompt_column, max_samples=config.max_samples
    )
    extra = {"max_sequence_length": config.max_sequence_length} if config.max_sequence_length else {}
    settings = GenerationSettings.for_family(
        family,
        num_frames=config.num_frames,
        height=config.height,
        width=config.width,
        num_inference_steps=config.steps,
        guidance_scale=config.guidance_scale,
        extra=extra,
    )
    check_frames(spec.name, spec.frame_rule, settings.num_frames)
    check_size(spec.name, spec.spatial_compression, settings.height, settings.width)
    dtype_name = config.pipeline_dtype
    if dtype_name == "auto":
        dtype_name = "bfloat16" if device.startswith("cuda") else "float32"
    pipe = load_pipeline(
        family, config.pipeline, device=device, dtype=getattr(torch, dtype_name), offload=config.pipeline_offload
    )
    prompts_path = Path(config.prompts) if config.prompts else DEFAULT_PROMPTS
    source = {"model": config.pipeline, "dtype": dtype_name}
    items = produce_latents(
        pipe, config.decoder, samples, settings, save_dir=config.save_latents, source=source, progress=config.progress
    )
    del pipe
    gc.collect()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()
    record = {
        "kind": "pipeline",
        "pipeline": family.class_name,
        **source,
        "prompts": str(prompts_path),
        "prompts_sha256": prompts_sha256(prompts_path),
        "settings": settings.to_dict(),
        "latents_dir": config.save_latents,
    }
    return items, record
