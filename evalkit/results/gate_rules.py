"""Gate rule grammar: ``<metric>.<quantity>[.<bound>] <op> <number>``, parsed into :class:`Rule` s.

Quantities are the stored comparisons (``teacher``, ``student``, ``student_vs_teacher``), the paired deltas
(``drop``, ``increase``, ``retention``) and two the gate derives: ``loss`` (quality lost, positive = the
student is worse, whatever the metric's direction) and ``over_floor`` (the student's margin over the
resample floor, positive = better than the floor). ``drop`` and ``increase`` have a sign that depends on
the metric's direction, so a rule using the one that is negative when quality is lost is refused.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, replace
from pathlib import Path

from evalkit.results.schema import COMPARISONS, DELTAS, canonical_metric

LOSS = "loss"
OVER_FLOOR = "over_floor"
QUANTITIES: tuple[str, ...] = (*COMPARISONS, *DELTAS, LOSS, OVER_FLOOR)
BOUNDS: tuple[str, ...] = ("value", "lower", "upper")
ALLOWANCES: tuple[str, ...] = ("random", "partial", "demo", "small-fvd")
"""What ``--allow`` admits: random weights, a status other than complete, demo models, FVDs over too few clips."""
DEFAULT_MIN_CLIPS = 10
"""Fewest clips a rule on a CI bound (``.lower`` / ``.upper``) may rest on: a bootstrap CI over fewer is unsteady."""
_RULE = re.compile(
    r"^\s*(?:(?P<section>gen)\.)?(?P<metric>[a-z0-9_\-]+)\.(?P<quantity>[a-z_]+)(?:\.(?P<bound>[a-z]+))?\s*"
    r"(?P<op><=|>=|<|>)\s*(?P<threshold>[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*$"
)


class GateInputError(ValueError):
    """Input the gate cannot judge (unreadable file, incomparable runs, a rule naming a missing value): exit 2."""


@dataclass(frozen=True)
class Rule:
    """One parsed gate rule."""

    metric: str
    quantity: str
    bound: str
    op: str
    threshold: float
    text: str
    section: str = "metrics"

    @property
    def name(self) -> str:
        """``[gen.]metric.quantity``, the part of the rule before the bound."""
        return f"{'gen.' if self.section == 'generation' else ''}{self.metric}.{self.quantity}"

    def with_conservative_bound(self) -> Rule:
        """The same rule judged on the CI bound that makes it hardest to pass (upper for ``<``, lower for ``>``)."""
        if self.bound != "value":
            return self
        return replace(self, bound="upper" if self.op.startswith("<") else "lower")

    def with_quantity(self, quantity: str) -> str:
        """The rule's text as written, with another quantity (for "did you mean ..." messages)."""
        match = _RULE.match(self.text.lower())
        if match is None:
            return f"{self.metric}.{quantity}{self.op}{self.threshold:g}"
        start, end = match.span("quantity")
        return self.text[:start] + quantity + self.text[end:]


def parse_rule(text: str) -> Rule:
    """Parse one rule; a malformed one raises :class:`GateInputError` naming the grammar."""
    match = _RULE.match(text.strip().lower())
    if match is None:
        raise GateInputError(
            f"cannot parse gate rule {text.strip()!r}; expected METRIC.QUANTITY[.BOUND] OP NUMBER, e.g. "
            f"'psnr.loss<=0.3' (quantity: {', '.join(QUANTITIES)}; bound: {', '.join(BOUNDS)}; op: <=, >=, <, >; "
            "prefix gen. for the generation section, e.g. 'gen.fvd.loss<=5')"
        )
    quantity, bound = match["quantity"], match["bound"] or "value"
    if quantity not in QUANTITIES:
        raise GateInputError(
            f"gate rule {text.strip()!r}: unknown quantity {quantity!r}; choose one of {', '.join(QUANTITIES)}"
        )
    if bound not in BOUNDS:
        raise GateInputError(f"gate rule {text.strip()!r}: unknown bound {bound!r}; choose one of {', '.join(BOUNDS)}")
    return Rule(
        canonical_metric(match["metric"]),
        quantity,
        bound,
        match["op"],
        float(match["threshold"]),
        text.strip(),
        "generation" if match["section"] else "metrics",
    )


def read_rules_file(path: str | os.PathLike[str]) -> list[Rule]:
    """Rules from a text file, one per line; blank lines and ``#`` comments are ignored.

    A file that cannot be read, is not UTF-8 text, or holds a line that is not a rule raises
    :class:`GateInputError` naming the file (and line).
    """
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise GateInputError(f"cannot read rules file {path}: {exc.strerror}; pass an existing text file") from None
    except UnicodeDecodeError as exc:
        raise GateInputError(
            f"rules file {path} is not UTF-8 text (byte {exc.start}: {exc.reason}); write one rule per line"
        ) from None
    rules = []
    for number, line in enumerate(lines, start=1):
        body = line.split("#", 1)[0]
        if not body.strip():
            continue
        try:
            rules.append(parse_rule(body))
        except GateInputError as exc:
            raise GateInputError(f"{path}:{number}: {exc}") from None
    return rules


def misdirected(rule: Rule, higher_is_better: bool) -> str | None:
    """Why ``rule`` measures loss with the wrong sign (``drop`` on a lower-is-better metric, ``increase`` on a
    higher-is-better one), with the rules that were probably meant; ``None`` when its direction is fine."""
    wrong, right = ("increase", "drop") if higher_is_better else ("drop", "increase")
    if rule.quantity != wrong:
        return None
    better = "higher" if higher_is_better else "lower"
    return (
        f"gate rule {rule.text!r}: {rule.metric} is {better}-is-better, so its {wrong} is negative when the student "
        f"gets worse and this rule would pass a regression; did you mean {rule.with_quantity(right)} or "
        f"{rule.with_quantity(LOSS)}"
    )
