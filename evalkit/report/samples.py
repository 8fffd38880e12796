"""Sample frames a run keeps for its report: ground truth, teacher and student output of a few clips.

Layout: ``<run_dir>/samples/NNN.npz``, one compressed file per clip with a string ``clip_id`` and uint8
``(T, H, W, 3)`` arrays ``ground_truth``, ``teacher``, ``student``. The pipeline writes them with
:func:`write_sample` while it has the decoded frames; the report only reads them, so it never decodes.
Deflate level 1 takes a third of numpy's default-level time for about 30% more bytes; the run pays it.
"""

from __future__ import annotations

import logging
import os
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from evalkit.atomic import atomic_path

logger = logging.getLogger(__name__)

SAMPLES_DIR = "samples"
_ARRAYS = ("ground_truth", "teacher", "student")


@dataclass(frozen=True)
class Sample:
    """The frames of one clip as ground truth, teacher output and student output, uint8 (T, H, W, 3)."""

    clip_id: str
    ground_truth: np.ndarray
    teacher: np.ndarray
    student: np.ndarray


def _check(path: Path | str, name: str, frames: np.ndarray, shape: tuple[int, ...]) -> None:
    if frames.dtype != np.uint8 or frames.ndim != 4 or frames.shape[-1] != 3 or frames.shape != shape:
        raise ValueError(
            f"{path}: sample array {name!r} must be uint8 (T, H, W, 3) like ground_truth {shape}; "
            f"got {frames.dtype} {tuple(frames.shape)}"
        )


def write_sample(
    run_dir: str | os.PathLike[str],
    index: int,
    clip_id: str,
    ground_truth: np.ndarray,
    teacher: np.ndarray,
    student: np.ndarray,
) -> Path:
    """Store one clip's frames as ``samples/{index:03d}.npz`` in ``run_dir``, atomically."""
    shape = tuple(ground_truth.shape)
    arrays = {"ground_truth": ground_truth, "teacher": teacher, "student": student}
    for name, frames in arrays.items():
        _check(f"sample {clip_id!r}", name, frames, shape)
    folder = Path(run_dir) / SAMPLES_DIR
    target = folder / f"{index:03d}.npz"
    with atomic_path(target) as tmp:
        _write_npz(tmp, {"clip_id": np.array(clip_id), **arrays})
    return target


def _write_npz(path: Path, arrays: dict[str, np.ndarray]) -> None:
    """An ``.npz`` that :func:`numpy.load` reads, deflated at level 1 (``np.savez_compressed`` has no level)."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for name, array in arrays.items():
            with archive.open(f"{name}.npy", "w", force_zip64=True) as member:
                np.lib.format.write_array(member, np.asanyarray(array), allow_pickle=False)


def _read_sample(path: Path) -> Sample:
    with np.load(path, allow_pickle=False) as data:
        missing = [key for key in ("clip_id", *_ARRAYS) if key not in data.files]
        if missing:
            raise ValueError(f"{path}: sample file lacks {', '.join(missing)}; re-run `evalkit run`")
        arrays = {name: data[name] for name in _ARRAYS}
        clip_id = str(data["clip_id"])
    for name, frames in arrays.items():
        _check(path, name, frames, tuple(arrays["ground_truth"].shape))
    return Sample(clip_id, **arrays)


def read_samples(run_dir: str | os.PathLike[str]) -> list[Sample]:
    """Every sample saved in ``run_dir``, in file order; an empty list when the run saved none.

    Raises:
        ValueError: if a sample file lacks an array or holds arrays of the wrong type or shape.
    """
    samples = []
    for path in sorted((Path(run_dir) / SAMPLES_DIR).glob("[0-9]*.npz")):
        try:
            samples.append(_read_sample(path))
        except (OSError, EOFError, ValueError, zipfile.BadZipFile) as exc:
            logger.warning("%s: damaged sample file (%s); the report shows no frames for it", path, exc)
    logger.debug("read %d samples from %s", len(samples), run_dir)
    return samples
