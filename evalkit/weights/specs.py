"""What every weight file the project needs is, where it comes from and how its content is checked.

Names are what ``evalkit weights fetch NAME`` and ``evalkit.weights.resolve(NAME)`` take; URL files are also
registered under their file name (e.g. ``i3d_torchscript.pt``). A ``file:`` URL names a file shipped inside the
package (the demo pair): it is found there, never downloaded, and checked against its sha256.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse
from urllib.request import url2pathname

from evalkit.registry import Registry

CHECKPOINT_SUFFIXES: tuple[str, ...] = (".safetensors", ".pt", ".pth", ".ckpt", ".bin")
_COMMIT = re.compile(r"[0-9a-f]{40}")


@dataclass(frozen=True)
class WeightSpec:
    """One weight file (plus the files that must sit beside it, e.g. a diffusers ``config.json``).

    Exactly one origin is set: ``repo_id`` (Hugging Face Hub; ``filename=None`` with ``match`` means the file name
    is discovered by listing the repo) or ``url`` (``file:`` for a file shipped in the package). Content checks:
    ``sha256`` (known), ``sha256_prefix`` (torchvision file names carry the first 8 hex digits) or
    ``pin_on_first_fetch`` (hash learned on first fetch). ``revision`` pins a Hub file to the commit whose layout
    evalkit builds; ``None`` marks a Hub spec as unpinned (no such commit hash is known: the file comes from ``main``
    and the commit it came from is recorded with it).
    """

    name: str
    description: str
    filename: str | None = None
    repo_id: str | None = None
    subfolder: str | None = None
    companions: tuple[str, ...] = ()
    match: str | None = None
    url: str | None = None
    store: str = "evalkit"
    sha256: str | None = None
    sha256_prefix: str | None = None
    pin_on_first_fetch: bool = False
    revision: str | None = None

    def __post_init__(self) -> None:
        if (self.repo_id is None) == (self.url is None):
            raise ValueError(f"weight {self.name!r}: set exactly one of repo_id and url")
        if self.filename is None and self.match is None:
            raise ValueError(f"weight {self.name!r}: needs a filename or a match token")
        if self.revision is not None and (self.repo_id is None or not _COMMIT.fullmatch(self.revision)):
            raise ValueError(f"weight {self.name!r}: revision must be a 40-digit commit hash, got {self.revision!r}")
        if self.store not in ("evalkit", "torch_hub"):
            raise ValueError(f"weight {self.name!r}: store must be 'evalkit' or 'torch_hub', got {self.store!r}")
        if self.package_path is not None and (self.filename is None or self.package_path.name != self.filename):
            raise ValueError(f"weight {self.name!r}: a file: URL must name the file {self.filename!r}, got {self.url}")

    @property
    def package_path(self) -> Path | None:
        """The file a ``file:`` URL names (weights shipped inside the package), else None."""
        if self.url is None or not self.url.startswith("file:"):
            return None
        return Path(url2pathname(urlparse(self.url).path))

    @property
    def fetch_command(self) -> str:
        """The shell command that downloads this file (a file shipped in the package comes with a reinstall)."""
        if self.package_path is not None:
            return "shipped with evalkit: reinstall it (pip install -e .) to restore the file"
        return f"evalkit weights fetch {self.name}"

    @property
    def origin(self) -> str:
        """Human-readable origin: ``hf://repo/subfolder/file`` or the URL."""
        if self.url is not None:
            return self.url
        parts = [self.repo_id, self.subfolder, self.filename or f"<checkpoint matching '{self.match}'>"]
        return "hf://" + "/".join(p for p in parts if p) + f"@{self.revision or 'main (unpinned)'}"

    def repo_path(self, filename: str) -> str:
        """Path of ``filename`` inside the Hub repo (with the subfolder)."""
        return f"{self.subfolder}/{filename}" if self.subfolder else filename

    def matches(self, filename: str) -> bool:
        """True if a repo file name is a checkpoint for this spec's ``match`` token (case-insensitive, whole word)."""
        base = filename.rsplit("/", 1)[-1]
        if not base.lower().endswith(CHECKPOINT_SUFFIXES) or self.match is None:
            return False
        return re.search(rf"(?<![a-z0-9]){re.escape(self.match)}(?![a-z0-9])", base.lower()) is not None


WEIGHTS: Registry[WeightSpec] = Registry("weight file")


def _add(spec: WeightSpec, *aliases: str) -> None:
    WEIGHTS.register(spec.name, *aliases, obj=spec)


def _teacher(name: str, description: str, repo_id: str, revision: str | None) -> None:
    _add(
        WeightSpec(
            name=name,
            description=description,
            repo_id=repo_id,
            subfolder="vae",
            filename="diffusion_pytorch_model.safetensors",
            companions=("config.json",),
            revision=revision,
        )
    )


def _student(preset: str, match: str) -> None:
    _add(
        WeightSpec(
            name=f"turbo-vaed-{preset}",
            description=f"Turbo-VAED {preset} student decoder checkpoint (file name discovered in the repo)",
            repo_id="hustvl/Turbo-VAED",
            match=match,
        )
    )


def _torchvision(name: str, filename: str, description: str) -> None:
    _add(
        WeightSpec(
            name=name,
            description=description,
            filename=filename,
            url=f"https://download.pytorch.org/models/{filename}",
            store="torch_hub",
            sha256_prefix=filename.rsplit("-", 1)[-1].split(".")[0],
        ),
        filename,
    )


# Hub revisions: a commit hash where one matching the layout evalkit builds is known, else None (unpinned, said
# so in `evalkit weights list` and results.json). Wan2.1-T2V-1.3B-Diffusers 0fad780a5: the commit other projects
# pin for this repo. No commit hash of the LTX-Video 0.9.0 vae/ folder, of HunyuanVideo, CogVideoX1.5-5B or
# hustvl/Turbo-VAED could be confirmed here, so those stay unpinned rather than pinned to a guess.
_teacher("ltx-vae", "LTX-Video VAE, 0.9.0 layout (diffusers AutoencoderKLLTXVideo)", "Lightricks/LTX-Video", None)
_teacher(
    "hunyuan-vae", "HunyuanVideo VAE (diffusers AutoencoderKLHunyuanVideo)", "hunyuanvideo-community/HunyuanVideo", None
)
_teacher("cogvideox-vae", "CogVideoX1.5-5B VAE (diffusers AutoencoderKLCogVideoX)", "zai-org/CogVideoX1.5-5B", None)
_teacher(
    "wan-vae",
    "Wan2.1 VAE (diffusers AutoencoderKLWan)",
    "Wan-AI/Wan2.1-T2V-1.3B-Diffusers",
    "0fad780a534b6463e45facd96134c9f345acfa5b",
)
_student("ltx", "ltx")
_student("hunyuan", "hunyuan")
_student("cog", "cog")
_student("dc", "dc")
for _stem, _teacher_label in (("taehv", "HunyuanVideo"), ("taew2_1", "Wan 2.1"), ("taecvx", "CogVideoX")):
    _add(
        WeightSpec(
            name=_stem,
            description=f"TAEHV decoder for {_teacher_label} latents (madebyollin/taehv, sha256 pinned on first fetch)",
            filename=f"{_stem}.pth",
            url=f"https://github.com/madebyollin/taehv/raw/main/{_stem}.pth",
            pin_on_first_fetch=True,
        ),
        f"{_stem}.pth",
    )
_torchvision("lpips-alex", "alexnet-owt-7be5be79.pth", "torchvision AlexNet backbone for LPIPS 'alex'")
_torchvision("lpips-vgg", "vgg16-397923af.pth", "torchvision VGG16 backbone for LPIPS 'vgg'")
_add(
    WeightSpec(
        name="i3d-torchscript",
        description="StyleGAN-V I3D TorchScript detector for FVD (sha256 pinned on first fetch)",
        filename="i3d_torchscript.pt",
        url="https://www.dropbox.com/s/ge9e5ujwgetktms/i3d_torchscript.pt?dl=1",
        pin_on_first_fetch=True,
    ),
    "i3d_torchscript.pt",
)
# MCG-NJU/videomae-base dc740ceda: the main commit that added model.safetensors (seen on the Hub's file listing).
_add(
    WeightSpec(
        name="videomae-base",
        description="VideoMAE v1 ViT-B, self-supervised on Kinetics-400, for content-debiased FVD (transformers)",
        repo_id="MCG-NJU/videomae-base",
        filename="model.safetensors",
        companions=("config.json", "preprocessor_config.json"),
        revision="dc740ceda42fce44faed2ea03c6d447db72f6af9",
    )
)


def known_weights() -> list[WeightSpec]:
    """Every registered weight file once (aliases folded), sorted by name."""
    seen: dict[str, WeightSpec] = {}
    for alias in WEIGHTS.names():
        spec = WEIGHTS.get(alias)
        seen.setdefault(spec.name, spec)
    return sorted(seen.values(), key=lambda s: s.name)
