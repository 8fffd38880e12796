"""`evalkit distill`: train a Turbo-VAED decoder on a frozen teacher's latents (SPEC §9).

Public API: :class:`DistillConfig`, :func:`distill` (train or resume), :class:`Distiller`, :class:`DistillResult`.
"""

from evalkit.distill.config import DistillConfig
from evalkit.distill.trainer import Distiller, DistillResult, distill

__all__ = ["DistillConfig", "DistillResult", "Distiller", "distill"]
