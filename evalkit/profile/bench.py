"""`evalkit bench`: teacher and student decoders of a registry name profiled side by side, as a bench.json dict.

Both decoders get the latent of the same output size in the same process, so the speed-up ratio is not
skewed by machine state between runs. Per-resolution entries are cached (see :mod:`evalkit.profile.cache`)
so `evalkit run` measures each decoder/resolution/device once.
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import torch
from torch import nn

from evalkit import __version__
from evalkit.options import DTYPES as DTYPE_NAMES
from evalkit.options import ONNX_CHOICES
from evalkit.profile.cache import ProfileCache
from evalkit.profile.decoder_profile import DecodeFn, profile_decoder
from evalkit.profile.env import environment
from evalkit.profile.flops import FLOP_UNIT
from evalkit.profile.onnx_proxy import onnx_proxy
from evalkit.profile.params import check_parameter_count, count_parameters

if TYPE_CHECKING:
    from evalkit.models.interfaces import DecoderPair

logger = logging.getLogger(__name__)

BENCH_SCHEMA = "evalkit.bench/1"
ROLES = ("teacher", "student")
# evalkit.options.DTYPES as torch dtypes, most precise first (the order bench runs and lists them in)
DTYPES = dict(sorted(((name, getattr(torch, name)) for name in DTYPE_NAMES), key=lambda item: torch.finfo(item[1]).eps))


def parse_resolutions(text: str) -> list[tuple[int, int]]:
    """``"256,512,720x1280"`` -> ``[(256, 256), (512, 512), (720, 1280)]`` (a bare number is a square)."""
    sizes = []
    for item in text.split(","):
        height, _, width = item.strip().lower().partition("x")
        try:
            sizes.append((int(height), int(width or height)))
        except ValueError:
            raise ValueError(f"bad resolution {item!r} in {text!r}; use e.g. 256,512,720x1280") from None
    return sizes


def parse_dtype(name: str) -> torch.dtype:
    """``"float32"`` -> ``torch.float32``; the error lists the valid names."""
    if name not in DTYPES:
        raise ValueError(f"dtype must be one of {', '.join(DTYPES)}; got {name!r}")
    return DTYPES[name]


def latent_shape(pair: DecoderPair, height: int, width: int, frames: int, batch: int) -> tuple[int, ...]:
    """The (B, C, t, h, w) latent the teacher's encoder makes for a (frames, height, width) clip."""
    pair.check_frames(frames)
    pair.check_size(height, width)
    source = pair.teacher if pair.teacher is not None else pair.spec
    spatial, temporal, offset = source.spatial_compression, source.temporal_compression, source.frame_rule.offset
    return (batch, source.latent_channels, (frames - offset) // temporal + offset, height // spatial, width // spatial)


def _decoders(pair: DecoderPair) -> dict[str, tuple[nn.Module, DecodeFn]]:
    """role -> (module whose parameters decode uses, decode callable), for the roles the pair has."""
    found: dict[str, tuple[nn.Module, DecodeFn]] = {}
    if pair.teacher is not None:
        found["teacher"] = (pair.teacher, pair.teacher.decode)
    if pair.student is not None:
        found["student"] = (pair.student, pair.student.decode)
    return found


def _tiled_decode(pair: DecoderPair, role: str) -> DecodeFn | None:
    """A decode that switches on the model's own tiling (diffusers ``enable_tiling``) for the call, if it has one."""
    owner = pair.teacher.vae if role == "teacher" else pair.student.decoder
    if not hasattr(owner, "enable_tiling"):
        return None
    decode = pair.teacher.decode if role == "teacher" else pair.student.decode

    def tiled(z: torch.Tensor) -> torch.Tensor:
        owner.enable_tiling()
        try:
            return decode(z)
        finally:
            owner.disable_tiling()

    return tiled


def architecture_fingerprint(module: nn.Module) -> str:
    """sha256 of the state-dict keys, shapes and dtypes: tells architectures apart without hashing weights."""
    digest = hashlib.sha256()
    for name, tensor in sorted(module.state_dict().items()):
        digest.update(f"{name}:{tuple(tensor.shape)}:{tensor.dtype};".encode())
    return digest.hexdigest()


def _weights_id(pair: DecoderPair, role: str) -> str:
    """The weights part of the cache key: "random", else the checkpoint's sha256 as the registry recorded it."""
    if pair.random_weights:
        return "random"
    return (pair.info.get(f"{role}_weights") or {}).get("sha256", "unrecorded")


def parameter_report(pair: DecoderPair) -> dict[str, dict[str, Any]]:
    """role -> decoder-only and full-model parameter counts, each checked against its published count.

    The published counts (:mod:`evalkit.profile.published`) come from outside evalkit: the Turbo-VAED paper
    for the student's decoder, a diffusers build for the LTX teacher's decode path. The teacher's decoder
    count is its decode path (decoder plus ``post_quant_conv`` where the class has one); its full model adds
    the encoder. The student's full model adds its distillation heads. Neither full model has a published
    count, so it is reported unchecked (``matches`` None).
    """
    from evalkit.profile.published import TEACHER_DECODER_PARAMS, TEACHER_DECODER_SOURCE, published_student_params

    report: dict[str, dict[str, Any]] = {}
    if pair.teacher is not None:
        vae = pair.teacher.vae
        decode_modules = [vae.decoder, getattr(vae, "post_quant_conv", None)]
        published = TEACHER_DECODER_PARAMS.get(pair.spec.teacher)
        report["teacher"] = {
            "decoder": check_parameter_count(
                sum(count_parameters(m) for m in decode_modules if m is not None),
                published,
                what=f"{pair.name} teacher decoder",
                source=TEACHER_DECODER_SOURCE if published is not None else None,
            ),
            "full_model": check_parameter_count(count_parameters(vae), None, what=f"{pair.name} teacher VAE"),
        }
    if pair.student is not None:
        decoder = pair.student.decoder
        published, source = published_student_params(pair.spec.student_preset)
        report["student"] = {
            "decoder": check_parameter_count(
                count_parameters(decoder), published, what=f"{pair.name} student", source=source
            ),
            "full_model": check_parameter_count(
                count_parameters(decoder) + _head_parameters(pair), None, what="student model"
            ),
        }
    return report


def _head_parameters(pair: DecoderPair) -> int:
    """Distillation-head parameters of a Turbo-VAED student; a TAEHV student has none."""
    return student_head_parameters(pair.student.decoder.config) if pair.spec.student_kind == "turbo-vaed" else 0


def student_head_parameters(config: Any) -> int:
    """Parameters of the distillation projection heads a Turbo-VAED config describes (built on the meta device).

    The heads hang off the top-level model, not the decoder, so the paper's counts leave them out; the
    full-model count adds them.
    """
    from evalkit.models.turbo_vaed import ProjectionHeads

    with torch.device("meta"):
        return count_parameters(ProjectionHeads.from_config(config))


def _ratio(teacher: float | None, student: float | None) -> float | None:
    return teacher / student if teacher and student else None


def _compare(profiles: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Teacher/student ratios measured in the same process (latency speed-up, FLOPs, peak memory)."""
    if set(profiles) != set(ROLES) or any(p["status"] != "ok" for p in profiles.values()):
        return {}
    teacher, student = profiles["teacher"], profiles["student"]
    return {
        "speedup_median": _ratio(teacher["latency"]["median_s"], student["latency"]["median_s"]),
        "speedup_p90": _ratio(teacher["latency"]["p90_s"], student["latency"]["p90_s"]),
        "flops_ratio": _ratio((teacher["flops"] or {}).get("total_flops"), (student["flops"] or {}).get("total_flops")),
        "peak_memory_ratio": _ratio(
            (teacher["memory"] or {}).get("peak_bytes"), (student["memory"] or {}).get("peak_bytes")
        ),
    }


def _profile_resolution(pair: DecoderPair, shape: tuple[int, ...], measurement: dict[str, Any]) -> dict[str, Any]:
    """Profile both decoders at one latent shape with the :func:`profile_decoder` keywords in ``measurement``."""
    profiles = {}
    for role, (_, decode) in _decoders(pair).items():
        logger.info("profiling %s %s at latent %s", pair.name, role, shape)
        profile = profile_decoder(decode, shape, tiled_decode=_tiled_decode(pair, role), **measurement)
        profiles[role] = profile.to_dict()
    return {**profiles, "compare": _compare(profiles)}


def bench_pair(
    pair: DecoderPair,
    *,
    resolutions: Sequence[tuple[int, int]] = ((256, 256),),
    frames: int = 17,
    batch: int = 1,
    device: str | torch.device = "cpu",
    dtype: torch.dtype = torch.float32,
    warmup: int = 1,
    repeats: int = 5,
    with_flops: bool = True,
    with_memory: bool = True,
    onnx: str = "student",
    onnx_repeats: int = 3,
    cache: ProfileCache | None = None,
    seed: int = 0,
) -> dict[str, Any]:
    """Profile an already built pair at each resolution; returns the bench.json dict.

    Layout (also the ``profile`` section of results.json): ``teacher`` / ``student`` each hold ``params``,
    ``parameters`` (registry checks), ``shapes`` (one ``DecoderProfile.to_dict()`` per resolution) and
    ``onnx``; ``compare`` holds the same-process teacher/student ratios per resolution; ``env`` the machine.

    ``onnx`` picks which decoders get the ONNX mobile proxy ("none", "student" or "both"), at the first
    resolution. ``cache`` reuses per-resolution profiles keyed by weights, architecture, environment,
    latent shape and measurement settings.
    """
    if onnx not in ONNX_CHOICES:
        raise ValueError(f"onnx must be one of {', '.join(ONNX_CHOICES)}; got {onnx!r}")
    device = torch.device(device)
    env = environment(device, dtype)
    settings = {"warmup": warmup, "repeats": repeats, "flops": with_flops, "memory": with_memory, "seed": seed}
    measurement = {"device": device, "dtype": dtype, "warmup": warmup, "repeats": repeats, "seed": seed}
    measurement.update(with_flops=with_flops, with_memory=with_memory)
    identity = {
        role: {"weights": _weights_id(pair, role), "architecture": architecture_fingerprint(module)}
        for role, (module, _) in _decoders(pair).items()
    }
    compare = []
    shapes: dict[str, list[dict[str, Any]]] = {role: [] for role in identity}
    for height, width in resolutions:
        shape = latent_shape(pair, height, width, frames, batch)
        fields = {"decoder": pair.name, "decoders": identity, "env": env, "latent_shape": shape, **settings}

        def measure(shape: tuple[int, ...] = shape) -> dict[str, Any]:
            return _profile_resolution(pair, shape, measurement)

        label = f"{pair.name}-{height}x{width}x{frames}-{device.type}"
        measured, cached = cache.get_or_compute(label, fields, measure) if cache else (measure(), False)
        for role in shapes:
            shapes[role].append(measured[role])
        compare.append(
            {
                "height": height,
                "width": width,
                "frames": frames,
                "batch": batch,
                "latent_shape": list(shape),
                "cached": cached,
                **measured["compare"],
            }
        )
    parameters = parameter_report(pair)
    onnx_reports = _onnx_reports(pair, onnx, latent_shape(pair, *resolutions[0], frames, 1), onnx_repeats, seed)
    roles = {
        role: {
            "params": parameters[role]["decoder"]["counted"],
            "parameters": parameters[role],
            "shapes": shapes[role],
            "onnx": onnx_reports.get(role),
        }
        for role in shapes
    }
    return {
        "schema": BENCH_SCHEMA,
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "evalkit_version": __version__,
        "decoder": pair.name,
        "random_weights": pair.random_weights,
        "flop_unit": FLOP_UNIT,
        "config": {
            "resolutions": [list(r) for r in resolutions],
            "frames": frames,
            "batch": batch,
            "device": str(device),
            "dtype": env["dtype"],
            "onnx": onnx,
            **settings,
        },
        "env": env,
        "provenance": pair.info,
        **roles,
        "compare": compare,
    }


def _onnx_reports(pair: DecoderPair, which: str, shape: tuple[int, ...], repeats: int, seed: int) -> dict[str, Any]:
    """ONNX proxy of the chosen roles on float32 CPU copies (export needs both); failures are recorded, not raised."""
    roles = {"none": (), "student": ("student",), "both": ROLES}[which]
    reports: dict[str, Any] = {}
    latent = torch.randn(shape, generator=torch.Generator().manual_seed(seed))
    for role, (module, _) in _decoders(pair).items():
        if role not in roles:
            continue
        export_module = _DecodeModule(_float32_cpu(module))
        try:
            reports[role] = onnx_proxy(export_module, latent, repeats=repeats).to_dict()
        except Exception as error:  # noqa: BLE001 - an export failure is a finding of the proxy, reported as such
            logger.warning("ONNX proxy of the %s failed: %s", role, error)
            reports[role] = {"error": f"{type(error).__name__}: {error}"}
    return reports


def _float32_cpu(module: nn.Module) -> nn.Module:
    """``module`` itself if it is float32 on the CPU, else a float32 CPU copy (the measured one stays as is)."""
    tensors = list(module.parameters())
    if all(t.dtype == torch.float32 and t.device.type == "cpu" for t in tensors):
        return module
    return copy.deepcopy(module).float().cpu()


class _DecodeModule(nn.Module):
    """``forward(z) = owner.decode(z)``, so a wrapper whose forward does something else can be exported."""

    def __init__(self, owner: nn.Module) -> None:
        super().__init__()
        self.owner = owner

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.owner.decode(z)


def bench(
    decoder: str,
    *,
    init: str = "pretrained",
    student_weights: str | None = None,
    teacher_weights: str | None = None,
    teacher_config: dict[str, Any] | None = None,
    student_config: dict[str, Any] | None = None,
    device: str | torch.device = "cpu",
    dtype: torch.dtype = torch.float32,
    threads: int | None = None,
    seed: int = 0,
    **options: Any,
) -> dict[str, Any]:
    """Build the pair registered as ``decoder`` and profile it (see :func:`bench_pair` for ``options``).

    ``threads`` sets ``torch.set_num_threads`` first; the environment block records it.
    """
    from evalkit.models.registry import build_pair

    if threads is not None:
        torch.set_num_threads(threads)
    pair = build_pair(
        decoder,
        init=init,
        student_weights=student_weights,
        teacher_weights=teacher_weights,
        device=device,
        dtype=dtype,
        seed=seed,
        teacher_config=teacher_config,
        student_config=student_config,
    )
    return bench_pair(pair, device=device, dtype=dtype, seed=seed, **options)
