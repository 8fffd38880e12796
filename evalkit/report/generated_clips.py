"""Decoded frames a generation check kept: ``generated/NNN.npz`` with a string ``clip_id`` and ``prompt``, an
integer ``seed`` (-1 for none) and uint8 ``(T, H, W, 3)`` arrays ``teacher`` and ``student``
(written by `evalkit generate-check --save-clips`; layout in docs/generation.md). Read only, never decoded."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from evalkit.errors import UnreadableFileError
from evalkit.report.clip_views import NamedClips

logger = logging.getLogger(__name__)

CLIPS_DIR = "generated"
_KEYS = ("clip_id", "prompt", "seed", "teacher", "student")


def _caption(prompt: str, seed: int) -> str:
    if not prompt:
        return "" if seed < 0 else f"seed {seed}"
    return f"\u201c{prompt}\u201d" + (f" (seed {seed})" if seed >= 0 else "")


def read_generated_clip(path: Path) -> NamedClips:
    """One saved sample as teacher and student clips, captioned with its prompt and seed.

    Raises:
        ValueError: if the file lacks a key or its frames are not uint8 ``(T, H, W, 3)`` of one shape.
    """
    with np.load(path, allow_pickle=False) as data:
        missing = [key for key in _KEYS if key not in data.files]
        if missing:
            raise UnreadableFileError(
                f"{path}: generated clip lacks {', '.join(missing)}; re-run `evalkit generate-check`"
            )
        clips = {"teacher": data["teacher"], "student": data["student"]}
        clip_id, prompt, seed = str(data["clip_id"]), str(data["prompt"]), int(data["seed"])
    shapes = {name: (frames.dtype, frames.shape) for name, frames in clips.items()}
    if (
        any(f.dtype != np.uint8 or f.ndim != 4 or f.shape[-1] != 3 for f in clips.values())
        or len(set(shapes.values())) != 1
    ):
        raise UnreadableFileError(
            f"{path}: teacher and student must be uint8 (T, H, W, 3) of one shape, got {shapes}; "
            "re-run `evalkit generate-check`"
        )
    return NamedClips(clip_id, _caption(prompt, seed), clips)


def read_generated_clips(run_dir: Path, names: list[str], limit: int) -> list[NamedClips]:
    """The first ``limit`` clips of ``generation.files.clips``; a listed file that is gone is logged and skipped.

    Names are taken as file names inside ``<run_dir>/generated`` (results never point outside the run).
    """
    clips = []
    for name in names[:limit]:
        path = run_dir / CLIPS_DIR / Path(name).name
        if not path.is_file():
            logger.warning("%s is listed in results.json but missing; the report leaves it out", path)
            continue
        clips.append(read_generated_clip(path))
    return clips
