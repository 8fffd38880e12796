"""Plain-text rendering of a bench.json dict: one block per resolution with teacher, student and their ratio."""

from __future__ import annotations

from typing import Any

MIB = 1024 * 1024
ROLES = ("teacher", "student")
HEADER = ("output TxHxW", "decoder", "params", "GFLOPs", "median s", "p90 s", "FPS", "peak MiB", "note")


def _get(data: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def _num(value: float | None, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def _ratio(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}x"


def _role_row(label: str, role: str, params: int | None, shape: dict[str, Any]) -> tuple[str, ...]:
    flops = _get(shape, "flops", "total_flops")
    peak = _get(shape, "memory", "peak_bytes")
    note = "tiled" if shape.get("tiled") else ""
    if shape.get("status") != "ok":
        note = f"{shape.get('status')}{' even tiled' if shape.get('tiled') else ''}"
    return (
        label,
        role,
        _num(params / 1e6 if params else None, ".1f") + ("M" if params else ""),
        _num(flops / 1e9 if flops is not None else None, ".1f"),
        _num(_get(shape, "latency", "median_s"), ".3f"),
        _num(_get(shape, "latency", "p90_s"), ".3f"),
        _num(_get(shape, "latency", "fps"), ".1f"),
        _num(peak / MIB if peak is not None else None, ".0f"),
        note,
    )


def _ratio_row(bench: dict[str, Any], compare: dict[str, Any]) -> tuple[str, ...]:
    teacher, student = _get(bench, "teacher", "params"), _get(bench, "student", "params")
    return (
        "",
        "teacher/student",
        _ratio(teacher / student if teacher and student else None),
        _ratio(compare.get("flops_ratio")),
        _ratio(compare.get("speedup_median")),
        _ratio(compare.get("speedup_p90")),
        _ratio(compare.get("speedup_median")),
        _ratio(compare.get("peak_memory_ratio")),
        "cached" if compare.get("cached") else "",
    )


def _columns(rows: list[tuple[str, ...]]) -> str:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in rows)


def format_bench_table(bench: dict[str, Any]) -> str:
    """The table `evalkit bench` prints, with header lines for device, units and weights, and ONNX lines."""
    env = bench.get("env", {})
    roles = [role for role in ROLES if isinstance(bench.get(role), dict)]
    lines = [
        f"{bench['decoder']} on {env.get('device_name')} ({env.get('device')}, {env.get('dtype')}, "
        f"{env.get('threads')} threads, torch {env.get('torch')})",
        f"FLOPs are {bench['flop_unit']}; FPS = output frames per second at the median latency; "
        "ratios are measured in this process.",
    ]
    if bench.get("random_weights"):
        lines.append("RANDOM WEIGHTS: cost figures only; outputs are not video.")
    rows = [HEADER]
    for index, compare in enumerate(bench["compare"]):
        label = f"{compare['frames']}x{compare['height']}x{compare['width']}"
        for role in roles:
            rows.append(_role_row(label, role, bench[role].get("params"), bench[role]["shapes"][index]))
            label = ""
        if len(roles) == 2:
            rows.append(_ratio_row(bench, compare))
    lines += ["", _columns(rows), ""]
    for role in roles:
        lines.append(_parameter_line(role, bench[role].get("parameters", {})))
        zero = sorted({op for shape in bench[role]["shapes"] for op in (_get(shape, "flops", "zero_count_ops") or {})})
        if zero:
            lines.append(f"{role}: ops counted as 0 FLOPs: {', '.join(zero)}")
    for role in roles:
        lines += _onnx_lines(role, bench[role].get("onnx"))
    return "\n".join(lines)


def _parameter_line(role: str, parameters: dict[str, Any]) -> str:
    parts = []
    for part, check in parameters.items():
        if check.get("matches") is None:
            verdict = "no published count"
        else:
            verdict = "= published" if check["matches"] else f"!= published {check['expected']:,}"
            verdict += f", {check['source']}" if check.get("source") else ""
        parts.append(f"{part} {check['counted']:,} ({verdict})")
    return f"{role} parameters: " + "; ".join(parts)


def _onnx_lines(role: str, report: dict[str, Any] | None) -> list[str]:
    if not report:
        return []
    if "error" in report:
        return [f"{role} ONNX proxy failed: {report['error']}"]
    latency = report["ort_latency"]
    flags = "; ".join(f"{f['rule']} x{f['count']} ({', '.join(f['runtimes'])})" for f in report["flags"]) or "none"
    return [
        f"{role} ONNX proxy at latent {'x'.join(map(str, report['input_shape']))}: max |ORT - torch| "
        f"{report['max_abs_diff']:.2e}, ORT CPU median {latency['median_s']:.3f} s ({report['ort_threads']} threads), "
        f"{report['model_bytes'] / MIB:.0f} MiB",
        f"  mobile flags: {flags}",
        f"  {report['note']}",
    ]
