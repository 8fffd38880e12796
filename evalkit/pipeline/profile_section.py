"""The ``profile`` section of a run's results: both decoders' cost at the run's clip shape, measured once.

After the metrics, rank 0 hands the pair it evaluated to :func:`evalkit.profile.bench.bench_pair` with cheap
settings (1 warm-up and 3 timed calls, ONNX only when asked) and the shared profile cache, so repeat runs
and `evalkit bench` reuse one measurement per weights, environment and shape. A profile that cannot or
should not be measured is recorded as ``{"skipped": reason}`` or ``{"error": reason}``; it never fails the run.
"""

from __future__ import annotations

import contextlib
import logging
import shlex
from collections.abc import Iterator
from typing import Any

import torch

from evalkit.models.interfaces import DecoderPair
from evalkit.models.placement import Placement
from evalkit.pipeline.config import RunConfig
from evalkit.profile.bench import bench_pair
from evalkit.profile.cache import ProfileCache
from evalkit.profile.options import CPU_AUTO_MAX_TEACHER_PARAMS
from evalkit.profile.params import count_parameters
from evalkit.weights import cache_root

logger = logging.getLogger(__name__)

WARMUP = 1
REPEATS = 3


def bench_command(config: RunConfig, device: torch.device) -> str:
    """The `evalkit bench` command that measures what the run would have, for the skip and error notes."""
    args = ["evalkit", "bench", "--decoder", config.require_decoder()]
    if config.init == "random":
        args += ["--init", "random"]
    for flag, value in (("--student-weights", config.student_weights), ("--teacher-weights", config.teacher_weights)):
        if value:
            args += [flag, value]
    args += ["--resolution", str(config.resolution), "--frames", str(config.num_frames)]
    args += ["--device", str(device), "--dtype", _weights_dtype(config), "--onnx", config.profile_onnx]
    return shlex.join(args)


def skip_reason(config: RunConfig, pair: DecoderPair, device: torch.device) -> str | None:
    """Why this run (profile ``on`` or ``auto``) records no measured profile, or ``None`` to measure it."""
    if config.protocol.get("crop", "center") != "center":
        return "clips keep their aspect ratio (crop=none), so the run has no single clip shape to measure"
    if config.profile == "auto" and device.type == "cpu":
        teacher_params = count_parameters(pair.teacher.vae.decoder)
        if teacher_params > CPU_AUTO_MAX_TEACHER_PARAMS:
            return (
                f"the teacher decoder has {teacher_params:,} parameters, over the {CPU_AUTO_MAX_TEACHER_PARAMS:,} "
                "that --profile auto times on the CPU (--profile on forces it)"
            )
    return None


def profile_section(
    config: RunConfig, pair: DecoderPair, device: torch.device, placement: Placement
) -> dict[str, Any] | None:
    """The results ``profile``: the bench.json dict, ``{"skipped": why}``, ``{"error": why}`` or ``None`` (off)."""
    if config.profile == "off":
        return None
    command = bench_command(config, device)
    reason = skip_reason(config, pair, device)
    if reason is not None:
        logger.warning("cost profile skipped: %s; measure it with: %s", reason, command)
        return {"skipped": f"{reason}; measure it with: {command}"}
    try:
        with _measuring(pair, placement):
            return bench_pair(
                pair,
                resolutions=[(config.resolution, config.resolution)],
                frames=config.num_frames,
                batch=1,
                device=device,
                dtype=getattr(torch, _weights_dtype(config)),
                warmup=WARMUP,
                repeats=REPEATS,
                onnx=config.profile_onnx,
                cache=ProfileCache(cache_root() / "profile"),
                seed=config.seed,
            )
    except Exception as error:  # noqa: BLE001 - the run's results are written whatever the profile does
        logger.exception("cost profile failed; the results are written without it")
        return {"error": f"{type(error).__name__}: {error}; measure it with: {command}"}


def _weights_dtype(config: RunConfig) -> str:
    """The decoders' weight dtype: ``config.dtype``, or float32 under autocast (which the profile does not use)."""
    return "float32" if config.autocast else config.dtype


@contextlib.contextmanager
def _measuring(pair: DecoderPair, placement: Placement) -> Iterator[None]:
    """Both decoders on the run's device, the teacher untiled as in `evalkit bench` (profile cache entries are
    shared with it); placement and tiling are restored afterwards."""
    vae = getattr(pair.teacher, "vae", None)
    tiled = bool(getattr(vae, "use_tiling", False))
    if tiled:
        vae.disable_tiling()
    try:
        with contextlib.ExitStack() as stack:
            for module in (pair.teacher, pair.student):
                if module is not None:
                    stack.enter_context(placement.use(module))
            yield
    finally:
        if tiled:
            vae.enable_tiling()
