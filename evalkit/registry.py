"""One name → factory registry shared by datasets, decoders and metrics.

Entries may be objects or lazy ``"module:attribute"`` strings, so listing names never imports
heavy code. Unknown names raise :class:`UnknownNameError` (a ``KeyError``) that lists the valid choices.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

from evalkit.errors import InputError

T = TypeVar("T")

_NAME = re.compile(r"^[a-z0-9][a-z0-9_.\-]*$")


class UnknownNameError(InputError, KeyError):
    """A name that is not registered; the message lists the valid choices."""


class Registry(Generic[T]):
    """A named table of factories of one kind (e.g. "dataset", "decoder", "metric")."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._entries: dict[str, T | str] = {}

    def register(self, *names: str, obj: T | str | None = None) -> Callable[[T], T] | T | str:
        """Register ``obj`` (or, used as a decorator, the decorated object) under each of ``names``."""
        if not names:
            raise ValueError(f"{self.kind} registry: at least one name is required")
        for name in names:
            if not isinstance(name, str) or not _NAME.match(name):
                raise ValueError(
                    f"{self.kind} registry: invalid name {name!r} (lower-case letters, digits, '-', '_', '.')"
                )
            if name in self._entries:
                raise ValueError(f"{self.kind} registry: {name!r} is already registered")

        def add(target: T | str) -> T | str:
            for name in names:
                self._entries[name] = target
            return target

        if obj is not None:
            return add(obj)
        return add

    def get(self, name: str) -> T:
        """Return the entry for ``name``, importing a lazy entry on first use."""
        if name not in self._entries:
            choices = ", ".join(sorted(self._entries)) or "(none)"
            raise UnknownNameError(f"unknown {self.kind} {name!r}; choose one of: {choices}")
        entry = self._entries[name]
        if isinstance(entry, str):
            module_name, _, attr = entry.partition(":")
            entry = getattr(importlib.import_module(module_name), attr)
            self._entries[name] = entry
        return entry  # type: ignore[return-value]

    def names(self) -> list[str]:
        """All registered names, sorted."""
        return sorted(self._entries)

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())
