"""Weight downloads against a real HTTP server on 127.0.0.1: plain URLs (torchvision, GitHub-style release files)
and the Hugging Face Hub layout through ``HF_ENDPOINT``."""

from __future__ import annotations

import dataclasses
import hashlib
import os
import socket
import subprocess
import sys

import pytest

from evalkit.weights import WeightsUnavailable, get_spec, resolve, resolver
from evalkit.weights.download import PROGRESS_MIN_BYTES, download_url, partial_path

from .local_server import HUB_COMMIT, LocalServer, Served

WAN_COMMIT = "0fad780a534b6463e45facd96134c9f345acfa5b"
BIG = bytes(range(256)) * (PROGRESS_MIN_BYTES // 256 + 4096)  # just over the progress-bar threshold


@pytest.fixture
def online(monkeypatch):
    monkeypatch.delenv("EVALKIT_OFFLINE")
    monkeypatch.delenv("HF_HUB_OFFLINE")


def _detector_spec(base: str):
    """The FVD detector spec (sha256 pinned on first fetch), fetched from the local server."""
    return dataclasses.replace(get_spec("i3d-torchscript"), url=f"{base}/releases/download/v1/i3d_torchscript.pt")


def _torchvision_spec(base: str, data: bytes, prefix: str | None = None):
    """An LPIPS backbone spec whose file name carries the sha256 prefix of ``data`` (or ``prefix``)."""
    prefix = prefix or hashlib.sha256(data).hexdigest()[:8]
    filename = f"alexnet-owt-{prefix}.pth"
    return dataclasses.replace(
        get_spec("lpips-alex"), filename=filename, url=f"{base}/models/{filename}", sha256_prefix=prefix
    )


def test_fetch_completes_and_pins_the_file(online):
    served = Served({"/releases/download/v1/i3d_torchscript.pt": b"detector v1"})
    with LocalServer(served) as base:
        fetched = resolve(_detector_spec(base), allow_download=True)
        again = resolve(_detector_spec(base), allow_download=True)
    assert fetched.source == "url"
    assert fetched.path.read_bytes() == b"detector v1"
    assert resolver.pin_store().get("i3d-torchscript") == hashlib.sha256(b"detector v1").hexdigest()
    assert (again.source, again.sha256) == ("cache", fetched.sha256)
    assert [method for method, _, _ in served.requests] == ["GET"]  # the second call downloads nothing


def test_interrupted_download_resumes_and_no_half_file_gets_the_final_name(online, isolated_caches):
    path = "/releases/download/v1/i3d_torchscript.pt"
    served = Served({path: BIG}, cut_once={path: 100_000})
    with LocalServer(served) as base:
        spec = _detector_spec(base)
        target = resolver.local_dir(spec) / spec.filename
        with pytest.raises(WeightsUnavailable, match="the 100000 bytes received are kept in .* resumes"):
            download_url(spec.url, target, progress=False, attempts=1)  # a process killed mid-download
        assert not target.exists()
        assert partial_path(target).stat().st_size == 100_000
        fetched = resolve(spec, allow_download=True)
    assert fetched.path == target
    assert target.read_bytes() == BIG
    assert not partial_path(target).exists()
    assert [rng for _, _, rng in served.requests] == [None, "bytes=100000-"]


def test_connection_cut_short_is_retried_within_one_fetch(online):
    path = "/releases/download/v1/i3d_torchscript.pt"
    served = Served({path: BIG}, cut_once={path: 5000})
    with LocalServer(served) as base:
        fetched = resolve(_detector_spec(base), allow_download=True)
    assert fetched.path.read_bytes() == BIG
    assert [rng for _, _, rng in served.requests] == [None, "bytes=5000-"]


def test_sha256_mismatch_is_refused_and_the_file_not_kept(online):
    data = b"not the torchvision alexnet"
    served = Served({})
    with LocalServer(served) as base:
        spec = _torchvision_spec(base, data, prefix="00000000")
        served.files[f"/models/{spec.filename}"] = data
        with pytest.raises(WeightsUnavailable, match="refused: its sha256 .* does not start with 00000000"):
            resolve(spec, allow_download=True)
    target = resolver.local_dir(spec) / spec.filename
    assert not target.exists()
    assert not partial_path(target).exists()


def test_torchvision_layout_fetch_is_checked_against_its_name(online):
    data = b"alexnet weights"
    served = Served({})
    with LocalServer(served) as base:
        spec = _torchvision_spec(base, data)
        served.files[f"/models/{spec.filename}"] = data
        fetched = resolve(spec, allow_download=True)
    assert fetched.path.parent.name == "checkpoints"  # the torch hub cache torchvision itself reads
    assert fetched.sha256.startswith(spec.sha256_prefix)


@pytest.mark.parametrize("variable", ["EVALKIT_OFFLINE", "HF_HUB_OFFLINE"])
def test_offline_flags_open_no_socket(online, monkeypatch, variable):
    def no_socket(*args, **kwargs):
        raise AssertionError("a socket was opened although offline was requested")

    monkeypatch.setenv(variable, "1")
    monkeypatch.setattr(socket.socket, "connect", no_socket)
    monkeypatch.setattr(socket, "create_connection", no_socket)
    served = Served({"/releases/download/v1/i3d_torchscript.pt": b"detector"})
    with LocalServer(served) as base:
        with pytest.raises(WeightsUnavailable, match=f"{variable} is set"):
            resolve(_detector_spec(base), allow_download=True)
        with pytest.raises(WeightsUnavailable, match=f"{variable} is set"):
            resolve("wan-vae", allow_download=True)
    assert served.requests == []


def test_progress_bar_only_for_downloads_over_a_few_megabytes(online, capsys):
    served = Served({"/big/i3d_torchscript.pt": BIG, "/small/i3d_torchscript.pt": b"tiny"})
    with LocalServer(served) as base:
        spec = _detector_spec(base)
        resolve(dataclasses.replace(spec, url=f"{base}/small/i3d_torchscript.pt"), allow_download=True)
        small_err = capsys.readouterr().err
        resolver.pin_store().path.unlink()
        resolver.local_dir(spec).joinpath(spec.filename).unlink()
        resolve(dataclasses.replace(spec, url=f"{base}/big/i3d_torchscript.pt"), allow_download=True)
        big_err = capsys.readouterr().err
    assert "%|" not in small_err
    assert "i3d_torchscript.pt: 100%|" in big_err
    assert "5.24M/5.24M" in big_err  # len(BIG) = 5 242 880 bytes


def _fetch_command(base: str, tmp_path, *names: str) -> subprocess.CompletedProcess:
    env = {key: val for key, val in os.environ.items() if key not in ("HF_HUB_OFFLINE", "EVALKIT_OFFLINE")}
    env.update(HF_ENDPOINT=base, HF_HOME=str(tmp_path / "hf-home"), HF_HUB_DISABLE_PROGRESS_BARS="1")
    command = [sys.executable, "-m", "evalkit", "weights", "fetch", *names]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=120, check=False)


def test_hub_fetch_through_hf_endpoint_uses_the_pinned_revision(tmp_path, monkeypatch):
    served = Served({})
    for repo in ("Wan-AI/Wan2.1-T2V-1.3B-Diffusers", "Lightricks/LTX-Video"):
        served.hub_file(repo, "vae/config.json", b'{"_class_name": "AutoencoderKL"}')
        served.hub_file(repo, "vae/diffusion_pytorch_model.safetensors", b"vae weights")
    with LocalServer(served) as base:
        fetched = _fetch_command(base, tmp_path, "wan-vae", "ltx-vae")
    assert fetched.returncode == 0, fetched.stderr
    assert f"snapshots/{WAN_COMMIT}/vae/diffusion_pytorch_model.safetensors" in fetched.stdout
    assert f"snapshots/{HUB_COMMIT}/vae/diffusion_pytorch_model.safetensors" in fetched.stdout  # unpinned: main
    paths = {path for _, path, _ in served.requests}
    assert f"/Wan-AI/Wan2.1-T2V-1.3B-Diffusers/resolve/{WAN_COMMIT}/vae/diffusion_pytorch_model.safetensors" in paths
    assert "/Lightricks/LTX-Video/resolve/main/vae/diffusion_pytorch_model.safetensors" in paths

    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hf-home" / "hub"))
    wan, ltx = resolve("wan-vae"), resolve("ltx-vae")
    assert (wan.source, wan.revision, wan.revision_pinned) == ("cache", WAN_COMMIT, True)
    assert (ltx.revision, ltx.revision_pinned) == (HUB_COMMIT, False)
    assert wan.to_dict()["revision"] == WAN_COMMIT  # what reaches results.json with the decoder info
