"""A TorchScript-able stand-in for the StyleGAN-V I3D detector: same call signature, tiny fixed network.

Its output depends on ``rescale`` and ``resize`` the way the real detector's does (rescale maps [0, 255] to
[-1, 1]; resize fixes the spatial size), so tests can tell the input conventions apart.
"""

import torch
import torch.nn.functional as F  # noqa: N812


class FakeI3D(torch.nn.Module):
    """Pools a (B, 3, T, H, W) video to (2, 4, 4) and projects it to ``dim`` features (400, as the real I3D)."""

    def __init__(self, dim: int = 400, seed: int = 0) -> None:
        super().__init__()
        generator = torch.Generator().manual_seed(seed)
        self.register_buffer("weight", torch.randn(dim, 3 * 2 * 4 * 4, generator=generator) / 4.0)

    def forward(
        self, x: torch.Tensor, rescale: bool = False, resize: bool = False, return_features: bool = False
    ) -> torch.Tensor:
        if rescale:
            x = x / 127.5 - 1.0
        if resize:
            x = F.interpolate(x, size=(x.shape[2], 8, 8), mode="trilinear", align_corners=False)
        pooled = F.adaptive_avg_pool3d(x, [2, 4, 4]).flatten(1)
        features = torch.tanh(pooled @ self.weight.t())
        if return_features:
            return features
        return torch.softmax(features, dim=1)


def save_scripted(path, dim: int = 400, seed: int = 0) -> None:
    """Script a FakeI3D and save it like ``i3d_torchscript.pt``."""
    torch.jit.script(FakeI3D(dim, seed)).save(str(path))
