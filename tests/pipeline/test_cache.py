import os

import torch

from evalkit.cli import main
from evalkit.pipeline.cache import DiskCache, content_key


def _put(cache, namespace, key, size, mtime):
    cache.put(namespace, key, {"x": torch.zeros(size, dtype=torch.uint8)}, {"k": key})
    os.utime(cache.entry_path(namespace, key), (mtime, mtime))


def test_round_trip_and_content_key(tmp_path):
    cache = DiskCache(tmp_path)
    ns = cache.namespace("teacher", {"sha": "abc", "protocol": "p"})
    assert ns == cache.namespace("teacher", {"protocol": "p", "sha": "abc"})
    assert content_key({"a": 1}) != content_key({"a": 2})
    cache.put(ns, "k1", {"latent": torch.arange(6.0).reshape(2, 3)}, {"metrics": {"psnr": 30.5}})
    tensors, meta = cache.get(ns, "k1")
    torch.testing.assert_close(tensors["latent"], torch.arange(6.0).reshape(2, 3))
    assert meta == {"metrics": {"psnr": 30.5}}
    assert cache.get(ns, "missing") is None


def test_damaged_entry_is_a_miss_and_removed(tmp_path):
    cache = DiskCache(tmp_path)
    ns = cache.namespace("teacher", {"sha": "abc"})
    cache.entry_path(ns, "bad").write_bytes(b"not safetensors")
    assert cache.get(ns, "bad") is None
    assert not cache.entry_path(ns, "bad").exists()


def test_lru_eviction_keeps_recently_read_entries(tmp_path):
    cache = DiskCache(tmp_path)
    ns = cache.namespace("teacher", {"sha": "abc"})
    for age, key in enumerate(["old", "mid", "new"]):
        _put(cache, ns, key, 10_000, mtime=1_000_000 + age)
    cache.get(ns, "old")  # a read refreshes it
    entry_size = cache.entry_path(ns, "new").stat().st_size
    freed = cache.evict(max_bytes=2 * entry_size)
    assert freed == entry_size
    assert [cache.contains(ns, key) for key in ("old", "mid", "new")] == [True, False, True]


def test_cli_ls_and_clear(tmp_path, capsys):
    cache = DiskCache(tmp_path)
    ns = cache.namespace("teacher", {"teacher": "ltx", "protocol_hash": "p1"})
    _put(cache, ns, "k", 1000, mtime=1_000_000)
    assert main(["cache", "--cache-dir", str(tmp_path), "ls"]) == 0
    out = capsys.readouterr().out
    assert f"{ns}  1 entries" in out
    assert "protocol_hash=p1, teacher=ltx" in out
    assert main(["cache", "--cache-dir", str(tmp_path), "clear", "teacher/nope"]) == 2
    assert "no cache namespace 'teacher/nope'" in capsys.readouterr().out
    assert main(["cache", "--cache-dir", str(tmp_path), "clear", ns[:12]]) == 0
    assert cache.usage() == []


def test_entry_changed_in_place_fails_its_checksum_and_is_dropped(tmp_path):
    cache = DiskCache(tmp_path)
    ns = cache.namespace("teacher", {"sha": "abc"})
    cache.put(ns, "k", {"frames": torch.full((64, 64), 7, dtype=torch.uint8)}, {"metrics": {"psnr": 30.5}})
    path = cache.entry_path(ns, "k")
    data = bytearray(path.read_bytes())
    data[-100:-36] = bytes(64)  # 64 pixels zeroed inside the tensor data: same size, still valid safetensors
    path.write_bytes(bytes(data))
    assert cache.get(ns, "k") is None
    assert cache.corrupt_entries == [path.name]
    assert not path.exists()
