import hashlib
import os

from evalkit.weights import sha256_file
from evalkit.weights.hashing import HashCache, PinStore


def test_sha256_file_matches_hashlib_across_chunks(tmp_path):
    data = os.urandom(3 * (1 << 20) + 17)
    path = tmp_path / "blob.bin"
    path.write_bytes(data)
    assert sha256_file(path) == hashlib.sha256(data).hexdigest()


def test_sha256_of_empty_file(tmp_path):
    path = tmp_path / "empty"
    path.write_bytes(b"")
    assert sha256_file(path) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


def test_hash_cache_reuses_then_recomputes_after_rewrite(tmp_path, monkeypatch):
    path = tmp_path / "w.pt"
    path.write_bytes(b"first")
    cache = HashCache(tmp_path / "hashes.json")
    assert cache.sha256(path) == hashlib.sha256(b"first").hexdigest()
    calls = []
    monkeypatch.setattr("evalkit.weights.hashing.sha256_file", lambda p: calls.append(p) or "x")
    assert cache.sha256(path) == hashlib.sha256(b"first").hexdigest()
    assert calls == []
    path.write_bytes(b"second, longer")
    assert cache.sha256(path) == "x"
    assert len(calls) == 1


def test_pin_store_round_trip(tmp_path):
    pins = PinStore(tmp_path / "pins.json")
    assert pins.get("i3d-torchscript") is None
    pins.pin("i3d-torchscript", "ab" * 32, origin="https://example.invalid/i3d.pt")
    assert PinStore(tmp_path / "pins.json").get("i3d-torchscript") == "ab" * 32
