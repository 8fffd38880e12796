import lpips
import pytest
import torch
import torchvision

from evalkit.metrics import MetricOptions, build_metric, build_metrics
from evalkit.metrics.lpips import LPIPS, build_lpips_network
from evalkit.weights import WeightsUnavailable

from .helpers import THREE_WAY, random_clip_pairs

ALEX_FILE = "alexnet-owt-7be5be79.pth"


@pytest.fixture
def seeded_alexnet(offline):
    """A seeded torchvision AlexNet saved where torch hub keeps alexnet-owt-7be5be79.pth (the 'weights file')."""
    torch.manual_seed(1234)
    path = offline / "torch-home" / "hub" / "checkpoints" / ALEX_FILE
    path.parent.mkdir(parents=True)
    torch.save(torchvision.models.alexnet().state_dict(), path)
    return path


def direct_lpips() -> lpips.LPIPS:
    """The lpips package as users call it; with TORCH_HOME set it loads the seeded backbone file from the hub cache."""
    return lpips.LPIPS(net="alex", verbose=False).eval()


def test_equals_lpips_package_called_directly(seeded_alexnet):
    reference, candidate, ids = random_clip_pairs(2, frames=3, size=(64, 64))
    metric = build_metric("lpips", MetricOptions(lpips_weights=str(seeded_alexnet)))
    metric.update(reference, candidate, ids)
    frames = [
        clips.permute(0, 1, 4, 2, 3).reshape(6, 3, 64, 64).float() / 127.5 - 1.0 for clips in (reference, candidate)
    ]
    with torch.no_grad():
        expected = direct_lpips()(*frames).reshape(2, 3).double().mean(dim=1)
    assert metric.per_clip()["clip0"] == pytest.approx(expected[0].item(), abs=1e-6)
    assert metric.per_clip()["clip1"] == pytest.approx(expected[1].item(), abs=1e-6)
    assert metric.compute()["variant"]["backbone"] == ALEX_FILE


def test_unit_range_frames_are_mapped_to_minus_one_one_exactly_once(seeded_alexnet):
    metric = LPIPS(seeded_alexnet)
    network = metric.network
    generator = torch.Generator().manual_seed(0)
    unit_a, unit_b = torch.rand(2, 4, 3, 48, 48, generator=generator)
    with torch.no_grad():
        ours = metric._frame_values(unit_a, unit_b)["score"]
        mapped_once = network(unit_a * 2 - 1, unit_b * 2 - 1).flatten()
        not_mapped = network(unit_a, unit_b).flatten()
        mapped_twice = network((unit_a * 2 - 1) * 2 - 1, (unit_b * 2 - 1) * 2 - 1).flatten()
    torch.testing.assert_close(ours, mapped_once, atol=1e-6, rtol=0)
    assert (ours - not_mapped).abs().max() > 1e-3
    assert (ours - mapped_twice).abs().max() > 1e-3


def test_cached_backbone_whose_hash_is_not_torchvisions_is_refused(seeded_alexnet):
    with pytest.raises(WeightsUnavailable, match=r"refusing .*alexnet-owt-7be5be79.pth: its sha256 \w+ does not start"):
        build_metric("lpips", MetricOptions(allow_download=False))


def test_missing_backbone_is_unavailable_not_random(offline):
    built, unavailable = build_metrics(["lpips"], MetricOptions())
    assert built == {}
    assert unavailable["lpips"].fetch == "evalkit weights fetch lpips-alex"
    assert ALEX_FILE in unavailable["lpips"].reason


def test_a_file_that_is_not_a_torchvision_backbone_is_refused(tmp_path):
    bogus = tmp_path / "bogus.pth"
    torch.save({"features.0.weight": torch.zeros(1)}, bogus)
    with pytest.raises(ValueError, match=r"bogus.pth is not a torchvision alex checkpoint: it lacks"):
        build_lpips_network("alex", bogus)


def test_comparisons_scored_together_pass_each_side_through_the_backbone_once(seeded_alexnet, monkeypatch):
    ground_truth, teacher, ids = random_clip_pairs(2, frames=3, size=(64, 64), seed=3)
    student = torch.flip(teacher, dims=[1]).contiguous()
    clips = {"ground_truth": ground_truth, "teacher": teacher, "student": student}
    comparisons = THREE_WAY
    metric = LPIPS(seeded_alexnet)
    backbone_frames = []
    forward = metric.network.net.forward
    monkeypatch.setattr(metric.network.net, "forward", lambda x: backbone_frames.append(len(x)) or forward(x))
    together = metric.score_comparisons(clips, comparisons, ids)
    assert sum(backbone_frames) == 3 * 6  # three sides of 6 frames, not six
    for comparison, (reference, candidate) in comparisons.items():
        alone = metric.fresh()
        alone.update(clips[reference], clips[candidate], ids)
        assert together[comparison] == pytest.approx(alone.per_clip(), abs=1e-6)
