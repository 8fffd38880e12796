"""TAEHV tiny video decoders (madebyollin/taehv), our own implementation from the specification.

``TaehvDecoder(PRESETS["taehv"])`` builds the HunyuanVideo decoder; released ``.pth`` / ``.safetensors`` files
load strictly with :func:`load_taehv_weights`.
"""

from evalkit.models.taehv.config import PRESETS, TaehvConfig, preset_for_file
from evalkit.models.taehv.decoder import TaehvDecoder, adapt_released_state

__all__ = ["PRESETS", "TaehvConfig", "TaehvDecoder", "adapt_released_state", "preset_for_file"]
