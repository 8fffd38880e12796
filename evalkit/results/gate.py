"""CI quality gate: rules such as ``psnr.loss<=0.3`` checked against a results file (and optional baseline).

Rule grammar (:mod:`evalkit.results.gate_rules`): ``<metric>.<quantity>[.<bound>] <op> <number>``. Without a
baseline the paired quantities are the run's student against its teacher; with one, the run's student
against the baseline's student, paired clip by clip. ``over_floor`` is the run's student against the run's
resample floor. A ``gen.`` prefix judges the ``generation`` section written by `evalkit generate-check`
(within the run, no baseline). Runs the caller did not ``allow`` are refused (:mod:`evalkit.results.gate_inputs`).
"""

from __future__ import annotations

import math
import operator
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from evalkit.results.gate_inputs import (
    bootstrap_settings,
    floor_estimate,
    is_fvd,
    metrics_of,
    per_clip_column_values,
    read_run,
    refuse_run,
    refuse_small_fvd,
    tiling_metrics,
)
from evalkit.results.gate_rules import (
    ALLOWANCES,
    DEFAULT_MIN_CLIPS,
    LOSS,
    OVER_FLOOR,
    GateInputError,
    Rule,
    misdirected,
    parse_rule,
    read_rules_file,
)
from evalkit.results.schema import COMPARISONS, METRIC_ALIASES, Estimate, MetricResult, per_clip_column
from evalkit.results.stats import DEFAULT_RESAMPLES, paired_estimates, point_deltas

__all__ = ["GateInputError", "GateReport", "Outcome", "Rule", "check", "parse_rule", "read_rules_file"]

EXIT_PASS = 0
EXIT_FAIL = 1
EXIT_UNUSABLE = 2

_OPERATORS: dict[str, Callable[[float, float], bool]] = {
    "<=": operator.le,
    ">=": operator.ge,
    "<": operator.lt,
    ">": operator.gt,
}


@dataclass(frozen=True)
class Outcome:
    """A rule, the number it was judged on, pass / fail / error, and the metric's direction when known."""

    rule: Rule
    observed: float | None
    status: str
    note: str = ""
    higher_is_better: bool | None = None


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
        """A plain-text table, one row per rule (metric, quantity, bound used, value, threshold, direction,
        verdict), and a verdict line."""
        header = ("rule", "metric", "quantity", "judged on", "value", "threshold", "direction", "verdict", "note")
        rows = [
            (
                outcome.rule.text,
                ("gen." if outcome.rule.section == "generation" else "") + outcome.rule.metric,
                outcome.rule.quantity,
                outcome.rule.bound,
                "-" if outcome.observed is None else f"{outcome.observed:.6g}",
                f"{outcome.rule.op} {outcome.rule.threshold:g}",
                {True: "higher is better", False: "lower is better", None: "-"}[outcome.higher_is_better],
                outcome.status.upper(),
                " ".join(outcome.note.split()),  # one line per rule, even for multi-line reasons
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
    allow: Iterable[str] = (),
    min_clips: int = DEFAULT_MIN_CLIPS,
) -> GateReport:
    """Judge ``rules`` on a results file; ``use_ci`` judges every rule on its conservative CI bound.

    ``allow`` admits runs that are otherwise refused (see :data:`ALLOWANCES`); a rule on a CI bound needs
    ``min_clips`` clips. Raises :class:`GateInputError` when the files cannot be read, a run is refused or
    the runs are not comparable.
    """
    allow = frozenset(allow)
    if unknown := sorted(allow - set(ALLOWANCES)):
        raise GateInputError(f"cannot allow {', '.join(unknown)}; choose from {', '.join(ALLOWANCES)}")
    rules = [rule.with_conservative_bound() if use_ci else rule for rule in rules]
    if not rules:
        raise GateInputError("no gate rules given; pass --rule 'psnr.loss<=0.3' or --rules FILE")
    run = read_run(results_path)
    refuse_run(run, results_path, allow)
    baseline = None
    if baseline_path is not None:
        baseline = read_run(baseline_path)
        refuse_run(baseline, baseline_path, allow)
        _require_comparable(run, baseline, results_path, baseline_path)
    quantities = _Quantities(run, Path(results_path), baseline, baseline_path, allow)
    outcomes = tuple(_judge(rule, quantities, min_clips) for rule in rules)
    return GateReport(str(results_path), None if baseline_path is None else str(baseline_path), outcomes)


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
    """Looks up the number a rule names: stored values, paired deltas (against the teacher or clip by clip
    against a baseline), ``loss`` and ``over_floor``."""

    def __init__(
        self,
        run: dict,
        run_path: Path,
        baseline: dict | None,
        baseline_path: str | os.PathLike[str] | None,
        allow: frozenset[str],
    ):
        self.run, self.run_path = run, run_path
        self.baseline = baseline
        self.baseline_path = None if baseline_path is None else Path(baseline_path)
        self.allow = allow
        self.metrics = metrics_of(run["metrics"], run_path) | tiling_metrics(run, run_path)
        self.baseline_metrics = (
            {}
            if baseline is None
            else metrics_of(baseline["metrics"], self.baseline_path) | tiling_metrics(baseline, self.baseline_path)
        )

    def metric(self, rule: Rule) -> MetricResult:
        """The metric entry ``rule`` names, in the ``metrics`` or (``gen.``) ``generation`` section."""
        if rule.section == "metrics":
            return self._lookup(rule.metric, self.metrics, self.run_path)
        section = self.run.get("generation")
        if not isinstance(section, dict):
            raise GateInputError(f"{self.run_path}: no generation section; run `evalkit generate-check --into RUN`")
        if self.baseline is not None:
            raise GateInputError(f"{rule.text}: gen.* rules are judged within one run; drop --baseline for them")
        metrics = metrics_of(section.get("metrics", {}), self.run_path, "generation.metrics")
        return self._lookup(rule.metric, metrics, self.run_path)

    def estimate(self, rule: Rule, metric: MetricResult) -> tuple[Estimate, str]:
        """The number ``rule`` is judged on, and a note on how it was derived (empty for stored numbers)."""
        if problem := misdirected(rule, metric.higher_is_better):
            raise GateInputError(problem)
        if is_fvd(metric) and "small-fvd" not in self.allow:
            refuse_small_fvd(metric, self.run_path)
        if rule.quantity in COMPARISONS:
            return self._value(metric, rule.quantity, self.run_path), ""
        if rule.quantity == OVER_FLOOR:
            return self._over_floor(rule, metric)
        delta = rule.quantity
        note = ""
        if delta == LOSS:
            delta = "drop" if metric.higher_is_better else "increase"
            note = f"loss = {delta}"
        if self.baseline is None or rule.section == "generation":
            if delta not in metric.paired:
                where = f"{metric.name} (teacher-only run?)"
                if rule.section == "generation":
                    where = f"generation {metric.name}"
                raise GateInputError(f"{self.run_path}: {where} has no paired {delta}")
            return metric.paired[delta], note
        return self._against_baseline(metric, delta), note

    def _over_floor(self, rule: Rule, metric: MetricResult) -> tuple[Estimate, str]:
        """Student minus the resample floor (floor minus student when lower is better): positive = above the floor."""
        if rule.section == "generation":
            raise GateInputError(f"{rule.text}: over_floor is judged on the metrics section; drop the gen. prefix")
        student = self._value(metric, "student", self.run_path)
        floor, label = floor_estimate(self.run, metric.name, self.run_path)
        margin = student.value - floor.value if metric.higher_is_better else floor.value - student.value
        note = f"student {student.value:.6g} vs {label} {floor.value:.6g}"
        return Estimate(value=margin, n=student.n), note

    def _against_baseline(self, metric: MetricResult, delta: str) -> Estimate:
        base = self._lookup(metric.name, self.baseline_metrics, self.baseline_path)
        if base.variant != metric.variant:
            raise GateInputError(
                f"refusing to compare {metric.name}: variant {metric.variant!r} in {self.run_path} "
                f"vs {base.variant!r} in {self.baseline_path}"
            )
        if not metric.per_clip:
            reference = self._value(base, "student", self.baseline_path).value
            candidate = self._value(metric, "student", self.run_path).value
            return point_deltas(reference, candidate, higher_is_better=metric.higher_is_better)[delta]
        column = per_clip_column(metric.name, "student")
        joined = pd.merge(
            per_clip_column_values(self.baseline_path, column),
            per_clip_column_values(self.run_path, column),
            on="clip_id",
            suffixes=("_base", "_run"),
        )
        seed, resamples = bootstrap_settings(self.run, self.run_path, DEFAULT_RESAMPLES)
        return paired_estimates(
            joined[f"{column}_base"].to_numpy(np.float64),
            joined[f"{column}_run"].to_numpy(np.float64),
            higher_is_better=metric.higher_is_better,
            seed=seed,
            resamples=resamples,
        )[delta]

    @staticmethod
    def _lookup(name: str, metrics: dict[str, MetricResult], path: Path | None) -> MetricResult:
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


def _judge(rule: Rule, quantities: _Quantities, min_clips: int) -> Outcome:
    try:
        metric = quantities.metric(rule)
    except GateInputError as exc:
        return Outcome(rule, None, "error", str(exc))
    direction = metric.higher_is_better
    try:
        estimate, how = quantities.estimate(rule, metric)
    except GateInputError as exc:
        return Outcome(rule, None, "error", str(exc), direction)
    observed = estimate.bound(rule.bound)
    if observed is None:
        note = f"no {rule.bound} CI bound for {rule.name} (n={estimate.n}); judge its value"
        return Outcome(rule, None, "error", note, direction)
    if rule.bound != "value" and estimate.n < min_clips:
        note = (
            f"{rule.name}.{rule.bound} rests on {estimate.n} clips; a rule on a CI bound needs at least {min_clips} "
            "(--min-clips): evaluate more clips, or judge the value"
        )
        return Outcome(rule, observed, "error", note, direction)
    if not math.isfinite(observed):
        return Outcome(rule, observed, "error", "value is not finite (no clip evaluated?)", direction)
    passed = _OPERATORS[rule.op](observed, rule.threshold)
    ci = f"95% CI [{_fmt(estimate.ci_low)}, {_fmt(estimate.ci_high)}], n={estimate.n}"
    return Outcome(rule, observed, "pass" if passed else "fail", "; ".join(filter(None, (how, ci))), direction)


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.6g}"
