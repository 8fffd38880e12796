"""End-to-end generation check: latents from a text-to-video pipeline (or a folder of saved latents) decoded by
the teacher and the student, scored against each other and, by FVD, against real videos.

Everything is imported on first use (with torch), so `evalkit --help` reads the settings without it. Only running
a diffusers pipeline needs ``transformers`` (``pip install -e ".[generation]"``).
"""

from evalkit.lazy import lazy_exports

_MODULES = {
    "CheckOptions": "evalkit.generation.check",
    "CheckOutcome": "evalkit.generation.check",
    "check_latents": "evalkit.generation.check",
    "GeneratedLatent": "evalkit.generation.latents",
    "LatentMeta": "evalkit.generation.latents",
    "LatentMetadataError": "evalkit.generation.latents",
    "read_latent": "evalkit.generation.latents",
    "read_latent_folder": "evalkit.generation.latents",
    "save_latent": "evalkit.generation.latents",
    "PIPELINES": "evalkit.generation.pipelines",
    "GenerationSettings": "evalkit.generation.pipelines",
    "load_pipeline": "evalkit.generation.pipelines",
    "DEFAULT_PROMPTS": "evalkit.generation.prompts",
    "PromptSample": "evalkit.generation.prompts",
    "load_prompts": "evalkit.generation.prompts",
    "ReferenceSet": "evalkit.generation.reference",
    "GenerationRun": "evalkit.generation.runner",
    "check_and_write": "evalkit.generation.runner",
    "produce_latents": "evalkit.generation.runner",
}
__getattr__, __dir__ = lazy_exports(__name__, _MODULES)

__all__ = sorted(_MODULES)
