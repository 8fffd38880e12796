"""Which released TAEHV file decodes which evalkit teacher's latents, and what latent it is handed.

``extra_scale`` multiplies the teacher pipeline's latents where the TAEHV documentation feeds its decoder
something else. CogVideoX: madebyollin/taehv's ``examples/TAECVX_T2I_Demo.ipynb`` pairs ``taecvx`` with
CogVideoX1.5-5B (VAE ``scaling_factor`` 0.7, the teacher evalkit registers) and multiplies that pipeline's latents
by 1 / 0.7 before decoding ("needed to invert the scaling factor that 1.5 bakes in to the pipeline"), i.e. it
decodes the raw CogVideoX posterior; the maintainer notes the scale is ambiguous across CogVideoX releases
(madebyollin/taehv#2), so a CogVideoX 1.0 teacher (``scaling_factor`` 1.15258426) would need its own entry.
"""

from __future__ import annotations

from dataclasses import dataclass

COGVIDEOX_1_5_SCALING_FACTOR = 0.7


@dataclass(frozen=True)
class TaehvPairing:
    """A TAEHV student: registry name, evalkit teacher key, released file stem, latent factor and what it means."""

    name: str
    teacher: str
    preset: str
    extra_scale: float
    latents: str


PAIRINGS: dict[str, TaehvPairing] = {
    pairing.preset: pairing
    for pairing in (
        TaehvPairing(
            "taehv-hunyuan",
            "hunyuan",
            "taehv",
            1.0,
            "HunyuanVideo pipeline latents: raw posterior * scaling_factor (0.476986)",
        ),
        TaehvPairing(
            "taehv-wan",
            "wan",
            "taew2_1",
            1.0,
            "Wan 2.1 pipeline latents: (raw posterior - latents_mean) / latents_std (VAE config lists)",
        ),
        TaehvPairing(
            "taehv-cog",
            "cogvideox",
            "taecvx",
            1 / COGVIDEOX_1_5_SCALING_FACTOR,
            "CogVideoX1.5-5B pipeline latents (raw posterior * 0.7) times 1/0.7, as the TAEHV CogVideoX demo "
            "decodes them: the raw posterior",
        ),
    )
}
