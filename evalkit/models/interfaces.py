"""Data types shared by the decoder registry, the teacher wrappers and the pipeline: specs, rules and pairs."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

import torch
from torch import nn

if TYPE_CHECKING:
    from evalkit.models.teachers import TeacherVAE


@dataclass(frozen=True)
class FrameRule:
    """Valid clip lengths ``multiple * k + offset`` (k >= 0 for offset 1, k >= 1 for offset 0)."""

    multiple: int
    offset: int

    def accepts(self, num_frames: int) -> bool:
        """True if a clip of ``num_frames`` frames reconstructs to the same length."""
        return num_frames >= max(self.offset, self.multiple if self.offset == 0 else 1) and (
            (num_frames - self.offset) % self.multiple == 0
        )

    def next_valid(self, num_frames: int) -> int:
        """The smallest accepted length >= ``num_frames``."""
        k = max(-(-(num_frames - self.offset) // self.multiple), 0 if self.offset else 1)
        return self.multiple * k + self.offset

    def __str__(self) -> str:
        return f"{self.multiple}k+{self.offset}" if self.offset else f"{self.multiple}k"


@dataclass(frozen=True)
class PipelineLatents:
    """How a diffusion pipeline's normalised latents map back to the teacher's raw posterior (SPEC §8).

    ``kind`` selects the formula: ``"buffers_mean_std"`` (z * latents_std / scaling_factor + latents_mean with the
    VAE checkpoint's per-channel buffers: LTX), ``"scale"`` (z / scaling_factor: Hunyuan, CogVideoX),
    ``"config_mean_std"`` (z * latents_std + latents_mean from the VAE config: Wan) or ``"unknown"``.
    """

    kind: str
    formula: str
    scaling_factor: float | None = None
    note: str = ""


def check_frames(label: str, rule: FrameRule, num_frames: int) -> None:
    """Raise ValueError naming the rule and the nearest valid ``--num-frames`` unless ``rule`` accepts the length."""
    if not rule.accepts(num_frames):
        raise ValueError(
            f"{label} needs {rule} frames, got {num_frames}; use --num-frames {rule.next_valid(num_frames)}"
        )


def check_size(label: str, multiple: int, height: int, width: int) -> None:
    """Raise ValueError naming the spatial multiple unless height and width are positive multiples of it."""
    if height % multiple or width % multiple or height < multiple or width < multiple:
        fixed = f"{max(height // multiple, 1) * multiple}x{max(width // multiple, 1) * multiple}"
        raise ValueError(
            f"{label} needs height and width that are multiples of {multiple}, got {height}x{width}; "
            f"crop or resize to a multiple of {multiple} (e.g. {fixed})"
        )


RECONSTRUCTION_LATENTS = (
    "teacher's raw posterior (mode by default, or a seeded sample), unnormalised, decoded by teacher and student"
)


@dataclass(frozen=True)
class DecoderSpec:
    """A named decoder: its teacher VAE family and, for students, the preset that replaces its decoder.

    ``student_kind`` says which decoder family the student preset names: ``"turbo-vaed"`` (an official Turbo-VAED
    preset) or ``"taehv"`` (a released TAEHV file stem, :mod:`evalkit.models.taehv.pairings`).

    Compression, latent channels and the frame rule are the values of the released checkpoints; a built
    teacher derives its own from its config (tiny test configs may differ). ``student_config_file`` holds the
    student's Turbo-VAED config where it is not an official preset (the shipped demo); ``demo_note`` says why a
    shipped demonstration model's numbers say nothing about the released models (None for real models).
    """

    name: str
    description: str
    teacher: str | None
    student_preset: str | None
    frame_rule: FrameRule
    spatial_compression: int
    temporal_compression: int
    latent_channels: int
    pipeline_latents: PipelineLatents
    teacher_unavailable: str | None = None
    reconstruction_latents: str = RECONSTRUCTION_LATENTS
    student_config_file: str | None = None
    demo_note: str | None = None
    student_kind: str = "turbo-vaed"

    @property
    def student_weights(self) -> str | None:
        """Name of the student checkpoint in the weights catalog (a TAEHV student's is its released file's stem)."""
        if self.student_preset is None:
            return None
        return self.student_preset if self.student_kind == "taehv" else f"turbo-vaed-{self.student_preset}"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready description (frame rule as text)."""
        record = asdict(self)
        record["frame_rule"] = str(self.frame_rule)
        return record


class StudentDecoder(nn.Module):
    """The student decoder behind the same ``decode(z)`` call as a teacher; ``.decoder`` is the bare module."""

    def __init__(self, decoder: nn.Module) -> None:
        super().__init__()
        self.decoder = decoder

    @torch.no_grad()
    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """Decode raw teacher latents (B, C, t, h, w) to pixels (B, 3, T, H, W) in about [-1, 1]."""
        param = next(self.decoder.parameters())
        return self.decoder(z.to(device=param.device, dtype=param.dtype))

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.decoder(z)


@dataclass
class DecoderPair:
    """A built teacher (None where unavailable) and student (None for teacher-only names) plus provenance."""

    name: str
    spec: DecoderSpec
    teacher: TeacherVAE | None
    student: StudentDecoder | None
    info: dict[str, Any] = field(default_factory=dict)
    random_weights: bool = False

    def check_frames(self, num_frames: int) -> None:
        """Raise ValueError unless clips of ``num_frames`` reconstruct to the same length."""
        if self.teacher is not None:
            self.teacher.check_frames(num_frames)
        else:
            check_frames(self.name, self.spec.frame_rule, num_frames)

    def check_size(self, height: int, width: int) -> None:
        """Raise ValueError unless height and width are multiples of the spatial compression."""
        if self.teacher is not None:
            self.teacher.check_size(height, width)
        else:
            check_size(self.name, self.spec.spatial_compression, height, width)
