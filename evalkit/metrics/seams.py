"""Seam score: how much stronger the pixel gradient is where decoder tiles meet than anywhere else in the frame.

Definition. For a uint8 clip ``(T, H, W, 3)`` take every pair of neighbouring pixels, horizontal and vertical,
in every frame and channel, and its absolute difference ``|I[x+1] - I[x]|``. A tile join at pixel ``p``
(where the next tile's piece starts) with a blend of ``e`` pixels owns the differences between positions
``c`` and ``c+1`` for ``c`` in ``[p-1, p+e-1]``: from the last pixel of the previous tile's own piece, across
the linear blend, to the first pixel that is the next tile's alone. The seam score is the mean absolute
difference over the pairs that joins own, divided by the mean over all other pairs. 1.0 means the joins are
no sharper than the rest of the frame (no seam); a seam that adds a step shows as a score above 1. Scored on
an untiled decode at the same joins it gives the frame's own baseline. It is NaN when there is no join, 1.0
when the clip is flat everywhere, and +inf when only the joins have a gradient.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch


def join_bands(size: int, joins: Sequence[int], blend: int) -> torch.Tensor:
    """Bool ``(size - 1,)``: which neighbour differences along a side of ``size`` pixels the ``joins`` own."""
    owned = torch.zeros(max(size - 1, 0), dtype=torch.bool)
    for join in joins:
        owned[max(join - 1, 0) : min(join + blend, size - 1)] = True
    return owned


def seam_score(clip: torch.Tensor, row_joins: Sequence[int], column_joins: Sequence[int], blend: int) -> float:
    """Seam score (module docstring) of a uint8 clip ``(T, H, W, 3)`` whose tiles meet at pixel rows
    ``row_joins`` and columns ``column_joins``, each blended over ``blend`` pixels."""
    if not row_joins and not column_joins:
        return math.nan
    pixels = clip.to(torch.float64)
    across_columns = (pixels[:, :, 1:] - pixels[:, :, :-1]).abs()  # (T, H, W-1, 3)
    across_rows = (pixels[:, 1:] - pixels[:, :-1]).abs()  # (T, H-1, W, 3)
    at_columns = join_bands(pixels.shape[2], column_joins, blend)
    at_rows = join_bands(pixels.shape[1], row_joins, blend)
    seam_sum = across_columns[:, :, at_columns].sum() + across_rows[:, at_rows].sum()
    seam_count = across_columns[:, :, at_columns].numel() + across_rows[:, at_rows].numel()
    rest_sum = across_columns[:, :, ~at_columns].sum() + across_rows[:, ~at_rows].sum()
    rest_count = across_columns[:, :, ~at_columns].numel() + across_rows[:, ~at_rows].numel()
    seam_mean = float(seam_sum) / seam_count
    rest_mean = float(rest_sum) / rest_count if rest_count else 0.0
    if rest_mean == 0.0:
        return 1.0 if seam_mean == 0.0 else math.inf
    return seam_mean / rest_mean
