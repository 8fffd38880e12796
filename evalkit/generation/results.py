"""The ``generation`` section of ``results.json``: written into a run folder of its own or into an existing run.

The section's ``metrics`` entries have the layout of ``results.json`` ``metrics`` (values, paired deltas,
variant labels), so the gate reads them with the same code (rules ``gen.<metric>.<quantity>``). A standalone
folder holds a complete schema-v1 document whose top-level ``metrics`` is empty (nothing was reconstructed)
and whose ``dataset`` is the generated set.
"""

from __future__ import annotations

import hashlib
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from evalkit.generation.check import COMPARISON, REFERENCE_NOTE, CheckOutcome
from evalkit.generation.flicker import save_flicker_figure
from evalkit.hashing import canonical_sha256
from evalkit.models.interfaces import DecoderPair
from evalkit.models.quantize import OUTPUT_QUANTISATION
from evalkit.models.state_hash import state_dict_sha256
from evalkit.report.run_report import render_run_report
from evalkit.results.document import clips_block, decoders_block, results_document, session_timings, write_document
from evalkit.results.io import read_results, write_per_clip, write_results
from evalkit.results.sample_size import comparability_note, metric_caption
from evalkit.results.schema import COMPARISONS, DELTAS, MetricResult, ResultsSchemaError
from evalkit.results.summary import format_estimate

GENERATION_VERSION = 1
PER_SAMPLE_FILE = "generation.parquet"
FLICKER_FIGURE = "generation_flicker.png"


def generation_section(
    outcome: CheckOutcome,
    run_dir: Path,
    *,
    pair: DecoderPair,
    source: dict[str, Any],
    latents: dict[str, Any],
    wall_s: float | None = None,
) -> dict[str, Any]:
    """Build the section and write its files (per-sample table, flicker figure) into ``run_dir``."""
    run_dir.mkdir(parents=True, exist_ok=True)
    table = outcome.table
    figure = None
    if outcome.flicker is not None:
        title = f"{pair.name}: frame-to-frame change of generated videos"
        figure = save_flicker_figure(outcome.flicker["curves"], run_dir / FLICKER_FIGURE, title).name
    return {
        "version": GENERATION_VERSION,
        "decoder": pair.name,
        "random_weights": bool(pair.random_weights),
        "source": source,
        "latents": latents,
        "comparison_note": REFERENCE_NOTE,
        "reference": outcome.reference,
        "metrics": {name: entry.to_dict() for name, entry in outcome.metrics.items()},
        "samples": {
            **clips_block(table, total=len(table)),
            "ids_hash": hashlib.sha256(",".join(sorted(map(str, table["clip_id"]))).encode()).hexdigest()[:12],
        },
        "flicker": None if outcome.flicker is None else {**outcome.flicker, "figure": figure},
        "files": {
            "per_sample": write_per_clip(run_dir, table, PER_SAMPLE_FILE).name,
            "clips": outcome.saved_clips,
            "flicker_figure": figure,
        },
        "timings": {"wall_s": wall_s, "stages_s": outcome.stage_s},
    }


def validate_generation(section: Any, source: str = "results") -> dict[str, Any]:
    """Check a ``generation`` section; return it or raise :class:`ResultsSchemaError` naming the key."""
    where = f"{source}: generation"
    if not isinstance(section, dict):
        raise ResultsSchemaError(f"{where} must be an object")
    if section.get("version") != GENERATION_VERSION:
        raise ResultsSchemaError(f"{where}.version {section.get('version')!r} is not {GENERATION_VERSION}")
    for key in ("decoder", "random_weights", "source", "latents", "metrics", "samples", "files"):
        if key not in section:
            raise ResultsSchemaError(f"{where}.{key} is missing")
    for name, entry in section["metrics"].items():
        metric = MetricResult.from_dict(name, entry)
        unknown = sorted(set(metric.values) - set(COMPARISONS)) + sorted(set(metric.paired) - set(DELTAS))
        if unknown:
            raise ResultsSchemaError(f"{where}.metrics.{name}: unknown keys {unknown}")
    return section


def write_generation_run(
    run_dir: str | os.PathLike[str],
    section: dict[str, Any],
    *,
    pair: DecoderPair,
    config: dict[str, Any],
    device: dict[str, Any],
    seed: int,
    resamples: int,
    started: datetime,
) -> None:
    """Write a standalone run folder: ``results.json`` (schema v1 with ``generation``) and the run report."""
    run_dir = Path(run_dir)
    finished = datetime.now(UTC)
    samples = section["samples"]
    info = pair.info
    protocol = {"latents": section["latents"], "source": section["source"], "output_quantisation": OUTPUT_QUANTISATION}
    doc = results_document(
        run_id=run_dir.name,
        status="complete" if samples["failed"] == 0 else "partial",
        random_weights=section["random_weights"],
        config=config,
        protocol={"hash": canonical_sha256(protocol, length=12, compact=False), "params": protocol},
        dataset={
            "name": "generated",
            "root": section["source"].get("prompts") or section["source"].get("latents_dir"),
            "split": None,
            "fold": None,
            "manifest_hash": samples["ids_hash"],
        },
        decoders=decoders_block(
            pair.name,
            pair.spec.teacher,
            info,
            init=info.get("init"),
            posterior=info.get("posterior"),
            dtype=info.get("dtype"),
            state_sha256={"teacher": state_dict_sha256(pair.teacher), "student": state_dict_sha256(pair.student)},
        ),
        metrics={},
        clips={key: samples[key] for key in ("total", "evaluated", "failed", "skipped")},
        seed=seed,
        resamples=resamples,
        device=device,
        timings=session_timings(started, finished, section["timings"]["stages_s"]),
        generation=validate_generation(section, str(run_dir)),
    )
    write_document(run_dir, doc)
    render_run_report(run_dir)


def attach_generation(run_dir: str | os.PathLike[str], section: dict[str, Any]) -> None:
    """Store ``section`` as ``generation`` in an existing run's ``results.json`` (replacing an older one) and
    render the run's report again so it shows the section."""
    doc = read_results(run_dir)
    doc["generation"] = validate_generation(section, str(run_dir))
    doc["random_weights"] = bool(doc["random_weights"] or section["random_weights"])
    write_results(run_dir, doc)
    render_run_report(run_dir)


def format_generation_summary(section: dict[str, Any]) -> str:
    """A few lines for the terminal: FVDs against the reference and the student-vs-teacher per-sample means."""
    samples = section["samples"]
    lines = [
        f"generation check: {section['decoder']} on {samples['evaluated']}/{samples['total']} generated samples"
        + (" [RANDOM WEIGHTS]" if section["random_weights"] else "")
    ]
    for name, entry in section["metrics"].items():
        metric = MetricResult.from_dict(name, entry)
        if not metric.available:
            lines.append(f"  {metric.label}: unavailable ({metric.reason})")
            continue
        parts = [f"{key} {format_estimate(metric.values.get(key))}" for key in COMPARISONS if key in metric.values]
        if "increase" in metric.paired:
            parts.append(f"increase {format_estimate(metric.paired['increase'])}")
        caveat = comparability_note(metric)
        lines.append(f"  {metric_caption(metric)}: " + ", ".join(parts) + (f" ({caveat})" if caveat else ""))
    lines.append(f"  ({COMPARISON}: the teacher's decode is the reference)")
    return "\n".join(lines)
