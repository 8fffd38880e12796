from evalkit.results.sample_size import comparability_note, extrapolation_lines, metric_caption
from evalkit.results.schema import MetricResult

TITLES = {"teacher": "teacher", "student": "student"}


def _fvd(variant, extrapolated=None) -> MetricResult:
    return MetricResult("fvd", True, False, "FVD", variant=variant, per_clip=False, extrapolated=extrapolated)


def test_caption_names_protocol_frames_and_clips_and_leaves_other_metrics_alone():
    fvd = _fvd({"name": "turbo-vaed-compat", "title": "Turbo-VAED-compat", "n_clips": 3, "frames": 17})
    assert metric_caption(fvd) == "FVD Turbo-VAED-compat, 17 f, N=3"
    assert metric_caption(MetricResult("psnr", True, True, "PSNR", variant={"data_range": 1})) == "PSNR"


def test_comparability_note_only_below_the_minimum():
    assert comparability_note(_fvd({"n_clips": 3, "min_clips": 800, "comparable": False})) == (
        "not comparable: N=3 clips per set is below the minimum of 800 (FVD's small-N bias)"
    )
    assert comparability_note(_fvd({"n_clips": 800, "min_clips": 800, "comparable": True})) is None


def test_extrapolation_lines_per_comparison_or_one_shared_reason():
    fit = {"available": True, "value": 12.345, "fit_residual": 0.5, "subset_sizes": [400, 600, 900]}
    missing = {"available": False, "reason": "cached reference stats"}
    mixed = _fvd({}, {"label": "FVD∞", "values": {"teacher": fit, "student": missing}})
    assert extrapolation_lines(mixed, TITLES) == [
        "FVD∞ teacher: 12.35 (fit residual 0.50; subsets of 400-900 clips)",
        "FVD∞ student: unavailable (cached reference stats)",
    ]
    none = _fvd({}, {"label": "FVD∞", "values": {"teacher": missing, "student": missing}})
    assert extrapolation_lines(none, TITLES) == ["FVD∞: unavailable (cached reference stats)"]
    assert extrapolation_lines(_fvd({}), TITLES) == []
