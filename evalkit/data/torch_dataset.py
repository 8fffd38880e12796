"""The torch ``Dataset`` over a clip manifest, and the collate function that lets bad clips pass as errors."""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from typing import Any

import torch
import torchvision.transforms.v2.functional  # noqa: F401 - the protocol's resize; loaded here, before DataLoader
from torch.utils.data import Dataset  # workers fork, so they inherit it instead of each importing torchvision (2.3 s)

from evalkit.data.backends import DecodeError, read_video, resolve_backend
from evalkit.data.limits import DEFAULT_MAX_FRAME_PIXELS
from evalkit.data.manifest import ClipManifest
from evalkit.data.protocol import ClipProtocol

logger = logging.getLogger(__name__)


class ClipDataset(Dataset):
    """Decoded, resized clips of a manifest: ``{"clip_id", "frames": uint8 (T, H, W, 3), "label",
    "decode_warnings": [FFmpeg warning lines]}``.

    A clip that fails to decode yields ``{"clip_id", "error": reason, "label"}`` instead of raising, so
    one bad file never stops a run. ``protocol`` defaults to the manifest's and must match it if given.
    Frames over ``max_frame_pixels`` are refused from the header; ``guard(clip_id)``, if given, is a context
    manager held around each decode (the run uses it to find a file whose decoding killed the process).
    """

    def __init__(
        self,
        manifest: ClipManifest,
        protocol: ClipProtocol | None = None,
        backend: str = "auto",
        max_frame_pixels: int = DEFAULT_MAX_FRAME_PIXELS,
        guard: Callable[[str], AbstractContextManager[Any]] | None = None,
    ) -> None:
        manifest_protocol = ClipProtocol.from_dict(manifest.protocol)
        if protocol is not None and protocol.hash() != manifest_protocol.hash():
            raise ValueError(
                f"protocol {protocol.hash()} differs from the manifest's {manifest_protocol.hash()}; "
                "rebuild the manifest with this protocol"
            )
        self.manifest = manifest
        self.protocol = manifest_protocol
        self.backend = resolve_backend(backend)
        self.max_frame_pixels = max_frame_pixels
        self.guard = guard or _unguarded

    def __len__(self) -> int:
        return len(self.manifest.clips)

    def __getitem__(self, index: int) -> dict[str, Any]:
        clip = self.manifest.clips[index]
        warnings: list[str] = []
        try:
            with self.guard(clip.clip_id):
                frames = read_video(
                    self.manifest.resolve(clip), clip.frame_indices, self.backend, self.max_frame_pixels, warnings
                )
        except DecodeError as exc:
            logger.warning("skipping clip %s: %s", clip.clip_id, exc)
            return {"clip_id": clip.clip_id, "error": exc.reason, "label": clip.label}
        frames = torch.from_numpy(self.protocol.transform(frames))
        if warnings:
            logger.debug("clip %s decoded with FFmpeg warnings: %s", clip.clip_id, warnings)
        return {"clip_id": clip.clip_id, "frames": frames, "label": clip.label, "decode_warnings": warnings}


def _unguarded(clip_id: str) -> AbstractContextManager[None]:
    return nullcontext()


def collate_clips(items: list[dict[str, Any]]) -> dict[str, Any]:
    """Stack the good clips of a batch and pass the failed ones through.

    Returns ``{"clip_id": [...], "frames": uint8 (B, T, H, W, 3) or None, "label": [...],
    "errors": [(clip_id, reason), ...]}``; ``clip_id``/``label`` list the good clips only.
    """
    good = [item for item in items if "error" not in item]
    shapes = sorted({tuple(item["frames"].shape) for item in good})
    if len(shapes) > 1:
        raise ValueError(f"clips in one batch differ in shape {shapes}; use batch_size=1 or a cropping protocol")
    return {
        "clip_id": [item["clip_id"] for item in good],
        "frames": torch.stack([item["frames"] for item in good]) if good else None,
        "label": [item["label"] for item in good],
        "errors": [(item["clip_id"], item["error"]) for item in items if "error" in item],
    }
