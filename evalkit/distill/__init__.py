"""`evalkit distill`: train a Turbo-VAED decoder on a frozen teacher's latents (SPEC §9).

Public API: :class:`DistillConfig`, :func:`distill` (train or resume), :class:`Distiller`, :class:`DistillResult`
(the training side is imported on first use, with torch).
"""

from evalkit.distill.config import DistillConfig
from evalkit.lazy import lazy_exports

__getattr__, __dir__ = lazy_exports(
    __name__, dict.fromkeys(("DistillResult", "Distiller", "distill"), "evalkit.distill.trainer")
)

__all__ = ["DistillConfig", "DistillResult", "Distiller", "distill"]
