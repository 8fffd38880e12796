"""Held-out evaluation of a distillation checkpoint through the `evalkit run` pipeline (one code path for numbers).

Each evaluation is an ordinary run folder (``<out>/eval/step-000100/results.json`` and report); the headline
numbers are appended to ``<out>/eval_log.csv`` so the training curve and the held-out curve sit side by side.
"""

from __future__ import annotations

import csv
import logging
from pathlib import Path
from typing import Any

from evalkit.distill.checkpoints import DECODER_FILE
from evalkit.distill.config import DistillConfig

logger = logging.getLogger(__name__)

EVAL_LOG_FILE = "eval_log.csv"
EVAL_METRICS = ("psnr", "ssim")


def student_decoder_name(config: DistillConfig) -> str:
    """The registry name that pairs ``config.teacher`` with a student (``--eval-decoder``, else the first found)."""
    from evalkit.models.registry import DECODERS

    if config.eval_decoder is not None:
        return config.eval_decoder
    teacher_key = DECODERS.get(config.teacher).teacher
    for name in DECODERS.names():
        spec = DECODERS.get(name)
        if spec.teacher == teacher_key and spec.student_preset is not None and spec.student_kind == "turbo-vaed":
            return name
    raise ValueError(
        f"no registered student decoder uses the teacher of {config.teacher!r}; pass --eval-decoder NAME "
        "(a registry name whose teacher matches) or drop --eval-every"
    )


def headline(results: dict[str, Any]) -> dict[str, float | None]:
    """``{"psnr/teacher": ..., "psnr/student": ..., "psnr/retention": ..., ...}`` from a results document."""
    row: dict[str, float | None] = {}
    for name, metric in sorted(results["metrics"].items()):
        if not metric.get("available"):
            continue
        for comparison, estimate in metric["values"].items():
            row[f"{name}/{comparison}"] = estimate["value"]
        if "retention" in metric.get("paired", {}):
            row[f"{name}/retention"] = metric["paired"]["retention"]["value"]
    return row


def check_evaluation_names(config: DistillConfig) -> None:
    """Fail before training when the held-out dataset or the student decoder name cannot be used."""
    from evalkit.data import DATASETS
    from evalkit.models.registry import DECODERS

    DATASETS.get(config.eval_dataset)
    DECODERS.get(student_decoder_name(config))


def evaluate_checkpoint(config: DistillConfig, checkpoint: Path, student_config: dict[str, Any]) -> dict[str, Any]:
    """Run the held-out evaluation of ``checkpoint``'s EMA decoder; returns its headline numbers."""
    from evalkit.pipeline import run
    from evalkit.pipeline.config import RunConfig

    out = Path(config.out)
    run_config = RunConfig(
        decoder=student_decoder_name(config),
        dataset=config.eval_dataset,
        root=config.eval_root,
        split=config.eval_split,
        max_clips=config.eval_max_clips,
        student_weights=str(checkpoint / DECODER_FILE),
        teacher_weights=config.teacher_weights,
        student_config=student_config,
        metrics=EVAL_METRICS,
        posterior="mode",
        device="cpu",
        out=str(out / "eval" / checkpoint.name),
        seed=config.seed,
        progress=False,
        no_cache=True,
        profile="off",
    )
    result = run(run_config)
    row = {"step": checkpoint.name.removeprefix("step-"), **headline(result.results or {"metrics": {}})}
    log = out / EVAL_LOG_FILE
    write_header = not log.exists()
    with open(log, "a", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(row))
        if write_header:
            writer.writeheader()
        writer.writerow(row)
    logger.info("held-out evaluation at %s: %s", checkpoint.name, row)
    return row
