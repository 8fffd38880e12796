"""The dataset adapter interface: a root folder in an official layout → the sorted list of its videos."""

from __future__ import annotations

from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any, ClassVar

from evalkit.data.records import Listing
from evalkit.errors import InputError


def read_lines(path: Path) -> list[str]:
    """Non-empty, stripped lines of a list file (LF or CRLF line endings, optional UTF-8 BOM)."""
    return [line.strip() for line in path.read_text(encoding="utf-8-sig").splitlines() if line.strip()]


class LayoutError(InputError, FileNotFoundError):
    """The root folder does not have the layout the adapter expects; the message names the expected path."""


class DatasetAdapter(ABC):
    """Lists the videos of one split of a dataset, in its official layout, without decoding anything.

    Subclasses set the class attributes and implement :meth:`list_videos`; ``options`` maps each extra
    keyword argument the adapter accepts to a one-line help text (shown by ``evalkit datasets show``).
    """

    name: ClassVar[str]
    splits: ClassVar[tuple[str, ...] | None] = ()  # None: any split name the data defines
    default_split: ClassVar[str | None] = None
    folds: ClassVar[tuple[int, ...]] = ()
    default_fold: ClassVar[int | None] = None
    options: ClassVar[dict[str, str]] = {}
    location_options: ClassVar[frozenset[str]] = frozenset()  # options that only say where files are (not hashed)
    needs_root: ClassVar[bool] = True
    root_may_be_remote: ClassVar[bool] = False  # e.g. a Hugging Face Hub id

    def __init__(self, root: str | Path | None, split: str | None = None, fold: int | None = None, **options: Any):
        if root is None and self.needs_root:
            raise ValueError(f"dataset {self.name!r} needs --root (the folder holding its files)")
        self.root = self.default_root() if root is None else Path(root).expanduser()
        if not self.root.exists() and not self.root_may_be_remote:
            raise LayoutError(f"{self.name} root {self.root} does not exist")
        self.split = self.default_split if split is None else split
        if self.splits and self.split not in self.splits:
            raise ValueError(f"{self.name}: unknown split {self.split!r}; choose one of: {', '.join(self.splits)}")
        if self.splits == () and split is not None:
            raise ValueError(f"{self.name} has no splits; drop --split {split!r}")
        self.fold = self.default_fold if fold is None else int(fold)
        if self.folds and self.fold not in self.folds:
            raise ValueError(f"{self.name}: unknown fold {self.fold!r}; choose one of: {list(self.folds)}")
        if not self.folds and fold is not None:
            raise ValueError(f"{self.name} has no folds; drop --fold {fold!r}")
        unknown = sorted(set(options) - set(self.options))
        if unknown:
            valid = ", ".join(sorted(self.options)) or "(none)"
            raise ValueError(f"{self.name}: unknown option(s) {unknown}; valid options: {valid}")
        self.option_values = {key: value for key, value in sorted(options.items()) if value is not None}

    def default_root(self) -> Path:
        """Root used when none is given (only adapters with ``needs_root = False``)."""
        raise NotImplementedError(f"dataset {self.name!r} has no default root")

    def require(self, path: Path, what: str) -> Path:
        """Return ``path`` if it exists, else raise a :class:`LayoutError` naming it and ``what`` it should be."""
        if not path.exists():
            raise LayoutError(f"{self.name}: expected {what} at {path} (is --root {self.root} the right folder?)")
        return path

    def relative(self, path: Path) -> str:
        """``path`` as a POSIX string relative to the root (absolute when outside it)."""
        try:
            return path.relative_to(self.root).as_posix()
        except ValueError:
            return path.as_posix()

    @abstractmethod
    def list_videos(self) -> Listing:
        """Every video the split lists (present or not), with its stable clip id, source path and label."""
