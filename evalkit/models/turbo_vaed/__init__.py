"""Turbo-VAED decoder (arXiv 2508.09136) re-implemented with the official state_dict layout, plus its presets.

``TurboVAEDDecoder.from_config(load_preset("ltx"))`` builds the official LTX student; released decoder
checkpoints load with ``load_state_dict(..., strict=True)``.
"""

from evalkit.models.turbo_vaed.config import TurboVAEDConfig
from evalkit.models.turbo_vaed.decoder import FEATURE_NAMES, TurboVAEDDecoder
from evalkit.models.turbo_vaed.heads import ProjectionHeads, strip_official_prefix
from evalkit.models.turbo_vaed.presets import PRESETS, load_preset

__all__ = [
    "FEATURE_NAMES",
    "PRESETS",
    "ProjectionHeads",
    "TurboVAEDConfig",
    "TurboVAEDDecoder",
    "load_preset",
    "strip_official_prefix",
]
