"""`evalkit distill` settings: one dataclass shared by the CLI and the Python API, written beside every checkpoint."""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from evalkit.options import INITS, LR_SCHEDULES, POSTERIORS, TRAINING_DTYPES


@dataclass(frozen=True)
class DistillConfig:
    """Everything one distillation run needs (defaults follow the official ``train.sh``, SPEC §9).

    Args:
        teacher: decoder registry name with a teacher VAE (``ltx``, ``hunyuan``, ``cogvideox``, ``demo``).
        student: Turbo-VAED preset name (``ltx``...) or a path to a config JSON (with projection-head keys).
        out: run folder (checkpoints, ``train_log.csv``, ``summary.json``, evaluations).
        dataset, root, split, fold: training videos (any dataset adapter; every frame of each video is used).
        num_frames, crop_size, resolution, hflip: training windows (frames), square crop after resizing the short
            side to ``resolution``, random horizontal flips.
        channel_shuffle: random RGB channel order per window (for footage whose hues are few; off by default).
        batch_size, grad_accum: clips per micro-batch and micro-batches per optimiser step.
        lr, betas, weight_decay, eps: AdamW; ema_decay: EMA of decoder and heads after every optimiser step.
        lr_schedule, lr_min_ratio: ``constant`` lr, or ``cosine`` decay from ``lr`` at step 0 to
            ``lr * lr_min_ratio`` at ``max_steps`` (a resume with another ``max_steps`` reshapes the rest of the decay).
        posterior: teacher latents: a seeded posterior ``sample`` (official) or its ``mode``.
        dtype: ``bfloat16`` runs the student under autocast (weights, optimiser and EMA stay float32).
        perceptual: use LPIPS(VGG) (needs its backbone weights); perceptual_weight, feature_weight: loss weights.
        max_steps, max_minutes: stop at whichever comes first (optimiser steps; wall-clock minutes).
        save_every, eval_every: optimiser steps between checkpoints / held-out evaluations (0: only at the end /
            never).
        eval_dataset, eval_root, eval_split, eval_max_clips, eval_decoder: the held-out evaluation through the
            ``evalkit run`` pipeline (``eval_decoder``: the registry name pairing this teacher with a student).
        teacher_weights, student_weights: explicit files (``student_weights`` initialises the student).
        teacher_init: ``random`` builds a random teacher (smoke tests only; the outputs say so).
        teacher_config: teacher config overrides (random teachers only).
        seed: seeds initialisation, windows and posterior samples; threads: torch CPU threads (0: torch default).
        progress: show a tqdm bar on stderr; backend: video decode backend.
    """

    teacher: str
    student: str
    out: str
    dataset: str = "sample"
    root: str | None = None
    split: str | None = None
    fold: int | None = None
    num_frames: int = 17
    crop_size: int = 256
    resolution: int | None = 256
    hflip: bool = True
    channel_shuffle: bool = False
    batch_size: int = 1
    grad_accum: int = 8
    lr: float = 1e-4
    lr_schedule: str = "constant"
    lr_min_ratio: float = 0.1
    betas: tuple[float, float] = (0.9, 0.95)
    weight_decay: float = 1e-4
    eps: float = 1e-15
    ema_decay: float = 0.999
    posterior: str = "sample"
    dtype: str = "float32"
    perceptual: bool = True
    perceptual_weight: float = 1.0
    perceptual_weights: str | None = None
    feature_weight: float = 1.0
    max_steps: int = 1000
    max_minutes: float | None = None
    save_every: int = 500
    eval_every: int = 0
    eval_dataset: str | None = None
    eval_root: str | None = None
    eval_split: str | None = None
    eval_max_clips: int | None = None
    eval_decoder: str | None = None
    teacher_weights: str | None = None
    student_weights: str | None = None
    teacher_init: str = "pretrained"
    teacher_config: dict[str, Any] | None = None
    seed: int = 0
    threads: int = 0
    progress: bool = True
    backend: str = "auto"

    def __post_init__(self) -> None:
        for name, value, choices in (
            ("dtype", self.dtype, TRAINING_DTYPES),
            ("posterior", self.posterior, POSTERIORS),
            ("teacher_init", self.teacher_init, INITS),
            ("lr_schedule", self.lr_schedule, LR_SCHEDULES),
        ):
            if value not in choices:
                raise ValueError(f"distill: {name} must be one of {', '.join(choices)}; got {value!r}")
        for name in ("num_frames", "crop_size", "batch_size", "grad_accum", "max_steps"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"distill: {name} must be a positive integer; got {value!r}")
        if not 0.0 <= self.lr_min_ratio <= 1.0:
            raise ValueError(f"distill: lr_min_ratio must be in [0, 1]; got {self.lr_min_ratio!r}")
        if not 0.0 <= self.ema_decay < 1.0:
            raise ValueError(f"distill: ema_decay must be in [0, 1); got {self.ema_decay}")
        if self.teacher_config and self.teacher_init != "random":
            raise ValueError("distill: teacher_config overrides apply only with teacher_init='random'")
        self._check_counts()
        self._check_evaluation()
        object.__setattr__(self, "betas", tuple(self.betas))

    def _check_counts(self) -> None:
        for name in ("save_every", "eval_every", "threads"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"distill: {name} must be 0 or a positive integer; got {value!r}")
        for name in ("lr", "eps"):
            if not getattr(self, name) > 0:
                raise ValueError(f"distill: {name} must be positive; got {getattr(self, name)!r}")
        for name in ("weight_decay", "perceptual_weight", "feature_weight"):
            if not getattr(self, name) >= 0:
                raise ValueError(f"distill: {name} must be 0 or more; got {getattr(self, name)!r}")
        if self.max_minutes is not None and not self.max_minutes > 0:
            raise ValueError(f"distill: max_minutes must be positive; got {self.max_minutes!r}")
        if self.resolution is not None and self.crop_size > self.resolution:
            raise ValueError(
                f"distill: crop_size {self.crop_size} is larger than the resized short side {self.resolution}; "
                "lower --crop-size or raise --resolution"
            )
        if self.perceptual_weights is not None and not self.perceptual:
            raise ValueError("distill: --perceptual-weights has no effect with --no-perceptual; drop one of them")

    def _check_evaluation(self) -> None:
        """The held-out evaluation settings fit together (checked before any training step)."""
        if self.eval_every and self.eval_dataset is None:
            raise ValueError(
                f"distill: --eval-every {self.eval_every} needs --eval-dataset NAME (the held-out clips); "
                "add it, or drop --eval-every"
            )
        given = [
            f"--{name.replace('_', '-')}"
            for name in ("eval_dataset", "eval_root", "eval_split", "eval_max_clips", "eval_decoder")
            if getattr(self, name) is not None
        ]
        if given and not self.eval_every:
            raise ValueError(f"distill: {', '.join(given)} has no effect without --eval-every N; add it")
        if self.eval_max_clips is not None and (isinstance(self.eval_max_clips, bool) or self.eval_max_clips < 1):
            raise ValueError(f"distill: eval_max_clips must be a positive integer; got {self.eval_max_clips!r}")

    def lr_at(self, step: int) -> float:
        """The learning rate of optimiser step ``step`` (0-based) under ``lr_schedule``."""
        if self.lr_schedule == "constant":
            return self.lr
        progress = min(step / self.max_steps, 1.0)
        return self.lr * (self.lr_min_ratio + (1.0 - self.lr_min_ratio) * 0.5 * (1.0 + math.cos(math.pi * progress)))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready settings."""
        record = asdict(self)
        record["betas"] = list(self.betas)
        return record

    def write(self, path: Path) -> None:
        """Write the settings as sorted, indented JSON."""
        path.write_text(json.dumps(self.to_dict(), indent=2, sort_keys=True) + "\n")
