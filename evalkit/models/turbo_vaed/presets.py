"""The four official Turbo-VAED configs (hustvl/Turbo-VAED ``configs/Turbo-VAED-*.json``), shipped byte for byte."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

PRESETS = {"ltx": "ltx.json", "hunyuan": "hunyuan.json", "cog": "cog.json", "dc": "dc.json"}


def load_preset(name: str) -> dict[str, Any]:
    """The official config of preset ``name`` as a fresh dict (``ltx``, ``hunyuan``, ``cog`` or ``dc``)."""
    if name not in PRESETS:
        raise KeyError(f"unknown Turbo-VAED preset {name!r}; choose one of: {', '.join(PRESETS)}")
    text = resources.files(__package__).joinpath("presets", PRESETS[name]).read_text(encoding="utf-8")
    return json.loads(text)
