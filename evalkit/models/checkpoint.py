"""Load a student decoder checkpoint strictly, whatever wrapper or prefix the training code saved it with.

Accepted layouts, tried in this order:

1. a bare decoder state dict (every value a tensor);
2. a dict wrapping one, found under the first present key of ``ema_state_dict`` > ``ema`` > ``state_dict`` >
   ``model`` (EMA weights win because they are what is evaluated); wrappers may nest;
3. then, if no key matches the decoder yet, the prefixes ``module.`` (DDP) and ``decoder.`` (a whole
   ``AutoencoderKLTurboVAED`` state dict, or a released TAEHV file) are stripped in that order. Keys outside the
   stripped prefix (the whole model's ``latents_mean``/``latents_std`` buffers and distillation heads, a TAEHV
   file's ``encoder.*``) are dropped and counted in the report.

Files: ``.safetensors`` via safetensors; anything else via ``torch.load(weights_only=True)``. Any remaining key or
shape mismatch raises :class:`CheckpointMismatchError`; nothing loads with ``strict=False``.
"""

from __future__ import annotations

import logging
import pickle
import re
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from evalkit.errors import InputError
from evalkit.weights import ResolvedFile

logger = logging.getLogger(__name__)

WRAPPER_KEYS: tuple[str, ...] = ("ema_state_dict", "ema", "state_dict", "model")
STRIP_PREFIXES: tuple[str, ...] = ("module.", "decoder.")
MAX_LISTED = 10


class CheckpointMismatchError(InputError, ValueError):
    """The checkpoint's keys or shapes do not match the decoder it is loaded into."""


@dataclass(frozen=True)
class CheckpointReport:
    """How a checkpoint was read: file, sha256, format, wrapper key path, stripped prefixes, dropped keys."""

    path: str
    sha256: str
    format: str
    wrapper: str | None
    stripped_prefixes: tuple[str, ...]
    dropped_keys: int

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready record for DecoderPair.info."""
        record = asdict(self)
        record["stripped_prefixes"] = list(self.stripped_prefixes)
        return record


class CheckpointReadError(InputError, ValueError):
    """A checkpoint file that cannot be read safely: damaged, truncated, mislabelled, or holding non-tensor objects."""


def read_checkpoint(path: Path) -> tuple[Any, str]:
    """Read a checkpoint file safely; returns (object, "safetensors" | "torch").

    Nothing in the file is ever executed: ``.safetensors`` holds tensors only, and anything else goes through
    ``torch.load(weights_only=True)``, which refuses pickled objects other than tensors and plain containers.
    """
    if path.suffix == ".safetensors":
        from safetensors import SafetensorError
        from safetensors.torch import load_file

        try:
            return load_file(str(path), device="cpu"), "safetensors"
        except SafetensorError as exc:
            raise CheckpointReadError(_not_safetensors(path, exc)) from None
    try:
        return torch.load(path, map_location="cpu", weights_only=True), "torch"
    except pickle.UnpicklingError as exc:
        found = _REFUSED_GLOBAL.search(str(exc))
        what = f"Python objects other than tensors ({found['name']})" if found else "Python objects other than tensors"
        raise CheckpointReadError(
            f"{path}: holds {what}, which evalkit never unpickles (unpickling can run code); "
            "save the decoder's state dict alone (tensors only), preferably as .safetensors"
        ) from None
    except (RuntimeError, EOFError, OSError) as exc:
        raise CheckpointReadError(
            f"{path}: not a readable PyTorch checkpoint ({str(exc).split('. ')[0]}); the file may be truncated: "
            "copy or download it again, or pass a .safetensors file"
        ) from None


def check_safetensors_file(path: Path) -> None:
    """Read the header of a ``.safetensors`` file; a damaged or renamed file raises :class:`CheckpointReadError`."""
    from safetensors import SafetensorError, safe_open

    try:
        with safe_open(str(path), framework="pt") as handle:
            handle.keys()
    except SafetensorError as exc:
        raise CheckpointReadError(_not_safetensors(path, exc)) from None


_REFUSED_GLOBAL = re.compile(r"GLOBAL (?P<name>[\w.]+)")
_ZIP_MAGIC = b"PK\x03\x04"
_PICKLE_PROTOCOL = 0x80


def _not_safetensors(path: Path, exc: Exception) -> str:
    """Why a ``.safetensors`` file did not load: a renamed torch/pickle file, or a damaged one."""
    with open(path, "rb") as handle:
        head = handle.read(4)
    if head.startswith(_ZIP_MAGIC) or (head[:1] and head[0] == _PICKLE_PROTOCOL):
        kind = "a PyTorch torch.save file" if head.startswith(_ZIP_MAGIC) else "a Python pickle"
        return (
            f"{path}: is {kind} renamed to .safetensors, not a safetensors file; rename it to .pt "
            "(read with torch.load(weights_only=True), which refuses anything but tensors) or convert it to "
            "safetensors"
        )
    return (
        f"{path}: damaged safetensors file ({exc}); it may be truncated: copy or download it again "
        "(`evalkit weights verify` checks fetched files)"
    )


def _is_state_dict(obj: Any) -> bool:
    return isinstance(obj, Mapping) and bool(obj) and all(isinstance(v, torch.Tensor) for v in obj.values())


def _unwrap(obj: Any, path: Path) -> tuple[dict[str, torch.Tensor], str | None]:
    trail: list[str] = []
    while not _is_state_dict(obj):
        key = next((k for k in WRAPPER_KEYS if isinstance(obj, Mapping) and k in obj), None)
        if key is None:
            found = list(obj)[:MAX_LISTED] if isinstance(obj, Mapping) else type(obj).__name__
            raise ValueError(
                f"{path}: no decoder state dict found; expected tensors at the top level or under one of "
                f"{', '.join(WRAPPER_KEYS)}, found {found}"
            )
        trail.append(key)
        obj = obj[key]
    return dict(obj), ".".join(trail) or None


def _strip_prefixes(
    state: dict[str, torch.Tensor], expected: set[str]
) -> tuple[dict[str, torch.Tensor], tuple[str, ...], int]:
    stripped: list[str] = []
    dropped = 0
    for prefix in STRIP_PREFIXES:
        if state.keys() & expected or not any(k.startswith(prefix) for k in state):
            continue
        kept = {k.removeprefix(prefix): v for k, v in state.items() if k.startswith(prefix)}
        dropped += len(state) - len(kept)
        state = kept
        stripped.append(prefix)
    return state, tuple(stripped), dropped


def _listed(keys: list[str]) -> str:
    shown = ", ".join(keys[:MAX_LISTED])
    return shown + (f", ... ({len(keys) - MAX_LISTED} more)" if len(keys) > MAX_LISTED else "")


def check_keys(state: Mapping[str, torch.Tensor], module: nn.Module, source: str) -> None:
    """Raise :class:`CheckpointMismatchError` listing missing, unexpected and mis-shaped keys (first N + counts)."""
    target = module.state_dict()
    missing = sorted(target.keys() - state.keys())
    unexpected = sorted(state.keys() - target.keys())
    shapes = sorted(
        f"{k} {tuple(state[k].shape)} vs {tuple(target[k].shape)}"
        for k in target.keys() & state.keys()
        if state[k].shape != target[k].shape
    )
    problems = [
        f"{len(items)} {what}: {_listed(items)}"
        for what, items in (("missing keys", missing), ("unexpected keys", unexpected), ("shape mismatches", shapes))
        if items
    ]
    if problems:
        raise CheckpointMismatchError(
            f"{source} does not match the {type(module).__name__} being loaded "
            f"({len(state)} checkpoint keys, {len(target)} model keys): "
            + "; ".join(problems)
            + ". Check that the checkpoint belongs to this decoder preset (and its config overrides)."
        )


def load_decoder_checkpoint(
    module: nn.Module,
    weights: ResolvedFile,
    adapt: Callable[[dict[str, torch.Tensor]], dict[str, torch.Tensor]] | None = None,
) -> CheckpointReport:
    """Load ``weights`` into ``module`` strictly (see the module docstring for accepted layouts).

    ``adapt`` rewrites the state dict after prefix stripping and before the strict checks (a decoder family's own
    documented layout rule, e.g. TAEHV's TGrow rows).
    """
    obj, fmt = read_checkpoint(weights.path)
    state, wrapper = _unwrap(obj, weights.path)
    state, stripped, dropped = _strip_prefixes(state, set(module.state_dict()))
    if dropped:
        logger.info("%s: kept the %s* keys, dropped %d others", weights.path, "".join(stripped), dropped)
    if adapt is not None:
        state = adapt(state)
    check_keys(state, module, str(weights.path))
    module.load_state_dict(state, strict=True)
    return CheckpointReport(
        path=str(weights.path),
        sha256=weights.sha256,
        format=fmt,
        wrapper=wrapper,
        stripped_prefixes=stripped,
        dropped_keys=dropped,
    )
