"""Resume state of a run: an append-only per-clip journal (one fsynced JSON line per finished batch) per
session and rank, each line naming the file of its batch's pooled-metric increment (FVD; see
``evalkit.pipeline.pooled_increment``), written before the line.

A kill at any moment (``kill -9`` included) loses at most the batch being processed: a torn last line is
ignored, and so is an increment no whole line names. Each session writes new files only, so a resumed run
may use another number of ranks.
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from evalkit.atomic import atomic_path, atomic_write_text
from evalkit.errors import InputError
from evalkit.pipeline.pooled_increment import compact, expand
from evalkit.results.schema import RESULTS_FILE

logger = logging.getLogger(__name__)

JOURNAL_DIR = "journal"
META_FILE = "meta.json"
_LINES = re.compile(r"^session-(?P<session>\d+)\.rank(?P<rank>\d+)\.jsonl$")


class JournalMismatchError(InputError, ValueError):
    """The run folder holds the journal of a run with other settings; resuming would mix two runs."""


@dataclass
class PastProgress:
    """What earlier sessions finished: per-clip records, pooled-metric increments (per journal file, in batch
    order), time spent."""

    records: dict[str, dict[str, Any]] = field(default_factory=dict)
    pooled_increments: list[list[dict[str, Any]]] = field(default_factory=list)
    sessions: int = 0
    wall_s: float = 0.0
    stage_s: dict[str, float] = field(default_factory=dict)


def check_meta(run_dir: Path, identity: dict[str, str]) -> None:
    """Record the run identity in a new journal, or refuse a journal written by another run."""
    meta_path = Path(run_dir) / JOURNAL_DIR / META_FILE
    if meta_path.exists():
        saved = _read_meta(meta_path)
        if saved != identity:
            state = "a finished run" if (Path(run_dir) / RESULTS_FILE).exists() else "an unfinished run"
            raise JournalMismatchError(
                f"{run_dir} exists with other settings: it holds {state} ({saved}, now {identity}); "
                "pass another --out, or delete the folder to start over"
            )
        return
    atomic_write_text(meta_path, json.dumps(identity, sort_keys=True) + "\n")


def _read_meta(meta_path: Path) -> dict[str, Any]:
    """The identity an earlier session recorded; a damaged file stops the run and says how to resume."""
    try:
        saved = json.loads(meta_path.read_bytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        saved, problem = None, f"{type(exc).__name__}: {exc}"
    else:
        problem = None if isinstance(saved, dict) else f"holds a {type(saved).__name__}, not an object"
    if problem is None:
        return saved
    finished = sum(
        len(line["records"]) for path in meta_path.parent.glob("session-*.jsonl") for line in _whole_lines(path)
    )
    raise JournalMismatchError(
        f"{meta_path} is damaged ({problem}), so this run's settings cannot be checked against it; the "
        f"{finished} finished clip(s) journaled beside it are kept. If you are re-running the command that "
        f"started this run, delete {meta_path} and run it again to resume from them; otherwise pass another --out."
    )


def read_progress(run_dir: Path) -> PastProgress:
    """Everything earlier sessions of the run in ``run_dir`` finished (empty for a new run)."""
    journal_dir = Path(run_dir) / JOURNAL_DIR
    progress = PastProgress()
    if not journal_dir.is_dir():
        return progress
    session_wall: dict[int, float] = {}
    for path in sorted(journal_dir.iterdir()):
        match = _LINES.match(path.name)
        if match is None:
            continue
        lines = _whole_lines(path)
        session = int(match["session"])
        progress.sessions = max(progress.sessions, session + 1)
        for line in lines:
            for record in line["records"]:
                progress.records[record["clip_id"]] = record
            for stage, seconds in line["stage_s"].items():
                progress.stage_s[stage] = progress.stage_s.get(stage, 0.0) + seconds
            session_wall[session] = max(session_wall.get(session, 0.0), line["elapsed_s"])
        names = [line["pooled_increment"] for line in lines if line.get("pooled_increment")]
        if lines and lines[-1].get("pooled_state"):  # an older evalkit's cumulative checkpoint: one increment
            names = [lines[-1]["pooled_state"]]
        if names:
            progress.pooled_increments.append([expand(load_state(journal_dir / name)) for name in names])
    progress.wall_s = sum(session_wall.values())
    return progress


def _whole_lines(path: Path) -> list[dict[str, Any]]:
    """The complete JSON lines of a journal file; a torn or unreadable tail is ignored (and logged)."""
    data = path.read_bytes()
    lines = []
    chunks = data.split(b"\n")
    for number, chunk in enumerate(chunks[:-1], start=1):
        try:
            lines.append(json.loads(chunk))
        except json.JSONDecodeError:
            logger.warning("%s: line %d is damaged; it and the lines after it are ignored", path, number)
            return lines
    if chunks[-1]:
        logger.warning("%s: ignoring a torn last line (%d bytes) left by an interrupted run", path, len(chunks[-1]))
    return lines


class ClipJournal:
    """The journal one rank writes in one session: ``append`` a finished batch, durably."""

    def __init__(self, run_dir: Path, session: int, rank: int) -> None:
        self.dir = Path(run_dir) / JOURNAL_DIR
        self.dir.mkdir(parents=True, exist_ok=True)
        self.stem = f"session-{session:03d}.rank{rank}"
        self.path = self.dir / f"{self.stem}.jsonl"
        self.lines = 0

    def append(
        self,
        records: list[dict[str, Any]],
        *,
        stage_s: dict[str, float],
        elapsed_s: float,
        pooled_increment: dict[str, Any] | None = None,
    ) -> None:
        """Write the batch's pooled-metric increment (compacted), then the batch's line (fsynced)."""
        increment_name = None
        if pooled_increment is not None:
            increment_name = f"{self.stem}.pooled-{self.lines + 1:06d}.pt"
            save_state(self.dir / increment_name, compact(pooled_increment))
        line = {"records": records, "stage_s": stage_s, "elapsed_s": elapsed_s, "pooled_increment": increment_name}
        payload = (json.dumps(line, sort_keys=True, allow_nan=True) + "\n").encode("utf-8")
        with open(self.path, "ab") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        self.lines += 1


def save_state(path: Path, state: dict[str, Any]) -> None:
    """Atomically save a metric state (NumPy arrays stored as tensors, so it loads with ``weights_only``)."""
    with atomic_path(path) as tmp:
        torch.save(_map_leaves(state, np.ndarray, lambda array: torch.from_numpy(array.copy())), tmp)


def load_state(path: Path) -> dict[str, Any]:
    """Load a state saved by :func:`save_state` (``torch.load(weights_only=True)``; arrays back to NumPy)."""
    return _map_leaves(torch.load(path, map_location="cpu", weights_only=True), torch.Tensor, torch.Tensor.numpy)


def _map_leaves(value: Any, kind: type, convert: Callable[[Any], Any]) -> Any:
    """``value`` with every ``kind`` inside its dicts, lists and tuples replaced by ``convert`` of it."""
    if isinstance(value, kind):
        return convert(value)
    if isinstance(value, dict):
        return {key: _map_leaves(val, kind, convert) for key, val in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_map_leaves(val, kind, convert) for val in value)
    return value
