"""Everything a run folder holds for its report, read from disk: results, per-clip table, manifest, samples."""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from evalkit.errors import InputError, read_text_file
from evalkit.report.samples import Sample, read_samples
from evalkit.results.io import read_per_clip, read_results
from evalkit.results.schema import MANIFEST_FILE, ResultsSchemaError

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RunFiles:
    """A run folder's contents; ``per_clip``/``manifest`` are ``None`` when the run did not write them."""

    run_dir: Path
    results: dict[str, Any]
    per_clip: pd.DataFrame | None
    manifest: dict[str, Any] | None
    samples: list[Sample]

    @property
    def class_names(self) -> list[str] | None:
        """The manifest's class names (index = label), if the dataset has classes."""
        names = (self.manifest or {}).get("class_names")
        return [str(name) for name in names] if names else None

    def labels(self) -> dict[str, int]:
        """Clip id → class index for every labelled clip of the manifest."""
        clips = (self.manifest or {}).get("clips") or []
        return {str(clip["clip_id"]): int(clip["label"]) for clip in clips if clip.get("label") is not None}


def load_run(run_dir: str | os.PathLike[str], *, with_samples: bool = True) -> RunFiles:
    """Read a run folder (or the folder of a given ``results.json``); only ``results.json`` is required.

    Raises:
        ResultsSchemaError: if ``results.json`` is missing, unreadable or of another schema version.
    """
    run_dir = Path(run_dir)
    if run_dir.is_file():
        run_dir = run_dir.parent
    results = read_results(run_dir)
    per_clip = None
    if results["files"].get("per_clip"):  # a standalone generation check has none
        try:
            per_clip = read_per_clip(run_dir)
        except ResultsSchemaError as exc:
            logger.warning("%s; the report will have no per-clip sections", exc)
    manifest_name = results.get("files", {}).get("manifest") or MANIFEST_FILE
    manifest_path = run_dir / Path(manifest_name).name  # a bare file name: results never point outside the run
    manifest = _read_manifest(manifest_path) if manifest_path.is_file() else None
    samples = read_samples(run_dir) if with_samples else []
    return RunFiles(run_dir, results, per_clip, manifest, samples)


def _read_manifest(path: Path) -> dict[str, Any] | None:
    """The clip manifest, or None (with a warning) when it is damaged: the report then has no class breakdown."""
    try:
        manifest = json.loads(read_text_file(path, "clip manifest", "re-run `evalkit run` to rewrite it"))
    except (InputError, json.JSONDecodeError) as exc:
        logger.warning("%s: damaged clip manifest (%s); the report will have no class breakdown", path, exc)
        return None
    return manifest if isinstance(manifest, dict) else None
