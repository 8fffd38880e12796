"""Profile cache: one computation per key, key stable under dict order, atomic JSON files."""

import json

from evalkit.profile.cache import ProfileCache, profile_key


def test_second_lookup_is_a_hit(tmp_path):
    cache = ProfileCache(tmp_path)
    fields = {"weights": "random", "shape": (1, 16, 3, 2, 3), "env": {"torch": "2.14.1", "threads": 2}}
    calls = []

    def compute():
        calls.append(1)
        return {"median_s": 1.5}

    assert cache.get_or_compute("turbo-ltx-256", fields, compute) == ({"median_s": 1.5}, False)
    assert cache.get_or_compute("turbo-ltx-256", fields, compute) == ({"median_s": 1.5}, True)
    assert len(calls) == 1
    other = {**fields, "env": {"torch": "2.14.1", "threads": 1}}
    assert cache.get_or_compute("turbo-ltx-256", other, compute) == ({"median_s": 1.5}, False)
    assert len(calls) == 2
    assert [p.suffix for p in tmp_path.iterdir()] == [".json", ".json"]
    stored = json.loads(cache.path_for("turbo-ltx-256", fields).read_text())
    assert stored["key"]["shape"] == [1, 16, 3, 2, 3]


def test_disabled_cache_always_computes(tmp_path):
    cache = ProfileCache(tmp_path, enabled=False)
    calls = []
    for _ in range(2):
        cache.get_or_compute("x", {"a": 1}, lambda: calls.append(1) or {})
    assert len(calls) == 2
    assert list(tmp_path.iterdir()) == []


def test_key_ignores_dict_order_and_label_is_sanitised(tmp_path):
    assert profile_key({"a": 1, "b": 2}) == profile_key({"b": 2, "a": 1})
    assert profile_key({"a": 1}) != profile_key({"a": 2})
    assert ProfileCache(tmp_path).path_for("turbo/ltx 256", {}).name.startswith("turbo_ltx_256-")
