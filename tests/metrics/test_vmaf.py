import json
import subprocess

import numpy as np
import pytest
import torch

from evalkit.metrics.three_way import ThreeWay
from evalkit.metrics.vmaf import VMAF, ffmpeg_executable

from .helpers import THREE_WAY


def direct_ffmpeg_vmaf(tmp_path, reference: np.ndarray, distorted: np.ndarray) -> float:
    """libvmaf's pooled mean from the same binary run by hand on raw files (two inputs, distorted first)."""
    height, width = reference.shape[1:3]
    reference.tofile(tmp_path / "reference.rgb")
    distorted.tofile(tmp_path / "distorted.rgb")
    raw = ["-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{width}x{height}", "-r", "25", "-i"]
    to_yuv = "scale=out_color_matrix=bt709:out_range=tv:flags=bicubic+accurate_rnd+full_chroma_int,format=yuv420p"
    graph = (
        f"[0:v]{to_yuv}[distorted];[1:v]{to_yuv}[reference];"
        f"[distorted][reference]libvmaf=model=version=vmaf_v0.6.1:log_fmt=json:log_path={tmp_path / 'log.json'}"
    )
    command = [ffmpeg_executable(), "-loglevel", "error", *raw, str(tmp_path / "distorted.rgb")]
    command += [*raw, str(tmp_path / "reference.rgb"), "-lavfi", graph, "-f", "null", "-"]
    subprocess.run(command, check=True)
    return json.loads((tmp_path / "log.json").read_text())["pooled_metrics"]["vmaf"]["mean"]


def test_equals_ffmpeg_libvmaf_run_directly_on_carphone(carphone, tmp_path):
    pristine, distorted = carphone
    metric = VMAF()
    metric.update(torch.from_numpy(pristine)[None], torch.from_numpy(distorted)[None], ["carphone"])
    value = metric.per_clip()["carphone"]
    assert value == pytest.approx(direct_ffmpeg_vmaf(tmp_path, pristine, distorted), abs=1e-3)
    assert value == pytest.approx(34.7116, abs=1e-3)  # this FFmpeg 9.0.2 build's libvmaf, all 120 frames


def test_reference_and_reconstruction_keep_their_ffmpeg_roles(carphone):
    pristine, distorted = (torch.from_numpy(clip[:12])[None] for clip in carphone)
    forward, swapped, same = VMAF(), VMAF(), VMAF()
    forward.update(pristine, distorted, ["c"])
    swapped.update(distorted, pristine, ["c"])
    same.update(pristine, pristine, ["c"])
    assert same.per_clip()["c"] > 99  # identical clips score at the top of the 0-100 scale
    assert abs(forward.per_clip()["c"] - swapped.per_clip()["c"]) > 3  # VMAF is not symmetric


def test_three_way_scores_each_comparison_in_ffmpeg_order(carphone):
    pristine, distorted = carphone
    clips = {
        "ground_truth": torch.from_numpy(pristine[:8])[None],
        "teacher": torch.from_numpy(distorted[:8])[None],
        "student": torch.from_numpy(distorted[8:16])[None],
    }
    scores = VMAF().score_comparisons(clips, THREE_WAY, ["c"])
    three_way = ThreeWay(VMAF())
    three_way.update(clips["ground_truth"], clips["teacher"], clips["student"], ["c"])
    assert scores == three_way.per_clip()
    assert len({scores[name]["c"] for name in THREE_WAY}) == 3


def test_variant_names_model_conversion_and_binary():
    variant = VMAF().variant
    assert variant["model"] == "vmaf_v0.6.1 (built into libvmaf)"
    assert variant["conversion"].startswith("rgb24 -> yuv420p by swscale, bt709 matrix, tv (limited) range")
    assert variant["ffmpeg"].startswith("ffmpeg version ")
