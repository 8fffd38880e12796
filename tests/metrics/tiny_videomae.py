"""A tiny randomly initialised VideoMAE checkpoint, built offline, in the layout of MCG-NJU/videomae-base."""

from __future__ import annotations

from pathlib import Path

import torch

TINY_HIDDEN = 32
IMAGE_MEAN = [0.485, 0.456, 0.406]
IMAGE_STD = [0.229, 0.224, 0.225]


def save_tiny_videomae(folder: Path) -> Path:
    """Write ``model.safetensors``, ``config.json`` and ``preprocessor_config.json`` (16 frames, 32², 32 features)
    into ``folder`` and return the folder."""
    from transformers import VideoMAEConfig, VideoMAEImageProcessor, VideoMAEModel

    torch.manual_seed(0)
    config = VideoMAEConfig(
        image_size=32,
        patch_size=16,
        num_frames=16,
        tubelet_size=2,
        hidden_size=TINY_HIDDEN,
        num_hidden_layers=2,
        num_attention_heads=4,
        intermediate_size=64,
    )
    VideoMAEModel(config).save_pretrained(folder)
    VideoMAEImageProcessor(image_mean=IMAGE_MEAN, image_std=IMAGE_STD).save_pretrained(folder)
    return folder
