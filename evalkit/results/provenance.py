"""Where a result came from: evalkit version, git commit, interpreter, platform and key package versions."""

from __future__ import annotations

import platform
import subprocess
import sys
from functools import partial
from importlib import metadata
from pathlib import Path
from typing import Any

from evalkit import __version__

PACKAGES = ("torch", "torchvision", "diffusers", "numpy", "torchmetrics", "lpips", "scipy", "safetensors")


def git_state(start: Path | None = None) -> tuple[str | None, bool | None]:
    """``(commit, dirty)`` of the git checkout holding evalkit, or ``(None, None)`` outside one."""
    where = start or Path(__file__).resolve().parent
    git = partial(subprocess.run, cwd=where, capture_output=True, text=True, timeout=10, check=True)
    try:
        commit = git(["git", "rev-parse", "HEAD"]).stdout.strip()
        status = git(["git", "status", "--porcelain", "--untracked-files=no"]).stdout
    except (OSError, subprocess.SubprocessError):
        return None, None
    return commit or None, bool(status.strip())


def package_versions(names: tuple[str, ...] = PACKAGES) -> dict[str, str | None]:
    """Installed versions of ``names`` (``None`` when a package is missing)."""
    versions: dict[str, str | None] = {}
    for name in names:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def provenance() -> dict[str, Any]:
    """The ``provenance`` block of ``results.json``."""
    commit, dirty = git_state()
    return {
        "evalkit_version": __version__,
        "git_commit": commit,
        "git_dirty": dirty,
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "packages": package_versions(),
    }
