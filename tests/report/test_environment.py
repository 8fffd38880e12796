import base64
import hashlib

import jinja2
import pytest

from evalkit.report.environment import csp_source_hash, environment, format_number, format_si, static_text


def test_autoescape_escapes_data():
    template = environment().from_string("<td>{{ name }}</td>")
    assert template.render(name="<script>alert(1)</script>") == "<td>&lt;script&gt;alert(1)&lt;/script&gt;</td>"


def test_undefined_names_are_errors():
    with pytest.raises(jinja2.UndefinedError, match="'missing' is undefined"):
        environment().from_string("{{ missing }}").render()


def test_inline_assets_are_not_escaped():
    page = environment().get_template("base.html.j2").render(evalkit_version="0", generated_at="")
    assert 'content: " \\2195"' in page  # quotes survive inside <style>
    assert "function cellKey(row, index)" in page
    assert "&#34;" not in page.split("<main>")[0]


def test_csp_hash_matches_the_inlined_script():
    script = static_text("sortable.js")
    expected = "'sha256-" + base64.b64encode(hashlib.sha256(script.encode()).digest()).decode() + "'"
    assert csp_source_hash(script) == expected
    page = environment().get_template("base.html.j2").render(evalkit_version="0", generated_at="")
    assert f"script-src {expected}" in page
    assert f"<script>{script}</script>" in page


@pytest.mark.parametrize(
    ("value", "digits", "expected"),
    [
        (32.41234, 2, "32.41"),
        (0.5, 3, "0.500"),
        (1234567, 3, "1,234,567"),
        (2048.0, 1, "2,048"),
        (None, 3, "\u2014"),
        (float("nan"), 3, "\u2014"),
        (float("inf"), 3, "\u2014"),
    ],
)
def test_format_number(value, digits, expected):
    assert format_number(value, digits) == expected


@pytest.mark.parametrize(
    ("value", "unit", "expected"),
    [
        (2.5e9, "FLOPs", "2.50 GFLOPs"),
        (1.2e6, "", "1.20 M"),
        (512, "B", "512 B"),
        (3.1e12, "MACs", "3.10 TMACs"),
        (None, "B", "\u2014"),
    ],
)
def test_format_si(value, unit, expected):
    assert format_si(value, unit) == expected
