"""Known gaps of mobile runtimes, checked against an ONNX graph: which ops or tensor ranks they handle poorly.

Each rule cites where the limitation is documented. The flags say "likely slow or unsupported on that
runtime", not a measurement: the real answer needs the converted model on the device.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass
from typing import Any

import onnx

CORE_ML_MAX_RANK = 5


@dataclass(frozen=True)
class MobileFlag:
    """One finding: which runtimes, what in the graph (and how many times), and why it matters."""

    rule: str
    runtimes: tuple[str, ...]
    what: str
    count: int
    reason: str
    source: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable form."""
        out = asdict(self)
        out["runtimes"] = list(self.runtimes)
        return out


def _conv_spatial_rank(node: onnx.NodeProto, initializer_ranks: dict[str, int]) -> int | None:
    for attribute in node.attribute:
        if attribute.name == "kernel_shape":
            return len(attribute.ints)
    weight_rank = initializer_ranks.get(node.input[1]) if len(node.input) > 1 else None
    return weight_rank - 2 if weight_rank else None


def _tensor_ranks(model: onnx.ModelProto) -> dict[str, int]:
    inferred = onnx.shape_inference.infer_shapes(model)
    graph = inferred.graph
    ranks: dict[str, int] = {}
    for info in [*graph.input, *graph.value_info, *graph.output]:
        tensor_type = info.type.tensor_type
        if tensor_type.HasField("shape"):
            ranks[info.name] = len(tensor_type.shape.dim)
    return ranks


def mobile_flags(model: onnx.ModelProto) -> list[MobileFlag]:
    """Check ``model`` against the known mobile-runtime gaps; returns one flag per rule that fires."""
    initializer_ranks = {init.name: len(init.dims) for init in model.graph.initializer}
    conv3d = Counter(
        node.op_type
        for node in model.graph.node
        if node.op_type in ("Conv", "ConvTranspose") and _conv_spatial_rank(node, initializer_ranks) == 3
    )
    flags: list[MobileFlag] = []
    for op_type, count in sorted(conv3d.items()):
        flags.append(
            MobileFlag(
                rule=f"{op_type.lower()}3d",
                runtimes=("XNNPACK (ExecuTorch CPU)", "LiteRT/TFLite GPU delegate", "OpenVINO MYRIAD"),
                what=f"{op_type} with a 3-D kernel",
                count=count,
                reason="3-D convolution is not delegated: it falls back to slow portable/CPU kernels or fails",
                source="google/XNNPACK#3978; google-ai-edge/LiteRT#2573; openvino#8022",
            )
        )
    ranks = _tensor_ranks(model)
    producers = {output: node.op_type for node in model.graph.node for output in node.output}
    high_rank = {name: rank for name, rank in ranks.items() if rank > CORE_ML_MAX_RANK}
    if high_rank:
        ops = ", ".join(sorted({producers.get(name, "graph input") for name in high_rank}))
        flags.append(
            MobileFlag(
                rule="rank_gt_5",
                runtimes=("Core ML",),
                what=f"tensors of rank > {CORE_ML_MAX_RANK} (max {max(high_rank.values())}; made by {ops})",
                count=len(high_rank),
                reason="Core ML only supports tensors with rank <= 5; such reshapes must be decomposed",
                source="apple/coremltools#2536, #1723",
            )
        )
    return flags
