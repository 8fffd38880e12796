"""Generated latents on disk: one safetensors file per sample, with the metadata a decoder needs.

A file holds one tensor ``latent`` shaped ``(C, t, h, w)`` (unpacked: LTX token sequences are unpacked first)
and string metadata (safetensors ``__metadata__``)::

    format       "evalkit.generated-latent/1"
    teacher      teacher VAE key whose latent space this is (ltx, hunyuan, cogvideox, wan)
    num_frames   frames the latent decodes to; height, width: pixels it decodes to
    normalized   "true" = as a diffusion pipeline returns it (mapped back with the teacher's statistics,
                 SPEC §8, before decoding); "false" = raw posterior space
    sample_id    the sample's name; prompt, seed and source (JSON text: pipeline, steps...) are optional

Any framework can write these files (``safetensors.torch.save_file`` with that metadata), so latents made on
another machine are checked by the same code as latents made here.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch
from safetensors import safe_open
from safetensors.torch import save_file

from evalkit.atomic import atomic_path
from evalkit.errors import InputError
from evalkit.models.interfaces import FrameRule

if TYPE_CHECKING:
    from evalkit.models.teachers import TeacherVAE

LATENT_FORMAT = "evalkit.generated-latent/1"
LATENT_KEY = "latent"
_REQUIRED = ("format", "teacher", "num_frames", "height", "width", "normalized", "sample_id")
_SAFE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._\-]*$")


class LatentMetadataError(InputError, ValueError):
    """A latent whose metadata or shape does not fit the decoder it is checked with."""


@dataclass(frozen=True)
class LatentMeta:
    """What a decoder needs to know about one generated latent (see the module docstring)."""

    teacher: str
    num_frames: int
    height: int
    width: int
    normalized: bool
    sample_id: str
    prompt: str = ""
    seed: int | None = None
    source: dict[str, Any] = field(default_factory=dict)

    def to_metadata(self) -> dict[str, str]:
        """safetensors metadata (strings only)."""
        metadata = {
            "format": LATENT_FORMAT,
            "teacher": self.teacher,
            "num_frames": str(self.num_frames),
            "height": str(self.height),
            "width": str(self.width),
            "normalized": "true" if self.normalized else "false",
            "sample_id": self.sample_id,
            "prompt": self.prompt,
            "source": json.dumps(self.source, sort_keys=True),
        }
        if self.seed is not None:
            metadata["seed"] = str(self.seed)
        return metadata

    @classmethod
    def from_metadata(cls, metadata: dict[str, str] | None, where: str) -> LatentMeta:
        """Parse safetensors metadata; a missing or malformed key raises :class:`LatentMetadataError`."""
        metadata = metadata or {}
        missing = [key for key in _REQUIRED if key not in metadata]
        if missing:
            raise LatentMetadataError(
                f"{where}: metadata lacks {', '.join(missing)}; write latents with evalkit.generation.save_latent "
                f"or add these safetensors metadata keys ({', '.join(_REQUIRED)})"
            )
        if metadata["format"] != LATENT_FORMAT:
            raise LatentMetadataError(f"{where}: format {metadata['format']!r} is not {LATENT_FORMAT!r}")
        if metadata["normalized"] not in ("true", "false"):
            raise LatentMetadataError(f"{where}: normalized must be 'true' or 'false', got {metadata['normalized']!r}")
        try:
            sizes = {key: int(metadata[key]) for key in ("num_frames", "height", "width")}
            seed = int(metadata["seed"]) if metadata.get("seed") else None
            source = json.loads(metadata.get("source") or "{}")
        except ValueError as exc:
            raise LatentMetadataError(f"{where}: malformed metadata ({exc})") from None
        return cls(
            teacher=metadata["teacher"],
            normalized=metadata["normalized"] == "true",
            sample_id=metadata["sample_id"],
            prompt=metadata.get("prompt", ""),
            seed=seed,
            source=source,
            **sizes,
        )


@dataclass
class GeneratedLatent:
    """One sample: its metadata and latent ``(C, t, h, w)`` exactly as produced."""

    meta: LatentMeta
    latent: torch.Tensor


def save_latent(folder: str | os.PathLike[str], item: GeneratedLatent) -> Path:
    """Write ``<folder>/<sample_id>.safetensors``; the sample id must be a safe file name."""
    if not _SAFE_ID.match(item.meta.sample_id):
        raise ValueError(f"sample id {item.meta.sample_id!r} cannot name a file; use letters, digits, '.', '_' and '-'")
    if item.latent.ndim != 4:
        raise ValueError(f"{item.meta.sample_id}: latent must be (C, t, h, w), got {tuple(item.latent.shape)}")
    target = Path(folder) / f"{item.meta.sample_id}.safetensors"
    with atomic_path(target) as tmp:
        save_file({LATENT_KEY: item.latent.detach().cpu().contiguous()}, str(tmp), metadata=item.meta.to_metadata())
    return target


def read_latent(path: str | os.PathLike[str]) -> GeneratedLatent:
    """Read one latent file written by :func:`save_latent` (or by any tool writing the same layout)."""
    with safe_open(str(path), framework="pt") as handle:
        meta = LatentMeta.from_metadata(handle.metadata(), str(path))
        if LATENT_KEY not in handle.keys():  # noqa: SIM118 (safe_open has keys(), no __contains__)
            raise LatentMetadataError(f"{path}: no tensor named {LATENT_KEY!r} (found: {', '.join(handle.keys())})")
        latent = handle.get_tensor(LATENT_KEY)
    if latent.ndim != 4:
        raise LatentMetadataError(f"{path}: latent must be (C, t, h, w), got {tuple(latent.shape)}")
    return GeneratedLatent(meta, latent)


def read_latent_folder(folder: str | os.PathLike[str]) -> list[GeneratedLatent]:
    """Every ``*.safetensors`` latent of a folder, in file-name order."""
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"latent folder {folder} does not exist")
    files = sorted(folder.glob("*.safetensors"))
    if not files:
        raise FileNotFoundError(f"{folder} holds no *.safetensors latents; write them with --save-latents DIR")
    items = [read_latent(path) for path in files]
    ids = [item.meta.sample_id for item in items]
    if len(set(ids)) != len(ids):
        raise LatentMetadataError(f"{folder}: sample ids repeat across files: {sorted(set(ids))[:5]}")
    return items


def latent_frames(rule: FrameRule, temporal_compression: int, num_frames: int) -> int:
    """Latent frames of a clip of ``num_frames`` frames (``8k+1`` frames -> ``k+1`` latents at 8x, and so on)."""
    return (num_frames - rule.offset) // temporal_compression + rule.offset


def check_latent(item: GeneratedLatent, decoder: str, teacher_key: str, teacher: TeacherVAE) -> None:
    """Raise :class:`LatentMetadataError` unless ``item`` fits decoder ``decoder`` (teacher key, channels, frames,
    size), naming the file's value, the decoder's and the fix."""
    meta, shape = item.meta, tuple(item.latent.shape)
    where = f"latent {meta.sample_id!r}"
    if meta.teacher != teacher_key:
        raise LatentMetadataError(
            f"{where} was made in the {meta.teacher!r} latent space, but decoder {decoder!r} decodes "
            f"{teacher_key!r} latents; pick the decoder of that teacher (see `evalkit decoders`)"
        )
    if shape[0] != teacher.latent_channels:
        raise LatentMetadataError(
            f"{where} has {shape[0]} latent channels, but the {teacher.family.label} teacher of {decoder!r} takes "
            f"{teacher.latent_channels}; these latents come from another VAE or were saved packed/transposed "
            "(save them unpacked as (C, t, h, w))"
        )
    rule, temporal = teacher.frame_rule, teacher.temporal_compression
    if not rule.accepts(meta.num_frames):
        raise LatentMetadataError(
            f"{where}: num_frames={meta.num_frames} breaks the {teacher.family.label} frame rule {rule} "
            f"(nearest valid: {rule.next_valid(meta.num_frames)}); fix the file's num_frames metadata"
        )
    expected_t = latent_frames(rule, temporal, meta.num_frames)
    if shape[1] != expected_t:
        raise LatentMetadataError(
            f"{where} has {shape[1]} latent frames, but {meta.num_frames} frames need {expected_t} "
            f"({teacher.family.label}: frame rule {rule}, temporal compression {temporal}x); "
            "fix num_frames or the latent"
        )
    spatial = teacher.spatial_compression
    if (shape[2] * spatial, shape[3] * spatial) != (meta.height, meta.width):
        raise LatentMetadataError(
            f"{where} is {shape[2]}x{shape[3]} latents, which decode to {shape[2] * spatial}x{shape[3] * spatial} "
            f"pixels at {spatial}x, but its metadata says {meta.height}x{meta.width}"
        )
