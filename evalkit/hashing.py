"""The sha256 of a value's canonical JSON (sorted keys), the one way ids, cache keys and protocol hashes are made."""

from __future__ import annotations

import hashlib
import json
from typing import Any


def canonical_sha256(value: Any, *, length: int | None = None, compact: bool = True) -> str:
    """Hex sha256 of ``json.dumps(value, sort_keys=True, default=str)``, cut to ``length`` digits.

    ``compact`` joins with ``","``/``":"``; ``False`` keeps json's default ``", "``/``": "`` that some existing ids
    were made with (their digests must not change).
    """
    separators = (",", ":") if compact else None
    canonical = json.dumps(value, sort_keys=True, separators=separators, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()[:length]
