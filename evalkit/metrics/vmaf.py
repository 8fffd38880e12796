"""VMAF through the libvmaf filter of the FFmpeg binary that ``imageio-ffmpeg`` ships (model ``vmaf_v0.6.1``).

Each clip goes to FFmpeg as raw ``rgb24`` through one pipe, reconstruction and reference side by side in one
frame (no lossy re-encode); FFmpeg crops the two halves apart, converts each with swscale to ``yuv420p``
(BT.709 matrix, limited range, accurate rounding) and feeds libvmaf in its input order: main = distorted =
the reconstruction, second = reference. VMAF v0.6.1 reads luma only, so the chroma subsampling does not move
the score. Frames are scored at their own size (no upscale to the model's 1080p viewing condition); per clip =
mean of libvmaf's per-frame VMAF (its temporal motion feature needs the clip's frames in order, so a clip is
never split); higher is better, 0-100.
"""

from __future__ import annotations

import json
import subprocess
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Any, ClassVar

import torch

from evalkit.metrics.base import FrameAveragedMetric
from evalkit.metrics.factory import MetricUnavailableError

VMAF_MODEL = "vmaf_v0.6.1"
PIXEL_FORMAT = "yuv420p"
COLOR_MATRIX = "bt709"
COLOR_RANGE = "tv"
SCALE_FLAGS = "bicubic+accurate_rnd+full_chroma_int"
CONVERSION = f"scale=out_color_matrix={COLOR_MATRIX}:out_range={COLOR_RANGE}:flags={SCALE_FLAGS},format={PIXEL_FORMAT}"


@lru_cache(maxsize=1)
def ffmpeg_executable() -> str:
    """Path of the FFmpeg binary bundled with imageio-ffmpeg (the one whose libvmaf every VMAF here comes from)."""
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


@lru_cache(maxsize=1)
def ffmpeg_version() -> str:
    """The binary's version line, e.g. ``ffmpeg version n9.0.2-...`` (it fixes the libvmaf build)."""
    completed = subprocess.run([ffmpeg_executable(), "-version"], capture_output=True, text=True, check=True)
    return completed.stdout.splitlines()[0].split(" Copyright")[0].strip()


@lru_cache(maxsize=1)
def has_libvmaf() -> bool:
    """Whether the bundled FFmpeg was built with the libvmaf filter."""
    completed = subprocess.run([ffmpeg_executable(), "-hide_banner", "-filters"], capture_output=True, text=True)
    return any(line.split()[1:2] == ["libvmaf"] for line in completed.stdout.splitlines())


def vmaf_graph(width: int, height: int, log_path: str, threads: int = 1) -> str:
    """The filter graph for one ``2*width x height`` frame holding [distorted | reference] side by side."""
    return (
        f"[0:v]split[left][right];"
        f"[left]crop={width}:{height}:0:0,{CONVERSION}[distorted];"
        f"[right]crop={width}:{height}:{width}:0,{CONVERSION}[reference];"
        f"[distorted][reference]libvmaf=model=version={VMAF_MODEL}:log_fmt=json:log_path={log_path}"
        f":n_threads={threads}"
    )


def clip_vmaf(reference: torch.Tensor, distorted: torch.Tensor) -> torch.Tensor:
    """Per-frame VMAF of one uint8 clip pair ``(T, H, W, 3)`` from libvmaf's JSON log; returns ``(T,)`` float64."""
    frames, height, width, _ = reference.shape
    side_by_side = torch.cat([distorted, reference], dim=2).cpu().contiguous().numpy()
    with tempfile.TemporaryDirectory(prefix="evalkit-vmaf-") as folder:
        log = Path(folder) / "vmaf.json"
        raw_input = f"-hide_banner -loglevel error -f rawvideo -pix_fmt rgb24 -s {2 * width}x{height} -r 25 -i pipe:0"
        command = [
            ffmpeg_executable(),
            *raw_input.split(),
            "-lavfi",
            vmaf_graph(width, height, str(log)),
            "-f",
            "null",
            "-",
        ]
        completed = subprocess.run(command, input=side_by_side.tobytes(), capture_output=True)
        if completed.returncode != 0:
            message = completed.stderr.decode(errors="replace").strip().splitlines()
            raise RuntimeError(f"ffmpeg libvmaf failed ({ffmpeg_executable()}): {message[-1] if message else '?'}")
        scores = [frame["metrics"]["vmaf"] for frame in json.loads(log.read_text())["frames"]]
    if len(scores) != frames:
        raise RuntimeError(f"ffmpeg libvmaf scored {len(scores)} frames of a {frames}-frame clip")
    return torch.tensor(scores, dtype=torch.float64)


class VMAF(FrameAveragedMetric):
    """Streaming VMAF: libvmaf per frame on whole clips, mean per clip, mean over clips (higher is better)."""

    name: ClassVar[str] = "vmaf"
    higher_is_better: ClassVar[bool] = True

    def __init__(self, device: str | torch.device = "cpu", frame_batch: int | None = None) -> None:
        if not has_libvmaf():
            raise MetricUnavailableError(
                f"{ffmpeg_executable()} has no libvmaf filter; install an imageio-ffmpeg whose binary includes it "
                "(`pip install -U imageio-ffmpeg`) or point IMAGEIO_FFMPEG_EXE at an FFmpeg built --enable-libvmaf"
            )
        super().__init__(device=device, frame_batch=frame_batch)

    @property
    def variant(self) -> dict[str, Any]:
        """VMAF settings recorded with every result."""
        return {
            "model": f"{VMAF_MODEL} (built into libvmaf)",
            "ffmpeg": ffmpeg_version(),
            "input": "uint8 rgb24 through a pipe, no re-encode",
            "conversion": f"rgb24 -> {PIXEL_FORMAT} by swscale, {COLOR_MATRIX} matrix, {COLOR_RANGE} (limited) range, "
            f"flags {SCALE_FLAGS}",
            "order": "ffmpeg main = reconstruction (distorted), second = reference",
            "size": "native frame size, no upscale",
            "aggregation": "per-frame VMAF, mean per clip, mean over clips",
        }

    def _frame_values(self, reference: torch.Tensor, candidate: torch.Tensor) -> dict[str, torch.Tensor]:
        """Not used: VMAF's motion feature needs whole uint8 clips in order, so :meth:`_per_frame` scores clips."""
        raise TypeError("VMAF scores whole uint8 clips; call update() or score_comparisons()")

    def _per_frame(
        self, clips: dict[str, torch.Tensor], comparisons: dict[str, tuple[str, str]]
    ) -> dict[str, dict[str, torch.Tensor]]:
        """``{comparison: {"score": (B, T)}}``, one FFmpeg call per clip and comparison (VMAF needs whole clips)."""
        return {
            comparison: {
                "score": torch.stack(
                    [clip_vmaf(ref, cand) for ref, cand in zip(clips[reference], clips[candidate], strict=True)]
                )
            }
            for comparison, (reference, candidate) in comparisons.items()
        }
