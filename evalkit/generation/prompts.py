"""Prompt lists for the generation check: the default set in ``datasets/prompts/``, a text file or a CSV table.

Each prompt becomes one sample per seed, named ``<id>-s<seed>``, so a sample's name says how to regenerate it.
"""

from __future__ import annotations

import csv
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from evalkit.shipped import datasets_dir

DEFAULT_PROMPTS = datasets_dir() / "prompts" / "default.txt"


@dataclass(frozen=True)
class PromptSample:
    """One sample to generate: its id, prompt, seed and optional negative prompt."""

    sample_id: str
    prompt: str
    seed: int
    negative_prompt: str | None = None


def _text_rows(path: Path) -> list[dict[str, str]]:
    lines = [line.strip() for line in path.read_text(encoding="utf-8").splitlines()]
    prompts = [line for line in lines if line and not line.startswith("#")]
    return [{"id": f"{index:03d}", "prompt": prompt} for index, prompt in enumerate(prompts)]


def _csv_rows(path: Path, prompt_column: str) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        columns = reader.fieldnames or []
        if prompt_column not in columns:
            raise ValueError(
                f"{path}: no {prompt_column!r} column (columns: {', '.join(columns) or 'none'}); "
                "pass --prompt-column NAME"
            )
        rows = []
        for index, row in enumerate(reader):
            prompt = (row.get(prompt_column) or "").strip()
            if not prompt:
                raise ValueError(f"{path}: row {index + 2} has an empty {prompt_column!r}")
            rows.append({**row, "prompt": prompt, "id": (row.get("id") or "").strip() or f"{index:03d}"})
        return rows


def load_prompts(
    path: str | os.PathLike[str] | None = None,
    *,
    seeds: tuple[int, ...] = (0,),
    prompt_column: str = "prompt",
    max_samples: int | None = None,
) -> list[PromptSample]:
    """The samples of a prompt file (default: ``datasets/prompts/default.txt``), one per prompt and seed.

    A CSV ``seed`` column replaces ``seeds`` for its row. ``max_samples`` keeps the first N samples.
    """
    path = Path(path) if path is not None else DEFAULT_PROMPTS
    if not path.is_file():
        raise FileNotFoundError(f"prompt file {path} does not exist; pass --prompts FILE (.txt or .csv)")
    if not seeds:
        raise ValueError("at least one seed is needed, e.g. --seeds 0")
    rows = _csv_rows(path, prompt_column) if path.suffix.lower() == ".csv" else _text_rows(path)
    if not rows:
        raise ValueError(f"{path}: no prompts found")
    samples = []
    for row in rows:
        row_seeds = (int(row["seed"]),) if (row.get("seed") or "").strip() else seeds
        for seed in row_seeds:
            negative = (row.get("negative_prompt") or "").strip() or None
            samples.append(PromptSample(f"{row['id']}-s{seed}", row["prompt"], seed, negative))
    ids = [sample.sample_id for sample in samples]
    if len(set(ids)) != len(ids):
        duplicated = sorted({sample_id for sample_id in ids if ids.count(sample_id) > 1})
        raise ValueError(f"{path}: sample ids repeat ({', '.join(duplicated[:5])}); make the 'id' column unique")
    return samples[:max_samples] if max_samples is not None else samples


def prompts_sha256(path: str | os.PathLike[str] | None = None) -> str:
    """sha256 of the prompt file's bytes (recorded so a result names exactly which prompts it used)."""
    return hashlib.sha256(Path(path or DEFAULT_PROMPTS).read_bytes()).hexdigest()
