"""`evalkit generate-check` settings: one dataclass the CLI fills from its flags, written to results as ``config``."""

from __future__ import annotations

from dataclasses import MISSING, asdict, dataclass, fields
from pathlib import Path
from typing import Any

from evalkit.hashing import canonical_sha256
from evalkit.options import MetricVariants

OPERATIONAL_FIELDS = ("out", "into", "progress")
"""Settings that say where results go, not what they are: left out of the default folder's hash."""


@dataclass(frozen=True)
class GenerateCheckConfig(MetricVariants):
    """Everything one generation check needs; each field is the `evalkit generate-check` flag of the same name.

    Latents come from ``pipeline`` (a diffusers folder or Hub id, prompts x seeds, generation settings left ``None``
    take the pipeline family's) or from the saved ``latents`` folder. ``metrics`` is the comma-separated list as
    given. Results go to ``out``, into the existing run ``into``, or to :attr:`run_dir`'s default.
    """

    decoder: str
    pipeline: str | None = None
    latents: str | None = None
    student_weights: str | None = None
    teacher_weights: str | None = None
    init: str = "pretrained"
    prompts: str | None = None
    prompt_column: str = "prompt"
    seeds: tuple[int, ...] = (0,)
    max_samples: int | None = None
    num_frames: int | None = None
    height: int | None = None
    width: int | None = None
    steps: int | None = None
    guidance_scale: float | None = None
    max_sequence_length: int | None = None
    pipeline_dtype: str = "auto"
    pipeline_offload: str = "none"
    save_latents: str | None = None
    generate_only: bool = False
    metrics: str = "psnr,ssim,lpips,fvd"
    reference_dataset: str | None = None
    reference_root: str | None = None
    reference_split: str | None = None
    reference_fold: int | None = None
    reference_max_clips: int | None = None
    bootstrap_resamples: int = 1000
    save_clips: int = 4
    flicker: bool = False
    seed: int = 0
    device: str = "auto"
    dtype: str = "float32"
    offload: str = "auto"
    out: str | None = None
    into: str | None = None
    progress: bool = True

    @property
    def metric_names(self) -> tuple[str, ...]:
        """The metrics to compute, in the order given."""
        return tuple(self.metrics.split(","))

    def check(self) -> None:
        """Raise ``ValueError`` naming the first unknown registry name or contradictory pair of settings."""
        from evalkit.data import DATASETS
        from evalkit.metrics import METRICS
        from evalkit.models.registry import DECODERS

        names = [(DECODERS, self.decoder)] + [(METRICS, name) for name in self.metric_names]
        if self.reference_dataset:
            names.append((DATASETS, self.reference_dataset))
        for registry, name in names:
            if name not in registry:
                raise ValueError(f"unknown {registry.kind} {name!r}; choose one of: {', '.join(registry.names())}")
        if bool(self.pipeline) == bool(self.latents):
            raise ValueError("give --pipeline MODEL (generate latents) or --latents DIR (saved latents), one of them")
        if self.generate_only and not (self.pipeline and self.save_latents):
            raise ValueError("--generate-only needs --pipeline and --save-latents DIR (where the latents go)")
        if self.out and self.into:
            raise ValueError("give --out (new run folder) or --into (existing run), not both")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict of every setting, sorted by name."""
        return dict(sorted(asdict(self).items()))

    @property
    def run_dir(self) -> Path:
        """``into``, ``out``, or ``reports/gen-<decoder>-<12 hex>`` from the settings that change results."""
        if self.into or self.out:
            return Path(self.into or self.out)
        settled = {key: value for key, value in self.to_dict().items() if key not in OPERATIONAL_FIELDS}
        digest = canonical_sha256(settled, length=12, compact=False)
        return Path("reports") / f"gen-{self.decoder}-{digest}"


def config_defaults() -> dict[str, Any]:
    """Every setting's default: the one place the `evalkit generate-check` parser reads them from."""
    return {field.name: field.default for field in fields(GenerateCheckConfig) if field.default is not MISSING}
