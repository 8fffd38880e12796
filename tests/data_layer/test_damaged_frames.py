"""A damaged frame inside a clip is refused by every backend, not concealed and scored: a cut-short AVI whose
partial last frame falls in the clip, and bytes flipped inside a frame; FFmpeg's log goes to logging."""

from __future__ import annotations

import ctypes
import logging
from pathlib import Path

import av
import numpy as np
import pytest

from evalkit.data.backends import DecodeError, backend_status, ffmpeg_log, read_video
from tests.data_layer.conftest import AVI, CARPHONE, transcode

FRAMES = 20
BACKENDS = ("decord", "pyav", "torchcodec")


def _packets(path: Path) -> list[tuple[int, int]]:
    """``(byte position, size)`` of every video packet, in file order."""
    with av.open(str(path)) as container:
        return [(packet.pos, packet.size) for packet in container.demux(video=0) if packet.size]


@pytest.fixture(scope="module")
def videos(tmp_path_factory) -> dict[str, Path]:
    """``intact`` (20 frames), ``cut`` (ends half-way into frame 8) and ``flipped`` (40 bytes of frame 5 changed)."""
    folder = tmp_path_factory.mktemp("damaged")
    intact = transcode(CARPHONE, folder / "intact.avi", FRAMES, AVI, keyframe_interval=30)
    data = intact.read_bytes()
    packets = _packets(intact)
    position, size = packets[8]
    (folder / "cut.avi").write_bytes(data[: position + size // 2])
    position, size = packets[5]
    flipped = bytearray(data)
    start = position + size // 3
    flipped[start : start + 40] = bytes(byte ^ 0x5A for byte in flipped[start : start + 40])
    (folder / "flipped.avi").write_bytes(bytes(flipped))
    return {"intact": intact, "cut": folder / "cut.avi", "flipped": folder / "flipped.avi"}


def _available(backend: str) -> None:
    status = backend_status()[backend]
    if status != "available":
        pytest.skip(f"{backend} cannot decode here: {status}")


@pytest.mark.parametrize("backend", BACKENDS)
def test_partial_last_frame_inside_the_clip_is_refused(videos, backend):
    _available(backend)
    with pytest.raises(DecodeError) as caught:
        read_video(videos["cut"], list(range(9)), backend)
    assert caught.value.reason == (
        "damaged frame 8: its packet is truncated or corrupt; the header declares 20 frames, the file holds 9"
    )


@pytest.mark.parametrize("backend", BACKENDS)
def test_frames_before_the_cut_decode_as_the_intact_file(videos, backend):
    _available(backend)
    np.testing.assert_array_equal(
        read_video(videos["cut"], list(range(8)), backend), read_video(videos["intact"], list(range(8)), backend)
    )


@pytest.mark.parametrize(
    ("backend", "reason"),
    [
        ("decord", "damaged frame 5: the decoder reported '[mpeg4] ac-tex damaged at 1 4' and concealed it"),
        ("pyav", "damaged frame 5: the decoder flags it corrupt (concealed errors)"),
    ],
)
def test_flipped_bytes_inside_a_frame_are_refused(videos, backend, reason, capfd):
    _available(backend)
    np.testing.assert_array_equal(read_video(videos["flipped"], [0, 4], backend), read_video(videos["intact"], [0, 4]))
    with pytest.raises(DecodeError) as caught:
        read_video(videos["flipped"], list(range(9)), backend)
    assert caught.value.reason.startswith(reason)
    assert "ac-tex damaged" not in capfd.readouterr().err  # FFmpeg's own line no longer reaches stderr


def test_ffmpeg_lines_go_to_logging_at_debug_level_and_are_collected_by_level(caplog, capfd):
    _available("decord")
    from evalkit.data.backends import decord_backend

    assert decord_backend.LOG_ROUTED
    library = ctypes.CDLL(str(decord_backend._LIBAVUTIL[0]))
    with caplog.at_level(logging.DEBUG, logger=ffmpeg_log.__name__), ffmpeg_log.collect() as lines:
        library.av_log(None, ffmpeg_log.AV_LOG_WARNING, b"stream %d: a warning\n", 3)
        library.av_log(None, 32, b"an info line, not collected\n")
        library.av_log(None, ffmpeg_log.AV_LOG_ERROR, b"an error\n")
    assert lines == [(ffmpeg_log.AV_LOG_WARNING, "stream 3: a warning"), (ffmpeg_log.AV_LOG_ERROR, "an error")]
    assert [(record.levelno, record.getMessage()) for record in caplog.records] == [
        (logging.DEBUG, "ffmpeg: stream 3: a warning"),
        (logging.DEBUG, "ffmpeg: an error"),
    ]
    assert capfd.readouterr().err == ""


@pytest.mark.parametrize("backend", ["decord", "pyav"])
def test_clip_decoded_through_a_damaged_frame_is_refused(videos, backend):
    """Frames 0 and 8 are intact, but 8 is predicted through the damaged frame 5, so its pixels are not."""
    _available(backend)
    with pytest.raises(DecodeError) as caught:
        read_video(videos["flipped"], [0, 8], backend)
    assert caught.value.reason.startswith("damaged frame 5: the decoder ")
