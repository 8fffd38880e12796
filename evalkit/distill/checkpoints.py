"""Distillation checkpoints: a decoder-only safetensors file to evaluate, plus the state that resumes training.

Layout of ``<out>/checkpoints/step-000100/``:

* ``decoder.safetensors``: the EMA decoder state dict alone (what ``--student-weights`` loads, strict keys);
* ``decoder_raw.safetensors``: the decoder as the optimiser left it;
* ``config.json``: the student config (so the checkpoint describes its own architecture);
* ``training_state.pt``: optimiser, EMA, heads, RNG and sampler states (``torch.load(weights_only=True)``).

A checkpoint folder is written under a temporary name and renamed into place, so an interrupted save never
leaves a half-written checkpoint for ``resume`` to pick up.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import save_file

DECODER_FILE = "decoder.safetensors"
RAW_DECODER_FILE = "decoder_raw.safetensors"
CONFIG_FILE = "config.json"
STATE_FILE = "training_state.pt"
_STEP_DIR = re.compile(r"^step-(\d{6,})$")


def checkpoint_dir(out: Path, step: int) -> Path:
    """``<out>/checkpoints/step-<step>``."""
    return out / "checkpoints" / f"step-{step:06d}"


def _contiguous(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    return {key: tensor.detach().contiguous().cpu() for key, tensor in state.items()}


def save_checkpoint(
    out: Path,
    step: int,
    *,
    ema_decoder: dict[str, torch.Tensor],
    raw_decoder: dict[str, torch.Tensor],
    student_config: dict[str, Any],
    training_state: dict[str, Any],
) -> Path:
    """Write one checkpoint folder atomically and return its path."""
    final = checkpoint_dir(out, step)
    staging = final.with_name(final.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    metadata = {"step": str(step), "format": "evalkit-distill-decoder"}
    save_file(_contiguous(ema_decoder), str(staging / DECODER_FILE), metadata={**metadata, "weights": "ema"})
    save_file(_contiguous(raw_decoder), str(staging / RAW_DECODER_FILE), metadata={**metadata, "weights": "raw"})
    (staging / CONFIG_FILE).write_text(json.dumps(student_config, indent=2, sort_keys=True) + "\n")
    torch.save(training_state, staging / STATE_FILE)
    shutil.rmtree(final, ignore_errors=True)
    staging.rename(final)
    return final


def latest_checkpoint(out: Path) -> Path | None:
    """The complete checkpoint folder with the highest step, or ``None``."""
    folder = out / "checkpoints"
    if not folder.is_dir():
        return None
    steps = [(int(m.group(1)), p) for p in folder.iterdir() if (m := _STEP_DIR.match(p.name)) and p.is_dir()]
    return max(steps)[1] if steps else None


def load_training_state(folder: Path) -> dict[str, Any]:
    """The resumable state of a checkpoint folder (tensors and plain containers only)."""
    path = folder / STATE_FILE
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing; {folder} is not a complete distillation checkpoint")
    return torch.load(path, map_location="cpu", weights_only=True)
