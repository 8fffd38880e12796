import hashlib
import logging
from pathlib import Path

import pytest

from evalkit.weights import WeightsUnavailable, network, resolve, resolver


def _write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def _fake_hf_snapshot(root: Path, repo_id: str, files: dict[str, bytes], commit: str = "a" * 40) -> Path:
    repo = root / f"models--{repo_id.replace('/', '--')}"
    _write(repo / "refs" / "main", commit.encode())
    for name, data in files.items():
        _write(repo / "snapshots" / commit / name, data)
    return repo / "snapshots" / commit


def test_missing_file_fails_without_the_network_naming_file_and_fetch_command(monkeypatch):
    def no_sockets(*args, **kwargs):
        raise AssertionError("an offline miss must not open sockets")

    monkeypatch.setattr(network.socket, "create_connection", no_sockets)
    with pytest.raises(WeightsUnavailable) as info:
        resolve("ltx-vae")
    message = str(info.value)
    assert "diffusion_pytorch_model.safetensors" in message
    assert "evalkit weights fetch ltx-vae" in message
    assert "EVALKIT_OFFLINE is set" in message


def test_offline_variable_skips_the_network_entirely(monkeypatch):
    monkeypatch.delenv("EVALKIT_OFFLINE")

    def no_sockets(*args, **kwargs):
        raise AssertionError("offline mode must not open sockets")

    monkeypatch.setattr(network.socket, "create_connection", no_sockets)
    assert network.is_online("https://huggingface.co") is False
    with pytest.raises(WeightsUnavailable, match="HF_HUB_OFFLINE is set"):
        resolve("i3d-torchscript")


def test_unreachable_host_is_decided_once_and_fast(monkeypatch):
    monkeypatch.delenv("EVALKIT_OFFLINE")
    monkeypatch.delenv("HF_HUB_OFFLINE")
    attempts = []
    monkeypatch.setattr(network, "_connects", lambda host, port: attempts.append(host) or False)
    network._reachable.cache_clear()
    try:
        for _ in range(3):
            with pytest.raises(WeightsUnavailable, match="is unreachable"):
                resolve("i3d-torchscript")
        assert attempts == ["www.dropbox.com"]
    finally:
        network._reachable.cache_clear()


def test_cache_hit_records_source_and_sha256(isolated_caches):
    data = b"i3d weights"
    path = _write(isolated_caches / "evalkit" / "weights" / "i3d-torchscript" / "i3d_torchscript.pt", data)
    found = resolve("i3d-torchscript")
    assert (found.path, found.source, found.sha256) == (path, "cache", hashlib.sha256(data).hexdigest())
    assert resolve("i3d_torchscript.pt").path == path  # the file name is an alias


def test_explicit_path_beats_cache(isolated_caches):
    _write(isolated_caches / "evalkit" / "weights" / "i3d-torchscript" / "i3d_torchscript.pt", b"cached")
    mine = _write(isolated_caches / "mine" / "detector.pt", b"cached")
    found = resolve("i3d-torchscript", path=mine)
    assert (found.path, found.source) == (mine, "explicit")


def test_explicit_path_that_does_not_exist_is_named(isolated_caches):
    with pytest.raises(WeightsUnavailable, match="explicit path .*nowhere.pt does not exist"):
        resolve("i3d-torchscript", path=isolated_caches / "nowhere.pt")


def test_pin_on_first_use_then_refuse_other_content_unless_explicit(isolated_caches, caplog):
    cached = _write(isolated_caches / "evalkit" / "weights" / "i3d-torchscript" / "i3d_torchscript.pt", b"v1")
    first = resolve("i3d-torchscript")
    assert resolver.pin_store().get("i3d-torchscript") == first.sha256
    _write(cached, b"v2 tampered")
    with pytest.raises(WeightsUnavailable, match="differs from the sha256 [0-9a-f]{64} pinned in") as info:
        resolve("i3d-torchscript")
    assert "evalkit weights fetch i3d-torchscript" in str(info.value)
    with caplog.at_level(logging.WARNING):
        explicit = resolve("i3d-torchscript", path=cached)
    assert explicit.sha256 == hashlib.sha256(b"v2 tampered").hexdigest()
    assert "explicitly named" in caplog.text
    assert resolver.pin_store().get("i3d-torchscript") == first.sha256


def test_allow_download_false_never_downloads(monkeypatch):
    monkeypatch.setattr(resolver, "is_online", lambda url: pytest.fail("must not check the network"))
    with pytest.raises(WeightsUnavailable, match="downloads are disabled"):
        resolve("lpips-alex", allow_download=False)


def test_torchvision_hash_prefix_is_checked(isolated_caches):
    fake = _write(isolated_caches / "torch" / "hub" / "checkpoints" / "alexnet-owt-7be5be79.pth", b"not alexnet")
    with pytest.raises(WeightsUnavailable, match="does not start with 7be5be79"):
        resolve("lpips-alex")
    assert resolve("lpips-alex", path=fake).source == "explicit"


def test_teacher_found_in_hugging_face_cache(isolated_caches):
    snapshot = _fake_hf_snapshot(
        isolated_caches / "hf",
        "Lightricks/LTX-Video",
        {"vae/config.json": b"{}", "vae/diffusion_pytorch_model.safetensors": b"weights"},
    )
    found = resolve("ltx-vae")
    assert found.source == "cache"
    assert found.path == snapshot / "vae" / "diffusion_pytorch_model.safetensors"


def test_teacher_without_config_json_is_not_taken_from_cache(isolated_caches):
    _fake_hf_snapshot(isolated_caches / "hf", "Lightricks/LTX-Video", {"vae/diffusion_pytorch_model.safetensors": b"w"})
    with pytest.raises(WeightsUnavailable, match="not available"):
        resolve("ltx-vae")


def test_explicit_teacher_folder_needs_config_json(isolated_caches):
    folder = isolated_caches / "my_vae"
    weights = _write(folder / "diffusion_pytorch_model.safetensors", b"w")
    with pytest.raises(WeightsUnavailable, match="holds no diffusion_pytorch_model.safetensors"):
        resolve("ltx-vae", path=folder)
    _write(folder / "config.json", b"{}")
    assert resolve("ltx-vae", path=folder).path == weights
    assert resolve("ltx-vae", path=weights).path == weights


def test_student_checkpoint_is_discovered_by_preset_token(isolated_caches):
    _fake_hf_snapshot(
        isolated_caches / "hf",
        "hustvl/Turbo-VAED",
        {"README.md": b"", "ckpt/Turbo-VAED-LTX.pth": b"ltx", "ckpt/Turbo-VAED-Hunyuan.pth": b"hy"},
    )
    assert resolve("turbo-vaed-ltx").path.name == "Turbo-VAED-LTX.pth"
    assert resolve("turbo-vaed-hunyuan").path.name == "Turbo-VAED-Hunyuan.pth"
    with pytest.raises(WeightsUnavailable, match="turbo-vaed-dc"):
        resolve("turbo-vaed-dc")


def test_ambiguous_student_checkpoints_are_listed(isolated_caches):
    folder = isolated_caches / "evalkit" / "weights" / "turbo-vaed-cog"
    _write(folder / "turbo_vaed_cog_step1000.pt", b"a")
    _write(folder / "turbo_vaed_cog_step2000.pt", b"b")
    with pytest.raises(WeightsUnavailable, match="several checkpoints match 'cog'.*step1000.*step2000"):
        resolve("turbo-vaed-cog")


def test_explicit_repo_filename_is_looked_up_in_the_cache(isolated_caches):
    _fake_hf_snapshot(isolated_caches / "hf", "hustvl/Turbo-VAED", {"weights/ltx_v2.safetensors": b"x"})
    assert resolve("turbo-vaed-ltx", filename="weights/ltx_v2.safetensors").path.name == "ltx_v2.safetensors"


def test_unknown_name_lists_choices():
    with pytest.raises(KeyError, match="unknown weight file 'nope'; choose one of: .*i3d-torchscript"):
        resolve("nope")
