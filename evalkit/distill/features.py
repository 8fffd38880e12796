"""Teacher block features for feature distillation, captured with forward hooks on a diffusers decoder.

diffusers' video decoders (``AutoencoderKLLTXVideo``, ``AutoencoderKLHunyuanVideo``, ``AutoencoderKLCogVideoX``)
return only pixels. The official Turbo-VAED fork patched them to also return the outputs of ``mid_block`` and
of each ``up_blocks[i]`` (``feature_enabled=True``, SPEC §5/§9). Forward hooks on the same modules give the same
tensors without patching diffusers: for LTX-Video 0.9.0 ``up_blocks[1]`` yields ``[C, 2T-1, 2h, 2w]`` exactly as
the fork's ``up_block_1``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import torch
from torch import nn

from evalkit.models.turbo_vaed.decoder import FEATURE_NAMES


def block_modules(decoder: nn.Module) -> dict[str, nn.Module]:
    """``{"mid_block": ..., "up_block_0": ..., ...}`` of a diffusers video decoder (``vae.decoder``)."""
    missing = [name for name in ("mid_block", "up_blocks") if not hasattr(decoder, name)]
    if missing:
        raise ValueError(
            f"{type(decoder).__name__} has no {' / '.join(missing)}; feature distillation needs a decoder with "
            "mid_block and up_blocks (diffusers LTX, HunyuanVideo, CogVideoX)"
        )
    blocks = {"mid_block": decoder.mid_block}
    blocks.update({f"up_block_{i}": block for i, block in enumerate(decoder.up_blocks)})
    return {name: blocks[name] for name in FEATURE_NAMES if name in blocks}


def _first_tensor(output: object) -> torch.Tensor:
    """A block's hidden states: the tensor itself, or the first element of a tuple (CogVideoX returns a cache)."""
    if isinstance(output, torch.Tensor):
        return output
    if isinstance(output, tuple | list) and output and isinstance(output[0], torch.Tensor):
        return output[0]
    raise TypeError(f"cannot read block features from a {type(output).__name__}")


@contextmanager
def capture_block_features(decoder: nn.Module) -> Iterator[dict[str, torch.Tensor]]:
    """Fill the yielded dict with the block outputs, by name, of the one decode run inside the ``with`` block.

    A block that runs twice (diffusers' CogVideoX decodes long latents in chunks of frames) raises: its
    chunk features would not line up with the student's single pass.
    """
    features: dict[str, torch.Tensor] = {}
    handles = []
    for name, module in block_modules(decoder).items():

        def hook(_module: nn.Module, _inputs: object, output: object, name: str = name) -> None:
            if name in features:
                raise RuntimeError(
                    f"teacher block {name} ran twice in one decode (the teacher decodes the latents in chunks); "
                    "feature alignment needs a single pass: use fewer frames per window (--num-frames)"
                )
            features[name] = _first_tensor(output)

        handles.append(module.register_forward_hook(hook))
    try:
        yield features
    finally:
        for handle in handles:
            handle.remove()
