import torch

from evalkit.models.quantize import finite_clips, to_uint8_clips
from evalkit.pipeline.sharding import RankContext, shard


def test_quantisation_golden_values():
    values = torch.tensor([-2.0, -1.0, -0.5, 0.0, 0.5, 1.0, 3.0, 1 / 255])
    pixels = values.reshape(1, 1, 1, 1, 8).expand(1, 3, 1, 1, 8)
    clips = to_uint8_clips(pixels)
    assert clips.shape == (1, 1, 1, 8, 3)
    assert clips.dtype == torch.uint8
    # (x + 1) * 127.5, rounded half to even: -0.5 -> 63.75 -> 64, 0 -> 127.5 -> 128, 0.5 -> 191.25 -> 191
    assert clips[0, 0, 0, :, 0].tolist() == [0, 0, 64, 128, 191, 255, 255, 128]


def test_finite_clips_flags_nan_and_inf():
    batch = torch.zeros(3, 3, 2, 2, 2)
    batch[1, 0, 0, 0, 0] = float("nan")
    batch[2, 2, 1, 1, 1] = float("inf")
    assert finite_clips(batch).tolist() == [True, False, False]


def test_shard_has_no_duplicates_or_padding():
    items = list(range(7))
    shards = [shard(items, RankContext(rank, 3)) for rank in range(3)]
    assert shards == [[0, 3, 6], [1, 4], [2, 5]]
    assert sorted(sum(shards, [])) == items
