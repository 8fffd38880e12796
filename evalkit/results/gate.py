"""CI quality gate: rules such as ``psnr.drop<=0.3`` checked against a results file (and optional baseline).

Rule grammar: ``<metric>.<quantity>[.<bound>] <op> <number>`` where quantity is a comparison
(``teacher``, ``student``, ``student_vs_teacher``) or a paired delta (``drop``, ``increase``,
``retention``), bound is ``value`` (default), ``lower`` or ``upper`` (the 95% CI bounds) and op is one
of ``<=``, ``>=``, ``<``, ``>``. Without a baseline the deltas are the run's student against its
teacher; with one, the run's student against the baseline's student, paired clip by clip.
A ``gen.`` prefix (``gen.fvd.increase<=5``) judges the ``generation`` section written by
`evalkit generate-check` instead of ``metrics``; those rules are judged within the run (no baseline).
"""

from __future__ import annotations

import math
import operator
import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from evalkit.results.io import read_per_clip, read_results
from evalkit.results.schema import (
    COMPARISONS,
    DELTAS,
    METRIC_ALIASES,
    Estimate,
    MetricResult,
    ResultsSchemaError,
    canonical_metric,
    metric_results,
    per_clip_column,
)
from evalkit.results.stats import DEFAULT_RESAMPLES, paired_estimates, point_deltas

EXIT_PASS = 0
EXIT_FAIL = 1
EXIT_UNUSABLE = 2

_OPERATORS: dict[str, Callable[[float, float], bool]] = {
    "<=": operator.le,
    ">=": operator.ge,
    "<": operator.lt,
    ">": operator.gt,
}
_BOUNDS = ("value", "lower", "upper")
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

    def with_conservative_bound(self) -> Rule:
        """The same rule judged on the CI bound that makes it hardest to pass (upper for ``<``, lower for ``>``)."""
        if self.bound != "value":
            return self
        return replace(self, bound="upper" if self.op.startswith("<") else "lower")


@dataclass(frozen=True)
class Outcome:
    """A rule, the number it was judged on, and pass / fail / error."""

    rule: Rule
    observed: float | None
    status: str
    note: str = ""


def parse_rule(text: str) -> Rule:
    """Parse one rule; a malformed one raises :class:`GateInputError` naming the grammar."""
    match = _RULE.match(text.strip().lower())
    if match is None:
        raise GateInputError(
            f"cannot parse gate rule {text!r}; expected METRIC.QUANTITY[.BOUND] OP NUMBER, e.g. 'psnr.drop<=0.3' "
            f"(quantity: {', '.join(COMPARISONS + DELTAS)}; bound: {', '.join(_BOUNDS)}; op: <=, >=, <, >; "
            "prefix gen. for the generation section, e.g. 'gen.fvd.increase<=5')"
        )
    quantity, bound = match["quantity"], match["bound"] or "value"
    if quantity not in COMPARISONS + DELTAS:
        raise GateInputError(
            f"gate rule {text!r}: unknown quantity {quantity!r}; choose one of {', '.join(COMPARISONS + DELTAS)}"
        )
    if bound not in _BOUNDS:
        raise GateInputError(f"gate rule {text!r}: unknown bound {bound!r}; choose one of {', '.join(_BOUNDS)}")
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
    """Rules from a text file, one per line; blank lines and ``#`` comments are ignored."""
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise GateInputError(f"cannot read rules file {path}: {exc.strerror}") from None
    return [parse_rule(line.split("#", 1)[0]) for line in lines if line.split("#", 1)[0].strip()]


@dataclass(frozen=True)
class GateReport:
    """All outcomes of one gate check, and the exit code they add up to."""

    results_path: str
    baseline_path: str | None
    outcomes: tuple[Outcome, ...]

    @property
    def exit_code(self) -> int:
        """2 if any rule could not be judged, else 1 if any failed, else 0."""
        statuses = {outcome.status for outcome in self.outcomes}
        if "error" in statuses:
            return EXIT_UNUSABLE
        return EXIT_FAIL if "fail" in statuses else EXIT_PASS

    def table(self) -> str:
        """A plain-text pass/fail table, one row per rule, and a verdict line."""
        header = ("rule", "judged on", "observed", "result", "note")
        rows = [
            (
                outcome.rule.text,
                ("gen." if outcome.rule.section == "generation" else "")
                + f"{outcome.rule.metric}.{outcome.rule.quantity}.{outcome.rule.bound}",
                "-" if outcome.observed is None else f"{outcome.observed:.6g}",
                outcome.status.upper(),
                outcome.note,
            )
            for outcome in self.outcomes
        ]
        widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
        lines = [
            "  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
            for row in [header, tuple("-" * w for w in widths), *rows]
        ]
        against = f" against baseline {self.baseline_path}" if self.baseline_path else " (student vs teacher)"
        verdict = {EXIT_PASS: "PASS", EXIT_FAIL: "FAIL", EXIT_UNUSABLE: "UNUSABLE INPUT"}[self.exit_code]
        lines.append(f"gate {verdict}: {self.results_path}{against}")
        return "\n".join(lines)


def check(
    results_path: str | os.PathLike[str],
    rules: Iterable[Rule],
    *,
    baseline_path: str | os.PathLike[str] | None = None,
    use_ci: bool = False,
) -> GateReport:
    """Judge ``rules`` on a results file; ``use_ci`` judges every rule on its conservative CI bound.

    Raises :class:`GateInputError` when the files cannot be read or the runs are not comparable.
    """
    rules = [rule.with_conservative_bound() if use_ci else rule for rule in rules]
    if not rules:
        raise GateInputError("no gate rules given; pass --rule 'psnr.drop<=0.3' or --rules FILE")
    run = _read(results_path)
    quantities = _Quantities(run, Path(results_path))
    if baseline_path is not None:
        baseline = _read(baseline_path)
        _require_comparable(run, baseline, results_path, baseline_path)
        quantities = _Quantities(run, Path(results_path), baseline, Path(baseline_path))
    outcomes = tuple(_judge(rule, quantities) for rule in rules)
    return GateReport(str(results_path), None if baseline_path is None else str(baseline_path), outcomes)


def _read(path: str | os.PathLike[str]) -> dict[str, Any]:
    try:
        return read_results(path)
    except ResultsSchemaError as exc:
        raise GateInputError(str(exc)) from None


def _require_comparable(run: dict, baseline: dict, run_path: Any, baseline_path: Any) -> None:
    for label, get in (
        ("protocol hash", lambda doc: doc["protocol"]["hash"]),
        ("clip manifest hash", lambda doc: doc["dataset"].get("manifest_hash")),
    ):
        if get(run) != get(baseline):
            raise GateInputError(
                f"refusing to compare: {label} differs between {run_path} ({get(run)}) and "
                f"{baseline_path} ({get(baseline)}); evaluate both with the same dataset and protocol"
            )


class _Quantities:
    """Looks up the number a rule names, computing baseline-paired deltas from the per-clip tables."""

    def __init__(self, run: dict, run_path: Path, baseline: dict | None = None, baseline_path: Path | None = None):
        self.run, self.run_path = run, run_path
        self.baseline, self.baseline_path = baseline, baseline_path
        self.metrics = metric_results(run)
        self.baseline_metrics = metric_results(baseline) if baseline is not None else {}

    def estimate(self, rule: Rule) -> Estimate:
        if rule.section == "generation":
            return self._generation_estimate(rule)
        metric = self._metric(rule.metric, self.metrics, self.run_path)
        if rule.quantity in COMPARISONS:
            return self._value(metric, rule.quantity, self.run_path)
        if self.baseline is None:
            if rule.quantity not in metric.paired:
                raise GateInputError(
                    f"{self.run_path}: {metric.name} has no paired {rule.quantity} (teacher-only run?)"
                )
            return metric.paired[rule.quantity]
        return self._against_baseline(metric, rule.quantity)

    def _generation_estimate(self, rule: Rule) -> Estimate:
        """A ``gen.`` rule: the value or paired delta stored in the run's ``generation`` section."""
        section = self.run.get("generation")
        if not isinstance(section, dict):
            raise GateInputError(f"{self.run_path}: no generation section; run `evalkit generate-check --into RUN`")
        if self.baseline is not None:
            raise GateInputError(f"{rule.text}: gen.* rules are judged within one run; drop --baseline for them")
        metrics = {name: MetricResult.from_dict(name, entry) for name, entry in section.get("metrics", {}).items()}
        metric = self._metric(rule.metric, metrics, self.run_path)
        if rule.quantity in COMPARISONS:
            return self._value(metric, rule.quantity, self.run_path)
        if rule.quantity not in metric.paired:
            raise GateInputError(f"{self.run_path}: generation {metric.name} has no paired {rule.quantity}")
        return metric.paired[rule.quantity]

    def _against_baseline(self, metric: MetricResult, quantity: str) -> Estimate:
        base = self._metric(metric.name, self.baseline_metrics, self.baseline_path)
        if base.variant != metric.variant:
            raise GateInputError(
                f"refusing to compare {metric.name}: variant {metric.variant!r} in {self.run_path} "
                f"vs {base.variant!r} in {self.baseline_path}"
            )
        if not metric.per_clip:
            reference = self._value(base, "student", self.baseline_path).value
            candidate = self._value(metric, "student", self.run_path).value
            return point_deltas(reference, candidate, higher_is_better=metric.higher_is_better)[quantity]
        column = per_clip_column(metric.name, "student")
        joined = _ok_rows(read_per_clip(self.baseline_path), column).merge(
            _ok_rows(read_per_clip(self.run_path), column), on="clip_id", suffixes=("_base", "_run")
        )
        ci = self.run.get("ci", {})
        return paired_estimates(
            joined[f"{column}_base"].to_numpy(np.float64),
            joined[f"{column}_run"].to_numpy(np.float64),
            higher_is_better=metric.higher_is_better,
            seed=int(ci.get("seed", 0)),
            resamples=int(ci.get("resamples", DEFAULT_RESAMPLES)),
        )[quantity]

    @staticmethod
    def _metric(name: str, metrics: dict[str, MetricResult], path: Path | None) -> MetricResult:
        if name not in metrics:
            known = ", ".join(sorted(metrics)) or "(none)"
            aliases = ", ".join(f"{a} = {m}" for a, m in METRIC_ALIASES.items())
            raise GateInputError(f"{path}: no metric {name!r} in this run (it has: {known}; aliases: {aliases})")
        metric = metrics[name]
        if not metric.available:
            raise GateInputError(f"{path}: metric {name!r} was unavailable in this run: {metric.reason}")
        return metric

    @staticmethod
    def _value(metric: MetricResult, comparison: str, path: Path | None) -> Estimate:
        if comparison not in metric.values:
            raise GateInputError(f"{path}: {metric.name} has no {comparison} value")
        return metric.values[comparison]


def _ok_rows(table, column: str):
    if column not in table.columns:
        raise GateInputError(f"per-clip table has no column {column!r}")
    return table.loc[table["status"] == "ok", ["clip_id", column]]


def _judge(rule: Rule, quantities: _Quantities) -> Outcome:
    try:
        estimate = quantities.estimate(rule)
    except GateInputError as exc:
        return Outcome(rule, None, "error", str(exc))
    observed = estimate.bound(rule.bound)
    if observed is None:
        return Outcome(
            rule, None, "error", f"no {rule.bound} CI bound for {rule.metric}.{rule.quantity} (n={estimate.n})"
        )
    if not math.isfinite(observed):
        return Outcome(rule, observed, "error", "value is not finite (no clip evaluated?)")
    passed = _OPERATORS[rule.op](observed, rule.threshold)
    note = f"95% CI [{_fmt(estimate.ci_low)}, {_fmt(estimate.ci_high)}], n={estimate.n}"
    return Outcome(rule, observed, "pass" if passed else "fail", note)


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.6g}"
