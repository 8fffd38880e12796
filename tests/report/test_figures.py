import base64
import re

import pytest

from evalkit.report.figures import ChartPoint, quality_speed_chart


def _svg(uri: str) -> str:
    prefix = "data:image/svg+xml;base64,"
    assert uri.startswith(prefix)
    return base64.b64decode(uri[len(prefix) :]).decode("utf-8")


def test_chart_is_an_svg_with_one_marker_per_point():
    points = [
        ChartPoint("teacher", 10.0, 31.0, "teacher"),
        ChartPoint("student", 80.0, 30.2),
        ChartPoint("s2", 40.0, 30.8),
    ]
    svg = _svg(quality_speed_chart(points, "PSNR (dB)", "FPS"))
    assert svg.lstrip().startswith("<?xml")
    # matplotlib draws each scatter as a <use> of the marker path inside the plot's clip group
    assert len(re.findall(r"<use xlink:href=\"#m[0-9a-f]+\" x=", svg)) >= 3


def test_labels_with_markup_and_dollars_are_inert():
    svg = _svg(quality_speed_chart([ChartPoint("<script>$x$", 5.0, 1.0)], "q", "fps"))
    assert "<script" not in svg
    assert "&lt;script&gt;$x$" in svg  # drawn literally (no mathtext), escaped in the SVG comment


def test_points_without_fps_are_refused():
    with pytest.raises(ValueError, match="no point has a measured FPS > 0"):
        quality_speed_chart([ChartPoint("a", 0.0, 1.0)], "q", "fps")
