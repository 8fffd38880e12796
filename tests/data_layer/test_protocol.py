"""ClipProtocol: frame selection golden values, hashing, serialisation, resize against PIL, model input range."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch
from PIL import Image

from evalkit.data.protocol import ClipProtocol


def test_defaults_are_the_turbo_vaed_protocol():
    protocol = ClipProtocol()
    assert (protocol.num_frames, protocol.frame_stride, protocol.start) == (17, 1, "first")
    assert (protocol.resolution, protocol.crop, protocol.short_policy) == (256, "center", "skip")
    assert protocol.select_indices(120) == list(range(17))


@pytest.mark.parametrize(
    ("kwargs", "available", "expected"),
    [
        ({"num_frames": 4, "frame_stride": 2}, 20, [0, 2, 4, 6]),
        ({"num_frames": 4, "frame_stride": 2, "start": "center"}, 20, [6, 8, 10, 12]),
        ({"num_frames": 3, "start": "center"}, 4, [0, 1, 2]),
        ({"num_frames": 5, "short_policy": "pad-last"}, 3, [0, 1, 2, 2, 2]),
        ({"num_frames": 5, "frame_stride": 2, "short_policy": "pad-last"}, 6, [0, 2, 4, 5, 5]),
        ({"num_frames": 5, "short_policy": "loop"}, 3, [0, 1, 2, 0, 1]),
        ({"num_frames": None, "frame_stride": 3}, 10, [0, 3, 6, 9]),
        ({"num_frames": "all"}, 3, [0, 1, 2]),
    ],
)
def test_select_indices_golden(kwargs, available, expected):
    assert ClipProtocol(**kwargs).select_indices(available) == expected


def test_too_short_is_skipped_with_a_reason():
    protocol = ClipProtocol(num_frames=17, frame_stride=2)
    assert protocol.select_indices(32) is None
    assert protocol.too_short_reason(32) == "too short: 32 frames < 33 needed (17 frames at stride 2)"
    assert protocol.too_short_reason(33) is None
    assert ClipProtocol(short_policy="loop").too_short_reason(0) == "video has no frames"


def test_random_start_is_seeded_per_clip_and_in_range():
    protocol = ClipProtocol(num_frames=5, start="random", seed=3)
    starts = {clip: protocol.select_indices(100, clip)[0] for clip in ("a", "b", "c", "d", "e", "f")}
    assert starts == {clip: protocol.select_indices(100, clip)[0] for clip in starts}
    assert len(set(starts.values())) > 1
    assert all(0 <= start <= 95 for start in starts.values())
    other_seed = ClipProtocol(num_frames=5, start="random", seed=4)
    assert [other_seed.select_indices(100, clip)[0] for clip in starts] != list(starts.values())
    indices = protocol.select_indices(100, "a")
    assert indices == list(range(indices[0], indices[0] + 5))


def test_hash_changes_with_every_field_and_round_trips():
    base = ClipProtocol()
    changed = {
        "num_frames": 16,
        "frame_stride": 2,
        "start": "center",
        "seed": 1,
        "resolution": 128,
        "crop": "none",
        "spatial_multiple": 32,
        "resize_filter": "bicubic",
        "antialias": False,
        "short_policy": "loop",
    }
    assert set(changed) == {f.name for f in dataclasses.fields(ClipProtocol)}
    hashes = {base.hash()} | {dataclasses.replace(base, **{k: v}).hash() for k, v in changed.items()}
    assert len(hashes) == len(changed) + 1
    assert len(base.hash()) == 12
    assert ClipProtocol.from_dict(base.to_dict()) == base
    assert ClipProtocol.from_dict({"num_frames": "all", "resolution": "native"}).to_dict()["num_frames"] is None


def test_bad_values_name_the_field_and_choices():
    with pytest.raises(
        ValueError, match=r"ClipProtocol.start='middle' is not valid; choose one of: first, center, random"
    ):
        ClipProtocol(start="middle")
    with pytest.raises(ValueError, match=r"ClipProtocol.num_frames must be a positive integer, got 0"):
        ClipProtocol(num_frames=0)
    with pytest.raises(ValueError, match=r"unknown clip protocol field\(s\) \['frames'\]"):
        ClipProtocol.from_dict({"frames": 17})


def _pil_reference(frame: np.ndarray, size: tuple[int, int], crop: int | None) -> np.ndarray:
    """Independent reference: PIL's antialiased bilinear resize, then a centre crop."""
    height, width = size
    image = Image.fromarray(frame).resize((width, height), Image.BILINEAR)
    out = np.asarray(image)
    if crop is None:
        return out
    top, left = (height - crop) // 2, (width - crop) // 2
    return out[top : top + crop, left : left + crop]


def test_transform_short_side_then_center_crop_matches_pil():
    rng = np.random.default_rng(0)
    smooth = rng.integers(0, 256, size=(2, 18, 22, 3)).repeat(8, axis=1).repeat(8, axis=2).astype(np.uint8)
    frames = np.ascontiguousarray(smooth[:, :144, :176])
    out = ClipProtocol(resolution=64).transform(frames)
    assert out.shape == (2, 64, 64, 3)
    assert out.dtype == np.uint8
    reference = np.stack([_pil_reference(f, (64, 78), 64) for f in frames])
    assert np.abs(out.astype(int) - reference).max() <= 1
    tensor_out = ClipProtocol(resolution=64).transform(torch.from_numpy(frames))
    assert torch.equal(tensor_out, torch.from_numpy(out))


def test_transform_without_crop_rounds_to_the_spatial_multiple():
    frames = np.zeros((1, 272, 640, 3), np.uint8)
    assert ClipProtocol(resolution=128, crop="none", spatial_multiple=32).transform(frames).shape == (1, 128, 288, 3)
    assert ClipProtocol(resolution=128, crop="none", spatial_multiple=8).transform(frames).shape == (1, 128, 304, 3)
    assert ClipProtocol(resolution="native").transform(frames) is frames


def test_to_model_input_layout_and_range():
    frames = torch.tensor([0, 255, 128], dtype=torch.uint8).view(1, 1, 1, 1, 3).expand(2, 3, 4, 5, 3).contiguous()
    x = ClipProtocol.to_model_input(frames)
    assert x.shape == (2, 3, 3, 4, 5)
    assert x.dtype == torch.float32
    assert x[0, :, 0, 0, 0].tolist() == pytest.approx([-1.0, 1.0, 128 / 127.5 - 1], abs=1e-6)
    with pytest.raises(ValueError, match=r"expected uint8 frames shaped \(B, T, H, W, 3\)"):
        ClipProtocol.to_model_input(frames[0])
