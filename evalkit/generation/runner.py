"""`evalkit generate-check` as functions: produce latents (pipeline), then decode, score and write results.

The two halves share nothing but the list of :class:`GeneratedLatent` (or a folder of them), so they can
run in different processes; in one process the pipeline (text encoder + transformer) is freed before any decoder
is built, so both never share memory.
"""

from __future__ import annotations

import gc
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import torch

from evalkit.generation.check import CheckOptions, check_latents
from evalkit.generation.config import GenerateCheckConfig
from evalkit.generation.latents import GeneratedLatent, read_latent_folder, save_latent
from evalkit.generation.pipelines import PIPELINES, GenerationSettings, check_pipeline, generate_latents, load_pipeline
from evalkit.generation.prompts import DEFAULT_PROMPTS, PromptSample, load_prompts, prompts_sha256
from evalkit.generation.reference import ReferenceSet
from evalkit.generation.results import attach_generation, generation_section, write_generation_run
from evalkit.metrics import MetricOptions
from evalkit.models import registry
from evalkit.models.interfaces import DecoderPair, check_frames, check_size
from evalkit.models.placement import should_offload
from evalkit.options import metric_settings
from evalkit.pipeline.devices import DTYPES, resolve_device


@dataclass
class GenerationRun:
    """Where the check wrote its files, and its ``generation`` section."""

    run_dir: Path
    section: dict[str, Any]


def produce_latents(
    pipe: Any,
    decoder: str,
    samples: list[PromptSample],
    settings: GenerationSettings,
    *,
    save_dir: str | os.PathLike[str] | None = None,
    source: dict[str, Any] | None = None,
    progress: bool = False,
) -> list[GeneratedLatent]:
    """Run the text-to-video pipeline of ``decoder``'s teacher over ``samples``; optionally save each latent."""
    spec = registry.DECODERS.get(decoder)
    if spec.teacher is None:
        raise ValueError(f"decoder {decoder!r} has no teacher ({spec.teacher_unavailable}); no pipeline matches it")
    family = PIPELINES.get(spec.teacher)
    check_pipeline(pipe, family, decoder)
    items = []
    for item in generate_latents(pipe, family, samples, settings, source=source, progress=progress):
        if save_dir is not None:
            save_latent(save_dir, item)
        items.append(item)
    return items


def latents_record(items: list[GeneratedLatent], pair: DecoderPair) -> dict[str, Any]:
    """What the latents were: teacher space, normalisation and how it was undone, decoded shapes."""
    normalized = sorted({item.meta.normalized for item in items})
    shapes = sorted({(item.meta.num_frames, item.meta.height, item.meta.width) for item in items})
    size = shapes[0] if len(shapes) == 1 else (None, None, None)
    return {
        "teacher": pair.spec.teacher,
        "normalized": normalized[0] if len(normalized) == 1 else "mixed",
        "denormalization": pair.spec.pipeline_latents.formula if True in normalized else None,
        "latent_shapes": sorted({tuple(item.latent.shape) for item in items}),
        **dict(zip(("num_frames", "height", "width"), size, strict=True)),
    }


def folder_source(items: list[GeneratedLatent], folder: str | os.PathLike[str]) -> dict[str, Any]:
    """The ``source`` record of latents read from a folder (with the distinct producers named in the files)."""
    sources = [item.meta.source for item in items]
    producers = [source for index, source in enumerate(sources) if source not in sources[:index]]
    return {"kind": "latents", "latents_dir": str(folder), "producers": producers}


def check_and_write(
    items: list[GeneratedLatent],
    pair: DecoderPair,
    run_dir: str | os.PathLike[str],
    options: CheckOptions | None = None,
    *,
    source: dict[str, Any],
    into_existing_run: bool = False,
    config: dict[str, Any] | None = None,
    device: str = "cpu",
    offload: bool = False,
) -> GenerationRun:
    """Decode and score ``items``, then write the ``generation`` section: into the ``results.json`` already in
    ``run_dir`` (``into_existing_run``) or as a standalone run folder."""
    options = options or CheckOptions()
    started = datetime.now(UTC)
    run_dir = Path(run_dir)
    if into_existing_run and not (run_dir / "results.json").is_file():
        raise FileNotFoundError(f"{run_dir} holds no results.json to attach the generation check to")
    outcome = check_latents(items, pair, run_dir, options, device=device, offload=offload)
    section = generation_section(
        outcome,
        run_dir,
        pair=pair,
        source=source,
        latents=latents_record(items, pair),
        wall_s=(datetime.now(UTC) - started).total_seconds(),
    )
    if into_existing_run:
        attach_generation(run_dir, section)
    else:
        write_generation_run(
            run_dir,
            section,
            pair=pair,
            config=config or {},
            device={
                "type": str(device),
                "name": None,
                "dtype": pair.info.get("dtype"),
                "batch_size": 1,
                "world_size": 1,
                "offload": offload,
            },
            seed=options.seed,
            resamples=options.resamples,
            started=started,
        )
    return GenerationRun(run_dir, section)


def run_generate_check(config: GenerateCheckConfig) -> tuple[list[GeneratedLatent], GenerationRun | None]:
    """Check ``config``, produce or read the latents, then decode, score and write the results; returns the latents
    the check used (or only generated) and its run (``None`` with ``generate_only``)."""
    config.check()
    device = resolve_device(config.device)
    if config.pipeline:
        items, source = generate_from_pipeline(config, device)
        if config.generate_only:
            return items, None
    else:
        items = read_latent_folder(config.latents)
        source = folder_source(items, config.latents)
    pair = registry.build_pair(  # looked up at call time, so a test can swap in a tiny pair
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
    return items, run


def generate_from_pipeline(config: GenerateCheckConfig, device: str) -> tuple[list[GeneratedLatent], dict[str, Any]]:
    """Load the teacher's pipeline, produce (and save) latents, free the pipeline; returns latents and source record."""
    spec = registry.DECODERS.get(config.decoder)
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
