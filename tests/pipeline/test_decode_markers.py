"""Decode markers: held only while decoding, left behind by a process that died in it, and released for a
clip that a child process decodes without dying (what ``kill -9`` during a good clip's decode leaves)."""

from __future__ import annotations

import pytest

from evalkit.data import ClipProtocol, build_manifest
from evalkit.pipeline.decode_markers import DecodeMarkers


def test_marker_lives_only_while_decoding(tmp_path):
    markers = DecodeMarkers(tmp_path / "decoding")
    with markers.guard("a/clip 1"):
        assert markers.left_behind() == {"a/clip 1"}
    with pytest.raises(RuntimeError), markers.guard("b"):
        raise RuntimeError("a decode error is an answer, not a death")
    assert markers.left_behind() == set()
    held = markers.guard("died")
    held.__enter__()  # a process killed inside the decoder never leaves the block
    assert markers.left_behind() == {"died"}


def test_release_survivors_drops_markers_of_clips_that_decode_in_a_child(tmp_path):
    manifest = build_manifest("sample", None, ClipProtocol(num_frames=2, resolution=32), max_clips=2)
    markers = DecodeMarkers(tmp_path / "decoding")
    held = [markers.guard(clip_id) for clip_id in ("bigbuckbunny", "bikes", "not-in-the-manifest")]
    for guard in held:
        guard.__enter__()
    markers.release_survivors(manifest, done={"bikes"}, max_frame_pixels=4096 * 4096)
    assert markers.left_behind() == {"bikes", "not-in-the-manifest"}  # journaled or unknown clips are not probed
