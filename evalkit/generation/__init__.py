"""End-to-end generation check: latents from a text-to-video pipeline (or a folder of saved latents) decoded by
the teacher and the student, scored against each other and, by FVD, against real videos.

Importing this package needs no ``transformers``; only running a diffusers pipeline does
(``pip install -e ".[generation]"``).
"""

from evalkit.generation.check import CheckOptions, CheckOutcome, check_latents
from evalkit.generation.latents import (
    GeneratedLatent,
    LatentMeta,
    LatentMetadataError,
    read_latent,
    read_latent_folder,
    save_latent,
)
from evalkit.generation.pipelines import PIPELINES, GenerationSettings, load_pipeline
from evalkit.generation.prompts import DEFAULT_PROMPTS, PromptSample, load_prompts
from evalkit.generation.reference import ReferenceSet
from evalkit.generation.runner import GenerationRun, check_and_write, produce_latents

__all__ = [
    "DEFAULT_PROMPTS",
    "PIPELINES",
    "CheckOptions",
    "CheckOutcome",
    "GeneratedLatent",
    "GenerationRun",
    "GenerationSettings",
    "LatentMeta",
    "LatentMetadataError",
    "PromptSample",
    "ReferenceSet",
    "check_and_write",
    "check_latents",
    "load_pipeline",
    "load_prompts",
    "produce_latents",
    "read_latent",
    "read_latent_folder",
    "save_latent",
]
