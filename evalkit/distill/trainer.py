"""`evalkit distill`: train a Turbo-VAED decoder on a frozen teacher's latents (SPEC §9).

Per micro-batch: random training windows → frozen teacher encoder → latents (seeded posterior sample, or the
mode) → student ``forward_features`` and teacher decode (block features hooked) → L1 + LPIPS + feature
alignment. AdamW over the decoder and its projection heads, gradient accumulation, EMA after each optimiser
step. Every random draw comes from generators whose states are checkpointed, so a resumed run continues
bit-identically on CPU.
"""

from __future__ import annotations

import csv
import json
import logging
import time
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn

from evalkit.data.protocol import ClipProtocol
from evalkit.distill.alignment import FeatureAlignmentLoss
from evalkit.distill.checkpoints import checkpoint_dir, latest_checkpoint, load_training_state, save_checkpoint
from evalkit.distill.config import DistillConfig
from evalkit.distill.evaluation import check_evaluation_names
from evalkit.distill.features import capture_block_features
from evalkit.distill.losses import DistillationLoss, build_perceptual_network
from evalkit.distill.sampler import RandomClipSampler, TrainingVideo
from evalkit.distill.student import build_student

logger = logging.getLogger(__name__)

LOG_FILE = "train_log.csv"
SUMMARY_FILE = "summary.json"


@dataclass
class DistillResult:
    """What a finished (or stopped) run produced."""

    out: Path
    step: int
    checkpoint: Path
    summary: dict[str, Any]


class Distiller:
    """One distillation run; build it from a :class:`DistillConfig`, then call :meth:`train`."""

    def __init__(self, config: DistillConfig) -> None:
        from evalkit.models.registry import build_pair

        self.config = config
        self.out = Path(config.out)
        if config.eval_every:
            check_evaluation_names(config)
        if config.threads:
            torch.set_num_threads(config.threads)
        torch.manual_seed(config.seed)
        perceptual = build_perceptual_network(config.perceptual_weights) if config.perceptual else None
        pair = build_pair(
            config.teacher,
            teacher_weights=config.teacher_weights,
            init=config.teacher_init,
            posterior=config.posterior,
            seed=config.seed,
            teacher_config=config.teacher_config,
        )
        if pair.teacher is None:
            raise ValueError(f"--teacher {config.teacher!r} has no teacher VAE to distil from")
        if pair.random_weights:
            logger.warning("the teacher has RANDOM weights (--teacher-init random): a smoke test, not a distillation")
        self.teacher = pair.teacher
        self.teacher.vae.requires_grad_(False)
        self.teacher_info = pair.info
        self.student_config, self.decoder, heads = build_student(
            config.student, self.teacher.latent_channels, config.student_weights
        )
        self.alignment = FeatureAlignmentLoss(heads) if len(heads) else None
        # the official model's attribute names, so this state dict reads like AutoencoderKLTurboVAED's
        self.trainable = nn.ModuleDict({"decoder": self.decoder, "aligned_feature_projection_heads": heads}).train()
        self.loss = DistillationLoss(self.alignment, perceptual, config.perceptual_weight, config.feature_weight)
        self.optimizer = torch.optim.AdamW(
            self.trainable.parameters(),
            lr=config.lr,
            betas=config.betas,
            weight_decay=config.weight_decay,
            eps=config.eps,
        )
        self.ema = AveragedModel(self.trainable, multi_avg_fn=get_ema_multi_avg_fn(config.ema_decay))
        self.sampler = RandomClipSampler(
            self._training_videos(),
            config.num_frames,
            config.crop_size,
            resolution=config.resolution,
            hflip=config.hflip,
            channel_shuffle=config.channel_shuffle,
            seed=config.seed + 1,
            backend=config.backend,
        )
        self.posterior_generator = torch.Generator().manual_seed(config.seed + 2)
        self.step = 0
        self.elapsed = 0.0

    def _training_videos(self) -> list[TrainingVideo]:
        from evalkit.data import build_manifest

        every_frame = ClipProtocol(num_frames=None, resolution=None)
        manifest = build_manifest(
            self.config.dataset,
            self.config.root,
            every_frame,
            split=self.config.split,
            fold=self.config.fold,
            backend=self.config.backend,
        )
        if not manifest.clips:
            raise ValueError(f"distill: dataset {self.config.dataset!r} lists no readable videos to train on")
        root = Path(manifest.root)
        return [TrainingVideo(root / clip.source, len(clip.frame_indices)) for clip in manifest.clips]

    # -- state ---------------------------------------------------------------------------------------------------

    def training_state(self) -> dict[str, Any]:
        """Everything needed to continue exactly where this run is."""
        return {
            "step": self.step,
            "elapsed": self.elapsed,
            "trainable": self.trainable.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "ema": self.ema.state_dict(),
            "sampler": self.sampler.state_dict(),
            "posterior_generator": self.posterior_generator.get_state(),
            "torch_rng": torch.get_rng_state(),
        }

    def load_training_state(self, state: dict[str, Any]) -> None:
        """Restore :meth:`training_state` output."""
        self.step = int(state["step"])
        self.elapsed = float(state["elapsed"])
        self.trainable.load_state_dict(state["trainable"], strict=True)
        self.optimizer.load_state_dict(state["optimizer"])
        self.ema.load_state_dict(state["ema"], strict=True)
        self.sampler.load_state_dict(state["sampler"])
        self.posterior_generator.set_state(state["posterior_generator"])
        torch.set_rng_state(state["torch_rng"])

    def resume(self) -> bool:
        """Continue from the latest checkpoint under ``out`` if there is one; returns whether it did."""
        folder = latest_checkpoint(self.out)
        if folder is None:
            return False
        self.load_training_state(load_training_state(folder))
        _truncate_log(self.out / LOG_FILE, self.step)
        logger.info("resumed %s at step %d", folder, self.step)
        return True

    def ema_decoder_state(self) -> dict[str, torch.Tensor]:
        """The EMA decoder's state dict with the bare decoder's key names."""
        averaged = self.ema.module.decoder  # type: ignore[union-attr]
        return averaged.state_dict()

    def save(self) -> Path:
        """Write a checkpoint for the current step."""
        return save_checkpoint(
            self.out,
            self.step,
            ema_decoder=self.ema_decoder_state(),
            raw_decoder=self.decoder.state_dict(),
            student_config=self.student_config,
            training_state=self.training_state(),
        )

    # -- training ------------------------------------------------------------------------------------------------

    def compute_loss(self, pixels: torch.Tensor) -> tuple[torch.Tensor, dict[str, float]]:
        """The loss of one batch of pixels ``(B, 3, T, H, W)`` in [-1, 1] and its terms (graph kept for backward)."""
        latents = self.teacher.encode(pixels, generator=self.posterior_generator)
        teacher_features: dict[str, torch.Tensor] = {}
        if self.alignment is not None:
            with capture_block_features(self.teacher.vae.decoder) as captured:
                self.teacher.decode(latents)
            teacher_features = dict(captured)
        autocast = (
            torch.autocast(device_type="cpu", dtype=torch.bfloat16)
            if self.config.dtype == "bfloat16"
            else nullcontext()
        )
        with autocast:
            recon, student_features = self.decoder.forward_features(latents)
            return self.loss(recon, pixels, student_features, teacher_features)

    def micro_step(self) -> dict[str, float]:
        """One micro-batch: draw windows, loss, backward (scaled by 1/grad_accum); returns the loss terms."""
        pixels = ClipProtocol.to_model_input(self.sampler.batch(self.config.batch_size))
        total, terms = self.compute_loss(pixels)
        (total / self.config.grad_accum).backward()
        return terms

    def optimizer_step(self) -> dict[str, float]:
        """``grad_accum`` micro-batches, one AdamW step, one EMA update; returns the mean loss terms."""
        self.optimizer.zero_grad(set_to_none=True)
        sums: dict[str, float] = {}
        for _ in range(self.config.grad_accum):
            terms = self.micro_step()
            for key, value in terms.items():
                sums[key] = sums.get(key, 0.0) + value / self.config.grad_accum
        # set from the step alone (no LRScheduler state), so checkpoints from before schedules existed still resume
        for group in self.optimizer.param_groups:
            group["lr"] = self.config.lr_at(self.step)
        self.optimizer.step()
        self.ema.update_parameters(self.trainable)
        self.step += 1
        return sums

    def train(self, resume: bool = True) -> DistillResult:
        """Run until ``max_steps`` or ``max_minutes``; checkpoints every ``save_every`` steps and at the end."""
        from tqdm.auto import tqdm

        config = self.config
        self.out.mkdir(parents=True, exist_ok=True)
        if resume:
            self.resume()
        config.write(self.out / "distill_config.json")
        started = time.monotonic() - self.elapsed
        checkpoint = None
        stopped_by = "max_steps"
        bar = tqdm(total=config.max_steps, initial=self.step, disable=not config.progress, desc="distill")
        with open(self.out / LOG_FILE, "a", newline="") as handle:
            writer: csv.DictWriter | None = None
            while self.step < config.max_steps:
                terms = self.optimizer_step()
                self.elapsed = time.monotonic() - started
                row = {"step": self.step, "seconds": round(self.elapsed, 3), **terms}
                if writer is None:
                    writer = csv.DictWriter(handle, fieldnames=list(row))
                    if handle.tell() == 0:
                        writer.writeheader()
                writer.writerow(row)
                handle.flush()
                bar.update(1)
                bar.set_postfix(loss=f"{terms['total']:.4f}")
                out_of_time = config.max_minutes is not None and self.elapsed > 60 * config.max_minutes
                if out_of_time:
                    stopped_by = "max_minutes"
                if (config.save_every and self.step % config.save_every == 0) or out_of_time:
                    checkpoint = self.save()
                if config.eval_every and self.step % config.eval_every == 0:
                    checkpoint = self._checkpoint_of_this_step(checkpoint)
                    self.evaluate(checkpoint)
                if out_of_time:
                    break
        bar.close()
        checkpoint = self._checkpoint_of_this_step(checkpoint)
        summary = self._summary(checkpoint, stopped_by)
        (self.out / SUMMARY_FILE).write_text(json.dumps(summary, indent=2, sort_keys=True) + "\n")
        return DistillResult(self.out, self.step, checkpoint, summary)

    def _checkpoint_of_this_step(self, latest: Path | None) -> Path:
        """``latest`` if it was saved at the current step, else a new checkpoint."""
        return latest if latest == checkpoint_dir(self.out, self.step) else self.save()

    def evaluate(self, checkpoint: Path) -> dict[str, Any] | None:
        """Evaluate a checkpoint's EMA decoder on the held-out dataset through the ``evalkit run`` pipeline."""
        from evalkit.distill.evaluation import evaluate_checkpoint

        return evaluate_checkpoint(self.config, checkpoint, self.student_config)

    def _summary(self, checkpoint: Path, stopped_by: str) -> dict[str, Any]:
        rows = _read_log(self.out / LOG_FILE)
        last = rows[-min(len(rows), 10) :]
        return {
            "step": self.step,
            "seconds": round(self.elapsed, 1),
            "stopped_by": stopped_by,
            "checkpoint": str(checkpoint),
            "student_weights": str(checkpoint / "decoder.safetensors"),
            "teacher": self.teacher_info,
            "loss_last_10_steps": {
                key: sum(float(r[key]) for r in last) / len(last) for key in (last[0] if last else {}) if key != "step"
            },
            "config": self.config.to_dict(),
        }


def _read_log(path: Path) -> list[dict[str, str]]:
    if not path.is_file():
        return []
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))


def _truncate_log(path: Path, step: int) -> None:
    """Drop log rows written after ``step`` (a run interrupted after its last checkpoint)."""
    rows = _read_log(path)
    if not rows:
        return
    kept = [row for row in rows if int(row["step"]) <= step]
    with open(path, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(kept)


def distill(config: DistillConfig, resume: bool = True) -> DistillResult:
    """Build a :class:`Distiller` and train it (resuming from ``config.out`` when it holds checkpoints)."""
    return Distiller(config).train(resume=resume)
