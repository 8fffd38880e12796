"""Results of `evalkit run`: versioned ``results.json`` schema, writer/reader, per-clip table, gate rules."""

from evalkit.results.schema import (
    COMPARISONS,
    DELTAS,
    SCHEMA_VERSION,
    Estimate,
    MetricResult,
    ResultsSchemaError,
    metric_results,
    validate_results,
)

__all__ = [
    "COMPARISONS",
    "DELTAS",
    "SCHEMA_VERSION",
    "Estimate",
    "MetricResult",
    "ResultsSchemaError",
    "metric_results",
    "validate_results",
]
