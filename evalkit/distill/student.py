"""The student to distil: a Turbo-VAED decoder from a preset name or a config file, plus its projection heads."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from evalkit.models.turbo_vaed import PRESETS, ProjectionHeads, TurboVAEDDecoder, load_preset


def load_student_config(student: str) -> dict[str, Any]:
    """A preset name (``ltx``, ``hunyuan``, ``cog``, ``dc``) or a path to a Turbo-VAED config JSON."""
    path = Path(student).expanduser()
    if path.suffix == ".json" or path.exists():
        if not path.is_file():
            raise FileNotFoundError(
                f"student config {path} does not exist; give a preset ({', '.join(PRESETS)}) or a JSON file"
            )
        return json.loads(path.read_text())
    if student not in PRESETS:
        raise ValueError(f"unknown student {student!r}: give a preset ({', '.join(PRESETS)}) or a config JSON path")
    return load_preset(student)


def build_student(
    student: str, latent_channels: int, weights: str | os.PathLike[str] | None = None
) -> tuple[dict[str, Any], TurboVAEDDecoder, ProjectionHeads]:
    """``(config, decoder, projection heads)``; ``weights`` (a decoder checkpoint) initialises the decoder.

    The decoder must take the teacher's latent channels; the heads come from the config's
    ``aligned_feature_projection_*`` keys (none when they are absent).
    """
    from evalkit.models.checkpoint import load_decoder_checkpoint
    from evalkit.weights import ResolvedFile, sha256_file

    config = load_student_config(student)
    decoder = TurboVAEDDecoder.from_config(config, source=student)
    expected = decoder.config.latent_channels
    if expected != latent_channels:
        raise ValueError(
            f"student {student!r} takes {expected} latent channels but the teacher makes {latent_channels}; "
            "set latent_channels in the student config to the teacher's"
        )
    if weights is not None:
        path = Path(weights).expanduser()
        if not path.is_file():
            raise FileNotFoundError(f"--student-weights {path} does not exist")
        load_decoder_checkpoint(decoder, ResolvedFile(path, sha256_file(path), "explicit", path.name))
    return config, decoder.train(), ProjectionHeads.from_config(decoder.config)
