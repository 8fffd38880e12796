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
