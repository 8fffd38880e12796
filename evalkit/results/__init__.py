"""Results of `evalkit run`: the versioned ``results.json`` schema, its writer/reader, the per-clip table and gate rules."""

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
