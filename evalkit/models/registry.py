"""The decoder registry: named teacher VAEs and the students bound to them (Turbo-VAED, TAEHV), and ``build_pair``.

A new name registers a :class:`DecoderSpec` in ``DECODERS`` (its ``teacher`` a key of ``TEACHER_FAMILIES``,
which is open too). The demo pair shipped in the package (:mod:`evalkit.models.demo`) is registered on import, so
``demo`` and ``turbo-demo`` work offline with no weights to fetch.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch

from evalkit.models import demo
from evalkit.models.checkpoint import load_decoder_checkpoint
from evalkit.models.interfaces import DecoderPair, DecoderSpec, FrameRule, PipelineLatents, StudentDecoder
from evalkit.models.taehv.pairings import PAIRINGS as TAEHV_PAIRINGS
from evalkit.models.taehv.pairings import TaehvPairing
from evalkit.models.teachers import (
    TEACHER_FAMILIES,
    TeacherVAE,
    count_teacher_parameters,
    load_teacher,
)
from evalkit.models.teachers import denormalize_pipeline_latents as _denormalize
from evalkit.options import INITS, POSTERIORS
from evalkit.registry import Registry
from evalkit.weights import ResolvedFile, WeightsUnavailable, get_spec, locate, resolve

if TYPE_CHECKING:
    from evalkit.models.taehv import TaehvConfig
    from evalkit.models.taehv.student import TaehvStudent

logger = logging.getLogger(__name__)

DECODERS: Registry[DecoderSpec] = Registry("decoder")

_DC_UNAVAILABLE = (
    "the video DC-AE teacher is not released with Turbo-VAED (no teacher code or config in hustvl/Turbo-VAED); "
    "turbo-dc builds its student alone, for profiling"
)

_NOMINAL = {
    # teacher key: (frame rule, spatial, temporal, latent channels) of the released checkpoints
    "ltx": (FrameRule(8, 1), 32, 8, 128),
    "hunyuan": (FrameRule(4, 1), 8, 4, 16),
    "cogvideox": (FrameRule(8, 1), 8, 4, 16),
    "wan": (FrameRule(4, 1), 8, 4, 16),
}


def _register_teacher(key: str, student_name: str | None, preset: str | None) -> None:
    family = TEACHER_FAMILIES.get(key)
    rule, spatial, temporal, channels = _NOMINAL[key]
    common = {
        "teacher": key,
        "frame_rule": rule,
        "spatial_compression": spatial,
        "temporal_compression": temporal,
        "latent_channels": channels,
        "pipeline_latents": family.pipeline_latents,
    }
    DECODERS.register(
        key, obj=DecoderSpec(name=key, description=f"{family.label} VAE (teacher only)", student_preset=None, **common)
    )
    if student_name is not None:
        DECODERS.register(
            student_name,
            obj=DecoderSpec(
                name=student_name,
                description=f"Turbo-VAED {preset} decoder on {family.label} VAE latents",
                student_preset=preset,
                **common,
            ),
        )


_register_teacher("ltx", "turbo-ltx", "ltx")
_register_teacher("hunyuan", "turbo-hunyuan", "hunyuan")
_register_teacher("cogvideox", "turbo-cog", "cog")
_register_teacher("wan", None, None)


def _register_taehv(pairing: TaehvPairing) -> None:
    """A TAEHV student keeps its teacher's nominal compression and frame rule (T latents -> 4T - 3 frames match)."""
    teacher = DECODERS.get(pairing.teacher)
    label = TEACHER_FAMILIES.get(pairing.teacher).label
    DECODERS.register(
        pairing.name,
        obj=dataclasses.replace(
            teacher,
            name=pairing.name,
            description=f"TAEHV {pairing.preset}.pth decoder on {label} VAE latents, handed {pairing.latents}",
            student_preset=pairing.preset,
            student_kind="taehv",
        ),
    )


for _pairing in TAEHV_PAIRINGS.values():
    _register_taehv(_pairing)

DECODERS.register(
    "turbo-dc",
    obj=DecoderSpec(
        name="turbo-dc",
        description="Turbo-VAED DC decoder (video DC-AE latents; teacher unavailable)",
        teacher=None,
        student_preset="dc",
        frame_rule=FrameRule(4, 0),
        spatial_compression=32,
        temporal_compression=4,
        latent_channels=128,
        pipeline_latents=PipelineLatents(kind="unknown", formula="unknown", note="SPEC §8: not in the repo"),
        teacher_unavailable=_DC_UNAVAILABLE,
    ),
)


def _register_demo() -> None:
    """The shipped demo pair: its teacher family and weight files, then its two decoder names."""
    demo.register()
    for spec in demo.decoder_specs():
        DECODERS.register(spec.name, obj=spec)


_register_demo()


def _check_choice(what: str, value: str, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise ValueError(f"{what} must be one of {', '.join(choices)}; got {value!r}")


def _resolve_student(spec: DecoderSpec, student_weights: str | os.PathLike[str] | None) -> ResolvedFile:
    """Explicit local path > explicit file name in the Hub repo > discovered checkpoint."""
    if student_weights is None:
        return resolve(spec.student_weights)
    given = Path(student_weights).expanduser()
    if given.exists() or len(given.parts) > 1:
        return resolve(spec.student_weights, path=given)
    return resolve(spec.student_weights, filename=str(student_weights))


def student_config(spec: DecoderSpec) -> dict[str, Any]:
    """The Turbo-VAED config of ``spec``'s student: its own config file (the shipped demo) or the official preset."""
    from evalkit.models.turbo_vaed import load_preset

    if spec.student_preset is None:
        raise ValueError(f"decoder {spec.name!r} has no student")
    if spec.student_config_file is None:
        return load_preset(spec.student_preset)
    return json.loads(Path(spec.student_config_file).read_text(encoding="utf-8"))


def build_student(
    spec: DecoderSpec,
    *,
    weights: str | os.PathLike[str] | None = None,
    init: str = "pretrained",
    config: dict[str, Any] | None = None,
    device: str | torch.device = "cpu",
    dtype: torch.dtype = torch.float32,
    seed: int = 0,
    teacher_vae_config: Any = None,
) -> tuple[StudentDecoder, dict[str, Any] | None]:
    """The student decoder of ``spec`` (its config + ``config`` overrides) and the record of its checkpoint.

    A TAEHV student maps raw teacher latents with ``teacher_vae_config`` (the built teacher's diffusers config;
    None: the released one) and loads its file with the TGrow row rule.
    """
    from evalkit.models.taehv import adapt_released_state
    from evalkit.models.turbo_vaed import TurboVAEDDecoder

    if init == "random" and weights is not None:
        raise ValueError(f"student weights {weights} were given with init='random'; drop one of them")
    resolved = _resolve_student(spec, weights) if init == "pretrained" else None
    adapt = None
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        if spec.student_kind == "taehv":
            decoder = _build_taehv(spec, config, teacher_vae_config)
            loaded, adapt = decoder.decoder, partial(adapt_released_state, decoder.decoder)
        else:
            decoder = loaded = TurboVAEDDecoder.from_config({**student_config(spec), **(config or {})})
    record = None
    if resolved is not None:
        report = load_decoder_checkpoint(loaded, resolved, adapt=adapt)
        record = {**resolved.to_dict(), **report.to_dict()}
    return StudentDecoder(decoder.to(device=device, dtype=dtype).eval()), record


def _taehv_config(spec: DecoderSpec, overrides: dict[str, Any] | None) -> TaehvConfig:
    from evalkit.models.taehv import PRESETS, TaehvConfig

    return TaehvConfig.from_dict({**PRESETS[spec.student_preset].to_dict(), **(overrides or {})})


def _build_taehv(spec: DecoderSpec, overrides: dict[str, Any] | None, vae_config: Any) -> TaehvStudent:
    from evalkit.models.taehv.student import build_taehv_student

    pairing = TAEHV_PAIRINGS[spec.student_preset]
    family = TEACHER_FAMILIES.get(spec.teacher)
    return build_taehv_student(
        _taehv_config(spec, overrides), family, vae_config=vae_config, extra_scale=pairing.extra_scale
    )


def _build_teacher(
    spec: DecoderSpec, weights: str | os.PathLike[str] | None, init: str, config: dict[str, Any] | None, **kwargs: Any
) -> tuple[TeacherVAE, dict[str, Any] | None]:
    family = TEACHER_FAMILIES.get(spec.teacher)
    if init == "random":
        if weights is not None:
            raise ValueError(f"teacher weights {weights} were given with init='random'; drop one of them")
        return load_teacher(family, weights_folder=None, config=config, **kwargs), None
    resolved = resolve(family.weights, path=weights)
    expected = get_spec(family.weights).filename
    if resolved.path.name != expected:
        raise ValueError(
            f"{resolved.path}: teacher weights must be a diffusers folder with config.json and {expected}; "
            "pass that folder (or the file under that name)"
        )
    return load_teacher(family, weights_folder=resolved.path.parent, config=config, **kwargs), resolved.to_dict()


def build_pair(
    name: str,
    *,
    student_weights: str | os.PathLike[str] | None = None,
    teacher_weights: str | os.PathLike[str] | None = None,
    init: str = "pretrained",
    device: str | torch.device = "cpu",
    dtype: torch.dtype = torch.float32,
    posterior: str = "mode",
    seed: int = 0,
    teacher_config: dict[str, Any] | None = None,
    student_config: dict[str, Any] | None = None,
) -> DecoderPair:
    """Build the teacher and (for students) the student decoder registered as ``name``.

    ``init="pretrained"`` resolves every weight file (raising :class:`WeightsUnavailable` when one is missing);
    ``init="random"`` builds random weights from the configs (``*_config`` dicts override them, e.g. tiny test
    models) and sets ``random_weights=True`` so outputs are stamped RANDOM WEIGHTS. Teacher latents are the raw
    posterior: its mode, or with ``posterior="sample"`` a sample seeded by ``seed``.
    """
    spec = DECODERS.get(name)
    _check_choice("init", init, INITS)
    _check_choice("posterior", posterior, POSTERIORS)
    teacher = student = None
    info: dict[str, Any] = {
        "decoder": name,
        "description": spec.description,
        "demo": spec.demo_note,
        "init": init,
        "posterior": posterior,
        "seed": seed,
        "device": str(device),
        "dtype": str(dtype).removeprefix("torch."),
        "reconstruction_latents": spec.reconstruction_latents,
        "pipeline_latents": spec.to_dict()["pipeline_latents"],
        "teacher_unavailable": spec.teacher_unavailable,
    }
    if spec.teacher is not None:
        teacher, info["teacher_weights"] = _build_teacher(
            spec, teacher_weights, init, teacher_config, device=device, dtype=dtype, posterior=posterior, seed=seed
        )
        info["teacher"] = {
            "class": teacher.family.class_name,
            "latent_channels": teacher.latent_channels,
            "spatial_compression": teacher.spatial_compression,
            "temporal_compression": teacher.temporal_compression,
            "frame_rule": str(teacher.frame_rule),
        }
    if spec.student_preset is not None:
        student, info["student_weights"] = build_student(
            spec,
            weights=student_weights,
            init=init,
            config=student_config,
            device=device,
            dtype=dtype,
            seed=seed,
            teacher_vae_config=teacher.vae.config if teacher is not None else None,
        )
        info["student"] = {"preset": spec.student_preset, "class": type(student.decoder).__name__}
        if spec.student_kind == "taehv":
            info["student"]["latents"] = TAEHV_PAIRINGS[spec.student_preset].latents
        _check_latent_channels(spec, teacher, student)
    info["frame_rule"] = str(teacher.frame_rule if teacher else spec.frame_rule)
    return DecoderPair(
        name=name, spec=spec, teacher=teacher, student=student, info=info, random_weights=init == "random"
    )


def _check_latent_channels(spec: DecoderSpec, teacher: TeacherVAE | None, student: StudentDecoder) -> None:
    if teacher is None:
        return
    expected = getattr(student.decoder, "latent_channels", None) or student.decoder.conv_in.conv.in_channels
    if expected != teacher.latent_channels:
        raise ValueError(
            f"{spec.name}: the student decoder takes {expected} latent channels but the teacher makes "
            f"{teacher.latent_channels}; make teacher_config and student_config agree"
        )


def denormalize_pipeline_latents(name: str, z: torch.Tensor, teacher: TeacherVAE) -> torch.Tensor:
    """Map a diffusion pipeline's normalised latents of decoder ``name`` back to raw teacher latents (SPEC §8)."""
    spec = DECODERS.get(name)
    if spec.teacher is None:
        raise ValueError(f"{name}: pipeline latents cannot be mapped back: {spec.teacher_unavailable}")
    return _denormalize(TEACHER_FAMILIES.get(spec.teacher), z, teacher)


def _weight_status(weight_name: str | None) -> str | None:
    if weight_name is None:
        return None
    try:
        return "present" if locate(weight_name) else "missing"
    except WeightsUnavailable as exc:
        return f"ambiguous: {exc}"


def count_student_parameters(spec: DecoderSpec) -> int:
    """Parameter count of ``spec``'s student decoder, built on the meta device."""
    from evalkit.models.taehv import TaehvDecoder
    from evalkit.models.turbo_vaed import TurboVAEDDecoder

    with torch.device("meta"):
        if spec.student_kind == "taehv":
            decoder = TaehvDecoder(_taehv_config(spec, None))
        else:
            decoder = TurboVAEDDecoder.from_config(student_config(spec))
    return sum(p.numel() for p in decoder.parameters())


def describe(name: str) -> dict[str, Any]:
    """One row of ``evalkit decoders``: parameter counts (meta device), compression, frame rule, weight status."""
    spec = DECODERS.get(name)
    family = TEACHER_FAMILIES.get(spec.teacher) if spec.teacher else None
    teacher_params = count_teacher_parameters(family) if family else None
    return {
        "name": name,
        "description": spec.description,
        "teacher_class": family.class_name if family else None,
        "teacher_decoder_params": teacher_params["decoder"] if teacher_params else None,
        "teacher_total_params": teacher_params["total"] if teacher_params else None,
        "student_preset": spec.student_preset,
        "student_params": count_student_parameters(spec) if spec.student_preset else None,
        "spatial_compression": spec.spatial_compression,
        "temporal_compression": spec.temporal_compression,
        "latent_channels": spec.latent_channels,
        "frame_rule": str(spec.frame_rule),
        "teacher_weights": family.weights if family else None,
        "teacher_weights_status": _weight_status(family.weights) if family else spec.teacher_unavailable,
        "student_weights": spec.student_weights,
        "student_weights_status": _weight_status(spec.student_weights),
    }
