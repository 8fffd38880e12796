"""Named, versioned evaluation protocols: ``datasets/protocols/<name>.yaml`` beside the dataset cards.

A published number is reproducible only with its whole protocol (clip list, frames and stride, resize and crop,
metric variants). A preset file holds all of it under ``settings`` (keys of ``RunConfig``); `evalkit run
--protocol NAME` applies them, and results carry the preset's name, version and content hash. ``versions.json``
pins each (name, version) to its content hash, so editing a preset without raising its version fails a test.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from evalkit.data.cards import CARDS_DIR
from evalkit.hashing import canonical_sha256

PRESETS_DIR = CARDS_DIR / "protocols"
VERSIONS_FILE = PRESETS_DIR / "versions.json"
REQUIRED_KEYS = ("name", "version", "title", "source", "settings")


class PresetError(ValueError):
    """A protocol preset that does not exist or cannot be read; the message names the file and the choices."""


@dataclass(frozen=True)
class ProtocolPreset:
    """One preset: its identity, the settings it fixes, and what it says about itself."""

    name: str
    version: int
    title: str
    source: str
    settings: dict[str, Any]
    differences: str | None
    path: Path

    def content_hash(self) -> str:
        """12 hex digits of sha256 over the canonical JSON of name, version and settings."""
        return canonical_sha256({"name": self.name, "version": self.version, "settings": self.settings}, length=12)

    def identity(self) -> dict[str, Any]:
        """What results.json records: name, version, hash and title."""
        return {"name": self.name, "version": self.version, "hash": self.content_hash(), "title": self.title}


def preset_names() -> list[str]:
    """Every preset shipped, sorted."""
    return sorted(path.stem for path in PRESETS_DIR.glob("*.yaml"))


def load_preset(name: str) -> ProtocolPreset:
    """The preset ``name``; an unknown name lists the choices."""
    path = PRESETS_DIR / f"{name}.yaml"
    if name not in preset_names():  # also keeps names like "../ucf101" from reaching other files
        raise PresetError(f"unknown protocol preset {name!r}; choose one of: {', '.join(preset_names()) or 'none'}")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise PresetError(f"protocol preset {path} cannot be read: {exc}") from None
    missing = [key for key in REQUIRED_KEYS if not isinstance(data, dict) or key not in data]
    if missing:
        raise PresetError(f"protocol preset {path} lacks {', '.join(missing)}")
    if data["name"] != name or not isinstance(data["version"], int) or not isinstance(data["settings"], dict):
        raise PresetError(f"protocol preset {path}: name must be {name!r}, version an integer, settings a table")
    return ProtocolPreset(
        name=name,
        version=data["version"],
        title=str(data["title"]),
        source=str(data["source"]).strip(),
        settings=dict(data["settings"]),
        differences=str(data["differences"]).strip() if data.get("differences") else None,
        path=path,
    )
