"""Decode backends: every backend gives the FFmpeg reference frames, seeks instead of decoding everything,
and turns bad input into a DecodeError with a reason."""

from __future__ import annotations

import subprocess

import numpy as np
import pytest
import torch
import torchvision.io

from evalkit.data.backends import DecodeError, backend_status, count_frames, pyav_backend, read_video

from .conftest import FFMPEG, NUM_FRAMES, SHORT_FRAMES, reference_frames


def _backends() -> list:
    status = backend_status()
    return [
        pytest.param(name, marks=pytest.mark.skipif(status[name] != "available", reason=f"{name}: {status[name]}"))
        for name in status
    ]


@pytest.mark.parametrize("backend", _backends())
@pytest.mark.parametrize("container", ["avi", "mp4"])
def test_every_backend_decodes_the_reference_frames(media, backend, container):
    reference = reference_frames(media[container])
    assert len(reference) == NUM_FRAMES
    assert count_frames(media[container], backend) == NUM_FRAMES
    indices = [30, 2, 2, 17, 35, 0]
    frames = read_video(media[container], indices, backend)
    assert frames.dtype == np.uint8
    assert frames.shape == (6, 104, 128, 3)
    np.testing.assert_array_equal(frames, reference[indices])
    np.testing.assert_array_equal(read_video(media[container], None, backend), reference)


class _CountingContainer:
    """Wraps a PyAV container and counts the frames it decodes."""

    decoded = 0

    def __init__(self, container):
        self._container = container

    def __getattr__(self, name):
        return getattr(self._container, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self._container.close()

    def decode(self, *args, **kwargs):
        for frame in self._container.decode(*args, **kwargs):
            _CountingContainer.decoded += 1
            yield frame


def test_pyav_seeks_to_the_nearest_key_frame(media, monkeypatch):
    opener = pyav_backend.av.open
    monkeypatch.setattr(pyav_backend.av, "open", lambda path: _CountingContainer(opener(path)))
    _CountingContainer.decoded = 0
    frames = pyav_backend.read_frames(media["avi"], [25, 26, 27])
    np.testing.assert_array_equal(frames, reference_frames(media["avi"])[25:28])
    # key frames every 12 frames: decoding starts at frame 24, not at frame 0
    assert _CountingContainer.decoded == 4


def test_truncated_avi_counts_only_the_frames_present(media):
    assert count_frames(media["truncated_avi"]) < NUM_FRAMES
    assert count_frames(media["short_avi"]) == SHORT_FRAMES


@pytest.mark.parametrize("backend", _backends())
def test_bad_files_raise_decode_error_with_reason(media, tmp_path, backend):
    empty = tmp_path / "empty.mp4"
    empty.write_bytes(b"")
    with pytest.raises(DecodeError, match="empty file") as info:
        read_video(empty, [0], backend)
    assert info.value.reason == "empty file (0 bytes)"
    with pytest.raises(DecodeError, match="file not found"):
        count_frames(tmp_path / "nothing.avi", backend)
    with pytest.raises(DecodeError) as info:
        count_frames(media["truncated_mp4"], backend)
    assert info.value.reason.startswith("unreadable: ")
    garbage = tmp_path / "garbage.avi"
    garbage.write_bytes(b"RIFF" + bytes(range(256)) * 8)
    with pytest.raises(DecodeError, match="unreadable"):
        read_video(garbage, [0], backend)
    with pytest.raises(DecodeError):
        read_video(media["short_avi"], [SHORT_FRAMES + 5], backend)


def test_grey_alpha_and_audio_only_files_are_rejected_when_counting(media, tmp_path):
    with pytest.raises(DecodeError, match="wrong channels: pixel format gray has 1, expected 3"):
        count_frames(media["gray_mkv"])
    with pytest.raises(DecodeError, match="wrong channels: pixel format yuva420p has 4, expected 3"):
        count_frames(media["alpha_mkv"])
    audio = tmp_path / "audio.wav"
    subprocess.run([FFMPEG, "-v", "error", "-f", "lavfi", "-i", "sine=duration=0.2", str(audio)], check=True)
    with pytest.raises(DecodeError, match="no video stream"):
        count_frames(audio)


def test_unknown_backend_lists_choices():
    with pytest.raises(
        ValueError, match="unknown decode backend 'opencv'; choose one of: auto, decord, pyav, torchcodec"
    ):
        read_video("x.mp4", [0], backend="opencv")


@pytest.mark.filterwarnings("ignore:The image decoding:DeprecationWarning")
def test_frame_folder_matches_torchvision_jpeg_decode(davis_root):
    folder = davis_root / "JPEGImages" / "480p" / "bear"
    assert count_frames(folder) == 20
    frames = read_video(folder, [19, 0, 5])
    files = sorted(folder.glob("*.jpg"))
    reference = [
        torchvision.io.decode_jpeg(torchvision.io.read_file(str(files[i]))).permute(1, 2, 0) for i in (19, 0, 5)
    ]
    assert torch.equal(torch.from_numpy(frames), torch.stack(reference))


def test_grayscale_frame_folder_is_a_wrong_channel_error(davis_root):
    with pytest.raises(DecodeError, match="wrong channels: image mode 'L' has 1, expected RGB"):
        read_video(davis_root / "JPEGImages" / "480p" / "blackswan", [0])


_NO_FFMPEG = "ImportError: torchcodec cannot load FFmpeg's shared libraries (libavutil.so.* not found); install ..."


def test_torchcodec_status_follows_whether_its_ffmpeg_libraries_load():
    import torchcodec

    status = backend_status()["torchcodec"]
    if torchcodec.ffmpeg_major_version is None:  # no system FFmpeg: torchcodec imports but cannot decode
        assert status.startswith("ImportError: torchcodec cannot load FFmpeg")
        assert "apt-get install ffmpeg" in status
    else:
        assert status == "available"


def test_an_unloadable_backend_is_never_chosen_by_auto_and_named_when_asked_for(monkeypatch):
    from evalkit.data import backends

    monkeypatch.setitem(backends._loaded, "decord", _NO_FFMPEG)
    monkeypatch.setitem(backends._loaded, "torchcodec", _NO_FFMPEG)
    assert backends.resolve_backend("auto") == "pyav"
    with pytest.raises(backends.BackendUnavailableError, match=r"'torchcodec' is unavailable: .*libavutil"):
        backends.resolve_backend("torchcodec")


def test_datasets_verify_with_an_unloadable_backend_exits_2_with_one_line(monkeypatch, capsys):
    from evalkit.cli import main
    from evalkit.data import backends

    monkeypatch.setitem(backends._loaded, "torchcodec", _NO_FFMPEG)
    assert main(["datasets", "verify", "sample", "--backend", "torchcodec"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert err[0].startswith("error: decode backend 'torchcodec' is unavailable")
    assert "libavutil" in err[0]
