from evalkit.report.cost import NOT_MEASURED, CostRow, cost_view, shape_label


def _shape(fps: float, frames: int = 9, size: int = 32) -> dict:
    return {
        "output_shape": [1, 3, frames, size, size],
        "status": "ok",
        "latency": {"median_s": frames / fps, "fps": fps},
        "flops": {"unit": "FLOPs (2 x MACs)", "total_flops": 10},
        "memory": {"peak_bytes": None},
    }


def test_gain_is_above_one_when_the_student_is_cheaper_or_faster():
    assert CostRow("params", "p", 400.0, 100.0).gain == 4.0
    assert CostRow("fps", "f", 10.0, 40.0, higher_is_better=True).gain == 4.0
    assert CostRow("params", "p", 400.0, None).gain is None
    assert CostRow("params", "p", None, 1.0).teacher_text == NOT_MEASURED


def test_no_profile_means_no_table():
    assert cost_view(None) is None
    assert cost_view({"schema": 1}) is None


def test_rows_pair_shapes_and_chart_uses_the_largest_timed_shape():
    profile = {
        "teacher": {"params": 10, "shapes": [_shape(5.0), _shape(2.0, size=64)], "onnx": None},
        "student": {"params": 5, "shapes": [_shape(50.0)], "onnx": {"error": "RuntimeError: unsupported op"}},
        "env": {"device_name": "Test CPU"},
    }
    view = cost_view(profile)
    keys = [row.key for row in view.rows]
    assert keys[:5] == [
        "params",
        "flops@9\u00d732\u00d732",
        "latency@9\u00d732\u00d732",
        "fps@9\u00d732\u00d732",
        "memory@9\u00d732\u00d732",
    ]
    fps64 = next(row for row in view.rows if row.key == "fps@9\u00d764\u00d764")
    assert (fps64.teacher, fps64.student, fps64.gain) == (2.0, None, None)
    assert view.chart_fps == (2.0, None, "9\u00d764\u00d764")
    assert view.notes == [
        "FLOPs are counted as FLOPs (2 x MACs).",
        "Measured on Test CPU.",
        "ONNX proxy of the student failed: RuntimeError: unsupported op",
    ]
    assert shape_label([2, 3, 17, 256, 384]) == "17\u00d7256\u00d7384"


def _conditions(contended: bool) -> dict:
    return {
        "measured_utc": "2026-12-02T08:00:00+00:00",
        "load_avg_1m": 9.38 if contended else 1.21,
        "logical_cpus": 2,
        "threads": 2,
        "cpu_wall_ratio": 0.41 if contended else 1.93,
        "contended": contended,
        "reason": "load average 9.38 on 2 logical CPUs" if contended else None,
    }


def test_every_latency_says_when_and_under_what_load_and_contention_is_flagged():
    quiet, busy = _shape(5.0), _shape(50.0)
    quiet["latency"]["conditions"], busy["latency"]["conditions"] = _conditions(False), _conditions(True)
    view = cost_view({"teacher": {"params": 10, "shapes": [quiet]}, "student": {"params": 5, "shapes": [busy]}})
    teacher_note, student_note = (note for note in view.notes if "\u00d732\u00d732" in note)
    assert teacher_note == (
        "Latency of the teacher @ 9\u00d732\u00d732: measured 2026-12-02T08:00:00+00:00, "
        "load average 1.21 on 2 logical CPUs, 1.93 CPU-seconds per second, 2 threads."
    )
    assert student_note.startswith("CONTENDED: the latency of the student @ 9\u00d732\u00d732 (measured 2026-12-02")
    assert "(load average 9.38 on 2 logical CPUs)" in student_note
    assert "was not cached" in student_note
