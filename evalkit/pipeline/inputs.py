"""The clips a rank evaluates, as a stream of :class:`ClipInput`: cached teacher entries for hits, decoded
frames for misses (decoded by a ``DataLoader`` so worker processes can read ahead)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

from torch.utils.data import DataLoader, Subset

from evalkit.data import ClipDataset, ClipRecord
from evalkit.pipeline.evaluate import ClipInput
from evalkit.pipeline.teacher_cache import TeacherCache

logger = logging.getLogger(__name__)


def clip_inputs(
    clips: list[ClipRecord],
    dataset: ClipDataset,
    teacher_cache: TeacherCache | None,
    num_workers: int = 0,
) -> Iterator[ClipInput]:
    """Yield one input per clip of ``clips``, in order."""
    index_of = {clip.clip_id: index for index, clip in enumerate(dataset.manifest.clips)}
    cached = {clip.clip_id for clip in clips if teacher_cache is not None and teacher_cache.contains(clip)}
    to_decode = [index_of[clip.clip_id] for clip in clips if clip.clip_id not in cached]
    loader = iter(
        DataLoader(Subset(dataset, to_decode), batch_size=None, num_workers=num_workers, collate_fn=_as_is)
        if to_decode
        else ()
    )
    for clip in clips:
        entry = teacher_cache.load(clip) if clip.clip_id in cached else None
        if entry is not None:
            yield ClipInput(clip, cached=entry)
            continue
        item = next(loader) if clip.clip_id not in cached else dataset[index_of[clip.clip_id]]
        if item["clip_id"] != clip.clip_id:
            raise RuntimeError(f"clip stream out of order: expected {clip.clip_id}, got {item['clip_id']}")
        yield ClipInput(
            clip, frames=item.get("frames"), error=item.get("error"), warnings=item.get("decode_warnings", [])
        )


def _as_is(item: dict[str, Any]) -> dict[str, Any]:
    return item


def batches(inputs: Iterator[ClipInput], size: int) -> Iterator[list[ClipInput]]:
    """Consecutive groups of ``size`` inputs (the last may be shorter)."""
    batch: list[ClipInput] = []
    for item in inputs:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch
