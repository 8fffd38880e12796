"""Ranks under ``torchrun``: process-group setup, a strided shard with no padding, and exact gathers.

``DistributedSampler`` pads the last shard with repeated clips (which double-counts them in metrics);
here rank r takes pending clips r, r + N, r + 2N, ... of the manifest order, so every clip is evaluated
exactly once, and per-clip records plus pooled metric states are gathered to rank 0 as they are.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import torch
import torch.distributed as dist

logger = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass(frozen=True)
class RankContext:
    """This process's place in the run: rank, world size and local rank (0, 1, 0 when not distributed)."""

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0

    @property
    def distributed(self) -> bool:
        """True when several processes share the run."""
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        """True on rank 0, which writes the results."""
        return self.rank == 0


def init_ranks(device_type: str) -> RankContext:
    """Join the process group that ``torchrun`` describes in the environment (gloo on CPU, nccl on CUDA)."""
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    if world_size <= 1:
        return RankContext()
    if not dist.is_initialized():
        backend = "nccl" if device_type == "cuda" else "gloo"
        dist.init_process_group(backend=backend)
        logger.info("rank %d of %d joined the %s process group", dist.get_rank(), world_size, backend)
    return RankContext(dist.get_rank(), dist.get_world_size(), int(os.environ.get("LOCAL_RANK", "0")))


def shard(items: Sequence[T], context: RankContext) -> list[T]:
    """This rank's items: every ``world_size``-th one from ``rank`` (no padding, no duplicates)."""
    return list(items[context.rank :: context.world_size])


def gather(obj: Any, context: RankContext) -> list[Any]:
    """Every rank's ``obj`` in rank order (pickled through the process group)."""
    if not context.distributed:
        return [obj]
    gathered: list[Any] = [None] * context.world_size
    dist.all_gather_object(gathered, obj)
    return gathered


def barrier(context: RankContext) -> None:
    """Wait for every rank."""
    if context.distributed:
        dist.barrier()


def rank_device(device: str, context: RankContext) -> torch.device:
    """``cuda`` means this rank's GPU (``cuda:LOCAL_RANK``) under torchrun."""
    if device == "cuda" and context.distributed:
        return torch.device("cuda", context.local_rank)
    return torch.device(device)
