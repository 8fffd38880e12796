"""Feature alignment: project student block outputs onto the teacher's and take the MSE (SPEC §5, §9).

A head maps ``student_ch -> projected_ch``; the projected tensor is then reshaped to the teacher block's layout
as the official training script does: 4x the teacher's channels -> per-frame 2-D pixel shuffle (HunyuanVideo),
8x -> 3-D unpack in LTX order with the first frame dropped (CogVideoX), equal -> used as is (LTX-Video 0.9.0).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import torch
from torch import nn
from torch.nn import functional

from evalkit.models.turbo_vaed import ProjectionHeads


def pixel_shuffle_frames(x: torch.Tensor) -> torch.Tensor:
    """``(B, 4C, T, H, W) -> (B, C, T, 2H, 2W)``: a 2-D pixel shuffle by 2 on every frame (c·4 + i·2 + j)."""
    batch, channels, frames, height, width = x.shape
    flat = x.permute(0, 2, 1, 3, 4).reshape(batch * frames, channels, height, width)
    out = functional.pixel_shuffle(flat, 2)
    return out.reshape(batch, frames, channels // 4, 2 * height, 2 * width).permute(0, 2, 1, 3, 4)


def unpack_ltx_order(x: torch.Tensor) -> torch.Tensor:
    """``(B, 8C, T, H, W) -> (B, C, 2T-1, 2H, 2W)``: channel ((c·2 + dt)·2 + i)·2 + j goes to (2t+dt, 2h+i, 2w+j);
    frame 0 is dropped (SPEC §5; this is LTX's upsampler order, not the Turbo-VAED decoder's own)."""
    batch, channels, frames, height, width = x.shape
    out = x.reshape(batch, channels // 8, 2, 2, 2, frames, height, width)
    out = out.permute(0, 1, 5, 2, 6, 3, 7, 4).reshape(batch, channels // 8, 2 * frames, 2 * height, 2 * width)
    return out[:, :, 1:]


def to_teacher_layout(projected: torch.Tensor, teacher_shape: torch.Size | Sequence[int], name: str) -> torch.Tensor:
    """Reshape a projected student feature to the teacher block's ``(B, C, T, H, W)`` by the channel-ratio rule."""
    teacher_channels = teacher_shape[1]
    ratio, remainder = divmod(projected.shape[1], teacher_channels)
    if remainder == 0 and ratio == 4:
        projected = pixel_shuffle_frames(projected)
    elif remainder == 0 and ratio == 8:
        projected = unpack_ltx_order(projected)
    if tuple(projected.shape) != tuple(teacher_shape):
        raise ValueError(
            f"feature alignment at {name}: the projected student feature has shape {tuple(projected.shape)} but the "
            f"teacher block gives {tuple(teacher_shape)}; projected channels must equal the teacher's, or be 4x "
            "(per-frame pixel shuffle) or 8x (3-D unpack) of them, with matching frames and size"
        )
    return projected


class FeatureAlignmentLoss(nn.Module):
    """Sum over aligned blocks of MSE(reshape(head_n(student[block_n])), teacher[block_n].detach()).

    Args:
        heads: the student's projection heads (``heads[n]`` reads block ``heads.feature_names[n]``).
    """

    def __init__(self, heads: ProjectionHeads) -> None:
        super().__init__()
        self.heads = heads

    def per_block(
        self, student: Mapping[str, torch.Tensor], teacher: Mapping[str, torch.Tensor]
    ) -> dict[str, torch.Tensor]:
        """MSE of each aligned block, by block name."""
        losses = {}
        for head, name in zip(self.heads, self.heads.feature_names, strict=True):
            target = teacher[name].detach()
            projected = to_teacher_layout(head(student[name]), target.shape, name)
            losses[name] = functional.mse_loss(projected.float(), target.float())
        return losses

    def forward(self, student: Mapping[str, torch.Tensor], teacher: Mapping[str, torch.Tensor]) -> torch.Tensor:
        """The summed alignment loss (a scalar)."""
        return torch.stack(list(self.per_block(student, teacher).values())).sum()
