"""Random training windows: shapes, content, determinism and exact resume."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from evalkit.distill.sampler import RandomClipSampler, TrainingVideo


def _frame_folder(path, frames: int, height: int, width: int):
    """Frames whose red channel holds the frame index and green/blue the pixel row/column (so crops are traceable)."""
    path.mkdir()
    rows, cols = np.meshgrid(np.arange(height), np.arange(width), indexing="ij")
    for t in range(frames):
        image = np.stack([np.full((height, width), t), rows, cols], axis=-1).astype(np.uint8)
        Image.fromarray(image).save(path / f"{t:05d}.png")
    return TrainingVideo(path, frames)


@pytest.fixture
def videos(tmp_path):
    return [_frame_folder(tmp_path / "a", 12, 40, 48), _frame_folder(tmp_path / "b", 9, 32, 32)]


def test_windows_are_consecutive_frames_and_exact_crops(videos):
    sampler = RandomClipSampler(videos, num_frames=5, crop_size=16, resolution=None, hflip=False, seed=3)
    for _ in range(10):
        window = sampler.draw().numpy()
        assert window.shape == (5, 16, 16, 3)
        assert window.dtype == np.uint8
        red, green, blue = window[..., 0], window[..., 1], window[..., 2]
        assert np.array_equal(red[:, 0, 0], red[0, 0, 0] + np.arange(5))
        assert np.array_equal(green[0, :, 0], green[0, 0, 0] + np.arange(16))
        assert np.array_equal(blue[0, 0, :], blue[0, 0, 0] + np.arange(16))


def test_flip_reverses_columns(videos):
    flipped = [RandomClipSampler(videos, 5, 16, resolution=None, seed=s).draw() for s in range(8)]
    columns = [w[0, 0, :, 2].numpy() for w in flipped]
    assert any(np.all(np.diff(c.astype(int)) == -1) for c in columns)
    assert any(np.all(np.diff(c.astype(int)) == 1) for c in columns)


def test_resize_to_short_side(videos):
    sampler = RandomClipSampler(videos[:1], 5, 16, resolution=20, hflip=False, seed=0)
    window = sampler.draw()
    assert window.shape == (5, 16, 16, 3)
    assert int(window[0, :, 0, 1].max()) - int(window[0, :, 0, 1].min()) > 16  # rows span twice as much: 40 -> 20


def test_same_seed_same_batches_and_state_resumes(videos):
    first = RandomClipSampler(videos, 5, 16, resolution=None, seed=7, cache=True)
    second = RandomClipSampler(videos, 5, 16, resolution=None, seed=7)
    assert torch.equal(first.batch(3), second.batch(3))
    state = first.state_dict()
    expected = first.batch(2)
    resumed = RandomClipSampler(videos, 5, 16, resolution=None, seed=123)
    resumed.load_state_dict(state)
    assert torch.equal(resumed.batch(2), expected)


def test_bad_settings_name_the_problem(videos):
    with pytest.raises(ValueError, match=r"videos shorter than the 10-frame training window: .*b \(9 frames\)"):
        RandomClipSampler(videos, num_frames=10, crop_size=16, resolution=None)
    with pytest.raises(ValueError, match="crop_size 64 exceeds the resized short side 32"):
        RandomClipSampler(videos, num_frames=5, crop_size=64, resolution=32)
    with pytest.raises(ValueError, match="needs at least one training video"):
        RandomClipSampler([], num_frames=5, crop_size=16)


def test_channel_shuffle_permutes_the_rgb_channels_of_the_same_window(videos):
    plain = RandomClipSampler(videos, 5, 16, resolution=None, hflip=False, seed=5)
    shuffled = RandomClipSampler(videos, 5, 16, resolution=None, hflip=False, channel_shuffle=True, seed=5)
    orders = set()
    for _ in range(30):
        window, permuted = plain.draw(), shuffled.draw()
        # the channel order is the last draw, so both samplers chose the same window and crop
        order = tuple(next(c for c in range(3) if torch.equal(permuted[..., i], window[..., c])) for i in range(3))
        assert sorted(order) == [0, 1, 2]
        assert torch.equal(permuted, window[..., list(order)])
        orders.add(order)
        plain.generator.set_state(shuffled.generator.get_state())
    assert len(orders) == 6
