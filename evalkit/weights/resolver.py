"""Find a weight file: explicit path > local caches (evalkit, torch hub, Hugging Face) > download when online.

Files shipped inside the package (``file:`` URLs, the demo pair) are looked for only where the package holds them
and are refused when their sha256 differs from the pin. Nothing downloads while ``EVALKIT_OFFLINE=1`` or
``HF_HUB_OFFLINE=1`` is set or the host does not answer within a few seconds; a missing file then raises
:class:`WeightsUnavailable` naming the file and its fetch command.
"""

from __future__ import annotations

import logging
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from evalkit.weights.download import download_url
from evalkit.weights.errors import WeightsUnavailable
from evalkit.weights.hashing import HashCache, PinStore, sha256_file
from evalkit.weights.network import is_online, offline_by_env
from evalkit.weights.specs import WEIGHTS, WeightSpec

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ResolvedFile:
    """A weight file ready to load: where it is, its sha256, and how it was found."""

    path: Path
    sha256: str
    source: str  # "explicit" | "package" | "cache" | "hub" | "url"
    name: str
    revision: str | None = None  # the Hub commit the file came from (None: not from the Hub, or not known)
    revision_pinned: bool = False  # True when the spec pins that commit; False for unpinned Hub specs

    def to_dict(self) -> dict[str, str]:
        """JSON-ready record for results provenance."""
        record = asdict(self)
        record["path"] = str(self.path)
        return record


def cache_root() -> Path:
    """The evalkit cache folder: ``$EVALKIT_CACHE`` or ``~/.cache/evalkit``."""
    return Path(os.environ.get("EVALKIT_CACHE") or Path.home() / ".cache" / "evalkit").expanduser()


def pin_store() -> PinStore:
    """The pins file of the current cache root."""
    return PinStore(cache_root() / "pins.json")


def _hash(path: Path) -> str:
    return HashCache(cache_root() / "hashes.json").sha256(path)


def local_dir(spec: WeightSpec) -> Path:
    """The folder evalkit looks in (and downloads URL files to) for ``spec``."""
    if spec.store == "torch_hub":
        import torch.hub

        return Path(torch.hub.get_dir()) / "checkpoints"
    return cache_root() / "weights" / spec.name


def _hf_cache_dir() -> str:
    from huggingface_hub import constants

    return constants.HF_HUB_CACHE


def get_spec(spec_or_name: WeightSpec | str) -> WeightSpec:
    """The :class:`WeightSpec` for a registered name (or the spec itself)."""
    return spec_or_name if isinstance(spec_or_name, WeightSpec) else WEIGHTS.get(spec_or_name)


def expected_locations(spec: WeightSpec, filename: str | None = None) -> list[str]:
    """Where :func:`resolve` looks for ``spec``, in order, as readable strings."""
    name = filename or spec.filename or f"<checkpoint matching '{spec.match}'>"
    if spec.package_path is not None:
        return [str(spec.package_path.parent / name)]
    places = [str(local_dir(spec) / name)]
    if spec.repo_id is not None:
        places.append(f"Hugging Face cache {_hf_cache_dir()}: {spec.repo_id}/{spec.repo_path(name)}")
    return places


def _pick_one(spec: WeightSpec, candidates: list[Path], where: str) -> Path | None:
    if len(candidates) > 1:
        listed = ", ".join(str(c) for c in sorted(candidates))
        raise WeightsUnavailable(
            f"{spec.name}: several checkpoints match '{spec.match}' in {where}: {listed}; "
            "pass the one to use explicitly"
        )
    return candidates[0] if candidates else None


def _in_folder(spec: WeightSpec, folder: Path, filename: str | None) -> Path | None:
    name = filename or spec.filename
    if name is not None:
        found = folder / name
        return found if found.is_file() and all((found.parent / c).is_file() for c in spec.companions) else None
    if not folder.is_dir():
        return None
    matches = [p for p in folder.rglob("*") if p.is_file() and spec.matches(p.name)]
    return _pick_one(spec, matches, str(folder))


def _in_hf_cache(spec: WeightSpec, filename: str | None) -> Path | None:
    from huggingface_hub import snapshot_download, try_to_load_from_cache
    from huggingface_hub.errors import LocalEntryNotFoundError

    name = filename or spec.filename
    if name is not None:
        files = [spec.repo_path(name), *(spec.repo_path(c) for c in spec.companions)]
        paths = [
            try_to_load_from_cache(spec.repo_id, f, cache_dir=_hf_cache_dir(), revision=spec.revision) for f in files
        ]
        return Path(paths[0]) if all(isinstance(p, str) for p in paths) else None
    try:
        snapshot = Path(
            snapshot_download(spec.repo_id, revision=spec.revision, local_files_only=True, cache_dir=_hf_cache_dir())
        )
    except LocalEntryNotFoundError:
        return None
    return _in_folder(spec, snapshot / (spec.subfolder or ""), None)


def locate(spec_or_name: WeightSpec | str, filename: str | None = None) -> tuple[Path, str] | None:
    """Where a local copy of the file is, and which cache held it; None if there is none. Hashes nothing."""
    spec = get_spec(spec_or_name)
    if spec.package_path is not None:
        shipped = _in_folder(spec, spec.package_path.parent, filename)
        return (shipped, "package") if shipped is not None else None
    found = _in_folder(spec, local_dir(spec), filename)
    if found is None and spec.repo_id is not None:
        found = _in_hf_cache(spec, filename)
    return (found, "cache") if found is not None else None


def expected_sha256(spec: WeightSpec) -> str | None:
    """The full sha256 this file must have (known, or pinned on first fetch), if any."""
    if spec.sha256 is not None:
        return spec.sha256
    return pin_store().get(spec.name) if spec.pin_on_first_fetch else None


def _content_problem(spec: WeightSpec, sha256: str) -> str | None:
    expected = expected_sha256(spec)
    if expected is not None and sha256 != expected:
        origin = f"pinned in {pin_store().path}" if spec.sha256 is None else "known for this file"
        return f"sha256 {sha256} differs from the sha256 {expected} {origin}"
    if spec.sha256_prefix is not None and not sha256.startswith(spec.sha256_prefix):
        return f"sha256 {sha256} does not start with {spec.sha256_prefix} (the hash in its file name)"
    return None


def _accept(spec: WeightSpec, path: Path, source: str, sha256: str | None = None) -> ResolvedFile:
    sha256 = sha256 or _hash(path)
    problem = _content_problem(spec, sha256)
    if problem is not None and source == "explicit":
        logger.warning("%s: using explicitly named %s although its %s", spec.name, path, problem)
    elif problem is not None and source == "package":
        raise WeightsUnavailable(
            f"{spec.name}: refusing {path}: its {problem}, so the file shipped with evalkit has been modified. "
            "Restore it (reinstall evalkit, or `git checkout` it in a source checkout), "
            "or name the file explicitly by path to use it anyway."
        )
    elif problem is not None:
        raise WeightsUnavailable(
            f"{spec.name}: refusing {path}: its {problem}. Delete it and run `{spec.fetch_command}`, "
            "or name the file explicitly by path to use it anyway."
        )
    elif spec.pin_on_first_fetch and source != "explicit" and pin_store().get(spec.name) is None:
        pin_store().pin(spec.name, sha256, origin=str(path))
    logger.info("%s: %s (%s, sha256 %s)", spec.name, path, source, sha256[:12])
    revision = _hub_commit(path) if spec.repo_id is not None and source in ("cache", "hub") else None
    return ResolvedFile(
        path=path,
        sha256=sha256,
        source=source,
        name=spec.name,
        revision=revision,
        revision_pinned=revision is not None and revision == spec.revision,
    )


def _hub_commit(path: Path) -> str | None:
    """The commit of a file in the Hugging Face cache (``.../snapshots/<commit>/...``), None elsewhere."""
    parts = path.parts
    return parts[parts.index("snapshots") + 1] if "snapshots" in parts[:-1] else None


def _explicit(spec: WeightSpec, path: str | os.PathLike[str], filename: str | None) -> ResolvedFile:
    given = Path(path).expanduser()
    found = _in_folder(spec, given, filename) if given.is_dir() else (given if given.is_file() else None)
    if found is None:
        wanted = filename or spec.filename or f"checkpoint matching '{spec.match}'"
        raise WeightsUnavailable(f"{spec.name}: explicit path {given} does not exist or holds no {wanted}")
    missing = [c for c in spec.companions if not (found.parent / c).is_file()]
    if missing:
        raise WeightsUnavailable(f"{spec.name}: {found.parent} lacks {', '.join(missing)} beside {found.name}")
    return _accept(spec, found, "explicit")


def _discover_repo_file(spec: WeightSpec) -> str:
    from huggingface_hub import HfApi

    files = HfApi().list_repo_files(spec.repo_id, revision=spec.revision)
    prefix = f"{spec.subfolder}/" if spec.subfolder else ""
    matches = [f.removeprefix(prefix) for f in files if f.startswith(prefix) and spec.matches(f)]
    if len(matches) != 1:
        raise WeightsUnavailable(
            f"{spec.name}: expected one checkpoint matching '{spec.match}' in {spec.repo_id}, found "
            f"{matches or 'none'} among {len(files)} files; pass the file name or a local path explicitly"
        )
    return matches[0]


def _download_hub(spec: WeightSpec, filename: str | None) -> ResolvedFile:
    from huggingface_hub import hf_hub_download

    name = filename or spec.filename or _discover_repo_file(spec)
    fetch = {"subfolder": spec.subfolder, "cache_dir": _hf_cache_dir(), "revision": spec.revision}
    for companion in spec.companions:
        hf_hub_download(spec.repo_id, companion, **fetch)
    path = hf_hub_download(spec.repo_id, name, **fetch)
    return _accept(spec, Path(path), "hub")


def _download_url(spec: WeightSpec) -> ResolvedFile:
    target = local_dir(spec) / spec.filename
    partial = download_url(spec.url, target)
    sha256 = sha256_file(partial)
    problem = _content_problem(spec, sha256)
    if problem is not None:
        partial.unlink()
        raise WeightsUnavailable(f"{spec.name}: downloaded file from {spec.url} refused: its {problem}")
    os.replace(partial, target)
    return _accept(spec, target, "url", sha256)


def unavailable(spec: WeightSpec, reason: str, filename: str | None = None) -> WeightsUnavailable:
    """The error for a missing file: what, where it was looked for, and how to get it back."""
    places = "\n  ".join(expected_locations(spec, filename))
    if spec.package_path is not None:
        fix = "  it ships inside the evalkit package: reinstall evalkit, or pass a local file explicitly."
    else:
        fix = f"  fetch it with: {spec.fetch_command}   (source: {spec.origin})\n  or pass a local file explicitly."
    return WeightsUnavailable(
        f"weight file {spec.name!r} ({spec.description}) is not available: {reason}.\n  looked in:\n  {places}\n{fix}"
    )


def resolve(
    spec_or_name: WeightSpec | str,
    path: str | os.PathLike[str] | None = None,
    allow_download: bool | None = None,
    filename: str | None = None,
) -> ResolvedFile:
    """Find (and hash) a weight file: explicit ``path`` > local caches > download.

    Args:
        spec_or_name: a registered weight name (see ``evalkit weights list``) or a :class:`WeightSpec`.
        path: an explicit file, or a folder holding it; always wins, and is used even if its hash differs
            from a pin (with a warning).
        allow_download: False never downloads; None (default) and True download when online. Offline
            (``EVALKIT_OFFLINE``/``HF_HUB_OFFLINE`` set, or the host unreachable within seconds) never downloads.
        filename: a file name inside the spec's Hub repo, for checkpoints whose name is not fixed.

    Raises:
        WeightsUnavailable: the file is missing and cannot be downloaded, or its content is refused.
    """
    spec = get_spec(spec_or_name)
    if path is not None:
        return _explicit(spec, path, filename)
    found = locate(spec, filename)
    if found is not None:
        return _accept(spec, *found)
    if spec.package_path is not None:
        raise unavailable(spec, "the file shipped with evalkit is missing", filename)
    if allow_download is False:
        raise unavailable(spec, "not in any local cache and downloads are disabled", filename)
    offline_var = offline_by_env()
    if offline_var is not None:
        raise unavailable(spec, f"not in any local cache and {offline_var} is set (offline)", filename)
    endpoint = spec.url or _hub_endpoint()
    if not is_online(endpoint):
        raise unavailable(spec, f"not in any local cache and {endpoint} is unreachable (offline)", filename)
    logger.warning("downloading %s from %s", spec.name, spec.origin)
    return _download_hub(spec, filename) if spec.repo_id is not None else _download_url(spec)


def _hub_endpoint() -> str:
    from huggingface_hub import constants

    return constants.ENDPOINT


def status(spec_or_name: WeightSpec | str) -> dict[str, Any]:
    """A JSON-ready description of one weight file for ``evalkit weights list``: where, present, sha256, command."""
    spec = get_spec(spec_or_name)
    try:
        found, problem = locate(spec), None
    except WeightsUnavailable as exc:
        found, problem = None, str(exc)
    return {
        "name": spec.name,
        "description": spec.description,
        "origin": spec.origin,
        "revision": spec.revision,
        "expected": expected_locations(spec),
        "present": found is not None,
        "path": str(found[0]) if found else None,
        "sha256": _hash(found[0]) if found else None,
        "expected_sha256": expected_sha256(spec) or (f"{spec.sha256_prefix}..." if spec.sha256_prefix else None),
        "fetch_command": spec.fetch_command,
        "problem": problem,
    }
