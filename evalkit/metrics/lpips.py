"""LPIPS (the ``lpips`` package, v0.1 linear layers) per frame, averaged like PSNR; ``alex`` by default, ``vgg`` too.

Frames reach the network in [-1, 1]: uint8 / 255 gives [0, 1] and ``lpips``' own ``normalize=True`` maps that
to [-1, 1], the one and only remapping. (The Turbo-VAED script feeds [0, 1] without it; see SPEC §10.)

Building ``lpips.LPIPS(pretrained=True)`` normally makes torchvision download the ImageNet backbone, which fails
offline and leaves no record of which file was used. So the network is built with ``pnet_rand=True`` (no
download) and then every backbone tensor is overwritten from the torchvision file the weights resolver found
(``torch.load(weights_only=True)``), every linear-layer tensor from the file ``lpips`` ships, in one strict
``load_state_dict``: no random tensor survives, and a missing file raises ``WeightsUnavailable`` rather than
falling back to random weights.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import lpips as lpips_package
import torch

from evalkit.metrics.base import FrameAveragedMetric
from evalkit.options import LPIPS_NETS
from evalkit.weights import resolve

if TYPE_CHECKING:
    from evalkit.metrics.factory import MetricOptions

BACKBONE_WEIGHTS = {"alex": "lpips-alex", "vgg": "lpips-vgg"}
LPIPS_VERSION = "0.1"


def _backbone_key_map(model: lpips_package.LPIPS) -> dict[str, str]:
    """torchvision ``features.<i>.<param>`` key -> LPIPS ``net.slice<k>.<i>.<param>`` key.

    ``lpips`` splits torchvision's ``features`` Sequential into slices but keeps each layer's index as its
    name, so the mapping is read off the built model rather than hard-coded.
    """
    mapping = {}
    for key in model.state_dict():
        parts = key.split(".")
        if parts[0] == "net" and parts[1].startswith("slice"):
            mapping[".".join(["features", *parts[2:]])] = key
    return mapping


def build_lpips_network(net: str, backbone_path: str | Path) -> lpips_package.LPIPS:
    """An eval-mode ``lpips.LPIPS`` whose backbone comes from ``backbone_path`` (torchvision ``features`` keys)."""
    if net not in LPIPS_NETS:
        raise ValueError(f"unknown LPIPS network {net!r}; choose one of: {', '.join(LPIPS_NETS)}")
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*(pretrained|weights).*", category=UserWarning)
        model = lpips_package.LPIPS(net=net, version=LPIPS_VERSION, pretrained=False, pnet_rand=True, verbose=False)
    key_map = _backbone_key_map(model)
    backbone = torch.load(backbone_path, map_location="cpu", weights_only=True)
    missing = sorted(set(key_map) - set(backbone))
    if missing:
        raise ValueError(f"{backbone_path} is not a torchvision {net} checkpoint: it lacks {missing[:4]}")
    state = {key_map[key]: tensor for key, tensor in backbone.items() if key in key_map}
    linear_path = (
        Path(lpips_package.__file__).parent / "weights" / f"v{LPIPS_VERSION}" / f"{net}.pth"
    )  # ships with lpips
    linear = torch.load(linear_path, map_location="cpu", weights_only=True)
    state.update(linear)
    state.update({key.replace("lin", "lins.", 1): tensor for key, tensor in linear.items()})  # the ModuleList alias
    state.update({key: value for key, value in model.state_dict().items() if key.startswith("scaling_layer.")})
    model.load_state_dict(state, strict=True)
    return model.eval().requires_grad_(False)


class LPIPS(FrameAveragedMetric):
    """Streaming LPIPS: per frame, mean per clip, mean over clips (lower is better).

    Args:
        backbone_path: the torchvision backbone file (``alexnet-owt-7be5be79.pth`` / ``vgg16-397923af.pth``),
            normally ``evalkit.weights.resolve(BACKBONE_WEIGHTS[net]).path``.
        net: ``"alex"`` or ``"vgg"``.
        backbone_sha256: recorded in the variant label.
    """

    name: ClassVar[str] = "lpips"
    higher_is_better: ClassVar[bool] = False

    def __init__(
        self,
        backbone_path: str | Path,
        net: str = "alex",
        backbone_sha256: str | None = None,
        device: str | torch.device = "cpu",
        frame_batch: int | None = None,
    ) -> None:
        super().__init__(device=device, frame_batch=frame_batch)
        self.net = net
        self.backbone_file = Path(backbone_path).name
        self.backbone_sha256 = backbone_sha256
        self.network = build_lpips_network(net, backbone_path).to(self.device)

    @classmethod
    def from_options(cls, options: MetricOptions) -> LPIPS:
        """LPIPS on ``options.lpips_net``, its backbone from ``options.lpips_weights`` or the weights resolver."""
        if options.lpips_net not in LPIPS_NETS:
            raise ValueError(f"unknown LPIPS network {options.lpips_net!r}; choose one of: {', '.join(LPIPS_NETS)}")
        backbone = resolve(cls.weight_name(options), options.lpips_weights, options.allow_download)
        return cls(backbone.path, options.lpips_net, backbone.sha256, options.device, options.frame_batch)

    @classmethod
    def weight_name(cls, options: MetricOptions) -> str:
        """The torchvision backbone of ``options.lpips_net``."""
        return BACKBONE_WEIGHTS[options.lpips_net]

    @property
    def variant(self) -> dict[str, Any]:
        """LPIPS settings recorded with every result."""
        return {
            "net": self.net,
            "version": LPIPS_VERSION,
            "backbone": self.backbone_file,
            "backbone_sha256": self.backbone_sha256,
            "input": "uint8 / 255 -> [0,1] -> [-1,1] (lpips normalize=True), once",
            "spatial": False,
        }

    def _frame_values(self, reference: torch.Tensor, candidate: torch.Tensor) -> dict[str, torch.Tensor]:
        return {"score": self.network(reference, candidate, normalize=True).flatten()}

    def _comparison_values(
        self, frames: dict[str, torch.Tensor], comparisons: dict[str, tuple[str, str]]
    ) -> dict[str, dict[str, torch.Tensor]]:
        """Each side goes through the backbone once, however many comparisons it is in (the backbone is nearly
        all of LPIPS's cost); the steps are those of ``lpips.LPIPS.forward`` with ``normalize=True``."""
        features = {name: self._unit_features(values) for name, values in frames.items()}
        return {
            comparison: {"score": self._distance(features[ref], features[cand])}
            for comparison, (ref, cand) in comparisons.items()
        }

    def _unit_features(self, frames: torch.Tensor) -> list[torch.Tensor]:
        """Channel-normalised backbone features of frames in [0, 1]."""
        outputs = self.network.net.forward(self.network.scaling_layer(2 * frames - 1))
        return [lpips_package.normalize_tensor(output) for output in outputs]

    def _distance(self, reference: list[torch.Tensor], candidate: list[torch.Tensor]) -> torch.Tensor:
        """Per-frame LPIPS from two sides' normalised features: linear layers on squared differences, averaged."""
        total: torch.Tensor | int = 0
        for layer, (ref, cand) in enumerate(zip(reference, candidate, strict=True)):
            total = total + lpips_package.spatial_average(self.network.lins[layer]((ref - cand) ** 2), keepdim=True)
        return total.flatten()
