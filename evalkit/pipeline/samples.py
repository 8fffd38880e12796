"""Which clips a run keeps as report samples, and writing them while their frames are in memory.

The samples are the first :data:`SAMPLE_CLIPS` clips of the manifest that evaluate without failing; a
sample's file index is the clip's manifest position, so ranks and resumed sessions write disjoint files
and the report lists them in manifest order. Frames are the uint8 clips the metrics saw (cached ground
truth and teacher frames on warm runs), so nothing is decoded again for the report.
"""

from __future__ import annotations

from pathlib import Path

import torch

from evalkit.data import ClipRecord
from evalkit.report.samples import write_sample

SAMPLE_CLIPS = 4


class SampleKeeper:
    """Writes ``samples/NNN.npz`` for the first :data:`SAMPLE_CLIPS` manifest clips of a run."""

    def __init__(self, run_dir: Path, manifest_clips: list[ClipRecord], count: int = SAMPLE_CLIPS) -> None:
        self.run_dir = run_dir
        self.index_of = {clip.clip_id: index for index, clip in enumerate(manifest_clips[:count])}

    def offer(self, clip_id: str, ground_truth: torch.Tensor, teacher: torch.Tensor, student: torch.Tensor) -> None:
        """Save the clip's uint8 ``(T, H, W, 3)`` frames if it is one of the sample clips."""
        index = self.index_of.get(clip_id)
        if index is not None:
            write_sample(self.run_dir, index, clip_id, ground_truth.numpy(), teacher.numpy(), student.numpy())
