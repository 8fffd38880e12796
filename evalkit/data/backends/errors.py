"""The errors of the decode layer: bad input (:class:`DecodeError`) and a backend that cannot run."""

from __future__ import annotations

from pathlib import Path


class DecodeError(Exception):
    """A video (or frame folder) could not be decoded; ``reason`` says why in a few words."""

    def __init__(self, path: str | Path, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = str(path)
        self.reason = reason


class BackendUnavailableError(ValueError):
    """A decode backend was asked for by name but cannot load here; the message gives the reason and the fix."""
