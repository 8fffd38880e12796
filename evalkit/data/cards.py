"""Dataset cards: ``datasets/<name>.yaml`` (layout, default protocol, where to get it, citation), shipped in wheels."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from evalkit.shipped import datasets_dir

CARDS_DIR = datasets_dir()


def card_path(name: str) -> Path:
    """Where the card of dataset ``name`` lives."""
    return CARDS_DIR / f"{name}.yaml"


def load_card(name: str) -> dict[str, Any]:
    """The parsed card of ``name``; a missing card is an error naming the expected file."""
    path = card_path(name)
    if not path.exists():
        raise FileNotFoundError(f"no dataset card for {name!r}: expected {path}")
    return yaml.safe_load(path.read_text(encoding="utf-8"))
