"""Label/value lines of a report header (a ``<dl>``), and the one way nested values are written in them."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Fact:
    """One line of a header: what, its value as text, and whether to set it in monospace (hashes, paths)."""

    label: str
    value: str
    mono: bool = False


def fact_text(value: Any) -> str:
    """A results value as one line: mappings as ``key=value`` pairs, lists joined by ``; ``, the rest as text."""
    if isinstance(value, dict):
        return ", ".join(f"{key}={fact_text(item)}" for key, item in sorted(value.items()))
    if isinstance(value, list | tuple):
        return "; ".join(
            json.dumps(item, sort_keys=True) if isinstance(item, dict) else fact_text(item) for item in value
        )
    return str(value)
