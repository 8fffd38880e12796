"""ClipManifest: byte-identical rebuilds, hash sensitivity, round trips and deterministic subsets."""

from __future__ import annotations

import json

import pytest

from evalkit.data import ClipManifest, ClipProtocol, build_manifest
from evalkit.data.manifest import select_subset
from evalkit.data.records import VideoEntry


def test_two_builds_write_byte_identical_manifests(ucf_root, tmp_path):
    first = build_manifest("ucf101", ucf_root, ClipProtocol()).write(tmp_path / "a.json")
    second = build_manifest("ucf101", ucf_root, ClipProtocol()).write(tmp_path / "b.json")
    assert first.read_bytes() == second.read_bytes()
    data = json.loads(first.read_text())
    assert data["protocol_hash"] == ClipProtocol().hash()
    assert data["summary"] == {"clips": 2, "skipped": 4, "empty file (0 bytes)": 1, "missing file": 1, "too short": 2}
    assert data["clips"][0] == {
        "clip_id": "v_ApplyEyeMakeup_g01_c01",
        "source": "UCF-101/ApplyEyeMakeup/v_ApplyEyeMakeup_g01_c01.avi",
        "frame_indices": list(range(17)),
        "label": 0,
    }


def test_read_round_trip_and_relocation(ucf_root, tmp_path):
    manifest = build_manifest("ucf101", ucf_root, ClipProtocol())
    path = manifest.write(tmp_path / "manifest.json")
    loaded = ClipManifest.read(path)
    assert loaded == manifest
    assert loaded.hash() == manifest.hash()
    moved = ClipManifest.read(path, root="/elsewhere")
    assert moved.hash() == manifest.hash()
    assert str(moved.resolve(moved.clips[0])) == "/elsewhere/UCF-101/ApplyEyeMakeup/v_ApplyEyeMakeup_g01_c01.avi"
    tampered = json.loads(path.read_text())
    tampered["clips"][0]["frame_indices"][0] = 5
    path.write_text(json.dumps(tampered))
    with pytest.raises(ValueError, match="does not match its content"):
        ClipManifest.read(path)


def test_hash_follows_protocol_and_selection(ucf_root):
    base = build_manifest("ucf101", ucf_root, ClipProtocol())
    assert build_manifest("ucf101", ucf_root, ClipProtocol(resolution=128)).hash() != base.hash()
    assert build_manifest("ucf101", ucf_root, ClipProtocol(), max_clips=3).hash() != base.hash()
    assert build_manifest("ucf101", ucf_root, ClipProtocol(), split="train").hash() != base.hash()


def test_max_clips_takes_the_list_head_and_never_replaces_bad_videos(ucf_root):
    manifest = build_manifest("ucf101", ucf_root, ClipProtocol(), max_clips=4)
    assert [clip.clip_id for clip in manifest.clips] == ["v_ApplyEyeMakeup_g01_c01", "v_HandStandPushups_g01_c01"]
    assert [skip.clip_id for skip in manifest.skipped] == ["v_YoYo_g01_c01", "v_YoYo_g02_c01"]


def test_stratified_subset_is_round_robin_over_classes():
    entries = [
        VideoEntry(f"{label}{i}", f"{label}{i}.mp4", index) for index, label in enumerate("abc") for i in range(3)
    ]
    picked = select_subset(list(reversed(entries)), 4, stratified=True)
    assert [entry.clip_id for entry in picked] == ["a0", "a1", "b0", "c0"]
    assert [entry.clip_id for entry in select_subset(entries, 2)] == ["a0", "a1"]
    with pytest.raises(ValueError, match="stratified selection needs a class label"):
        select_subset([VideoEntry("x", "x.mp4")], 1, stratified=True)
