"""Out-of-memory back-off for decoder calls: halve the batch, then decode a lone clip in spatial tiles.

A call that runs out of memory is retried in halves and the smaller batch is kept for the rest of the run; a
clip that does not fit even alone may be decoded in spatial tiles (recorded, since seams differ slightly);
one that still does not fit fails with the reason and what to change.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable
from typing import Any, TypeVar

import torch

logger = logging.getLogger(__name__)

MIN_TILE_LATENT = 4

Clip = TypeVar("Clip")
Failures = list[tuple[Clip, str]]


class DecodeBackoff:
    """Counts out-of-memory events and keeps the batch limit and the clips decoded in tiles.

    Args:
        device: where the decoders run (CUDA's cached blocks are given back after an error).
        batch_limit: most clips per decoder call (None: the whole group); lowered, and kept, on out-of-memory.
    """

    def __init__(self, device: torch.device, batch_limit: int | None = None) -> None:
        self.device = device
        self.batch_limit = batch_limit
        self.events = 0
        self.tiled_clips: list[dict[str, Any]] = []

    def run(
        self,
        group: list[Clip],
        work: Callable[[list[Clip]], Failures],
        decoder: str,
        alone: Callable[[Clip, str], Failures] | None = None,
    ) -> Failures:
        """``work`` on ``group`` in calls of at most ``batch_limit`` clips; when a call runs out of memory, the
        limit is halved for the rest of the run and the call's clips are retried in two halves. A single clip
        that runs out of memory goes to ``alone`` (with the error message), or fails."""
        failed: Failures = []
        pending = deque([group])
        while pending:
            chunk = pending.popleft()
            limit = self.batch_limit or len(chunk)
            if len(chunk) > limit:
                pending.extendleft(reversed([chunk[i : i + limit] for i in range(0, len(chunk), limit)]))
                continue
            try:
                failed.extend(work(chunk))
            except torch.OutOfMemoryError as exc:
                message = self.recover(exc)
                if len(chunk) == 1:
                    failed.extend(alone(chunk[0], message) if alone else [(chunk[0], alone_too_big(decoder, message))])
                    continue
                self.batch_limit = len(chunk) // 2
                logger.warning(
                    "%s decoder ran out of memory with %d clips (%s); continuing with %d clips per call",
                    decoder,
                    len(chunk),
                    message,
                    self.batch_limit,
                )
                pending.extendleft([chunk[: self.batch_limit], chunk[self.batch_limit :]][::-1])
        return failed

    def in_tiles(
        self,
        clip: Clip,
        clip_id: str,
        latent_size: tuple[int, int],
        decode: Callable[[tuple[int, int]], Failures],
        message: str,
    ) -> Failures:
        """``decode((tile, overlap))`` one student clip in spatial tiles, halving the tile on each out-of-memory
        error down to 4 latents; ``message`` is the error that sent the clip here."""
        tile = (max(latent_size) + 1) // 2
        if tile < MIN_TILE_LATENT:
            return [(clip, alone_too_big("student", message))]
        while tile >= MIN_TILE_LATENT:
            overlap = max(1, tile // 8)  # diffusers' LTX default overlaps 2 of 16 latents
            try:
                failed = decode((tile, overlap))
            except torch.OutOfMemoryError as exc:
                message = self.recover(exc)
                tile //= 2
                continue
            self.tiled_clips.append({"clip_id": clip_id, "tile_latent": tile, "overlap_latent": overlap})
            logger.warning(
                "student decoded %s in spatial tiles of %d latents (overlap %d): it did not fit whole",
                clip_id,
                tile,
                overlap,
            )
            return failed
        return [(clip, alone_too_big("student", message + "; also in spatial tiles down to 4 latents"))]

    def recover(self, exc: torch.OutOfMemoryError) -> str:
        """Count an out-of-memory error, give cached GPU blocks back, and return the error's first line."""
        self.events += 1
        if self.device.type == "cuda":
            torch.cuda.empty_cache()
        text = str(exc).strip()
        return text.splitlines()[0] if text else "out of memory"

    def summary(self) -> dict[str, Any]:
        """This rank's events, the batch limit they left and the clips decoded in tiles (for gathering)."""
        return {"events": self.events, "batch_limit": self.batch_limit, "tiled_clips": self.tiled_clips}


def alone_too_big(decoder: str, message: str) -> str:
    """The failure reason of a clip that ran out of memory on its own, with what to change."""
    return (
        f"{decoder} decoder ran out of memory on this clip alone ({message}); "
        "try --offload always, a smaller --resolution or fewer --num-frames"
    )


def ranks_summary(summaries: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The results' ``out_of_memory`` block from every rank's :meth:`DecodeBackoff.summary`; None if none ran
    out of memory."""
    events = sum(summary["events"] for summary in summaries)
    if not events:
        return None
    return {
        "events": events,
        "batch_size_after": min(summary["batch_limit"] for summary in summaries),
        "student_tiled_clips": [clip for summary in summaries for clip in summary["tiled_clips"]],
    }
