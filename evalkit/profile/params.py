"""Parameter counts of a module, by top-level block, and a check against a published count."""

from __future__ import annotations

import logging
from typing import Any

from torch import nn

logger = logging.getLogger(__name__)


def count_parameters(module: nn.Module) -> int:
    """Number of parameter elements in ``module`` (shared parameters counted once; buffers excluded).

    Works on meta-device modules, so a full-size preset can be counted without allocating its weights.
    """
    return sum(p.numel() for p in module.parameters())


def parameters_by_block(module: nn.Module) -> dict[str, int]:
    """Parameter elements per direct child of ``module`` (e.g. ``conv_in``, ``mid_block``, ``up_blocks.0``).

    ``nn.ModuleList`` / ``nn.Sequential`` children are split into their items, matching the block names
    that state-dict manifests use.
    """
    blocks: dict[str, int] = {}
    for name, child in module.named_children():
        if isinstance(child, nn.ModuleList | nn.Sequential):
            for index, item in child.named_children():
                blocks[f"{name}.{index}"] = count_parameters(item)
        else:
            blocks[name] = count_parameters(child)
    own = sum(p.numel() for p in module.parameters(recurse=False))
    if own:
        blocks["(own)"] = own
    return {name: count for name, count in blocks.items() if count}


def check_parameter_count(
    counted: int, expected: int | None, *, what: str, source: str | None = None
) -> dict[str, Any]:
    """Compare a counted number of parameters with a published one; log a warning on a mismatch.

    Returns ``{"counted", "expected", "matches", "source"}``: ``source`` says where ``expected`` was published;
    ``matches`` is ``None`` when nothing is published.
    """
    matches = None if expected is None else counted == expected
    if matches is False:
        logger.warning(
            "%s has %d parameters but %d are published (%s): the built architecture differs from the published one",
            what,
            counted,
            expected,
            source,
        )
    return {"counted": counted, "expected": expected, "matches": matches, "source": source}
