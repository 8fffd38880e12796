"""TAEHV decoder configuration and the released presets, chosen by the weight file's name (SPEC "Presets")."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import PurePath
from typing import Any

VARIANTS = ("base", "super")


@dataclass(frozen=True)
class TaehvConfig:
    """One TAEHV decoder: latent width, output patch size, layer variant and per-stage upscale flags.

    ``time_upscale`` / ``space_upscale`` hold one flag per upsampling stage (s0, s1, s2); a disabled time stage
    keeps one frame per frame, a disabled space stage keeps the size. ``cogvideox`` keeps every output frame
    when the latent has an even number of frames (the CogVideoX trim rule).
    """

    latent_channels: int = 16
    patch_size: int = 1
    variant: str = "base"
    time_upscale: tuple[bool, bool, bool] = (False, True, True)
    space_upscale: tuple[bool, bool, bool] = (True, True, True)
    cogvideox: bool = False

    def __post_init__(self) -> None:
        if self.variant not in VARIANTS:
            raise ValueError(f"TAEHV variant must be one of {', '.join(VARIANTS)}; got {self.variant!r}")
        if len(self.time_upscale) != 3 or len(self.space_upscale) != 3:
            raise ValueError("time_upscale and space_upscale need one flag per stage (3 each)")
        if self.latent_channels < 1 or self.patch_size < 1:
            raise ValueError(
                f"latent_channels and patch_size must be positive; got {self.latent_channels}, {self.patch_size}"
            )

    @property
    def time_factor(self) -> int:
        """Output frames per latent frame before trimming (4 by default, 8 for LTX-2)."""
        return 2 ** sum(self.time_upscale)

    @property
    def space_factor(self) -> int:
        """Output pixels per latent pixel along each side (patch size included)."""
        return self.patch_size * 2 ** sum(self.space_upscale)

    def frames_to_trim(self, latent_frames: int) -> int:
        """Leading output frames dropped: ``time_factor - 1``, none for CogVideoX latents of even length."""
        if self.cogvideox and latent_frames % 2 == 0:
            return 0
        return self.time_factor - 1

    def output_frames(self, latent_frames: int) -> int:
        """Decoded frames for ``latent_frames`` latent frames (4T - 3 by default)."""
        return latent_frames * self.time_factor - self.frames_to_trim(latent_frames)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (tuples as lists)."""
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> TaehvConfig:
        """Build from a dict such as :meth:`to_dict`'s; unknown keys are refused with the known ones listed."""
        unknown = sorted(set(values) - set(cls.__dataclass_fields__))
        if unknown:
            raise ValueError(f"unknown TAEHV config keys {unknown}; known: {', '.join(cls.__dataclass_fields__)}")
        fixed = {k: tuple(bool(f) for f in v) if k.endswith("_upscale") else v for k, v in values.items()}
        return cls(**fixed)


PRESETS: dict[str, TaehvConfig] = {
    "taehv": TaehvConfig(),
    "taew2_1": TaehvConfig(),
    "taecvx": TaehvConfig(cogvideox=True),
    "taew2_2": TaehvConfig(latent_channels=48, patch_size=2),
    "taew2_2_super": TaehvConfig(latent_channels=48, patch_size=2, variant="super"),
    "taehv1_5": TaehvConfig(latent_channels=32, patch_size=2),
    "taehv1_5_super": TaehvConfig(latent_channels=32, patch_size=2, variant="super"),
    "taeltx_2": TaehvConfig(latent_channels=128, patch_size=4, time_upscale=(True, True, True)),
    "taeltx2_3": TaehvConfig(latent_channels=128, patch_size=4, time_upscale=(True, True, True)),
}


def preset_for_file(path: str | PurePath) -> TaehvConfig:
    """The preset of a released file, by its name (``taew2_1.pth``, ``safetensors/taehv1_5_super.safetensors``)."""
    stem = PurePath(path).name.split(".")[0]
    if stem not in PRESETS:
        raise ValueError(f"{path}: not a known TAEHV file name; known: {', '.join(f'{s}.pth' for s in PRESETS)}")
    return PRESETS[stem]
