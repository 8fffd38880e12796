"""Cost of a decoder: parameters, FLOPs (2 x MACs), latency, peak memory, and an ONNX mobile proxy.

The measuring functions take any module or ``z -> video`` callable; :mod:`evalkit.profile.bench` builds a
teacher/student pair from the model registry and profiles both side by side.
"""

from evalkit.profile.cache import ProfileCache, profile_key
from evalkit.profile.decoder_profile import DecoderProfile, is_out_of_memory, profile_decoder
from evalkit.profile.env import environment
from evalkit.profile.flops import FLOP_UNIT, FlopReport, count_flops
from evalkit.profile.latency import LatencyStats, measure_latency
from evalkit.profile.memory import MemoryReport, peak_memory
from evalkit.profile.onnx_proxy import OnnxReport, export_onnx, onnx_proxy
from evalkit.profile.params import check_parameter_count, count_parameters, parameters_by_block

__all__ = [
    "FLOP_UNIT",
    "DecoderProfile",
    "FlopReport",
    "LatencyStats",
    "MemoryReport",
    "OnnxReport",
    "ProfileCache",
    "check_parameter_count",
    "count_flops",
    "count_parameters",
    "environment",
    "export_onnx",
    "is_out_of_memory",
    "measure_latency",
    "onnx_proxy",
    "parameters_by_block",
    "peak_memory",
    "profile_decoder",
    "profile_key",
]
