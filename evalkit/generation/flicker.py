"""Per-frame temporal flicker of the decoded generated sets: how much each frame changes from the previous one.

For frame pair (t, t+1) the value is the mean absolute change of 8-bit levels over pixels and RGB channels,
averaged over every sample; a decoder that flickers shows spikes the other's curve lacks (LTX-style
decoders tend to jump at latent-frame boundaries). Kept as curves in the results and drawn as a PNG.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import torch

FLICKER_DEFINITION = "mean |x[t+1] - x[t]| over pixels and RGB, 8-bit levels, averaged over samples"


class FlickerCurves:
    """Running sums of per-frame-pair change for named decoders (e.g. ``teacher`` and ``student``)."""

    def __init__(self) -> None:
        self._sums: dict[str, torch.Tensor] = {}
        self._counts: dict[str, int] = {}

    def update(self, name: str, clip: torch.Tensor) -> None:
        """Add one uint8 clip ``(T, H, W, 3)`` decoded by ``name``."""
        change = (clip[1:].float() - clip[:-1].float()).abs().flatten(1).mean(dim=1).double()
        if name in self._sums and self._sums[name].shape != change.shape:
            raise ValueError(f"flicker: clips of {name} differ in length ({change.shape[0] + 1} frames)")
        self._sums[name] = self._sums.get(name, torch.zeros_like(change)) + change
        self._counts[name] = self._counts.get(name, 0) + 1

    def curves(self) -> dict[str, list[float]]:
        """Mean change per frame pair, per decoder."""
        return {name: (total / self._counts[name]).tolist() for name, total in self._sums.items()}

    def to_dict(self) -> dict[str, Any]:
        """The results record: definition, sample count and curves."""
        return {"definition": FLICKER_DEFINITION, "samples": dict(self._counts), "curves": self.curves()}


def save_flicker_figure(curves: dict[str, list[float]], path: str | os.PathLike[str], title: str) -> Path:
    """Draw the curves (one line per decoder) to a PNG with matplotlib's Agg backend."""
    from matplotlib.figure import Figure

    figure = Figure(figsize=(7, 3), dpi=120)
    axes = figure.add_subplot()
    for name, values in curves.items():
        axes.plot(range(1, len(values) + 1), values, marker=".", label=name)
    axes.set_xlabel("frame t (change from t-1)")
    axes.set_ylabel("mean |change| (8-bit levels)")
    axes.set_title(title)
    axes.legend()
    figure.tight_layout()
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(target)
    return target
