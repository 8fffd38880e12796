"""A static leaderboard site from any number of run folders: one ranked table per (dataset, protocol, teacher).

Runs are comparable only under the same clip protocol and on the same teacher's latents, so each (dataset,
split, protocol hash, teacher) gets its own table, ranking every student of that teacher; the Pareto front of
quality against speed is marked. Runs with random weights or demonstration models are listed under the table,
stamped, never ranked; so are the published rows of the run's protocol preset, with their citation. Several
runs of the same checkpoint collapse to the latest, with the older ones linked. Every run also gets its own
report page, so the folder can be published as is (e.g. GitHub Pages).
"""

from __future__ import annotations

import logging
import os
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from evalkit.atomic import atomic_write_text
from evalkit.errors import MissingInputError
from evalkit.report.cost import cost_view
from evalkit.report.environment import write_page
from evalkit.report.figures import ChartPoint, quality_speed_chart
from evalkit.report.published import PublishedTable, published_rows
from evalkit.report.quality import is_score_run
from evalkit.report.run_files import RunFiles, load_run
from evalkit.report.run_report import render_run_report
from evalkit.results.sample_size import comparability_note, metric_caption
from evalkit.results.schema import RESULTS_FILE, Estimate, MetricResult

logger = logging.getLogger(__name__)

RUNS_DIR = "runs"
METRIC_COLUMNS: tuple[tuple[str, str], ...] = (  # (metric, comparison) shown for each student
    ("psnr", "student"),
    ("ssim", "student"),
    ("lpips", "student"),
    ("fvd", "student"),
    ("msssim", "student"),
    ("vmaf", "student"),
    ("tdiff", "student"),
    ("psnr", "student_vs_teacher"),
)

SEAM_COLUMN = "seam.student"
"""The leaderboard column of a ``--tiling compare`` run's tiled seam score (results ``tiling.seam_score.tiled``)."""


@dataclass(frozen=True)
class RunLink:
    """A run as the leaderboard links it: its id, date and the page written for it."""

    run_id: str
    created_utc: str
    href: str


@dataclass
class Entry:
    """One checkpoint's row: its latest run, the values shown, and the older runs it replaced."""

    run: RunFiles
    link: RunLink
    values: dict[str, Estimate | None]
    params: float | None
    fps: float | None
    fps_where: str | None
    older: list[RunLink] = field(default_factory=list)
    notes: dict[str, str] = field(default_factory=dict)
    """Column key -> what the value rests on, for set-level metrics (``StyleGAN-V, 17 f, N=3``)."""
    not_comparable: set[str] = field(default_factory=set)
    """Column keys whose value rests on fewer clips than its documented minimum."""
    pareto: bool = False

    @property
    def decoders(self) -> dict[str, Any]:
        """The run's ``decoders`` section."""
        return self.run.results["decoders"]

    @property
    def unranked_reason(self) -> str | None:
        """Why this row may not be ranked (random weights, demonstration models), or ``None``."""
        if self.run.results.get("random_weights"):
            return "random weights"
        if (self.decoders.get("info") or {}).get("demo"):
            return "demonstration models"
        return None


@dataclass
class Board:
    """One leaderboard table: runs sharing dataset, split, protocol hash and teacher, best student first;
    ``unranked`` holds the stamped rows (random weights, demo models), ``published`` the preset's cited rows."""

    dataset: str
    split: str | None
    protocol_hash: str
    protocol_params: dict[str, Any]
    entries: list[Entry]
    columns: list[dict[str, Any]]
    chart: str | None = None
    teacher: str | None = None
    preset: dict[str, Any] | None = None
    unranked: list[Entry] = field(default_factory=list)
    published: PublishedTable | None = None

    @property
    def anchor(self) -> str:
        """An id for the table, unique per (dataset, split, protocol, teacher)."""
        return _slug(f"{self.dataset}-{self.split or 'all'}-{self.protocol_hash}-{self.teacher or 'none'}")


def find_runs(paths: Iterable[str | os.PathLike[str]]) -> list[Path]:
    """Run folders under ``paths``: each path is a run folder or a folder searched for ``results.json``.

    Raises:
        FileNotFoundError: if a path does not exist or holds no run.
    """
    found: list[Path] = []
    for path in map(Path, paths):
        if not path.exists():
            raise MissingInputError(f"{path}: no such folder; pass run folders written by `evalkit run`")
        runs = [path] if (path / RESULTS_FILE).is_file() else sorted(p.parent for p in path.rglob(RESULTS_FILE))
        if not runs:
            raise MissingInputError(f"{path}: no {RESULTS_FILE} in it or below it; is this a run folder?")
        found += [run for run in runs if run not in found]
    return found


def checkpoint_key(results: dict[str, Any]) -> tuple[str, ...]:
    """What makes two runs "the same checkpoint": the pair, and the student's weights (or built state) hash."""
    decoders = results["decoders"]
    student = decoders.get("student") or {}
    weights = (student.get("weights") or {}).get("sha256") or student.get("state_sha256") or "teacher-only"
    return (str(decoders.get("pair")), str(decoders.get("init")), str(weights))


def _created(results: dict[str, Any]) -> datetime:
    stamp = datetime.fromisoformat(str(results["created_utc"]).replace("Z", "+00:00"))
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("._") or "run"


def _entry(run: RunFiles, link: RunLink) -> Entry:
    metrics = run.results["metrics"]
    values, notes, not_comparable = {}, {}, set()
    for name, comparison in METRIC_COLUMNS:
        metric = metrics.get(name) or {}
        estimate = (metric.get("values") or {}).get(comparison) if metric.get("available") else None
        values[f"{name}.{comparison}"] = Estimate.from_dict(estimate) if estimate else None
        if estimate and "n_clips" in (metric.get("variant") or {}):
            result = MetricResult.from_dict(name, metric)
            notes[f"{name}.{comparison}"] = metric_caption(result).removeprefix(f"{result.label} ")
            if comparability_note(result):
                notes[f"{name}.{comparison}"] += ", not comparable"
                not_comparable.add(f"{name}.{comparison}")
    retention = ((metrics.get("psnr") or {}).get("paired") or {}).get("retention")
    values["psnr.retention"] = Estimate.from_dict(retention) if retention else None
    tiling = run.results.get("tiling")
    seam = tiling.get("seam_score", {}).get("tiled") if isinstance(tiling, dict) else None
    values[SEAM_COLUMN] = Estimate.from_dict(seam) if isinstance(seam, dict) else None
    cost = cost_view(run.results.get("profile"))
    params = next((row.student for row in cost.rows if row.key == "params"), None) if cost else None
    fps, where = (cost.chart_fps[1], cost.chart_fps[2]) if cost and cost.chart_fps else (None, None)
    return Entry(run, link, values, params, fps, where, notes=notes, not_comparable=not_comparable)


def _columns(boards_runs: Sequence[RunFiles]) -> list[dict[str, Any]]:
    """Column headings for the metric columns, with labels and direction taken from the runs' results."""
    columns = []
    for name, comparison in [*METRIC_COLUMNS, ("psnr", "retention")]:
        metric = next((run.results["metrics"][name] for run in boards_runs if name in run.results["metrics"]), None)
        if metric is None:
            continue
        higher = True if comparison == "retention" else metric["higher_is_better"]
        suffix = {"student": "", "student_vs_teacher": " vs teacher", "retention": " retention"}[comparison]
        arrow = "\u2191" if higher else "\u2193"
        columns.append(
            {
                "key": f"{name}.{comparison}",
                "title": f"{metric['label']}{suffix} {arrow}",
                "digits": 4 if comparison == "retention" or name in ("ssim", "lpips", "msssim", "tdiff") else 2,
                "higher_is_better": higher,
            }
        )
    if any(isinstance(run.results.get("tiling"), dict) for run in boards_runs):
        title = "tiled seam score (1 = no seam) \u2193"
        columns.append({"key": SEAM_COLUMN, "title": title, "digits": 3, "higher_is_better": False})
    return columns


def build_boards(runs: Sequence[RunFiles], links: dict[Path, RunLink]) -> list[Board]:
    """Group runs by (dataset, split, protocol hash, teacher), collapse repeated checkpoints, rank by student PSNR
    (random-weight and demo rows apart), and mark the Pareto front of student PSNR against student FPS."""
    groups: dict[tuple[str, str | None, str, str | None], list[RunFiles]] = defaultdict(list)
    for run in runs:
        dataset, teacher = run.results["dataset"], (run.results["decoders"].get("teacher") or {}).get("name")
        key = (str(dataset.get("name")), dataset.get("split"), str(run.results["protocol"]["hash"]), teacher)
        groups[key].append(run)
    boards = []
    for (dataset, split, protocol_hash, teacher), members in sorted(groups.items(), key=lambda item: str(item[0])):
        by_checkpoint: dict[tuple[str, ...], list[RunFiles]] = defaultdict(list)
        for run in members:
            by_checkpoint[checkpoint_key(run.results)].append(run)
        entries = []
        for same in by_checkpoint.values():
            same.sort(key=lambda run: _created(run.results), reverse=True)
            entry = _entry(same[0], links[same[0].run_dir])
            entry.older = [links[run.run_dir] for run in same[1:]]
            entries.append(entry)
        entries.sort(key=_rank_key)
        protocol = members[0].results["protocol"]
        preset = protocol.get("preset") if isinstance(protocol.get("preset"), dict) else None
        board = Board(
            dataset,
            split,
            protocol_hash,
            protocol.get("params", {}),
            [entry for entry in entries if entry.unranked_reason is None],
            _columns(members),
            teacher=teacher,
            preset=preset,
            unranked=[entry for entry in entries if entry.unranked_reason is not None],
            published=published_rows(str(preset["name"]), teacher) if preset else None,
        )
        mark_pareto_front(board.entries)
        board.chart = _board_chart(board)
        boards.append(board)
    return boards


def mark_pareto_front(entries: Sequence[Entry]) -> None:
    """Set ``pareto`` on every entry with FPS and PSNR that no other entry beats on both (ties do not beat)."""
    timed = [e for e in entries if e.fps and e.values.get("psnr.student") is not None]
    for entry in timed:
        fps, psnr = entry.fps, entry.values["psnr.student"].value
        entry.pareto = not any(
            other.fps >= fps
            and other.values["psnr.student"].value >= psnr
            and (other.fps > fps or other.values["psnr.student"].value > psnr)
            for other in timed
        )


def _rank_key(entry: Entry) -> tuple[float, str]:
    psnr = entry.values.get("psnr.student")
    value = psnr.value if psnr is not None and psnr.value == psnr.value else float("-inf")
    return (-value, entry.link.run_id)


def _board_chart(board: Board) -> str | None:
    points = [
        ChartPoint(
            str(entry.decoders.get("pair")),
            entry.fps,
            entry.values["psnr.student"].value,
            role="pareto" if entry.pareto else "student",
        )
        for entry in board.entries
        if entry.fps and entry.values.get("psnr.student") is not None
    ]
    if len(points) < 2:
        return None
    wheres = {entry.fps_where for entry in board.entries if entry.fps}
    return quality_speed_chart(
        points, "student PSNR vs GT (dB)", f"student frames per second ({', '.join(sorted(wheres))})"
    )


def build_leaderboard(
    results_dirs: Iterable[str | os.PathLike[str]], out: str | os.PathLike[str], title: str = "evalkit leaderboard"
) -> Path:
    """Write ``out/index.html`` and one report page per run under ``out/runs/``; return the index path.

    Raises:
        FileNotFoundError: if a given folder holds no run.
        ResultsSchemaError: if a ``results.json`` cannot be read (the message names it).
    """
    out = Path(out)
    run_dirs = find_runs(results_dirs)
    runs = []
    for run_dir in run_dirs:
        run = load_run(run_dir, with_samples=False)
        if is_score_run(run.results):
            logger.info("%s: left out, `evalkit score` results have no decoder to rank", run_dir)
        else:
            runs.append(run)
    links: dict[Path, RunLink] = {}
    used: set[str] = set()
    for run in runs:
        slug = base = _slug(str(run.results["run_id"]))
        counter = 2
        while slug in used:
            slug, counter = f"{base}-{counter}", counter + 1
        used.add(slug)
        links[run.run_dir] = RunLink(
            str(run.results["run_id"]), str(run.results["created_utc"]), f"{RUNS_DIR}/{slug}.html"
        )
    for run in runs:
        render_run_report(run.run_dir, out / links[run.run_dir].href, back_href="../index.html")
    boards = build_boards(runs, links)
    index = write_page(out / "index.html", "leaderboard.html.j2", title=title, boards=boards, run_count=len(runs))
    atomic_write_text(out / ".nojekyll", "")  # GitHub Pages: publish the folder as is
    logger.info("wrote %s: %d runs in %d tables", index, len(runs), len(boards))
    return index
