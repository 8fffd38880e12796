"""Plain records passed between adapters, the manifest builder and the torch Dataset."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class ClipRecord:
    """One clip to evaluate: which file (relative to the manifest root), which frames, which class.

    ``source`` is a POSIX path relative to the manifest root (absolute when the file lies outside it),
    so a manifest is the same on every machine; ``label`` is the 0-based class index or ``None``.
    """

    clip_id: str
    source: str
    frame_indices: tuple[int, ...]
    label: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (frame indices as a list)."""
        record = asdict(self)
        record["frame_indices"] = list(self.frame_indices)
        return record

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ClipRecord:
        """Inverse of :meth:`to_dict`."""
        return cls(data["clip_id"], data["source"], tuple(int(i) for i in data["frame_indices"]), data.get("label"))


@dataclass(frozen=True)
class SkippedClip:
    """A clip that was listed but will not be evaluated, and why (missing, unreadable, too short...)."""

    clip_id: str
    source: str
    reason: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return asdict(self)


@dataclass(frozen=True)
class VideoEntry:
    """A video (file or frame folder) listed by a dataset adapter, before the clip protocol is applied."""

    clip_id: str
    source: str
    label: int | None = None


@dataclass
class Listing:
    """What an adapter lists: every video of the split (a missing file keeps its expected path) and class names."""

    entries: list[VideoEntry] = field(default_factory=list)
    class_names: list[str] | None = None
