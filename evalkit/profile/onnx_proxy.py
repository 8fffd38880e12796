"""Mobile proxy: export a decoder to ONNX at a fixed shape, check ONNX Runtime against PyTorch, time it, list ops.

This is a proxy for mobile cost, not a mobile measurement: ONNX Runtime runs on this machine's CPU,
and the op flags only say which parts of the graph common mobile runtimes are known to handle poorly.
"""

from __future__ import annotations

import logging
import tempfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import torch
from torch import nn

from evalkit.profile.latency import LatencyStats, measure_latency
from evalkit.profile.mobile_rules import MobileFlag, mobile_flags

logger = logging.getLogger(__name__)

DEFAULT_OPSET = 18
PROXY_NOTE = (
    "Mobile PROXY, not a device measurement: ONNX Runtime on this host's CPU at one fixed input shape; "
    "op flags list graph parts that common mobile runtimes are documented to handle poorly."
)


@dataclass
class OnnxReport:
    """What the ONNX proxy found: agreement with PyTorch, ORT latency, op inventory and mobile flags."""

    input_shape: tuple[int, ...]
    output_shape: tuple[int, ...]
    opset: int
    max_abs_diff: float
    mean_abs_diff: float
    ort_latency: LatencyStats
    op_inventory: dict[str, int]
    flags: list[MobileFlag]
    ort_threads: int
    model_bytes: int
    note: str = PROXY_NOTE

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable form."""
        return {
            "note": self.note,
            "input_shape": list(self.input_shape),
            "output_shape": list(self.output_shape),
            "opset": self.opset,
            "max_abs_diff": self.max_abs_diff,
            "mean_abs_diff": self.mean_abs_diff,
            "ort_latency": self.ort_latency.to_dict(),
            "ort_threads": self.ort_threads,
            "op_inventory": self.op_inventory,
            "flags": [flag.to_dict() for flag in self.flags],
            "model_bytes": self.model_bytes,
        }


def export_onnx(
    module: nn.Module, example: torch.Tensor, path: str | Path, *, opset: int = DEFAULT_OPSET, optimize: bool = True
) -> Path:
    """Export ``module`` (float32, CPU, eval) at the fixed shape of ``example`` with the dynamo exporter.

    ``optimize=False`` skips onnxscript's graph optimiser (constant folding), which is much faster to export
    but leaves shape-computation nodes in the op inventory.
    """
    path = Path(path)
    module = module.eval()
    with torch.no_grad():
        torch.onnx.export(
            module, (example,), str(path), opset_version=opset, dynamo=True, optimize=optimize, verbose=False
        )
    if not path.exists():
        raise RuntimeError(f"torch.onnx.export reported success but wrote no file at {path}")
    return path


def op_inventory(model: onnx.ModelProto) -> dict[str, int]:
    """Count of each ONNX op type in the main graph and its local functions, most frequent first."""
    counts = Counter(node.op_type for node in model.graph.node)
    for function in model.functions:
        counts.update(node.op_type for node in function.node)
    return dict(counts.most_common())


def onnx_proxy(
    module: nn.Module,
    example: torch.Tensor,
    *,
    opset: int = DEFAULT_OPSET,
    optimize: bool = True,
    warmup: int = 1,
    repeats: int = 3,
    workdir: str | Path | None = None,
) -> OnnxReport:
    """Export ``module`` at ``example``'s shape, run it in ONNX Runtime (CPU), compare and time it.

    ``module`` and ``example`` must be float32 on the CPU. ORT gets as many intra-op threads as torch
    uses, so its latency is comparable with the PyTorch CPU figure. ``workdir`` keeps the .onnx file.
    """
    import onnxruntime as ort

    if example.device.type != "cpu" or example.dtype != torch.float32:
        raise ValueError(f"the ONNX proxy runs float32 on the CPU; got {example.dtype} on {example.device}")
    with tempfile.TemporaryDirectory(prefix="evalkit-onnx-") as tmp:
        onnx_path = Path(workdir or tmp) / f"{type(module).__name__}.onnx"
        path = export_onnx(module, example, onnx_path, opset=opset, optimize=optimize)
        model_bytes = sum(f.stat().st_size for f in path.parent.iterdir() if f.name.startswith(path.stem))
        model = onnx.load(str(path), load_external_data=False)
        options = ort.SessionOptions()
        options.intra_op_num_threads = torch.get_num_threads()
        session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        feed = {session.get_inputs()[0].name: example.numpy()}
        ort_out = session.run(None, feed)[0]
        with torch.no_grad():
            torch_out = module(example)
        abs_diff = np.abs(ort_out - torch_out.numpy())
        latency = measure_latency(
            lambda: session.run(None, feed), warmup=warmup, repeats=repeats, frames_per_call=_frames(ort_out.shape)
        )
    logger.info("ONNX proxy: max |ORT - torch| = %.3g, ORT median %.3f s", abs_diff.max(), latency.median_s)
    return OnnxReport(
        input_shape=tuple(example.shape),
        output_shape=tuple(ort_out.shape),
        opset=opset,
        max_abs_diff=float(abs_diff.max()),
        mean_abs_diff=float(abs_diff.mean()),
        ort_latency=latency,
        op_inventory=op_inventory(model),
        flags=mobile_flags(model),
        ort_threads=options.intra_op_num_threads,
        model_bytes=model_bytes,
    )


def _frames(shape: tuple[int, ...]) -> int | None:
    """Output frames of a (B, C, T, H, W) video batch; ``None`` for other layouts."""
    return shape[0] * shape[2] if len(shape) == 5 else None
