"""The one jinja2 environment for every evalkit page: autoescaping on, undefined names are errors.

Autoescape is what keeps data (class names, file names, decoder aliases, titles) from becoming markup;
``StrictUndefined`` turns a template typo into an error instead of a silently empty cell.
"""

from __future__ import annotations

import base64
import hashlib
import math
from functools import cache
from importlib import resources
from pathlib import Path

import jinja2
from markupsafe import Markup

_PACKAGE = "evalkit.report"


@cache
def static_text(name: str) -> str:
    """The text of ``evalkit/report/static/<name>``, inlined into pages so they need no network."""
    return resources.files(_PACKAGE).joinpath("static", name).read_text(encoding="utf-8")


def format_number(value: float | int | None, digits: int = 3) -> str:
    """``value`` with ``digits`` significant decimals, or an em dash for missing / non-finite values."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "\u2014"
    if isinstance(value, int) or (float(value).is_integer() and abs(value) >= 1000):
        return f"{int(value):,}"
    return f"{value:.{digits}f}"


def format_si(value: float | int | None, unit: str = "") -> str:
    """``value`` with an SI prefix (k, M, G, T), e.g. ``format_si(2.5e9, "FLOPs") == "2.50 GFLOPs"``."""
    if value is None or not math.isfinite(float(value)):
        return "\u2014"
    for factor, prefix in ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= factor:
            return f"{value / factor:.2f} {prefix}{unit}".rstrip()
    return f"{value:g} {unit}".rstrip()


def csp_source_hash(text: str) -> str:
    """The Content-Security-Policy source (``'sha256-...'``) that allows exactly this inline script."""
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii") + "'"


@cache
def environment() -> jinja2.Environment:
    """The shared environment: templates from ``evalkit/report/templates``, CSS and JS as globals."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader(_PACKAGE, "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["num"] = format_number
    env.filters["si"] = format_si
    # Our own package files, trusted: Markup keeps autoescape from mangling quotes inside <style>/<script>.
    env.globals["inline_css"] = Markup(static_text("report.css"))
    env.globals["inline_js"] = Markup(static_text("sortable.js"))
    env.globals["inline_js_hash"] = Markup(csp_source_hash(static_text("sortable.js")))
    return env


def render(template_name: str, **context: object) -> str:
    """Render ``template_name`` with ``context`` in the shared environment."""
    return environment().get_template(template_name).render(**context)


def write_page(path: Path, template_name: str, **context: object) -> Path:
    """Render a page (stamped with the evalkit version and the time) and write it atomically to ``path``."""
    from datetime import UTC, datetime

    from evalkit import __version__
    from evalkit.atomic import atomic_write_text

    generated_at = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    atomic_write_text(path, render(template_name, evalkit_version=__version__, generated_at=generated_at, **context))
    return path
