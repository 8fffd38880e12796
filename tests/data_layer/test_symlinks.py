"""A `folder` dataset with symbolic links lists each real video once: loops end, aliases collapse."""

from __future__ import annotations

import logging
import os
import shutil

from evalkit.cli import main
from evalkit.data import ClipProtocol, build_manifest


def test_link_loop_and_aliases_list_each_video_once(media, davis_root, tmp_path, capsys, caplog):
    (tmp_path / "a").mkdir()
    shutil.copy(media["avi"], tmp_path / "a" / "clip.avi")
    shutil.copytree(davis_root / "JPEGImages" / "480p" / "bear", tmp_path / "frames")
    os.symlink(".", tmp_path / "loop")  # loop/loop/loop/... would list a/clip.avi forever
    os.symlink("a/clip.avi", tmp_path / "0-alias.avi")  # sorts first, but the video's own path wins
    os.symlink("frames", tmp_path / "frames-again")
    os.symlink("../a", tmp_path / "a" / "up")
    with caplog.at_level(logging.WARNING):
        manifest = build_manifest("folder", tmp_path, ClipProtocol(num_frames=3))
    assert [(clip.clip_id, clip.source) for clip in manifest.clips] == [("a/clip", "a/clip.avi"), ("frames", "frames")]
    assert f"2 paths lead to {tmp_path / 'a' / 'clip.avi'} (symbolic links); it is listed once" in caplog.text
    assert main(["datasets", "verify", "folder", "--root", str(tmp_path)]) == 0
    assert "listed 2, usable 2, skipped 0" in capsys.readouterr().out


def test_a_link_to_itself_is_a_missing_file_not_a_crash(media, tmp_path):
    shutil.copy(media["avi"], tmp_path / "clip.avi")
    os.symlink("self.avi", tmp_path / "self.avi")
    manifest = build_manifest("folder", tmp_path, ClipProtocol(num_frames=3))
    assert [clip.clip_id for clip in manifest.clips] == ["clip"]
    assert [(skip.clip_id, skip.reason) for skip in manifest.skipped] == [("self", "missing file")]
