"""The "Generated videos" section of the run report, from the optional ``generation`` key of ``results.json``
(written by `evalkit generate-check`; layout in docs/generation.md) and the files it names in the run folder.

FVD compares sets: each decoded set with real reference videos, and the two decoded sets with each other.
The per-sample metrics (PSNR, SSIM, LPIPS...) have no ground truth: the teacher's decode is the reference.
"""

from __future__ import annotations

import base64
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evalkit.report.clip_views import ClipView, clip_views
from evalkit.report.facts import Fact, fact_text
from evalkit.report.generated_clips import read_generated_clips
from evalkit.report.quality import QualityTable, quality_rows
from evalkit.results.schema import MetricResult

logger = logging.getLogger(__name__)

MAX_CLIPS = 4
TITLES: dict[str, str] = {
    "teacher": "teacher set vs real",
    "student": "student set vs real",
    "student_vs_teacher": "student vs teacher",
}
NOTE = (
    "FVD: the teacher and student columns compare each decoded set with the real reference videos, "
    "student vs teacher compares the two decoded sets; increase = student FVD \u2212 teacher FVD "
    "(above 0: the student's videos are further from real ones). Other metrics: student vs teacher only."
)
SOURCE_LABELS: dict[str, str] = {
    "kind": "latents from",
    "pipeline": "pipeline",
    "model": "model",
    "dtype": "pipeline dtype",
    "prompts": "prompts file",
    "prompts_sha256": "prompts sha256",
    "settings": "generation settings",
    "latents_dir": "latent folder",
    "producers": "producers named in the latent files",
}
MONO = {"model", "prompts", "prompts_sha256", "latents_dir", "producers", "settings"}
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@dataclass(frozen=True)
class GenerationView:
    """Everything the section shows, ready for the template."""

    decoder: str
    random_weights: bool
    comparison_note: str
    table: QualityTable
    source: list[Fact]
    latents: list[Fact]
    reference: list[Fact]
    reference_skipped: list[dict[str, Any]]
    samples: Fact
    skipped: list[dict[str, Any]]
    flicker: str | None
    flicker_definition: str
    clips: list[ClipView]


def source_facts(source: dict[str, Any]) -> list[Fact]:
    """Where the latents came from: the pipeline, model, prompts file and its sha256 and settings, or the folder."""
    return [
        Fact(SOURCE_LABELS.get(key, key.replace("_", " ")), fact_text(value), key in MONO)
        for key, value in source.items()
        if value is not None
    ]


def latent_facts(latents: dict[str, Any]) -> list[Fact]:
    """Whose latent space, whether the pipeline's normalisation was undone (and how), and the shapes."""
    normalized = latents.get("normalized")
    undone = latents.get("denormalization")
    facts = [
        Fact("latent space", f"teacher {latents.get('teacher')}"),
        Fact("pipeline-normalised", f"{normalized}" + (f"; undone as {undone}" if normalized and undone else "")),
        Fact("latent shapes", fact_text([list(shape) for shape in latents.get("latent_shapes") or []]), mono=True),
    ]
    if latents.get("num_frames") is not None:
        size = f"{latents['num_frames']} frames \u00d7 {latents['height']} \u00d7 {latents['width']}"
        facts.append(Fact("decoded size", size))
    return facts


def reference_facts(reference: dict[str, Any] | None) -> list[Fact]:
    """The real videos FVD used (dataset, clips, manifest hash, transform), or a line saying there were none."""
    if reference is None:
        return [Fact("reference set", "none: only FVD(teacher set, student set) was computed")]
    where = ", ".join(f"{key} {reference[key]}" for key in ("root", "split", "fold") if reference.get(key) is not None)
    return [
        Fact("reference set", f"{reference.get('dataset')}" + (f" ({where})" if where else "")),
        Fact("clips used", f"{reference.get('clips')}; {len(reference.get('skipped') or [])} skipped"),
        Fact("manifest hash", str(reference.get("manifest_hash")), mono=True),
        Fact("protocol hash", str((reference.get("protocol") or {}).get("hash")), mono=True),
        Fact("transform", str(reference.get("transform"))),
    ]


def flicker_data_uri(run_dir: Path, name: str | None) -> str | None:
    """The flicker figure (a PNG in the run folder) as a data URI; ``None`` if absent or not a PNG."""
    if not name:
        return None
    path = run_dir / Path(name).name  # a bare file name: results never point outside the run
    if not path.is_file():
        logger.warning("%s is listed in results.json but missing; the report leaves it out", path)
        return None
    data = path.read_bytes()
    if not data.startswith(PNG_SIGNATURE):
        logger.warning("%s is not a PNG file; the report leaves it out", path)
        return None
    return "data:image/png;base64," + base64.b64encode(data).decode("ascii")


def generation_view(results: dict[str, Any], run_dir: Path, budget_bytes: int) -> GenerationView | None:
    """The section for ``results["generation"]``, or ``None`` when the run has no generation check."""
    section = results.get("generation")
    if not section:
        return None
    metrics = {name: MetricResult.from_dict(name, entry) for name, entry in section["metrics"].items()}
    samples, files = section["samples"], section["files"]
    reference = section.get("reference")
    flicker = section.get("flicker") or {}
    clips = read_generated_clips(run_dir, list(files.get("clips") or []), MAX_CLIPS)
    return GenerationView(
        decoder=section["decoder"],
        random_weights=bool(section["random_weights"]),
        comparison_note=section.get("comparison_note") or "",
        table=QualityTable(quality_rows(metrics, "increase"), TITLES, "increase", None, NOTE),
        source=source_facts(section["source"]),
        latents=latent_facts(section["latents"]),
        reference=reference_facts(reference),
        reference_skipped=list((reference or {}).get("skipped") or []),
        samples=Fact(
            "samples",
            f"{samples.get('evaluated')} evaluated of {samples.get('total')}; {samples.get('failed')} failed "
            f"(ids hash {samples.get('ids_hash')})",
        ),
        skipped=list(samples.get("skipped") or []),
        flicker=flicker_data_uri(run_dir, files.get("flicker_figure")),
        flicker_definition=flicker.get("definition", ""),
        clips=clip_views(clips, budget_bytes),
    )
