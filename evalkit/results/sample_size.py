"""What a set-level metric (FVD) rests on, in words: "FVD StyleGAN-V, 17 f, N=3", "not comparable", FVD∞.

Everything is read from the metric's results entry (``variant.n_clips``, ``frames``, ``min_clips``,
``comparable``, ``title`` and the ``extrapolated`` block), so the terminal summary, the run report and the
leaderboard say the same thing.
"""

from __future__ import annotations

import math

from evalkit.results.schema import MetricResult


def metric_caption(metric: MetricResult) -> str:
    """The label with the protocol, frames and clips per set when the variant records them, e.g.
    ``FVD StyleGAN-V, 17 f, N=3``; other metrics keep their plain label."""
    variant = metric.variant
    if "n_clips" not in variant:
        return metric.label
    title = variant.get("title") or variant.get("name")
    head = f"{metric.label} {title}" if title else metric.label
    return f"{head}, {variant.get('frames')} f, N={variant['n_clips']}"


def comparability_note(metric: MetricResult) -> str | None:
    """``not comparable: ...`` when the metric's N is below its documented minimum, else None."""
    variant = metric.variant
    if variant.get("comparable", True):
        return None
    return (
        f"not comparable: N={variant.get('n_clips')} clips per set is below the minimum of "
        f"{variant.get('min_clips')} (FVD's small-N bias)"
    )


def extrapolation_lines(metric: MetricResult, titles: dict[str, str]) -> list[str]:
    """One line per comparison for the FVD∞ beside this metric (``titles``: comparison -> heading, also the
    order), e.g. ``FVD∞ student vs GT: 41.20 (fit residual 0.31; subsets of 800-2048 clips)``."""
    block = metric.extrapolated
    if not block:
        return []
    label = block.get("label", "FVD∞")
    fits = {title: block["values"][key] for key, title in titles.items() if key in (block.get("values") or {})}
    reasons = {fit.get("reason") for fit in fits.values() if not fit.get("available")}
    if len(reasons) == 1 and not any(fit.get("available") for fit in fits.values()):
        return [f"{label}: unavailable ({reasons.pop()})"]
    lines = []
    for title, fit in fits.items():
        if not fit.get("available"):
            lines.append(f"{label} {title}: unavailable ({fit.get('reason')})")
            continue
        sizes = fit["subset_sizes"]
        value, residual = fit["value"], fit["fit_residual"]
        shown = f"{value:.2f}" if value is not None and math.isfinite(value) else "-"
        lines.append(f"{label} {title}: {shown} (fit residual {residual:.2f}; subsets of {sizes[0]}-{sizes[-1]} clips)")
    return lines
