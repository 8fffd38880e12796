"""Turbo-VAED decoder building blocks, named so ``state_dict()`` keys match the official checkpoints.

Written from the reference specification (hustvl/Turbo-VAED, commit 9268488), not from its code. Tensors are
``(B, C, T, H, W)``; activations are kept in ``torch.channels_last_3d`` memory, where oneDNN's convolutions, the
channel-wise norms and the replicate time padding are all fastest on CPU.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F  # noqa: N812
from torch import nn

RMS_EPS = 1e-8  # hard-coded in every official RMS norm, independent of resnet_norm_eps
ACTIVATIONS = {"silu": F.silu, "relu": F.relu}
THIN_OUTPUT_CHANNELS = 8  # below this, a full conv runs as one stacked Conv2d over frames (see CausalConv3d)
NATIVE_CONV3D_MAX_SIZE = 20480  # B*C*T*H up to which PyTorch's CPU Conv3d skips oneDNN for its native kernel


def rms_norm_channels(x: torch.Tensor, upcast: bool = True) -> torch.Tensor:
    """Parameter-free RMS norm over the channel axis: ``x / sqrt(mean_C(x^2) + 1e-8)``, in x's dtype.

    ``upcast`` takes the mean square in float32, as the official ``RMSNorm`` modules do; the official inline norm
    before conv_out (patch_size >= 2) takes it in the input dtype instead.
    """
    channels_last = x.movedim(1, -1)
    upcasted = channels_last.float() if upcast else channels_last
    mean_square = torch.linalg.vector_norm(upcasted, dim=-1, keepdim=True).square() / x.shape[1]
    return (channels_last * torch.rsqrt(mean_square + RMS_EPS)).to(x.dtype).movedim(-1, 1)


def replicate_pad_time(x: torch.Tensor, front: int, back: int) -> torch.Tensor:
    """Pad the time axis with copies of the first / last frame (the official convs pad time this way).

    Writes into one buffer in x's memory format (``torch.cat`` of expanded views would fall back to NCDHW).
    """
    if front == back == 0:
        return x
    b, c, t, h, w = x.shape
    channels_last = x.is_contiguous(memory_format=torch.channels_last_3d)
    memory_format = torch.channels_last_3d if channels_last else torch.contiguous_format
    out = torch.empty((b, c, front + t + back, h, w), dtype=x.dtype, device=x.device, memory_format=memory_format)
    out[:, :, front : front + t] = x
    out[:, :, :front] = x[:, :, :1]
    out[:, :, front + t :] = x[:, :, -1:]
    return out


def normalize_activate(
    x: torch.Tensor, activation: str, time_padding: tuple[int, int] = (0, 0), upcast: bool = True
) -> torch.Tensor:
    """``activation(rms_norm_channels(x))``, padded in time by replicating the first/last frame.

    With autograd off (``torch.no_grad`` / ``torch.inference_mode``) this writes straight into one preallocated
    channels-last buffer (norm, in-place activation, edge frames copied), which saves four full passes over the
    tensor compared with the differentiable path; the two paths agree to float32 rounding.
    """
    act = ACTIVATIONS[activation]
    front, back = time_padding
    if torch.is_grad_enabled() or (upcast and x.dtype != torch.float32):
        return replicate_pad_time(act(rms_norm_channels(x, upcast)), front, back)
    xl = x.movedim(1, -1)  # (B, T, H, W, C); contiguous when x is channels_last_3d
    b, t, h, w, c = xl.shape
    buffer = torch.empty((b, front + t + back, h, w, c), dtype=x.dtype, device=x.device)
    middle = buffer[:, front : front + t]
    mean_square = torch.linalg.vector_norm(xl, dim=-1, keepdim=True).square_().div_(c)
    torch.mul(xl, mean_square.add_(RMS_EPS).rsqrt_(), out=middle)
    act(middle, inplace=True)
    if front:
        buffer[:, :front] = middle[:, :1]
    if back:
        buffer[:, front + t :] = middle[:, -1:]
    return buffer.movedim(-1, 1)


class CausalConv3d(nn.Module):
    """Full 3-D conv, stride 1, with zero spatial padding and *replicate* temporal padding.

    Non-causal: (k-1)//2 copies of the first frame in front and of the last frame at the end. Causal: k-1 copies of
    the first frame in front, none at the end. T is preserved either way. Key: ``conv.{weight,bias}``.

    Some calls run "as frames": one Conv2d over all frames whose weight stacks the k temporal taps as output
    channels, the taps then summed with frame offsets clamped at the ends (which is exactly replicate padding).
    Measured on CPU it is several times faster than Conv3d (a) for thin outputs (conv_out, 4 -> 3 channels), where
    oneDNN's 3-D kernels waste their 8-wide output-channel vectors, and (b) for small inputs, which PyTorch hands
    to its native im2col Conv3d kernel (slow with few channels) -- except for widening convs such as the 3-D
    upsamplers, where that kernel's single pass over the large weight wins. The weight is only viewed; the
    state_dict is unchanged.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int = 3, causal: bool = False) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.conv = nn.Conv3d(in_channels, out_channels, kernel_size, padding=(0, kernel_size // 2, kernel_size // 2))
        k = kernel_size
        self.time_padding = (k - 1, 0) if causal else ((k - 1) // 2, (k - 1) // 2)

    def runs_as_frames(self, x: torch.Tensor) -> bool:
        """Whether ``run`` takes the stacked-Conv2d route for this (unpadded) input; see the class docstring."""
        if self.kernel_size == 1:
            return False
        cin, cout = self.conv.in_channels, self.conv.out_channels
        if cout < THIN_OUTPUT_CHANNELS:
            return True
        b, c, t, h, _ = x.shape
        return b * c * (t + sum(self.time_padding)) * h <= NATIVE_CONV3D_MAX_SIZE and cout <= 4 * cin

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        as_frames = self.runs_as_frames(x)
        return self.run(x if as_frames else replicate_pad_time(x, *self.time_padding), as_frames)

    def run(self, x: torch.Tensor, as_frames: bool) -> torch.Tensor:
        """Convolve ``x``: unpadded when ``as_frames``, else already padded by ``time_padding``."""
        if not as_frames:
            return self.conv(x)
        b, c, t, h, w = x.shape
        weight, k, cout = self.conv.weight, self.kernel_size, self.conv.out_channels
        stacked = weight.permute(2, 0, 1, 3, 4).reshape(k * cout, c, k, k)
        frames = x.transpose(1, 2).reshape(b * t, c, h, w)
        taps = F.conv2d(frames, stacked, padding=k // 2).movedim(1, -1).reshape(b, t, h, w, k * cout)  # rank 5
        centre = self.time_padding[0]
        out = (taps[..., centre * cout : (centre + 1) * cout] + self.conv.bias).movedim(-1, 1)
        for tap in range(k):
            shift = tap - centre  # output frame i reads input frame clamp(i + shift, 0, t - 1)
            if shift:
                _add_shifted_frames(out, taps[..., tap * cout : (tap + 1) * cout].movedim(-1, 1), shift)
        return out


def _add_shifted_frames(out: torch.Tensor, source: torch.Tensor, shift: int) -> None:
    """In place: ``out[:, :, i] += source[:, :, clamp(i + shift, 0, T - 1)]`` for every frame i."""
    t = out.shape[2]
    n = min(abs(shift), t)  # frames that read the clamped edge
    if shift > 0:
        out[:, :, : t - n] += source[:, :, n:]
        out[:, :, t - n :] += source[:, :, -1:]
    else:
        out[:, :, n:] += source[:, :, : t - n]
        out[:, :, :n] += source[:, :, :1]


def normalize_activate_conv(
    x: torch.Tensor, activation: str, conv: CausalConv3d | DepthwiseSeparableConv3d, upcast: bool = True
) -> torch.Tensor:
    """``conv(activation(rms_norm_channels(x)))``, with the time padding written by the norm (no extra copy)."""
    as_frames = conv.runs_as_frames(x)
    h = normalize_activate(x, activation, (0, 0) if as_frames else conv.time_padding, upcast)
    return conv.run(h, as_frames)


class DepthwiseSeparableConv3d(nn.Module):
    """Depthwise k×k×k conv then pointwise 1×1×1 conv, nothing in between.

    The temporal padding is always symmetric ((k-1)//2 replicated frames on each side): the official block ignores
    ``decoder_causal``, so a "causal" Turbo-VAED is not causal in its depthwise blocks. We reproduce that.
    Keys: ``depthwise_conv.*``, ``pointwise_conv.*``.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int) -> None:
        super().__init__()
        pad = kernel_size // 2
        self.depthwise_conv = nn.Conv3d(
            in_channels, in_channels, kernel_size, padding=(0, pad, pad), groups=in_channels
        )
        self.pointwise_conv = nn.Conv3d(in_channels, out_channels, 1)
        self.time_padding = ((kernel_size - 1) // 2, (kernel_size - 1) // 2)

    def runs_as_frames(self, x: torch.Tensor) -> bool:
        """Always False: the depthwise conv has no stacked-Conv2d route (same interface as ``CausalConv3d``)."""
        return False

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.run(replicate_pad_time(x, *self.time_padding), as_frames=False)

    def run(self, x: torch.Tensor, as_frames: bool) -> torch.Tensor:
        """Convolve an input already padded by ``time_padding``."""
        return self.pointwise_conv(self.depthwise_conv(x))


class ResnetBlock3d(nn.Module):
    """``RMS -> act1 -> conv1 -> RMS -> SiLU -> conv2`` plus a shortcut (LayerNorm ``norm3`` + 1×1×1 conv when the
    width changes). ``act1`` is ReLU in the resnets of an up block that upsamples, SiLU elsewhere.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        *,
        depthwise: bool,
        dw_kernel_size: int,
        causal: bool,
        relu_first: bool,
        norm_eps: float,
    ) -> None:
        super().__init__()
        self.first_activation = "relu" if relu_first else "silu"
        self.conv1 = _make_conv(in_channels, out_channels, depthwise, dw_kernel_size, causal)
        self.conv2 = _make_conv(out_channels, out_channels, depthwise, dw_kernel_size, causal)
        self.norm3: nn.LayerNorm | None = None
        self.conv_shortcut: nn.Module | None = None
        if in_channels != out_channels:
            self.norm3 = nn.LayerNorm(in_channels, eps=norm_eps)
            self.conv_shortcut = _make_conv(in_channels, out_channels, depthwise, 1, causal, kernel_size=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = normalize_activate_conv(x, self.first_activation, self.conv1)
        h = normalize_activate_conv(h, "silu", self.conv2)
        if self.conv_shortcut is not None:
            x = self.conv_shortcut(self.norm3(x.movedim(1, -1)).movedim(-1, 1))
        return h.add_(x)  # h is a fresh conv output, and conv backward does not need it


def _make_conv(
    cin: int, cout: int, depthwise: bool, dw_kernel_size: int, causal: bool, kernel_size: int = 3
) -> CausalConv3d | DepthwiseSeparableConv3d:
    if depthwise:
        return DepthwiseSeparableConv3d(cin, cout, dw_kernel_size)
    return CausalConv3d(cin, cout, kernel_size, causal)


class PixelShuffleUpsampler3d(nn.Module):
    """Decoupled 3-D pixel shuffle: full 3×3×3 conv to ``C·st·4`` channels, then unpack.

    Conv channel ``k = ((c·2 + i)·2 + j)·st + dt`` goes to channel c, frame ``t·st + dt``, pixel ``(2h+i, 2w+j)``
    (the temporal sub-index is innermost, unlike LTX-Video's upsampler). Unless ``keep_first_frames``, the first
    ``st-1`` output frames are dropped, so T -> st·T - (st-1). Key: ``conv.conv.{weight,bias}``.

    Eager runs unpack with one rank-8 permute straight into channels-last order (fastest); under export
    (ONNX, torch.export) the same values come from tensors of rank 5 at most, which Core ML requires.
    """

    def __init__(self, channels: int, temporal_stride: int, causal: bool, keep_first_frames: bool) -> None:
        super().__init__()
        self.temporal_stride = temporal_stride
        self.keep_first_frames = keep_first_frames
        self.conv = CausalConv3d(channels, channels * temporal_stride * 4, 3, causal)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        unpack = unpack_rank5 if torch.compiler.is_exporting() else unpack_channels_last
        y = unpack(self.conv(x), self.temporal_stride)
        return y if self.keep_first_frames else y[:, :, self.temporal_stride - 1 :]


def unpack_channels_last(y: torch.Tensor, st: int) -> torch.Tensor:
    """``(B, C·4·st, T, H, W)`` -> ``(B, C, st·T, 2H, 2W)``, one copy into channels-last memory (a rank-8 view)."""
    b, channels, t, h, w = y.shape
    c = channels // (4 * st)
    y = y.movedim(1, -1).reshape(b, t, h, w, c, 2, 2, st)
    # (b, t, h, w, c, i, j, dt) -> (b, t, dt, h, i, w, j, c)
    return y.permute(0, 1, 7, 2, 5, 3, 6, 4).reshape(b, t * st, 2 * h, 2 * w, c).movedim(-1, 1)


def unpack_rank5(y: torch.Tensor, st: int) -> torch.Tensor:
    """The same unpacking with tensors of rank 5 at most: frames into the batch, then a 2-D pixel shuffle."""
    b, channels, t, h, w = y.shape
    c = channels // (4 * st)
    frames = y.transpose(1, 2).reshape(b * t, c * 4, st, h * w).transpose(1, 2)  # (b·t, dt, c·4, h·w)
    frames = F.pixel_shuffle(frames.reshape(b * t * st, c * 4, h, w), 2)  # channel c·4 + i·2 + j -> (c, 2h+i, 2w+j)
    return frames.reshape(b, t * st, c, 2 * h, 2 * w).transpose(1, 2)


class UpBlock3d(nn.Module):
    """Optional width-changing resnet ``conv_in`` (at the input resolution), optional upsampler, then resnets."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        num_layers: int,
        *,
        temporal_stride: int | None,
        keep_first_frames: bool,
        depthwise: bool,
        dw_kernel_size: int,
        causal: bool,
        norm_eps: float,
    ) -> None:
        super().__init__()
        common = {"depthwise": depthwise, "dw_kernel_size": dw_kernel_size, "causal": causal, "norm_eps": norm_eps}
        self.conv_in: ResnetBlock3d | None = None
        if in_channels != out_channels:
            self.conv_in = ResnetBlock3d(in_channels, out_channels, relu_first=False, **common)
        self.upsamplers: nn.ModuleList | None = None
        if temporal_stride is not None:
            self.upsamplers = nn.ModuleList(
                [PixelShuffleUpsampler3d(out_channels, temporal_stride, causal, keep_first_frames)]
            )
        relu_first = temporal_stride is not None
        self.resnets = nn.ModuleList(
            [ResnetBlock3d(out_channels, out_channels, relu_first=relu_first, **common) for _ in range(num_layers)]
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.conv_in is not None:
            x = self.conv_in(x)
        if self.upsamplers is not None:
            x = self.upsamplers[0](x)
        for resnet in self.resnets:
            x = resnet(x)
        return x


class MidBlock3d(nn.Module):
    """A stack of same-width resnets with SiLU activations. Keys: ``resnets.j.*``."""

    def __init__(
        self, channels: int, num_layers: int, *, depthwise: bool, dw_kernel_size: int, causal: bool, norm_eps: float
    ) -> None:
        super().__init__()
        self.resnets = nn.ModuleList(
            [
                ResnetBlock3d(
                    channels,
                    channels,
                    depthwise=depthwise,
                    dw_kernel_size=dw_kernel_size,
                    causal=causal,
                    relu_first=False,
                    norm_eps=norm_eps,
                )
                for _ in range(num_layers)
            ]
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for resnet in self.resnets:
            x = resnet(x)
        return x


class PixelShuffleUpsampler2d(nn.Module):
    """Per-frame 3×3 conv (C -> C) then a 2-D pixel shuffle by 2: C/4 channels at 2H×2W. Key: ``conv.*``.

    All frames go through the conv as one batch; the result equals a frame-by-frame loop.
    """

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.conv = nn.Conv2d(channels, channels, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, c, t, h, w = x.shape
        y = F.pixel_shuffle(self.conv(x.transpose(1, 2).reshape(b * t, c, h, w)), 2)
        return y.reshape(b, t, c // 4, 2 * h, 2 * w).transpose(1, 2)
