"""Profile thresholds shared by `evalkit bench` and `evalkit run`, importable without torch."""

from __future__ import annotations

# Above this many teacher decoder parameters, `evalkit run --profile auto` leaves CPU timing to `evalkit bench`
# (minutes per call).
CPU_AUTO_MAX_TEACHER_PARAMS = 100_000_000
