import base64
import io

import numpy as np
import pytest
from PIL import Image

from evalkit.report.frames import HEATMAP_FULL_SCALE, animated_preview, comparison_panels, error_heatmap

RNG = np.random.default_rng(0)


def _clip(t=6, h=24, w=32):
    return RNG.integers(0, 256, size=(t, h, w, 3), dtype=np.uint8)


def _three(ground_truth, teacher, student):
    return {"ground truth": ground_truth, "teacher": teacher, "student": student}


def _image(uri: str) -> Image.Image:
    return Image.open(io.BytesIO(base64.b64decode(uri.split(",", 1)[1])))


def test_heatmap_is_bottom_colour_for_equal_frames_and_top_colour_at_full_scale():
    frame = _clip(1)[0]
    same = error_heatmap(frame, frame)
    assert (same == same[0, 0]).all()
    far = error_heatmap(np.zeros_like(frame), np.full_like(frame, HEATMAP_FULL_SCALE))
    farther = error_heatmap(np.zeros_like(frame), np.full_like(frame, 255))
    np.testing.assert_array_equal(far, farther)  # saturates at the fixed full scale
    assert far[0, 0].sum() > same[0, 0].sum()


def test_panels_round_trip_the_frames_losslessly():
    gt, teacher, student = _clip(), _clip(), _clip()
    panels = comparison_panels({"ground truth": gt, "teacher": teacher, "student": student}, frame=2)
    assert [p.title for p in panels][:3] == ["ground truth", "teacher", "student"]
    np.testing.assert_array_equal(np.asarray(_image(panels[1].data_uri).convert("RGB")), teacher[2])
    assert panels[3].title.startswith("|student \u2212 teacher|")
    assert all(p.pixelated for p in panels)  # 32 px frames are shown with hard pixel edges


def test_generated_pairs_get_teacher_student_and_heat_map_panels():
    teacher, student = _clip(), _clip()
    panels = comparison_panels({"teacher": teacher, "student": student}, frame=0)
    assert [p.title for p in panels] == [
        "teacher",
        "student",
        f"|student \u2212 teacher| (0\u2013{HEATMAP_FULL_SCALE} levels)",
    ]
    np.testing.assert_array_equal(
        np.asarray(_image(panels[2].data_uri).convert("RGB")), error_heatmap(teacher[0], student[0])
    )
    assert [p.title for p in comparison_panels({"reference": teacher, "reconstruction": student}, 0)] == [
        "reference",
        "reconstruction",
    ]  # no heat map without a teacher/student pair
    preview = animated_preview({"teacher": teacher, "student": student}, max_bytes=1_000_000)
    assert preview.title == "teacher | student"
    assert _image(preview.data_uri).size == (64, 24)


def test_panels_reject_mismatched_samples():
    with pytest.raises(ValueError, match="sample clips differ in shape"):
        comparison_panels({"ground truth": _clip(), "teacher": _clip(), "student": _clip(w=16)}, frame=0)
    with pytest.raises(ValueError, match="frame 9 is outside the sample's 6 frames"):
        comparison_panels({"teacher": _clip(), "student": _clip()}, frame=9)
    with pytest.raises(ValueError, match=r"teacher frames must be uint8 \(T, H, W, 3\)"):
        comparison_panels({"ground truth": _clip(), "teacher": _clip().astype(np.float32)}, frame=0)


def test_preview_is_a_looping_gif_of_three_clips_side_by_side():
    panel = animated_preview(_three(_clip(), _clip(), _clip()), max_bytes=1_000_000)
    gif = _image(panel.data_uri)
    assert gif.format == "GIF"
    assert gif.n_frames == 6
    assert gif.size == (96, 24)
    assert panel.title == "ground truth | teacher | student"


def test_preview_shrinks_to_fit_the_byte_budget():
    big = [_clip(t=8, h=48, w=64) for _ in range(3)]
    full = animated_preview(_three(*big), max_bytes=10_000_000)
    budget = len(full.data_uri) // 4  # base64 length / 4 ~ a third of the bytes
    small = animated_preview(_three(*big), max_bytes=budget)
    raw = base64.b64decode(small.data_uri.split(",", 1)[1])
    assert len(raw) <= budget
    assert _image(small.data_uri).n_frames < 8
    assert animated_preview(_three(*big), max_bytes=100) is None


def _smooth_clip(t=5, h=24, w=32, shift=0):
    """Moving colour gradients: a 255-colour palette can hold them closely (unlike uniform noise)."""
    y, x = np.mgrid[0:h, 0:w]
    frames = [np.stack([(x * 8 + 40 * i + shift) % 256, (y * 10) % 256, ((x + y) * 4) % 256], -1) for i in range(t)]
    return np.stack(frames).astype(np.uint8)


def test_preview_frames_are_the_clips_side_by_side_at_the_requested_rate():
    gt, teacher, student = _smooth_clip(), _smooth_clip(shift=40), _smooth_clip(shift=80)
    panel = animated_preview(_three(gt, teacher, student), max_bytes=1_000_000, fps=8.0)
    gif = _image(panel.data_uri)
    assert gif.n_frames == 5
    assert gif.info["loop"] == 0
    expected = np.concatenate([gt, teacher, student], axis=2).astype(int)
    for index in range(gif.n_frames):
        gif.seek(index)
        assert abs(gif.info["duration"] - 125) <= 10  # GIF stores centiseconds
        shown = np.asarray(gif.convert("RGB")).astype(int)
        errors = [np.abs(shown - frame).mean() for frame in expected]
        assert int(np.argmin(errors)) == index
        assert errors[index] < 12  # 255-colour palette rounding of ~2300 distinct colours; other frames are ~30 off


def test_preview_keeps_every_other_frame_when_halving_the_rate():
    clips = [_clip(t=8, h=48, w=64) for _ in range(3)]
    full = animated_preview(_three(*clips), max_bytes=10_000_000)
    raw = base64.b64decode(full.data_uri.split(",", 1)[1])
    halved = _image(animated_preview(_three(*clips), max_bytes=len(raw) * 3 // 4).data_uri)
    assert halved.n_frames == 4
    assert halved.info["duration"] == 250
    expected = np.concatenate(clips, axis=2)[::2].astype(int)
    errors = []
    for index in range(4):
        halved.seek(index)
        errors.append([np.abs(np.asarray(halved.convert("RGB")).astype(int) - frame).mean() for frame in expected])
    assert [int(np.argmin(row)) for row in errors] == [0, 1, 2, 3]
