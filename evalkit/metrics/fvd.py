"""FVD with the StyleGAN-V I3D TorchScript detector, as a streaming metric.

StyleGAN-V's own protocol (``fvd2048_16f``) is 2048 clips of 16 frames per set; evalkit runs use the clip
protocol's frame count (17 by default) and however many clips the dataset gives, so every result carries
both (``n_clips``, ``frames``) and whether N reaches the documented minimum (``comparable``; see
``evalkit.metrics.fvd_sample_size``). Features of every clip are pooled into float64 sufficient statistics
(``FeatureStats``) for the reference and the candidate set; FVD is the Fréchet distance of the two
Gaussians. Averaging per-batch FVDs, or computing them per rank, gives different (wrong) numbers, so only
pooled statistics are ever combined. Per-clip features are kept too (float32, as the detector emits them)
for FVD∞, the small-N-bias-free estimate.

Variants (each result carries its full label, because FVDs from different conventions are not comparable):

* ``"stylegan-v"`` (standard): uint8 values [0, 255] as float, ``rescale=True, resize=True,
  return_features=True``; covariance divided by N.
* ``"turbo-vaed-compat"`` (non-standard): the official Turbo-VAED script's input handling, [0, 1] floats
  into ``rescale=False, resize=True``, covariance divided by N - 1 (``np.cov``). The detector then sees a
  shifted, half-contrast signal; use it only to compare with that paper's numbers.
* ``"videomae"`` (content-debiased FVD, Ge et al. ECCV 2024; non-standard): the same Fréchet distance
  (covariance divided by N) on VideoMAE v1 ViT-B features (``evalkit.metrics.videomae`` states the input and
  pooling); N must reach 2 x 768 clips to be comparable.

Every result's variant names its ``backbone`` and ``feature_dim``, so FVDs on different features never mix.

The detector is TorchScript, i.e. it carries code, so its file is hashed right before ``torch.jit.load`` and
refused when the hash differs from the one the weights resolver vouched for (or the one the caller requires),
then refused unless it maps a (1, 3, 16, 224, 224) probe to 400 features. No published sha256 of StyleGAN-V's
``i3d_torchscript.pt`` was found (public code, issues and model-hub listings searched in 2026-12), so the pin is
the first fetched file's hash and results say so.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import torch

from evalkit.errors import InputError
from evalkit.metrics.base import STATE_VERSION, check_clip_pair, check_state_header
from evalkit.metrics.contract import Metric, PooledMetric
from evalkit.metrics.frechet import FeatureStats, frechet_distance
from evalkit.metrics.fvd_sample_size import (
    I3D_FEATURE_DIM,
    TooFewClipsError,
    extrapolate,
    min_clips,
    min_clips_for_extrapolation,
    sample_size_fields,
)
from evalkit.metrics.videomae import BACKBONE as VIDEOMAE_BACKBONE
from evalkit.metrics.videomae import VideoMAEFileError, load_videomae
from evalkit.weights import resolve, sha256_file

if TYPE_CHECKING:
    from evalkit.metrics.factory import MetricOptions

logger = logging.getLogger(__name__)

DETECTOR_FILE = "i3d_torchscript.pt"
DETECTOR_PROBE_SHAPE = (1, 3, 16, 224, 224)
DETECTOR_TRUST = "unverified detector (sha256 pinned on first use)"
I3D_BACKBONE = "I3D (StyleGAN-V TorchScript, Kinetics-400 classifier)"


@dataclass(frozen=True)
class FVDProtocol:
    """How clips are fed to the detector and how the covariance is normalised (defaults: StyleGAN-V's I3D input)."""

    name: str
    title: str
    input_range: str = "[0,255]"
    rescale: bool = True
    resize: bool = True
    covariance: str = "biased"
    standard: bool = False
    backbone: str = I3D_BACKBONE


FVD_VARIANTS: dict[str, FVDProtocol] = {
    "stylegan-v": FVDProtocol("stylegan-v", "StyleGAN-V", standard=True),
    "turbo-vaed-compat": FVDProtocol(
        "turbo-vaed-compat", "Turbo-VAED-compat", "[0,1]", rescale=False, covariance="unbiased"
    ),
    "videomae": FVDProtocol("videomae", "content-debiased (VideoMAE ViT-B)", backbone=VIDEOMAE_BACKBONE),
}
DETECTOR_WEIGHTS: dict[str, str] = {
    "stylegan-v": "i3d-torchscript",
    "turbo-vaed-compat": "i3d-torchscript",
    "videomae": "videomae-base",
}
"""The weight file (``evalkit.weights`` name) each variant's detector loads."""


class DetectorRefusedError(InputError, RuntimeError):
    """The detector file is not used: its sha256 or its output is not the StyleGAN-V I3D's."""


class DetectorHashError(DetectorRefusedError):
    """The detector file's sha256 is not the expected one; TorchScript carries code, so it is not loaded."""


class DetectorFileError(InputError, RuntimeError):
    """The detector file is not a loadable TorchScript archive (a pickle, a truncated download, another file)."""


def load_detector(path: str | Path, expected_sha256: str, device: str | torch.device = "cpu") -> torch.jit.ScriptModule:
    """Hash the TorchScript detector at ``path``, refuse it unless it matches ``expected_sha256``, load it, and
    refuse it unless it maps a ``DETECTOR_PROBE_SHAPE`` probe to ``I3D_FEATURE_DIM`` finite features."""
    actual = sha256_file(path)
    if actual != expected_sha256.lower():
        raise DetectorHashError(
            f"refusing to load FVD detector {path}: its sha256 is {actual}, expected {expected_sha256}. "
            "A TorchScript file runs code when loaded; fetch the genuine file with "
            "`evalkit weights fetch i3d-torchscript`, or pass this file explicitly if you trust it."
        )
    try:
        detector = torch.jit.load(str(path), map_location=device).eval()
    except RuntimeError as exc:
        raise DetectorFileError(
            f"{path}: not a TorchScript detector ({str(exc).split('. ')[0]}); nothing in it was run. Pass the "
            "I3D file from `evalkit weights fetch i3d-torchscript` (i3d_torchscript.pt) as --fvd-detector"
        ) from None
    probe = torch.linspace(0, 255, int(np.prod(DETECTOR_PROBE_SHAPE)), device=device).reshape(DETECTOR_PROBE_SHAPE)
    with torch.no_grad():
        output = detector(probe, rescale=True, resize=True, return_features=True)
    if tuple(output.shape) != (1, I3D_FEATURE_DIM) or not torch.isfinite(output).all():
        raise DetectorRefusedError(
            f"refusing FVD detector {path}: it maps a {DETECTOR_PROBE_SHAPE} probe to "
            f"{'non-finite values' if tuple(output.shape) == (1, I3D_FEATURE_DIM) else tuple(output.shape)}, "
            f"not (1, {I3D_FEATURE_DIM}) features as StyleGAN-V's I3D does; "
            "fetch the genuine file with `evalkit weights fetch i3d-torchscript`"
        )
    return detector


class FVD(PooledMetric):
    """Streaming FVD: ``update`` uint8 clip pairs, ``compute`` the Fréchet distance of the pooled features.

    Args:
        detector: the I3D TorchScript module (or any module with its call signature).
        detector_sha256: sha256 of the detector file, recorded in every result.
        variant: a key of ``FVD_VARIANTS``.
        device: where the detector runs.
        clip_batch: clips per detector call.
        keep_features: also keep per-clip features for FVD∞ (2 x D float32 per clip); not possible with
            ``reference_stats``, whose clips are gone.
        reference_stats: precomputed (cached) reference statistics; ``update`` then takes ``reference=None``.
        seed: seeds FVD∞'s random subsets.
        feature_dim: the detector's feature size (sets the minimum N: 2 x ``feature_dim``).
        detector_input: how clips are fed to a non-I3D detector, for the label (None for I3D).
        detector_trust: how far the detector file is vouched for, for the label.
    """

    name: ClassVar[str] = "fvd"
    higher_is_better: ClassVar[bool] = False
    unavailable_errors: ClassVar[tuple[type[Exception], ...]] = (DetectorRefusedError, VideoMAEFileError)

    def __init__(
        self,
        detector: torch.nn.Module,
        detector_sha256: str,
        variant: str = "stylegan-v",
        device: str | torch.device = "cpu",
        clip_batch: int = 4,
        keep_features: bool = True,
        reference_stats: FeatureStats | None = None,
        detector_name: str = DETECTOR_FILE,
        seed: int = 0,
        feature_dim: int = I3D_FEATURE_DIM,
        detector_input: str | None = None,
        detector_trust: str = DETECTOR_TRUST,
    ) -> None:
        if variant not in FVD_VARIANTS:
            raise ValueError(f"unknown FVD variant {variant!r}; choose one of: {', '.join(FVD_VARIANTS)}")
        self.seed = seed
        self.feature_dim = feature_dim
        self.detector_input = detector_input
        self.detector_trust = detector_trust
        self.detector = detector
        self.detector_sha256 = detector_sha256
        self.detector_name = detector_name
        self.protocol = FVD_VARIANTS[variant]
        self.device = torch.device(device)
        self.clip_batch = clip_batch
        self.keep_features = keep_features
        self._empty(reference_stats)

    def _empty(self, reference_stats: FeatureStats | None) -> None:
        """No clips yet; the reference set is ``reference_stats`` (cached: no per-clip features kept) if given."""
        self.keep_features = self.keep_features and reference_stats is None
        self.reference_frozen = reference_stats is not None
        self.reference_stats = copy.deepcopy(reference_stats) if reference_stats is not None else FeatureStats()
        self.candidate_stats = FeatureStats()
        self.frames_per_clip: int | None = None
        self._clip_ids: list[str] = []
        self._features: dict[str, tuple[np.ndarray, np.ndarray]] = {}

    @classmethod
    def from_options(cls, options: MetricOptions) -> FVD:
        """FVD of ``options.fvd_variant`` with its detector (I3D or VideoMAE) from ``options.fvd_detector`` or the
        weights resolver; the I3D file is refused unless its hash and probe output are StyleGAN-V's."""
        if options.fvd_variant not in FVD_VARIANTS:
            raise ValueError(f"unknown FVD variant {options.fvd_variant!r}; choose one of: {', '.join(FVD_VARIANTS)}")
        resolved = resolve(cls.weight_name(options), options.fvd_detector, options.allow_download)
        settings = {"variant": options.fvd_variant, "device": options.device, "clip_batch": options.clip_batch}
        if options.fvd_variant != "videomae":
            detector = load_detector(resolved.path, resolved.sha256, options.device)
            return cls(detector, resolved.sha256, detector_name=resolved.path.name, **settings)
        backbone = load_videomae(resolved.path, options.device)
        return cls(
            backbone,
            resolved.sha256,
            detector_name=f"{resolved.name} ({resolved.path.name})",
            feature_dim=backbone.feature_dim,
            detector_input=backbone.input_label,
            detector_trust=f"sha256 recorded on load; Hub revision {resolved.revision or 'not known (explicit path)'}",
            **settings,
        )

    @classmethod
    def weight_name(cls, options: MetricOptions) -> str | None:
        """The detector file of ``options.fvd_variant``."""
        return DETECTOR_WEIGHTS.get(options.fvd_variant)

    def too_few_clips(self, num_clips: int) -> str | None:
        """Why ``num_clips`` clips per set cannot give this FVD (its covariance needs 1 or 2 clips per set); logs
        what a small N costs (not comparable, no FVD∞)."""
        if num_clips < self.clips_needed:
            needs = f"FVD ({self.protocol.name}) needs at least {self.clips_needed} clips per set"
            return f"{needs}; the manifest has {num_clips}"
        minimum = min_clips(self.feature_dim)
        if num_clips < minimum:
            logger.warning("FVD from %d clips will be marked not comparable (minimum %d per set)", num_clips, minimum)
        if num_clips < min_clips_for_extrapolation(self.feature_dim):
            logger.warning(
                "FVD∞ unavailable: it needs %d clips per set, the manifest has %d",
                min_clips_for_extrapolation(self.feature_dim),
                num_clips,
            )
        return None

    def fresh(self, reference_stats: FeatureStats | None = None) -> FVD:
        twin = copy.copy(self)
        twin._empty(reference_stats)
        return twin

    @property
    def clips_needed(self) -> int:
        """Clips per set this variant's covariance needs (1 when divided by N as StyleGAN-V does, 2 by N - 1)."""
        return 2 if self.protocol.covariance == "unbiased" else 1

    @property
    def variant(self) -> dict[str, Any]:
        """Everything that makes two FVD values comparable (the number of clips is in ``compute()``)."""
        return {
            **asdict(self.protocol),
            "detector": self.detector_name,
            "detector_sha256": self.detector_sha256,
            "return_features": True,
            "frames_per_clip": self.frames_per_clip,
            "feature_dim": self.feature_dim,
            **({"detector_input": self.detector_input} if self.detector_input else {}),
        }

    @torch.no_grad()
    def features(self, clips: torch.Tensor) -> torch.Tensor:
        """Detector features ``(B, D)`` (float64, CPU) of uint8 clips ``(B, T, H, W, 3)``."""
        chunks = []
        for start in range(0, clips.shape[0], self.clip_batch):
            video = clips[start : start + self.clip_batch].to(self.device).permute(0, 4, 1, 2, 3).to(torch.float32)
            video = video / 255.0 if self.protocol.input_range == "[0,1]" else video
            feats = self.detector(
                video, rescale=self.protocol.rescale, resize=self.protocol.resize, return_features=True
            )
            chunks.append(feats.to("cpu", torch.float64))
        return torch.cat(chunks)

    def update(self, reference: torch.Tensor | None, candidate: torch.Tensor, clip_ids: Sequence[str]) -> None:
        """Add a batch of uint8 clips ``(B, T, H, W, 3)``; ``reference`` is None when its stats were cached."""
        if self.reference_frozen and reference is not None:
            raise ValueError("fvd: reference statistics were supplied (cached); call update(None, candidate, ids)")
        if not self.reference_frozen and reference is None:
            raise ValueError("fvd: reference clips are required unless reference_stats were supplied")
        ids = check_clip_pair(candidate if reference is None else reference, candidate, clip_ids)
        self._check_clips(ids, candidate.shape[1])
        ref_feats = None if reference is None else self.features(reference)
        self.update_features(ref_feats, self.features(candidate), ids, candidate.shape[1])

    def update_features(
        self,
        reference_features: torch.Tensor | None,
        candidate_features: torch.Tensor,
        clip_ids: Sequence[str],
        frames_per_clip: int,
    ) -> None:
        """Add precomputed features ``(B, D)`` of clips of ``frames_per_clip`` frames (lets one detector pass
        serve several comparisons)."""
        ids = [str(clip_id) for clip_id in clip_ids]
        self._check_clips(ids, frames_per_clip)
        if (reference_features is None) != self.reference_frozen:
            raise ValueError("fvd: pass reference features exactly when no cached reference_stats were supplied")
        if reference_features is not None:
            self.reference_stats.add(reference_features)
        self.candidate_stats.add(candidate_features)
        if self.keep_features:
            for row, clip_id in enumerate(ids):
                self._features[clip_id] = (
                    np.asarray(reference_features[row], np.float32),
                    np.asarray(candidate_features[row], np.float32),
                )
        self._clip_ids.extend(ids)

    def _check_clips(self, ids: list[str], num_frames: int) -> None:
        seen = sorted(set(ids) & set(self._clip_ids))
        if seen:
            raise ValueError(f"fvd: clip ids already added (duplicates would be double-counted): {seen[:5]}")
        if self.frames_per_clip is None:
            self.frames_per_clip = num_frames
        elif num_frames != self.frames_per_clip:
            raise ValueError(
                f"fvd: every clip needs the same length; got {num_frames} frames after {self.frames_per_clip}"
            )

    def compute(self) -> dict[str, Any]:
        """The Fréchet distance of the pooled reference and candidate features, with its variant label (which
        carries N and frames), and FVD∞ (``extrapolated``: the fit, or ``available: False`` with the reason)."""
        covariance = self.protocol.covariance
        mu_ref, sigma_ref = self.reference_stats.mean_cov(covariance)
        mu_cand, sigma_cand = self.candidate_stats.mean_cov(covariance)
        n_clips = min(self.reference_stats.count, self.candidate_stats.count)
        return {
            "value": frechet_distance(mu_ref, sigma_ref, mu_cand, sigma_cand),
            "num_clips": self.candidate_stats.count,
            "num_reference_clips": self.reference_stats.count,
            "higher_is_better": self.higher_is_better,
            "variant": {
                **self.variant,
                **sample_size_fields(n_clips, self.frames_per_clip, self.feature_dim),
                "detector_trust": self.detector_trust,
            },
            "uncertainty": "point estimate (no CI; see extrapolated for the small-N bias)",
            "extrapolated": self._extrapolated(),
        }

    def _extrapolated(self) -> dict[str, Any]:
        if not self.keep_features:
            return {"available": False, "reason": "FVD∞ needs per-clip reference features; these were cached stats"}
        ids = list(self._features)
        if len(ids) != self.candidate_stats.count:
            kept = f"per-clip features were kept for {len(ids)} of {self.candidate_stats.count} clips"
            return {"available": False, "reason": kept}
        reference = np.stack([self._features[clip_id][0] for clip_id in ids]).astype(np.float64)
        candidate = np.stack([self._features[clip_id][1] for clip_id in ids]).astype(np.float64)
        try:
            fit = extrapolate(reference, candidate, self.protocol.covariance, seed=self.seed)
        except TooFewClipsError as exc:
            return {"available": False, "reason": str(exc)}
        return {"available": True, **fit.to_dict()}

    def state_dict(self) -> dict[str, Any]:
        """Pooled statistics (+ per-clip features if kept) for resume and for gathering ranks."""
        return {
            "version": STATE_VERSION,
            "metric": self.name,
            "variant": self.variant,
            "reference_frozen": self.reference_frozen,
            "reference": self.reference_stats.to_dict(),
            "candidate": self.candidate_stats.to_dict(),
            "clip_ids": list(self._clip_ids),
            "features": copy.deepcopy(self._features),
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Replace this metric's state with a saved one of the same variant and detector."""
        self._check_state(state)
        self.frames_per_clip = state["variant"]["frames_per_clip"]
        self.reference_stats = FeatureStats.from_dict(state["reference"])
        self.candidate_stats = FeatureStats.from_dict(state["candidate"])
        self._clip_ids = list(state["clip_ids"])
        self._features = copy.deepcopy(state["features"])

    def merge(self, other: Metric | dict[str, Any]) -> None:
        """Add another rank's pooled statistics; a clip present on both sides is an error."""
        state = other.state_dict() if isinstance(other, Metric) else other
        self._check_state(state)
        if self.reference_frozen and state["reference"]["count"]:
            raise ValueError("fvd: cannot merge reference features into cached reference_stats")
        self.reference_stats.merge(FeatureStats.from_dict(state["reference"]))  # empty when frozen: a no-op
        if state["clip_ids"]:
            self._check_clips(state["clip_ids"], state["variant"]["frames_per_clip"])
        self.candidate_stats.merge(FeatureStats.from_dict(state["candidate"]))
        self._clip_ids.extend(state["clip_ids"])
        self._features.update(copy.deepcopy(state["features"]))

    def _check_state(self, state: dict[str, Any]) -> None:
        saved_frames = state.get("variant", {}).get("frames_per_clip")
        mine = {**self.variant, "frames_per_clip": saved_frames}
        check_state_header(state, self.name, mine)
        if self.frames_per_clip is not None and saved_frames not in (None, self.frames_per_clip):
            raise ValueError(f"fvd: saved clips have {saved_frames} frames, these have {self.frames_per_clip}")
        if state["reference_frozen"] != self.reference_frozen:
            raise ValueError("fvd: cannot combine a state with cached reference stats and one without")
