"""Write and read the files of a run folder: ``results.json`` (validated) and the per-clip table.

JSON is written with sorted keys and a ``default=`` hook for NumPy/torch scalars and paths; every file
goes through :mod:`evalkit.atomic`.
"""

from __future__ import annotations

import json
import logging
import math
import os
from pathlib import Path
from typing import Any

import pandas as pd

from evalkit.atomic import atomic_path, atomic_write_text
from evalkit.errors import UnreadableFileError, read_text_file
from evalkit.results.schema import (
    PER_CLIP_CSV_FILE,
    PER_CLIP_FILE,
    RESULTS_FILE,
    SCHEMA_VERSION,
    ResultsSchemaError,
    validate_results,
)

logger = logging.getLogger(__name__)

DAMAGED_RESULTS_FIX = (
    "it is not as evalkit wrote it: restore the file, or re-run the `evalkit run` command that made it "
    "(finished clips are reused)"
)


def to_jsonable(value: Any) -> Any:
    """``json.dumps`` ``default=`` hook: NumPy/torch scalars, paths, sets and tuples become plain JSON."""
    if hasattr(value, "item") and callable(value.item) and getattr(value, "ndim", 0) == 0:
        return value.item()
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if isinstance(value, set | frozenset):
        return sorted(value)
    if hasattr(value, "tolist"):
        return value.tolist()
    raise TypeError(f"cannot write {type(value).__name__} to JSON: {value!r}")


def dumps(doc: Any) -> str:
    """Canonical JSON text: sorted keys, two-space indent, NaN/Inf refused (write them as ``null``)."""
    return json.dumps(_finite(doc), indent=2, sort_keys=True, default=to_jsonable, allow_nan=False) + "\n"


def write_results(path: str | os.PathLike[str], doc: dict[str, Any]) -> Path:
    """Validate ``doc`` and write it atomically to ``path`` (a file, or a run folder for ``results.json``)."""
    target = _results_path(path)
    validate_results(json.loads(dumps(doc)), source=str(target))
    atomic_write_text(target, dumps(doc))
    return target


def read_results(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read and validate a results file (or the ``results.json`` of a run folder)."""
    target = _results_path(path)
    if not target.exists():
        raise ResultsSchemaError(f"{target}: no such results file; run `evalkit run` first")
    try:
        doc = json.loads(read_text_file(target, "results file", DAMAGED_RESULTS_FIX))
    except UnreadableFileError as exc:
        raise ResultsSchemaError(str(exc)) from None
    except json.JSONDecodeError as exc:
        raise ResultsSchemaError(f"{target}: not valid JSON ({exc}); {DAMAGED_RESULTS_FIX}") from None
    try:
        return validate_results(doc, source=str(target))
    except ResultsSchemaError as exc:
        if isinstance(doc, dict) and doc.get("schema_version") == SCHEMA_VERSION:
            raise ResultsSchemaError(f"{exc}; {DAMAGED_RESULTS_FIX}") from None
        raise


def merge_profile(path: str | os.PathLike[str], profile: dict[str, Any]) -> Path:
    """Store an efficiency profile (from `evalkit bench`) under the ``profile`` key of a results file."""
    doc = read_results(path)
    doc["profile"] = profile
    return write_results(path, doc)


def write_per_clip(run_dir: str | os.PathLike[str], table: pd.DataFrame, name: str = PER_CLIP_FILE) -> Path:
    """Write a per-clip table as parquet ``name``, or as CSV of the same stem when no parquet engine is installed."""
    parquet = Path(run_dir) / name
    csv = parquet.with_suffix(".csv")
    try:
        with atomic_path(parquet) as tmp:
            table.to_parquet(tmp, index=False)
        return parquet
    except ImportError as exc:
        logger.warning("parquet unavailable (%s); writing %s instead", exc, csv.name)
    with atomic_path(csv) as tmp:
        table.to_csv(tmp, index=False)
    return csv


def read_per_clip(run_dir: str | os.PathLike[str]) -> pd.DataFrame:
    """The per-clip table of a run folder (or of the folder holding a given ``results.json``)."""
    run_dir = Path(run_dir)
    if run_dir.suffix == ".json":
        run_dir = run_dir.parent
    parquet, csv = run_dir / PER_CLIP_FILE, run_dir / PER_CLIP_CSV_FILE
    if not parquet.exists() and not csv.exists():
        raise ResultsSchemaError(f"{run_dir}: no {PER_CLIP_FILE} or {PER_CLIP_CSV_FILE}")
    path = parquet if parquet.exists() else csv
    try:
        if path is parquet:
            return pd.read_parquet(parquet)
        return pd.read_csv(csv, dtype={"clip_id": str})
    except (OSError, ValueError, pd.errors.ParserError) as exc:  # pyarrow's ArrowInvalid is a ValueError
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ResultsSchemaError(f"{path}: damaged per-clip table ({reason}); {DAMAGED_RESULTS_FIX}") from None


def _results_path(path: str | os.PathLike[str]) -> Path:
    target = Path(path)
    return target / RESULTS_FILE if target.is_dir() else target


def _finite(value: Any) -> Any:
    """Replace non-finite floats by ``None`` all the way down (JSON has no NaN)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {key: _finite(val) for key, val in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(val) for val in value]
    return value
