"""A teacher cache entry changed on disk without changing its size is caught by its checksum and recomputed."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import pandas as pd

from evalkit.pipeline import run
from tests.pipeline.conftest import VALUE_COLUMNS, values


def _overwrite_inside(entry: Path, tensor: str, size: int) -> None:
    """Invert ``size`` bytes in the middle of ``tensor``'s data (the file stays valid safetensors, same size)."""
    data = bytearray(entry.read_bytes())
    header_len = struct.unpack("<Q", data[:8])[0]
    begin, end = json.loads(data[8 : 8 + header_len])[tensor]["data_offsets"]
    start = 8 + header_len + (begin + end) // 2 - size // 2
    data[start : start + size] = bytes(255 - byte for byte in data[start : start + size])
    entry.write_bytes(bytes(data))


def test_corrupt_entry_is_recomputed_and_reported(tiny_config, tmp_path, teacher_calls):
    cold = run(tiny_config(out=str(tmp_path / "cold"), metrics=("psnr", "ssim"), batch_size=1))
    entries = sorted(Path(tiny_config().cache_dir).glob("teacher/*/*.safetensors"))
    assert len(entries) == 2
    before = entries[0].stat().st_size
    _overwrite_inside(entries[0], "reference", 4096)
    assert entries[0].stat().st_size == before
    teacher_calls.update(encode=0, decode=0)
    warm = run(tiny_config(out=str(tmp_path / "warm"), metrics=("psnr", "ssim"), batch_size=1))
    assert teacher_calls == {"encode": 1, "decode": 1}  # the damaged clip only (batch 1: same numbers as cold)
    cache = warm.results["cache"]
    assert (cache["teacher_hits"], cache["teacher_misses"], cache["corrupt_entries"]) == (1, 1, 1)
    pd.testing.assert_frame_equal(values(cold.run_dir)[VALUE_COLUMNS], values(warm.run_dir)[VALUE_COLUMNS])
    assert cold.results["cache"]["corrupt_entries"] == 0
