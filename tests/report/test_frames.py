import base64
import io

import numpy as np
import pytest
from PIL import Image

from evalkit.report.frames import HEATMAP_FULL_SCALE, animated_preview, comparison_panels, error_heatmap

RNG = np.random.default_rng(0)


def _clip(t=6, h=24, w=32):
    return RNG.integers(0, 256, size=(t, h, w, 3), dtype=np.uint8)


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
    panels = comparison_panels(gt, teacher, student, frame=2)
    assert [p.title for p in panels][:3] == ["ground truth", "teacher", "student"]
    np.testing.assert_array_equal(np.asarray(_image(panels[1].data_uri).convert("RGB")), teacher[2])
    assert panels[3].title.startswith("|student \u2212 teacher|")
    assert all(p.pixelated for p in panels)  # 32 px frames are shown with hard pixel edges


def test_panels_reject_mismatched_samples():
    with pytest.raises(ValueError, match="sample clips differ in shape"):
        comparison_panels(_clip(), _clip(), _clip(w=16), frame=0)
    with pytest.raises(ValueError, match="frame 9 is outside the sample's 6 frames"):
        comparison_panels(_clip(), _clip(), _clip(), frame=9)
    with pytest.raises(ValueError, match=r"teacher frames must be uint8 \(T, H, W, 3\)"):
        comparison_panels(_clip(), _clip().astype(np.float32), _clip(), frame=0)


def test_preview_is_a_looping_gif_of_three_clips_side_by_side():
    panel = animated_preview(_clip(), _clip(), _clip(), max_bytes=1_000_000)
    gif = _image(panel.data_uri)
    assert gif.format == "GIF"
    assert gif.n_frames == 6
    assert gif.size == (96, 24)


def test_preview_shrinks_to_fit_the_byte_budget():
    big = [_clip(t=8, h=48, w=64) for _ in range(3)]
    full = animated_preview(*big, max_bytes=10_000_000)
    budget = len(full.data_uri) // 4  # base64 length / 4 ~ a third of the bytes
    small = animated_preview(*big, max_bytes=budget)
    raw = base64.b64decode(small.data_uri.split(",", 1)[1])
    assert len(raw) <= budget
    assert _image(small.data_uri).n_frames < 8
    assert animated_preview(*big, max_bytes=100) is None
