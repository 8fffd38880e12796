"""Published figures attached to a protocol preset: labelled, cited rows shown beside measured runs, never ranked.

``datasets/protocols/published/<preset>.yaml`` holds the paper's rows for the preset (per teacher family), its
citation, and the metric conventions that separate the paper's numbers from a reproduction's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml

from evalkit.data.protocol_presets import PRESETS_DIR

PUBLISHED_DIR = PRESETS_DIR / "published"
METRICS = ("psnr", "ssim", "lpips", "fvd")


@dataclass(frozen=True)
class PublishedRow:
    """One published decoder: its label, role, parameters and metric values (``None`` where not given)."""

    label: str
    teacher: str
    role: str
    params: float | None
    values: dict[str, float | None]


@dataclass(frozen=True)
class PublishedTable:
    """The published rows of one preset for one teacher family, with the citation and the conventions note."""

    preset: str
    citation: str
    conventions: str
    rows: list[PublishedRow]


def published_rows(preset: str, teacher: str | None) -> PublishedTable | None:
    """The published rows of ``preset`` for ``teacher``, or ``None`` when the preset has none for it."""
    path = PUBLISHED_DIR / f"{preset}.yaml"
    if not path.is_file() or teacher is None:
        return None
    data: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    rows = [
        PublishedRow(
            label=str(row["label"]),
            teacher=str(row["teacher"]),
            role=str(row["role"]),
            params=None if row.get("params") is None else float(row["params"]),
            values={name: None if row.get(name) is None else float(row[name]) for name in METRICS},
        )
        for row in data["rows"]
        if row["teacher"] == teacher
    ]
    if not rows:
        return None
    return PublishedTable(preset, str(data["citation"]), str(data["conventions"]).strip(), rows)
