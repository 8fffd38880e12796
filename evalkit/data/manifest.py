"""The clip manifest: which clips (file + frame indices) an evaluation uses, which were skipped and why.

A manifest is deterministic (sorted clips, sorted-key JSON, no timestamps), so two builds over the same
files are byte-identical, and it is written beside every result. Its hash covers the dataset, split,
protocol, clip ids, frame indices, labels and skip reasons, but not where the files live on this machine.
"""

from __future__ import annotations

import json
import logging
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from itertools import zip_longest
from pathlib import Path
from typing import Any

from evalkit.data.adapters import DATASETS
from evalkit.data.backends import DecodeError, count_frames, resolve_backend
from evalkit.data.frame_counts import FrameCountMemo
from evalkit.data.limits import DEFAULT_MAX_FRAME_PIXELS
from evalkit.data.protocol import ClipProtocol
from evalkit.data.records import ClipRecord, SkippedClip, VideoEntry
from evalkit.hashing import canonical_sha256

logger = logging.getLogger(__name__)

MANIFEST_VERSION = 1


@dataclass
class ClipManifest:
    """The clips to evaluate plus everything needed to reproduce the list; see :func:`build_manifest`."""

    dataset: str
    root: str
    protocol: dict[str, Any]
    clips: list[ClipRecord]
    skipped: list[SkippedClip] = field(default_factory=list)
    split: str | None = None
    fold: int | None = None
    options: dict[str, str] = field(default_factory=dict)
    locations: dict[str, str] = field(default_factory=dict)
    max_clips: int | None = None
    stratified: bool = False
    class_names: list[str] | None = None

    @property
    def protocol_hash(self) -> str:
        """Short hash of the clip protocol the frame indices were chosen with."""
        return ClipProtocol.from_dict(self.protocol).hash()

    def _identity(self) -> dict[str, Any]:
        """Everything that decides what is evaluated (paths on disk excluded)."""
        return {
            "dataset": self.dataset,
            "split": self.split,
            "fold": self.fold,
            "options": self.options,
            "protocol": self.protocol,
            "max_clips": self.max_clips,
            "stratified": self.stratified,
            "clips": [[c.clip_id, list(c.frame_indices), c.label] for c in self.clips],
            "skipped": [[s.clip_id, s.reason] for s in self.skipped],
        }

    def hash(self) -> str:
        """Short (12 hex digits) sha256 of the manifest's identity."""
        return canonical_sha256(self._identity(), length=12)

    def summary(self) -> dict[str, int]:
        """Counts: clips kept, clips skipped, and skips per reason kind (the text before the first ':')."""
        kinds = Counter(skip.reason.split(":")[0] for skip in self.skipped)
        return {"clips": len(self.clips), "skipped": len(self.skipped), **dict(sorted(kinds.items()))}

    def resolve(self, clip: ClipRecord | SkippedClip) -> Path:
        """Absolute path of a clip's source on this machine."""
        return Path(self.root) / clip.source

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (what :meth:`write` stores)."""
        return {
            "manifest_version": MANIFEST_VERSION,
            "manifest_hash": self.hash(),
            "protocol_hash": self.protocol_hash,
            "summary": self.summary(),
            "root": self.root,
            "locations": self.locations,
            "class_names": self.class_names,
            **self._identity(),
            "clips": [clip.to_dict() for clip in self.clips],
            "skipped": [skip.to_dict() for skip in self.skipped],
        }

    def write(self, path: str | Path) -> Path:
        """Write the manifest as sorted-key JSON (byte-identical for identical manifests)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.to_dict(), sort_keys=True, indent=1) + "\n", encoding="utf-8")
        return path

    @classmethod
    def read(cls, path: str | Path, root: str | Path | None = None) -> ClipManifest:
        """Load a manifest written by :meth:`write`; ``root`` relocates the files (e.g. on another machine)."""
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        if data.get("manifest_version") != MANIFEST_VERSION:
            raise ValueError(f"{path}: manifest_version {data.get('manifest_version')!r}, expected {MANIFEST_VERSION}")
        manifest = cls(
            dataset=data["dataset"],
            root=str(root) if root is not None else data["root"],
            protocol=data["protocol"],
            clips=[ClipRecord.from_dict(clip) for clip in data["clips"]],
            skipped=[SkippedClip(**skip) for skip in data["skipped"]],
            split=data["split"],
            fold=data["fold"],
            options=data["options"],
            locations=data["locations"],
            max_clips=data["max_clips"],
            stratified=data["stratified"],
            class_names=data["class_names"],
        )
        if manifest.hash() != data["manifest_hash"]:
            raise ValueError(
                f"{path}: manifest_hash {data['manifest_hash']} does not match its content ({manifest.hash()})"
            )
        return manifest


def select_subset(entries: list[VideoEntry], max_clips: int | None, stratified: bool = False) -> list[VideoEntry]:
    """The first ``max_clips`` entries in clip-id order, or (``stratified``) a round robin over the classes.

    The subset is drawn from the full list before any file is opened, so a missing or broken file is
    reported as skipped, never silently replaced by the next video.
    """
    ordered = sorted(entries, key=lambda entry: entry.clip_id)
    if max_clips is None:
        return ordered
    if max_clips < 1:
        raise ValueError(f"max_clips must be >= 1, got {max_clips}")
    if not stratified:
        return ordered[:max_clips]
    if any(entry.label is None for entry in ordered):
        raise ValueError("stratified selection needs a class label on every clip; this dataset has none")
    by_class: dict[int, list[VideoEntry]] = defaultdict(list)
    for entry in ordered:
        by_class[entry.label].append(entry)
    rounds = zip_longest(*(by_class[label] for label in sorted(by_class)))
    picked = [entry for round_ in rounds for entry in round_ if entry is not None][:max_clips]
    return sorted(picked, key=lambda entry: entry.clip_id)


def build_manifest(
    dataset: str,
    root: str | Path | None,
    protocol: ClipProtocol,
    split: str | None = None,
    fold: int | None = None,
    max_clips: int | None = None,
    stratified: bool = False,
    backend: str = "auto",
    frame_counts: FrameCountMemo | None = None,
    max_frame_pixels: int = DEFAULT_MAX_FRAME_PIXELS,
    **options: Any,
) -> ClipManifest:
    """List a dataset split, count each video's frames (packet index, no decoding) and cut clips by ``protocol``.

    Args:
        dataset: a :data:`evalkit.data.DATASETS` name (``ucf101``, ``kinetics``, ``davis``, ``folder``, ...).
        root: the dataset folder in its official layout (``None`` only for ``sample``).
        protocol: the clip protocol (frames, stride, start policy, resize).
        split, fold: dataset split and fold; ``None`` takes the adapter's default.
        max_clips: keep a deterministic subset of this many listed videos (see :func:`select_subset`).
        stratified: draw the subset round-robin over classes instead of in clip-id order.
        backend: decode backend used to count frames (``auto``, ``decord``, ``pyav``, ``torchcodec``).
        frame_counts: remembers frame counts between builds (saved before returning); None counts every file.
        max_frame_pixels: videos whose header declares larger frames are skipped with the reason, undecoded.
        **options: adapter options (see ``evalkit datasets show NAME``).

    Raises:
        LayoutError: the root lacks a file or folder of the layout (the message names the expected path).
    """
    adapter = DATASETS.get(dataset)(root, split=split, fold=fold, **options)
    backend = resolve_backend(backend)
    listing = adapter.list_videos()
    duplicates = sorted(clip_id for clip_id, n in Counter(e.clip_id for e in listing.entries).items() if n > 1)
    if duplicates:
        raise ValueError(f"{dataset}: clip ids must be unique; duplicated: {duplicates[:5]}")
    clips: list[ClipRecord] = []
    skipped: list[SkippedClip] = []
    for entry in select_subset(listing.entries, max_clips, stratified):
        path = adapter.root / entry.source
        if not path.exists():
            skipped.append(SkippedClip(entry.clip_id, entry.source, "missing file"))
            continue
        try:
            num_available = (
                frame_counts.count(path, backend, max_frame_pixels)
                if frame_counts
                else count_frames(path, backend, max_frame_pixels)
            )
        except DecodeError as exc:
            skipped.append(SkippedClip(entry.clip_id, entry.source, exc.reason))
            continue
        indices = protocol.select_indices(num_available, entry.clip_id)
        if indices is None:
            skipped.append(SkippedClip(entry.clip_id, entry.source, protocol.too_short_reason(num_available)))
            continue
        clips.append(ClipRecord(entry.clip_id, entry.source, tuple(indices), entry.label))
    if frame_counts is not None:
        frame_counts.save()
    if skipped:
        logger.warning(
            "%s: %d of %d clips skipped (%s)",
            dataset,
            len(skipped),
            len(clips) + len(skipped),
            dict(Counter(s.reason.split(":")[0] for s in skipped)),
        )
    return ClipManifest(
        dataset=dataset,
        root=str(adapter.root),
        protocol=protocol.to_dict(),
        clips=clips,
        skipped=skipped,
        split=adapter.split,
        fold=adapter.fold,
        options={k: str(v) for k, v in adapter.option_values.items() if k not in adapter.location_options},
        locations={k: str(v) for k, v in adapter.option_values.items() if k in adapter.location_options},
        max_clips=max_clips,
        stratified=stratified,
        class_names=listing.class_names,
    )
