"""Weight files shipped inside the package (``file:`` URLs): found in place, sha256-checked, never fetched."""

import hashlib
import logging

import pytest

from evalkit.weights import WeightSpec, WeightsUnavailable, resolve, status

DATA = b"shipped decoder weights"


def _shipped(folder, data=DATA, companions=()):
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "decoder.safetensors"
    path.write_bytes(data)
    for companion in companions:
        (folder / companion).write_text("{}")
    spec = WeightSpec(
        name="shipped-decoder",
        description="a decoder shipped in the package",
        filename=path.name,
        companions=companions,
        url=path.as_uri(),
        sha256=hashlib.sha256(DATA).hexdigest(),
    )
    return spec, path


def test_shipped_file_resolves_in_place_with_its_sha256(isolated_caches):
    spec, path = _shipped(isolated_caches / "package")
    found = resolve(spec)
    assert (found.path, found.source, found.sha256) == (path, "package", hashlib.sha256(DATA).hexdigest())
    assert status(spec)["present"] is True
    assert status(spec)["expected"] == [str(path)]


def test_a_cached_copy_does_not_replace_the_shipped_file(isolated_caches):
    spec, path = _shipped(isolated_caches / "package")
    cached = isolated_caches / "evalkit" / "weights" / spec.name / path.name
    cached.parent.mkdir(parents=True)
    cached.write_bytes(DATA)
    assert resolve(spec).path == path


def test_modified_shipped_file_is_refused_naming_the_file_and_the_fix(isolated_caches):
    spec, path = _shipped(isolated_caches / "package", data=b"tampered decoder weights")
    with pytest.raises(WeightsUnavailable) as info:
        resolve(spec)
    message = str(info.value)
    assert message.startswith(f"shipped-decoder: refusing {path}: its sha256 ")
    assert f"differs from the sha256 {hashlib.sha256(DATA).hexdigest()} known for this file" in message
    assert "the file shipped with evalkit has been modified" in message
    assert "reinstall evalkit" in message


def test_explicit_path_still_wins_over_the_pin_with_a_warning(isolated_caches, caplog):
    spec, path = _shipped(isolated_caches / "package", data=b"my own fine-tuned weights")
    with caplog.at_level(logging.WARNING):
        found = resolve(spec, path=path)
    assert found.source == "explicit"
    assert "using explicitly named" in caplog.text


def test_missing_shipped_file_says_reinstall_not_fetch(isolated_caches):
    spec, path = _shipped(isolated_caches / "package", companions=("config.json",))
    (path.parent / "config.json").unlink()
    with pytest.raises(WeightsUnavailable) as info:
        resolve(spec, allow_download=True)
    message = str(info.value)
    assert "the file shipped with evalkit is missing" in message
    assert str(path) in message
    assert "it ships inside the evalkit package: reinstall evalkit" in message
    assert "evalkit weights fetch" not in message


def test_file_url_must_name_the_spec_file(tmp_path):
    with pytest.raises(ValueError, match="a file: URL must name the file 'decoder.safetensors'"):
        WeightSpec(name="x", description="x", filename="decoder.safetensors", url=(tmp_path / "other.pt").as_uri())
