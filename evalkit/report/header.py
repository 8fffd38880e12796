"""The head of a run report: title, lead sentence and the facts that identify the run.

Three kinds of results reach it: `evalkit run` (teacher and student, or teacher only), `evalkit score`
(videos decoded elsewhere: a reference and a reconstruction, no decoders, no weights) and a standalone
`evalkit generate-check` folder (decoders, generated latents, no reconstruction metrics).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from evalkit.report.facts import Fact
from evalkit.report.quality import is_score_run


def _weights_text(decoder: dict[str, Any] | None) -> str:
    if not decoder:
        return "none (teacher-only run)"
    weights = decoder.get("weights")
    if weights:
        return f"{decoder.get('name')}: sha256 {weights.get('sha256')} ({weights.get('source')})"
    return f"{decoder.get('name')}: random init (state sha256 {decoder.get('state_sha256')})"


def _common_facts(results: dict[str, Any]) -> tuple[list[Fact], list[Fact]]:
    """Facts every kind of run has: (protocol and clips, software, device, date and id)."""
    clips, provenance, device = results["clips"], results["provenance"], results["device"]
    commit = provenance.get("git_commit") or "unknown"
    if provenance.get("git_dirty"):
        commit += " (uncommitted changes)"
    preset = results["protocol"].get("preset")
    head = [
        *([Fact("protocol preset", _preset_text(preset))] if isinstance(preset, dict) else []),
        Fact("protocol hash", str(results["protocol"]["hash"]), mono=True),
        Fact(
            "clips",
            f"{clips.get('evaluated')} evaluated of {clips.get('total')}; "
            f"{len(clips.get('skipped', []))} skipped or failed",
        ),
    ]
    tail = [
        Fact("evalkit", f"{provenance.get('evalkit_version')}, commit {commit}", mono=True),
        Fact(
            "device",
            f"{device.get('type')} ({device.get('name')}), {device.get('dtype')}, "
            f"batch {device.get('batch_size')}, {device.get('world_size')} process(es)",
        ),
        Fact("date", str(results["created_utc"])),
        Fact("run id", str(results["run_id"]), mono=True),
    ]
    return head, tail


def _preset_text(preset: dict[str, Any]) -> str:
    return f"{preset.get('name')} v{preset.get('version')} ({preset.get('title')}; content {preset.get('hash')})"


def header_facts(results: dict[str, Any]) -> list[Fact]:
    """The run header: what was compared (decoders and weights, or reference and reconstruction files), data,
    protocol, clips, software, device and date."""
    head, tail = _common_facts(results)
    decoders, dataset = results["decoders"], results["dataset"]
    if is_score_run(results):
        return [
            Fact("reference", str(dataset.get("root")), mono=True),
            Fact("reconstruction", str(decoders.get("reconstruction")), mono=True),
            *head,
            *tail,
        ]
    student = decoders.get("student")
    split = ", ".join(f"{key} {dataset[key]}" for key in ("split", "fold") if dataset.get(key) is not None)
    return [
        Fact(
            "decoder pair",
            f"{decoders.get('pair')}: teacher {decoders['teacher']['name']}, "
            f"student {student['name'] if student else 'none'}",
        ),
        Fact("dataset", f"{dataset.get('name')}" + (f" ({split})" if split else "")),
        *head,
        Fact("teacher weights", _weights_text(decoders.get("teacher")), mono=True),
        Fact("student weights", _weights_text(student), mono=True),
        Fact("init / posterior", f"{decoders.get('init')} / {decoders.get('posterior')}"),
        *tail,
    ]


def title_and_lead(results: dict[str, Any]) -> tuple[str, str]:
    """The default heading and the sentence under it, saying what the page answers for this kind of run."""
    decoders, dataset = results["decoders"], results["dataset"]
    if is_score_run(results):
        reference, reconstruction = Path(str(dataset.get("root"))).name, Path(str(decoders.get("reconstruction"))).name
        return (
            f"{reconstruction} scored against {reference}",
            "How close the reconstructed videos are to their references (scored by evalkit score: videos decoded "
            "elsewhere, paired by file name).",
        )
    student = decoders.get("student")
    teacher = decoders["teacher"]["name"]
    if not results["metrics"] and results.get("generation"):
        return (
            f"{decoders.get('pair')} on generated videos",
            f"How the student {student['name'] if student else '(none)'} decodes generated latents compared with "
            f"its teacher {teacher}.",
        )
    return (
        f"{decoders.get('pair')} on {dataset.get('name')}",
        f"How much quality the student {student['name'] if student else '(none)'} gives up against its "
        f"teacher {teacher}, where, what it looks like, and what it buys.",
    )
