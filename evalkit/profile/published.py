"""Published parameter counts, the one place evalkit's built decoders are checked against figures from outside it.

Student decoders (by Turbo-VAED preset): the Turbo-VAED paper (arXiv 2508.09136) gives 41.9 M (LTX),
40.7 M (HunyuanVideo, CogVideoX) and 45.8 M (DC-AE) decoder parameters; the exact counts below are the
official code's ``model.decoder`` (hustvl/Turbo-VAED at commit 9268488, the manifests copied into
tests/profile/data), which round to the paper's figures. The distillation heads are not part of them.
Teacher decoder (LTX-Video VAE decode path): diffusers 0.42.1 ``AutoencoderKLLTXVideo()`` built with its
default config (the LTX-Video 0.9.0 layout), counted outside evalkit. Other teachers have no published count.
"""

from __future__ import annotations

STUDENT_DECODER_SOURCE = "Turbo-VAED paper (arXiv 2508.09136), exact count of the official hustvl/Turbo-VAED decoder"
STUDENT_DECODER_PARAMS: dict[str, int] = {
    "ltx": 41_896_023,
    "hunyuan": 40_687_811,
    "cog": 40_687_811,
    "dc": 45_831_383,
}
"""Decoder parameters of the released Turbo-VAED students, by preset (the paper's 41.9 / 40.7 / 40.7 / 45.8 M)."""

TAEHV_DECODER_SOURCE = (
    "madebyollin/taehv reference code: decoder state dict of its base 16-channel config (tests/data/taehv)"
)
TAEHV_DECODER_PARAMS: dict[str, int] = {"taehv": 9_844_611, "taew2_1": 9_844_611, "taecvx": 9_844_611}
"""Decoder parameters of the released TAEHV tiny decoders, by released file (all three use the base layout)."""


def published_student_params(preset: str | None) -> tuple[int | None, str | None]:
    """The published decoder parameter count of a student preset and where it comes from (None, None if none)."""
    for counts, source in (
        (STUDENT_DECODER_PARAMS, STUDENT_DECODER_SOURCE),
        (TAEHV_DECODER_PARAMS, TAEHV_DECODER_SOURCE),
    ):
        if preset in counts:
            return counts[preset], source
    return None, None


TEACHER_DECODER_SOURCE = "diffusers 0.42.1 AutoencoderKLLTXVideo() default config (LTX-Video 0.9.0 layout)"
TEACHER_DECODER_PARAMS: dict[str, int] = {"ltx": 238_789_296}
"""Decode-path parameters (decoder plus ``post_quant_conv``) of teacher VAEs, by teacher family."""
