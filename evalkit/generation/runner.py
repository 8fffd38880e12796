"""`evalkit generate-check` as functions: produce latents (pipeline), then decode, score and write results.

The two halves share nothing but the list of :class:`GeneratedLatent` (or a folder of them), so they can
run in different processes: the pipeline (text encoder + transformer) is gone before any decoder is built.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from evalkit.generation.check import CheckOptions, check_latents
from evalkit.generation.latents import GeneratedLatent, save_latent
from evalkit.generation.pipelines import PIPELINES, GenerationSettings, check_pipeline, generate_latents
from evalkit.generation.prompts import PromptSample
from evalkit.generation.results import attach_generation, generation_section, write_generation_run
from evalkit.models.interfaces import DecoderPair
from evalkit.models.registry import DECODERS

logger = logging.getLogger(__name__)


@dataclass
class GenerationRun:
    """Where the check wrote its files, its ``generation`` section and the full results document."""

    run_dir: Path
    section: dict[str, Any]
    results: dict[str, Any]


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
    spec = DECODERS.get(decoder)
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
    return {
        "teacher": pair.spec.teacher,
        "normalized": normalized[0] if len(normalized) == 1 else "mixed",
        "denormalization": pair.spec.pipeline_latents.formula if True in normalized else None,
        "latent_shapes": sorted({tuple(item.latent.shape) for item in items}),
        "num_frames": shapes[0][0] if len(shapes) == 1 else None,
        "height": shapes[0][1] if len(shapes) == 1 else None,
        "width": shapes[0][2] if len(shapes) == 1 else None,
    }


def folder_source(items: list[GeneratedLatent], folder: str | os.PathLike[str]) -> dict[str, Any]:
    """The ``source`` record of latents read from a folder (with the distinct producers named in the files)."""
    producers = []
    for item in items:
        if item.meta.source not in producers:
            producers.append(item.meta.source)
    return {"kind": "latents", "latents_dir": str(folder), "producers": producers}


def check_and_write(
    items: list[GeneratedLatent],
    pair: DecoderPair,
    run_dir: str | os.PathLike[str],
    options: CheckOptions | None = None,
    *,
    source: dict[str, Any],
    into_existing_run: bool = False,
    random_pipeline: bool = False,
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
        random_pipeline=random_pipeline,
        wall_s=(datetime.now(UTC) - started).total_seconds(),
    )
    if into_existing_run:
        doc = attach_generation(run_dir, section)
    else:
        doc = write_generation_run(
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
    return GenerationRun(run_dir, section, doc)
