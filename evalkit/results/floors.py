"""The ``floors`` block of ``results.json`` and the below-floor verdict read from it.

A floor is a trivial reconstruction (``evalkit.pipeline.floors``) scored with every per-clip metric of the run;
its per-clip values sit in the per-clip table as ``<metric>.floor_<name>`` and are aggregated here like the
decoders' values (clip mean, 95% bootstrap CI). A teacher or student whose PSNR does not clear the ``resample``
floor by :data:`FLOOR_MARGIN_DB` is not a working decoder, whatever its retention says.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from evalkit.results.schema import FLOORS, floor_column
from evalkit.results.stats import DEFAULT_RESAMPLES, mean_estimate

FLOOR_MARGIN_DB = 1.0
MARGIN_FLOOR = "resample"
MARGIN_METRIC = "psnr"
BELOW_FLOOR = "below the trivial floor: these numbers do not describe a working decoder"


def floor_results(
    table: pd.DataFrame,
    floors: dict[str, dict[str, Any]],
    metrics: list[str],
    *,
    seed: int = 0,
    resamples: int = DEFAULT_RESAMPLES,
) -> dict[str, Any]:
    """``{floor: {"params", "label", "values": {metric: Estimate dict}}}`` from the per-clip table's floor
    columns (rows with ``status == "ok"``; a metric without finite floor values is left out)."""
    ok = table.loc[table["status"] == "ok"]
    block = {}
    for floor in FLOORS:
        values = {}
        for metric in metrics:
            column = floor_column(metric, floor)
            if column in ok.columns and ok[column].notna().any():
                estimate = mean_estimate(ok[column].to_numpy(np.float64), seed=seed, resamples=resamples)
                values[metric] = estimate.to_dict()
        block[floor] = {**floors[floor], "values": values}
    return block


def below_floor(results: dict[str, Any]) -> dict[str, tuple[float, float]]:
    """``{comparison: (decoder PSNR, resample floor PSNR)}`` for each of ``teacher`` / ``student`` whose mean PSNR
    against ground truth is under the ``resample`` floor's plus :data:`FLOOR_MARGIN_DB` (empty without floors)."""
    floor = ((results.get("floors") or {}).get(MARGIN_FLOOR) or {}).get("values", {}).get(MARGIN_METRIC) or {}
    metric = results["metrics"].get(MARGIN_METRIC) or {}
    if floor.get("value") is None or not metric.get("available"):
        return {}
    found = {}
    for comparison in ("teacher", "student"):
        value = (metric["values"].get(comparison) or {}).get("value")
        if value is not None and math.isfinite(value) and value < floor["value"] + FLOOR_MARGIN_DB:
            found[comparison] = (float(value), float(floor["value"]))
    return found


def below_floor_lines(results: dict[str, Any]) -> list[str]:
    """One sentence per decoder under the floor, naming it (``evalkit score``: "the reconstruction")."""
    lines = []
    for comparison, (value, floor) in below_floor(results).items():
        decoder = results["decoders"].get(comparison)
        name = f"{comparison} {decoder.get('name')}" if decoder else "the reconstruction"
        label = results["floors"][MARGIN_FLOOR]["label"]
        lines.append(
            f"{name} {BELOW_FLOOR} (PSNR {value:.2f} dB; the {label} floor scores {floor:.2f} dB, "
            f"and a working decoder clears it by at least {FLOOR_MARGIN_DB:g} dB)"
        )
    return lines
