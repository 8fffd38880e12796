"""The one error type every decode backend raises for bad input."""

from __future__ import annotations

from pathlib import Path


class DecodeError(Exception):
    """A video (or frame folder) could not be decoded; ``reason`` says why in a few words."""

    def __init__(self, path: str | Path, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = str(path)
        self.reason = reason
