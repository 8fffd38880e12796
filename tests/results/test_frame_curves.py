import pytest

from evalkit.results.frame_curves import find_dips, frame_curves


def _record(clip_id: str, teacher: list[float], student: list[float], status: str = "ok") -> dict:
    return {"clip_id": clip_id, "status": status, "frame_values": {"psnr.teacher": teacher, "psnr.student": student}}


def test_curves_are_means_by_index_and_gap_is_the_student_loss():
    records = [
        _record("a", [30.0, 32.0, 32.0, 32.0], [28.0, 31.0, 31.0, 30.0]),
        _record("b", [34.0, 36.0, 36.0, 36.0], [30.0, 35.0, 35.0, 34.0]),
        _record("failed", [0.0] * 4, [0.0] * 4, status="failed"),
    ]
    section = frame_curves(records, {"psnr": True}, period=None)
    psnr = section["metrics"]["psnr"]
    assert section["num_clips"] == 2
    assert psnr["teacher"] == [32.0, 34.0, 34.0, 34.0]
    assert psnr["student"] == [29.0, 33.0, 33.0, 32.0]
    assert psnr["gap"] == [3.0, 1.0, 1.0, 2.0]
    assert psnr["worst_index"] == {"teacher": 0, "student": 0, "gap": 0}
    # the gap at frame 0 (3 dB) exceeds the mean of the rest (4/3 dB) by 5/3 dB > the 0.5 dB margin
    assert psnr["dips"]["gap"] == [{"kind": "first_frame", "indices": [0], "depth": pytest.approx(5 / 3)}]


def test_lower_is_better_metrics_flip_the_gap_and_the_worst_index():
    records = [{"status": "ok", "frame_values": {"tdiff.teacher": [0.01, 0.03], "tdiff.student": [0.02, 0.05]}}]
    tdiff = frame_curves(records, {"tdiff": False}, period=None)["metrics"]["tdiff"]
    assert tdiff["gap"] == pytest.approx([0.01, 0.02])
    assert tdiff["worst_index"] == {"teacher": 1, "student": 1, "gap": 1}


def test_periodic_dip_is_found_at_its_phase_and_small_dips_are_not_flagged():
    curve = [30.0] * 17
    for index in (4, 12):  # every 8th frame from phase 4
        curve[index] = 28.0
    dips = find_dips(curve, bad_is_high=False, margin=0.5, period=8)
    assert dips == [{"kind": "periodic", "period": 8, "phase": 4, "indices": [4, 12], "depth": pytest.approx(2.0)}]
    assert find_dips(curve, bad_is_high=False, margin=2.5, period=8) == []
    curve[0] = 29.8  # above the mean of the rest (29.75, lowered by the periodic dips): no first-frame dip
    assert [dip["kind"] for dip in find_dips(curve, bad_is_high=False, margin=0.5, period=8)] == ["periodic"]


def test_no_frame_values_means_no_section():
    assert frame_curves([{"status": "ok", "values": {}}], {"psnr": True}, period=8) is None
