"""Weight files: one resolver (explicit path > local caches > download when online), sha256 records and pins."""

from evalkit.weights.errors import WeightsUnavailable
from evalkit.weights.hashing import sha256_file
from evalkit.weights.resolver import (
    ResolvedFile,
    cache_root,
    expected_locations,
    get_spec,
    local_dir,
    locate,
    resolve,
    status,
)
from evalkit.weights.specs import WEIGHTS, WeightSpec, known_weights

__all__ = [
    "WEIGHTS",
    "ResolvedFile",
    "WeightSpec",
    "WeightsUnavailable",
    "cache_root",
    "expected_locations",
    "get_spec",
    "known_weights",
    "local_dir",
    "locate",
    "resolve",
    "sha256_file",
    "status",
]
