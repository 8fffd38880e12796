import json

import numpy as np
import pytest
import torch

from evalkit.metrics.psnr import PSNR
from evalkit.metrics.ssim import SSIM
from evalkit.metrics.temporal import TemporalDiffError
from evalkit.metrics.three_way import ThreeWay

from .helpers import THREE_WAY, random_clip_pairs

METRIC_FACTORIES = {
    "psnr": lambda **kw: PSNR(**kw),
    "ssim": lambda **kw: SSIM("wang", **kw),
    "ssim-torchmetrics": lambda **kw: SSIM("torchmetrics", **kw),
    "tdiff": lambda **kw: TemporalDiffError(**kw),
}


@pytest.mark.parametrize("name", METRIC_FACTORIES)
@pytest.mark.parametrize("splits", [[1, 2, 3], [5], [2, 4]])
def test_any_batch_split_and_frame_batch_give_the_one_shot_values(name, splits):
    reference, candidate, ids = random_clip_pairs(6, frames=3, size=(16, 16))
    one_shot = METRIC_FACTORIES[name]()
    one_shot.update(reference, candidate, ids)
    streamed = METRIC_FACTORIES[name](frame_batch=2)
    for chunk in np.split(np.arange(6), splits):
        streamed.update(reference[chunk], candidate[chunk], [ids[i] for i in chunk])
    assert streamed.per_clip() == pytest.approx(one_shot.per_clip(), abs=1e-12)
    assert streamed.compute()["value"] == pytest.approx(one_shot.compute()["value"], abs=1e-12)


@pytest.mark.parametrize("name", METRIC_FACTORIES)
def test_json_state_round_trip_and_rank_merge(name):
    reference, candidate, ids = random_clip_pairs(5, frames=3, size=(16, 16), seed=2)
    one_shot = METRIC_FACTORIES[name]()
    one_shot.update(reference, candidate, ids)
    rank0, rank1 = METRIC_FACTORIES[name](), METRIC_FACTORIES[name]()
    rank0.update(reference[:2], candidate[:2], ids[:2])
    rank1.update(reference[2:], candidate[2:], ids[2:])
    rank0.merge(json.loads(json.dumps(rank1.state_dict())))
    resumed = METRIC_FACTORIES[name]()
    resumed.load_state_dict(json.loads(json.dumps(rank0.state_dict())))
    resumed_result, one_shot_result = resumed.compute(), one_shot.compute()
    assert resumed_result.pop("value") == pytest.approx(one_shot_result.pop("value"), abs=1e-12)
    assert resumed_result == one_shot_result
    with pytest.raises(ValueError, match="clips scored on both sides: \\['clip2', 'clip3', 'clip4'\\]"):
        resumed.merge(rank1)


def test_states_of_other_variants_are_refused():
    reference, candidate, ids = random_clip_pairs(1, frames=2, size=(16, 16))
    torchmetrics_ssim = SSIM("torchmetrics")
    torchmetrics_ssim.update(reference, candidate, ids)
    with pytest.raises(ValueError, match="saved variant .* differs"):
        SSIM("wang").merge(torchmetrics_ssim)
    with pytest.raises(ValueError, match="ssim: cannot load a state saved by metric 'psnr'"):
        SSIM("wang").load_state_dict(PSNR().state_dict())


def test_temporal_diff_error_ignores_static_offsets_and_sees_flicker():
    reference = torch.full((1, 4, 8, 8, 3), 100, dtype=torch.uint8)
    shifted = reference + 20
    flicker = reference.clone()
    flicker[:, 1::2] += 51
    metric = TemporalDiffError()
    metric.update(reference, shifted, ["shifted"])
    metric.update(reference, flicker, ["flicker"])
    assert metric.per_clip() == pytest.approx({"shifted": 0.0, "flicker": 51 / 255})


def test_three_way_scores_each_comparison_in_order():
    truth, teacher, ids = random_clip_pairs(3, frames=2, size=(16, 16), seed=4)
    student = (teacher.int() - 17).clamp(0, 255).to(torch.uint8)
    three_way = ThreeWay(PSNR())
    three_way.update(truth, teacher, student, ids)
    for comparison, (ref, cand) in {
        "teacher": (truth, teacher),
        "student": (truth, student),
        "student_vs_teacher": (teacher, student),
    }.items():
        single = PSNR()
        single.update(ref, cand, ids)
        assert three_way.per_clip()[comparison] == single.per_clip()
    teacher_only = ThreeWay(PSNR(), teacher_only=True)
    with pytest.raises(ValueError, match="psnr: student clips are not expected"):
        teacher_only.update(truth, teacher, student, ids)


def test_frames_per_call_follow_the_cpu_cache_budget_unless_fixed():
    from evalkit.metrics.base import CPU_CHUNK_PIXELS

    assert CPU_CHUNK_PIXELS == 2**17
    auto = SSIM("wang")
    assert [auto.chunk_frames(side, side) for side in (64, 128, 256, 1024)] == [32, 8, 2, 1]
    assert SSIM("wang", frame_batch=5).chunk_frames(256, 256) == 5
    assert SSIM("wang", device="meta").chunk_frames(256, 256) == 32
    with pytest.raises(ValueError, match="frame_batch must be >= 1, got 0"):
        PSNR(frame_batch=0)


def test_automatic_chunks_give_the_single_frame_values():
    reference, candidate, ids = random_clip_pairs(2, frames=9, size=(128, 128), seed=4)
    auto, single = SSIM("wang"), SSIM("wang", frame_batch=1)
    auto.update(reference, candidate, ids)
    single.update(reference, candidate, ids)
    assert auto.chunk_frames(128, 128) == 8  # 18 frames: calls of 8, 8 and 2
    assert auto.per_clip() == pytest.approx(single.per_clip(), abs=1e-7)  # float32 sums differ by batch


@pytest.mark.parametrize("name", METRIC_FACTORIES)
def test_comparisons_scored_together_equal_one_update_each(name):
    ground_truth, teacher, ids = random_clip_pairs(3, frames=5, size=(24, 20), seed=6)
    student = torch.flip(teacher, dims=[0]).contiguous()
    clips = {"ground_truth": ground_truth, "teacher": teacher, "student": student}
    comparisons = THREE_WAY
    together = METRIC_FACTORIES[name](frame_batch=4).score_comparisons(clips, comparisons, ids)
    assert list(together) == list(comparisons)
    for comparison, (reference, candidate) in comparisons.items():
        alone = METRIC_FACTORIES[name]()
        alone.update(clips[reference], clips[candidate], ids)
        assert together[comparison] == pytest.approx(alone.per_clip(), abs=1e-7)
    assert together["student"] != pytest.approx(together["teacher"], abs=1e-3)
    with pytest.raises(ValueError, match="reference and candidate shapes differ"):
        METRIC_FACTORIES[name]().score_comparisons({**clips, "student": student[:, :4]}, comparisons, ids)
