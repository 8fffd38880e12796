"""FLOP counting with ``torch.utils.flop_counter.FlopCounterMode``, plus the list of ops it counted as zero.

FlopCounterMode counts a multiply-add as 2 FLOPs (``mm = 2·m·n·k``), whereas fvcore and ptflops count MACs,
so the unit is carried in every report. Ops without a registered formula (pixel shuffle, interpolation,
elementwise ops, norms, CPU fused attention) silently count zero; a second dispatch mode records which
of them ran so the report can say what the total leaves out. Attention is run under the math SDPA
backend, which decomposes it into counted matmuls.
"""

from __future__ import annotations

import contextlib
import logging
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn
from torch.nn.attention import SDPBackend, sdpa_kernel
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils.flop_counter import FlopCounterMode, flop_registry

logger = logging.getLogger(__name__)

FLOP_UNIT = "FLOPs (2 x MACs)"
TOTAL_KEY = "(total)"


@dataclass
class FlopReport:
    """FLOPs of one forward call: total, per module (dotted names, root = ``(total)``) and per operator."""

    total_flops: int
    by_module: dict[str, int]
    by_operator: dict[str, int]
    zero_count_ops: dict[str, int] = field(default_factory=dict)
    unit: str = FLOP_UNIT

    @property
    def total_macs(self) -> int:
        """The same count in multiply-accumulates, the unit fvcore and ptflops report."""
        return self.total_flops // 2

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable form; ``zero_count_ops`` maps op name to the number of calls."""
        return {
            "unit": self.unit,
            "total_flops": self.total_flops,
            "total_macs": self.total_macs,
            "by_module": self.by_module,
            "by_operator": self.by_operator,
            "zero_count_ops": self.zero_count_ops,
        }


class _UncountedOpRecorder(TorchDispatchMode):
    """Counts calls of aten ops that have no FLOP formula and are not views (so they did real work)."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: Counter[str] = Counter()

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):  # noqa: ANN001 - dispatch signature
        packet = func.overloadpacket
        if packet not in flop_registry and not func.is_view:
            self.calls[str(packet)] += 1
        return func(*args, **(kwargs or {}))


def count_flops(
    fn_or_module: Callable[..., Any] | nn.Module,
    inputs: Sequence[Any],
    *,
    math_attention: bool = True,
) -> FlopReport:
    """Run ``fn_or_module(*inputs)`` once without gradients and count its FLOPs (2 x MACs) per module.

    Args:
        fn_or_module: the decoder, or any callable; only ``nn.Module`` calls inside it get a per-module entry.
        inputs: positional arguments of the call.
        math_attention: run scaled-dot-product attention on the math backend so its matmuls are counted.
    """
    return count_flops_with_output(fn_or_module, inputs, math_attention=math_attention)[0]


def count_flops_with_output(
    fn_or_module: Callable[..., Any] | nn.Module,
    inputs: Sequence[Any],
    *,
    math_attention: bool = True,
) -> tuple[FlopReport, Any]:
    """Like :func:`count_flops`, also returning the call's output (saves a second run of a slow decoder)."""
    recorder = _UncountedOpRecorder()
    counter = FlopCounterMode(display=False, depth=None)
    attention = sdpa_kernel(SDPBackend.MATH) if math_attention else contextlib.nullcontext()
    with torch.no_grad(), attention, counter, recorder:
        output = fn_or_module(*inputs)
    counts = counter.get_flop_counts()
    root = _single_root(counts)
    by_module: dict[str, int] = {}
    by_operator: dict[str, int] = {}
    for name, ops in counts.items():
        if name == "Global":
            by_operator = {str(op): int(count) for op, count in ops.items()}
        elif name != root:
            by_module[name.removeprefix(f"{root}.") if root else name] = int(sum(ops.values()))
    total = int(counter.get_total_flops())
    by_module[TOTAL_KEY] = total
    zero = dict(sorted(recorder.calls.items()))
    logger.debug("counted %d FLOPs; ops counted as zero: %s", total, ", ".join(zero))
    report = FlopReport(total_flops=total, by_module=by_module, by_operator=by_operator, zero_count_ops=zero)
    return report, output


def _single_root(counts: dict[str, Any]) -> str | None:
    """The one outermost module name FlopCounterMode saw (e.g. the decoder class), if there is exactly one."""
    roots = [name for name in counts if name != "Global" and "." not in name]
    return roots[0] if len(roots) == 1 else None
