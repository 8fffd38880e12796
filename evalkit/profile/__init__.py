"""Cost of a decoder: parameters, FLOPs (2 x MACs), latency, peak memory, and an ONNX mobile proxy.

The measuring functions take any module or ``z -> video`` callable; :mod:`evalkit.profile.bench` builds a
teacher/student pair from the model registry and profiles both side by side. Everything is imported on
first use (with torch).
"""

from evalkit.lazy import lazy_exports

_MODULES = {
    "ProfileCache": "evalkit.profile.cache",
    "profile_key": "evalkit.profile.cache",
    "DecoderProfile": "evalkit.profile.decoder_profile",
    "is_out_of_memory": "evalkit.profile.decoder_profile",
    "profile_decoder": "evalkit.profile.decoder_profile",
    "environment": "evalkit.profile.env",
    "FLOP_UNIT": "evalkit.profile.flops",
    "FlopReport": "evalkit.profile.flops",
    "count_flops": "evalkit.profile.flops",
    "LatencyStats": "evalkit.profile.latency",
    "measure_latency": "evalkit.profile.latency",
    "MemoryReport": "evalkit.profile.memory",
    "peak_memory": "evalkit.profile.memory",
    "OnnxReport": "evalkit.profile.onnx_proxy",
    "export_onnx": "evalkit.profile.onnx_proxy",
    "onnx_proxy": "evalkit.profile.onnx_proxy",
    "check_parameter_count": "evalkit.profile.params",
    "count_parameters": "evalkit.profile.params",
    "parameters_by_block": "evalkit.profile.params",
}
__getattr__, __dir__ = lazy_exports(__name__, _MODULES)

__all__ = sorted(_MODULES)
