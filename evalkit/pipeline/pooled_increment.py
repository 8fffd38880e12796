"""Pooled-metric increments small enough to journal after every batch.

A batch's increment is the state of fresh pooled metrics that saw only that batch. An FVD state holds, per
side, D x D float64 feature sums beside the B x D float32 per-clip features (for FVD∞); ``compact`` leaves the
sums out wherever the features rebuild them bit for bit, and ``expand`` rebuilds them, so the journal grows by
a constant amount per batch and a resumed run gets exactly the state it would have kept in memory.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from evalkit.metrics.frechet import FeatureStats

SIDES = ("reference", "candidate")


def compact(state: Any) -> Any:
    """``state`` with every FVD side's feature sums set to None where its per-clip features rebuild them exactly."""
    return _each_fvd_state(state, lambda fvd, sums: {side: None for side in SIDES if _same(sums[side], fvd[side])})


def expand(state: Any) -> Any:
    """Undo :func:`compact`: the left-out feature sums rebuilt from the per-clip features."""
    return _each_fvd_state(state, lambda fvd, sums: {side: sums[side] for side in SIDES if fvd[side] is None})


def _each_fvd_state(state: Any, change: Callable[[dict[str, Any], dict[str, Any]], dict[str, Any]]) -> Any:
    """``state`` with every nested FVD state updated by ``change(fvd_state, rebuilt_sums)``."""
    if not isinstance(state, dict):
        return state
    if not {"clip_ids", "features", *SIDES} <= state.keys():
        return {key: _each_fvd_state(value, change) for key, value in state.items()}
    return {**state, **change(state, _rebuilt(state))}


def _rebuilt(state: dict[str, Any]) -> dict[str, dict[str, Any] | None]:
    """Each side's sums over the per-clip features in the order the clips were added (None if some are missing)."""
    ids, features = state["clip_ids"], state["features"]
    if not ids or any(clip_id not in features for clip_id in ids):
        return dict.fromkeys(SIDES)
    return {
        side: FeatureStats.from_features(np.stack([features[clip_id][index] for clip_id in ids])).to_dict()
        for index, side in enumerate(SIDES)
    }


def _same(rebuilt: dict[str, Any] | None, saved: dict[str, Any] | None) -> bool:
    if rebuilt is None or saved is None or rebuilt["count"] != saved["count"]:
        return False
    return all(np.array_equal(rebuilt[key], saved[key]) for key in ("sum", "outer_sum"))
