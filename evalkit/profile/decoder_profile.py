"""Cost profile of any decode callable at one latent shape: FLOPs, peak memory and latency, with OOM -> tiling.

Independent of the model registry: it takes a function ``z -> video`` (an ``nn.Module`` or a wrapper's
``decode``), so a teacher, a student or a stand-in module are profiled the same way.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import torch

from evalkit.profile.flops import FlopReport, count_flops_with_output
from evalkit.profile.latency import CallTimer, LatencyStats, measure_latency
from evalkit.profile.memory import MemoryReport, peak_memory

logger = logging.getLogger(__name__)

DecodeFn = Callable[[torch.Tensor], torch.Tensor]


@dataclass
class DecoderProfile:
    """Cost of one decoder at one latent shape; ``status`` is ``"ok"`` or ``"oom"`` (even tiled)."""

    latent_shape: tuple[int, ...]
    output_shape: tuple[int, ...] | None
    device: str
    dtype: str
    tiled: bool
    status: str
    flops: FlopReport | None = None
    latency: LatencyStats | None = None
    memory: MemoryReport | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable form."""
        return {
            "latent_shape": list(self.latent_shape),
            "output_shape": list(self.output_shape) if self.output_shape else None,
            "device": self.device,
            "dtype": self.dtype,
            "tiled": self.tiled,
            "status": self.status,
            "flops": self.flops.to_dict() if self.flops else None,
            "latency": self.latency.to_dict() if self.latency else None,
            "memory": self.memory.to_dict() if self.memory else None,
        }


def is_out_of_memory(error: BaseException) -> bool:
    """True for a CUDA OOM and for the CPU allocator's "can't allocate memory" error."""
    return isinstance(error, torch.OutOfMemoryError) or (
        isinstance(error, RuntimeError) and "can't allocate memory" in str(error)
    )


def profile_decoder(
    decode: DecodeFn,
    latent_shape: Sequence[int],
    *,
    device: str | torch.device = "cpu",
    dtype: torch.dtype = torch.float32,
    warmup: int = 1,
    repeats: int = 5,
    with_flops: bool = True,
    with_memory: bool = True,
    tiled_decode: DecodeFn | None = None,
    seed: int = 0,
    timer: CallTimer | None = None,
) -> DecoderProfile:
    """Profile ``decode`` on a seeded N(0,1) latent of ``latent_shape`` (B, C, T, H, W).

    Order: one call under the FLOP counter (it also gives the output shape), one call for peak memory,
    then warm-up and timed calls. The first two are untimed and count toward ``warmup``. If any step runs
    out of memory and ``tiled_decode`` is given, everything is measured again with it and marked ``tiled``.
    """
    device = torch.device(device)
    latent = torch.randn(tuple(latent_shape), generator=torch.Generator().manual_seed(seed)).to(device, dtype)
    base = DecoderProfile(tuple(latent_shape), None, str(device), str(dtype).removeprefix("torch."), False, "ok")
    attempts: list[tuple[DecodeFn, bool]] = [(decode, False)]
    if tiled_decode is not None:
        attempts.append((tiled_decode, True))
    for fn, tiled in attempts:
        try:
            return _measure(
                fn, latent, dataclasses.replace(base, tiled=tiled), warmup, repeats, with_flops, with_memory, timer
            )
        except (torch.OutOfMemoryError, RuntimeError) as error:
            if not is_out_of_memory(error):
                raise
            logger.warning(
                "out of memory decoding %s on %s%s", tuple(latent_shape), device, " (tiled)" if tiled else ""
            )
            if device.type == "cuda":
                torch.cuda.empty_cache()
    return dataclasses.replace(base, tiled=tiled_decode is not None, status="oom")


def _measure(
    decode: DecodeFn,
    latent: torch.Tensor,
    profile: DecoderProfile,
    warmup: int,
    repeats: int,
    with_flops: bool,
    with_memory: bool,
    timer: CallTimer | None,
) -> DecoderProfile:
    if with_flops:
        profile.flops, output = count_flops_with_output(decode, (latent,))
    else:
        with torch.inference_mode():
            output = decode(latent)
    if not isinstance(output, torch.Tensor) or output.ndim != 5:
        raise TypeError(f"decode must return a (B, C, T, H, W) tensor; got {type(output).__name__}")
    profile.output_shape = tuple(output.shape)
    frames = output.shape[0] * output.shape[2]
    del output
    untimed = 1
    if with_memory:
        profile.memory = peak_memory(lambda: decode(latent), profile.device)
        untimed += 1
    remaining = max(0, warmup - untimed)
    stats = measure_latency(
        lambda: decode(latent),
        warmup=remaining,
        repeats=repeats,
        device=profile.device,
        frames_per_call=frames,
        timer=timer,
    )
    profile.latency = dataclasses.replace(stats, warmup=untimed + remaining)
    return profile
