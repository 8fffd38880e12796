"""The frame-count memo: a repeated manifest build opens no video, and any change to a file counts it again."""

from __future__ import annotations

import os
import shutil

import pytest

from evalkit.data import ClipProtocol, build_manifest
from evalkit.data import manifest as manifest_module
from evalkit.data.frame_counts import FrameCountMemo

from .conftest import NUM_FRAMES, SHORT_FRAMES


@pytest.fixture
def folder(tmp_path, media):
    root = tmp_path / "videos"
    root.mkdir()
    for name in ("mp4", "short_avi", "truncated_mp4"):
        shutil.copy(media[name], root / media[name].name)
    return root


def _no_counting(*args, **kwargs):
    raise AssertionError("a remembered file was counted again")


def test_second_build_reuses_counts_and_gives_the_same_manifest(folder, tmp_path, monkeypatch):
    protocol = ClipProtocol(num_frames=8, resolution=None)
    first_memo = FrameCountMemo(tmp_path / "memo.json")
    first = build_manifest("folder", folder, protocol, frame_counts=first_memo)
    assert first_memo.hits == 0
    assert [clip.clip_id for clip in first.clips] == ["clip", "short"]
    assert [(s.clip_id, s.reason.split(":")[0]) for s in first.skipped] == [("truncated", "unreadable")]

    real_count = manifest_module.count_frames
    counted = []
    monkeypatch.setattr(
        "evalkit.data.frame_counts.count_frames", lambda *a: counted.append(a[0].name) or real_count(*a)
    )
    second_memo = FrameCountMemo(tmp_path / "memo.json")
    second = build_manifest("folder", folder, protocol, frame_counts=second_memo)
    assert second_memo.hits == 2
    assert counted == ["truncated.mp4"]  # failures are never remembered: their reason is reported again
    assert second.hash() == first.hash()
    assert second.skipped == first.skipped


def test_changed_file_or_backend_is_counted_again(folder, tmp_path, media, monkeypatch):
    memo = FrameCountMemo(tmp_path / "memo.json")
    assert memo.count(folder / "clip.mp4", "pyav") == NUM_FRAMES
    memo.save()
    shutil.copy(media["short_avi"], folder / "clip.mp4")  # same name, other content (size and mtime change)
    reloaded = FrameCountMemo(tmp_path / "memo.json")
    assert reloaded.count(folder / "clip.mp4", "pyav") == SHORT_FRAMES
    assert reloaded.count(folder / "clip.mp4", "decord") == SHORT_FRAMES
    assert reloaded.hits == 0
    stat = (folder / "clip.mp4").stat()
    os.utime(folder / "clip.mp4", ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    assert reloaded.count(folder / "clip.mp4", "pyav") == SHORT_FRAMES
    assert reloaded.hits == 0
    monkeypatch.setattr("evalkit.data.frame_counts.count_frames", _no_counting)
    assert reloaded.count(folder / "clip.mp4", "pyav") == SHORT_FRAMES
    assert reloaded.hits == 1


def test_damaged_memo_is_ignored_with_a_warning(folder, tmp_path, caplog):
    path = tmp_path / "memo.json"
    path.write_text('{"version": 1, "counts": {', encoding="utf-8")
    memo = FrameCountMemo(path)
    assert f"frame-count memo {path} is unreadable" in caplog.text
    assert memo.count(folder / "clip.mp4", "pyav") == NUM_FRAMES
    memo.save()
    assert FrameCountMemo(path).counts == memo.counts
