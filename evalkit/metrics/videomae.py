"""VideoMAE features for content-debiased FVD (Ge et al., ECCV 2024), behind the I3D detector's call signature.

Ge et al. show I3D features barely react to temporal corruption and compute the same Fréchet distance on
VideoMAE features instead. evalkit uses the transformers-native VideoMAE v1 ViT-B checkpoint
``MCG-NJU/videomae-base`` (self-supervised on Kinetics-400; not the paper's VideoMAE-v2 giant): each clip's
``num_frames`` (16) frames are taken evenly spaced over the clip (index ``round(linspace(0, T - 1, 16))``),
resized to ``image_size``² (224²) with antialiased bilinear interpolation (aspect ratio not kept, no crop),
scaled to [0, 1] and normalised with the checkpoint's image mean/std; the feature is the mean of the last
hidden state over all tokens (768 values for ViT-B).
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch.nn import functional

from evalkit.errors import InputError

BACKBONE = "VideoMAE v1 ViT-B (MCG-NJU/videomae-base, self-supervised on Kinetics-400)"
POOLING = "mean of the last hidden state over all tokens"


class VideoMAEFileError(InputError, RuntimeError):
    """The VideoMAE folder does not hold a loadable transformers VideoMAE checkpoint."""


class VideoMAEDetector(torch.nn.Module):
    """Clip features ``(B, hidden_size)`` from a ``VideoMAEModel``, called like the StyleGAN-V I3D detector.

    Args:
        model: a ``transformers.VideoMAEModel`` in eval mode.
        image_mean: per-channel mean of [0, 1] RGB the checkpoint was trained with.
        image_std: per-channel standard deviation, likewise.
    """

    def __init__(self, model: torch.nn.Module, image_mean: list[float], image_std: list[float]) -> None:
        super().__init__()
        self.model = model
        self.num_frames = int(model.config.num_frames)
        self.image_size = int(model.config.image_size)
        self.feature_dim = int(model.config.hidden_size)
        self.register_buffer("mean", torch.tensor(image_mean, dtype=torch.float32).view(1, 1, 3, 1, 1))
        self.register_buffer("std", torch.tensor(image_std, dtype=torch.float32).view(1, 1, 3, 1, 1))

    @property
    def input_label(self) -> str:
        """How clips are fed to the model and pooled into a feature, for the FVD variant label."""
        return (
            f"{self.num_frames} frames evenly spaced over the clip, resized to {self.image_size}² (bilinear, "
            f"antialiased, no crop), [0,1] normalised with the checkpoint's image mean/std; feature: {POOLING} "
            f"({self.feature_dim} values)"
        )

    def forward(
        self, video: torch.Tensor, rescale: bool = True, resize: bool = True, return_features: bool = True
    ) -> torch.Tensor:
        """Features of float clips ``(B, 3, T, H, W)`` in [0, 255]; the flags exist for the I3D signature and
        must stay True (VideoMAE always rescales, resizes and returns features)."""
        if not (rescale and resize and return_features):
            raise ValueError("VideoMAE features always rescale, resize and return features")
        batch, channels, frames, height, width = video.shape
        index = torch.linspace(0, frames - 1, self.num_frames, device=video.device).round().long()
        clips = video.index_select(2, index).permute(0, 2, 1, 3, 4).reshape(-1, channels, height, width)
        size = (self.image_size, self.image_size)
        clips = functional.interpolate(clips, size=size, mode="bilinear", align_corners=False, antialias=True)
        clips = clips.reshape(batch, self.num_frames, channels, self.image_size, self.image_size) / 255.0
        pixels = (clips - self.mean) / self.std
        return self.model(pixel_values=pixels).last_hidden_state.mean(dim=1)


def load_videomae(weights_file: str | Path, device: str | torch.device = "cpu") -> VideoMAEDetector:
    """The VideoMAE detector from the folder holding ``weights_file`` (``model.safetensors``) with its
    ``config.json`` and ``preprocessor_config.json``, loaded offline."""
    from transformers import VideoMAEImageProcessor, VideoMAEModel

    folder = Path(weights_file).parent
    try:
        model = VideoMAEModel.from_pretrained(folder, local_files_only=True, use_safetensors=True)
        processor = VideoMAEImageProcessor.from_pretrained(folder, local_files_only=True)
    except (OSError, ValueError) as exc:
        raise VideoMAEFileError(
            f"{folder}: not a transformers VideoMAE checkpoint ({str(exc).splitlines()[0]}); fetch it with "
            "`evalkit weights fetch videomae-base`"
        ) from None
    return VideoMAEDetector(model.eval(), list(processor.image_mean), list(processor.image_std)).to(device)
