"""The one builder of ``results.json`` for `evalkit run`, `evalkit score` and `evalkit generate-check`.

Each command passes only what differs (config, protocol, dataset, decoders, device, timings, its own sections);
the skeleton, the per-clip table, the clip counts with the skipped list, the CI block, provenance and
throughput are made here, so the three documents cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from evalkit.results.io import write_per_clip, write_results
from evalkit.results.provenance import provenance
from evalkit.results.schema import PER_CLIP_BASE_COLUMNS, REPORT_FILE, RESULTS_KIND, SCHEMA_VERSION, MetricResult
from evalkit.results.stats import CI_LEVEL, CI_METHOD

NO_CACHE = {"enabled": False, "dir": None, "teacher_hits": 0, "teacher_misses": 0, "fvd_reference": None}
"""The ``cache`` block of a command that keeps no teacher cache (score, generate-check)."""


def utc_stamp(moment: datetime) -> str:
    """A UTC time as results.json writes it: ISO 8601 to the second with a ``Z``."""
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


def per_clip_table(rows: Iterable[Mapping[str, Any]], columns: Sequence[str]) -> pd.DataFrame:
    """One row per clip: the base columns (id, status, stage, reason, rank), then ``columns`` as float64 with NaN
    where a row has no value; other keys of a row are left out."""
    table = pd.DataFrame(list(rows), columns=[*PER_CLIP_BASE_COLUMNS, *columns])
    table[list(columns)] = table[list(columns)].astype(np.float64)
    return table


def clips_block(table: pd.DataFrame, *, total: int, skipped: Sequence[dict[str, Any]] = ()) -> dict[str, Any]:
    """The ``clips`` counts of a per-clip table; ``skipped`` lists the clips dropped before it (manifest skips,
    unmatched files), followed by the table's failed rows."""
    failed = table.loc[table["status"] != "ok"]
    return {
        "total": total,
        "evaluated": int((table["status"] == "ok").sum()),
        "failed": len(failed),
        "skipped": [
            *skipped,
            *(
                {"clip_id": row.clip_id, "stage": row.stage, "reason": row.reason}
                for row in failed.itertuples(index=False)
            ),
        ],
    }


def decoders_block(
    pair: str,
    teacher: str | None,
    info: dict[str, Any],
    *,
    init: str | None,
    posterior: str | None,
    dtype: str | None,
    state_sha256: dict[str, str | None],
) -> dict[str, Any]:
    """The ``decoders`` block: weight records come from ``info`` (``teacher_weights``, ``student_weights``, as the
    decoder registry writes them); a pair whose student state hash is None has no student."""
    student = None
    if state_sha256["student"] is not None:
        student = {"name": pair, "weights": info.get("student_weights"), "state_sha256": state_sha256["student"]}
    return {
        "pair": pair,
        "init": init,
        "posterior": posterior,
        "dtype": dtype,
        "teacher": {"name": teacher, "weights": info.get("teacher_weights"), "state_sha256": state_sha256["teacher"]},
        "student": student,
        "info": info,
    }


def session_timings(started: datetime, finished: datetime, stages_s: dict[str, float]) -> dict[str, Any]:
    """The ``timings`` block of a command that ran in one session from ``started`` to ``finished``."""
    return {
        "started_utc": utc_stamp(started),
        "finished_utc": utc_stamp(finished),
        "wall_s": (finished - started).total_seconds(),
        "sessions": 1,
        "stages_s": stages_s,
    }


def results_document(
    *,
    run_id: str,
    status: str,
    random_weights: bool,
    config: dict[str, Any],
    protocol: dict[str, Any],
    dataset: dict[str, Any],
    decoders: dict[str, Any],
    metrics: Mapping[str, MetricResult],
    clips: dict[str, Any],
    seed: int,
    resamples: int,
    device: dict[str, Any],
    timings: dict[str, Any],
    manifest_file: str | None = None,
    cache: dict[str, Any] | None = None,
    profile: dict[str, Any] | None = None,
    **sections: Any,
) -> dict[str, Any]:
    """A schema-v1 document, created when ``timings`` finished. ``dataset`` gets ``clips_total`` and ``timings``
    ``clips_per_s`` from ``clips``; ``files.per_clip`` stays None until the table is written; ``sections`` are
    command-specific top-level keys (``floors``, ``per_frame``, ``tiling``, ``generation``)."""
    wall_s = timings["wall_s"]
    return {
        "schema_version": SCHEMA_VERSION,
        "kind": RESULTS_KIND,
        "run_id": run_id,
        "status": status,
        "random_weights": bool(random_weights),
        "created_utc": timings["finished_utc"],
        "config": config,
        "protocol": protocol,
        "dataset": {**dataset, "clips_total": clips["total"]},
        "decoders": decoders,
        "metrics": {name: entry.to_dict() for name, entry in metrics.items()},
        "ci": {"method": CI_METHOD, "level": CI_LEVEL, "resamples": resamples, "seed": seed},
        "clips": clips,
        "provenance": provenance(),
        "device": device,
        "seed": seed,
        "timings": {**timings, "clips_per_s": clips["evaluated"] / wall_s if wall_s > 0 else None},
        "cache": dict(NO_CACHE) if cache is None else cache,
        "files": {"per_clip": None, "manifest": manifest_file, "report": REPORT_FILE},
        "profile": profile,
        **sections,
    }


def write_document(run_dir: Path, doc: dict[str, Any], table: pd.DataFrame | None = None) -> dict[str, Any]:
    """Write the per-clip table (its name into ``files.per_clip``), then ``results.json``, into ``run_dir``."""
    run_dir.mkdir(parents=True, exist_ok=True)
    if table is not None:
        doc["files"]["per_clip"] = write_per_clip(run_dir, table).name
    write_results(run_dir, doc)
    return doc
