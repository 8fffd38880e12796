import json

import pandas as pd
import pytest

from evalkit.atomic import atomic_open, atomic_write_text
from evalkit.results.io import merge_profile, read_per_clip, read_results, write_per_clip, write_results
from evalkit.results.schema import ResultsSchemaError
from tests.results.conftest import make_document


def test_results_round_trip_sorted_and_nan_as_null(tmp_path):
    doc = make_document({})
    doc["timings"]["clips_per_s"] = float("nan")
    path = write_results(tmp_path, doc)
    assert path == tmp_path / "results.json"
    text = path.read_text()
    assert json.loads(text)["timings"]["clips_per_s"] is None
    assert text.index('"cache"') < text.index('"ci"') < text.index('"clips"')
    assert read_results(tmp_path)["run_id"] == "unit-run"


def test_invalid_document_is_not_written(tmp_path):
    doc = make_document({})
    doc["status"] = "halfway"
    with pytest.raises(ResultsSchemaError, match="status 'halfway' is not one of complete, partial"):
        write_results(tmp_path, doc)
    assert list(tmp_path.iterdir()) == []


def test_read_missing_results_says_what_to_do(tmp_path):
    with pytest.raises(ResultsSchemaError, match="no such results file; run `evalkit run` first"):
        read_results(tmp_path / "nope.json")


def test_merge_profile_keeps_everything_else(tmp_path):
    write_results(tmp_path, make_document({}))
    merge_profile(tmp_path, {"student": {"params": 1234}})
    doc = read_results(tmp_path)
    assert doc["profile"] == {"student": {"params": 1234}}
    assert doc["run_id"] == "unit-run"


def test_per_clip_parquet_round_trip(tmp_path):
    table = pd.DataFrame({"clip_id": ["a", "b"], "status": ["ok", "failed"], "psnr.student": [30.5, float("nan")]})
    assert write_per_clip(tmp_path, table).name == "per_clip.parquet"
    pd.testing.assert_frame_equal(read_per_clip(tmp_path / "results.json"), table)


def test_atomic_write_keeps_old_file_when_writer_fails(tmp_path):
    target = tmp_path / "f.txt"
    atomic_write_text(target, "old")

    def interrupted_write():
        with atomic_open(target) as handle:
            handle.write("half of the new")
            raise RuntimeError("killed")

    with pytest.raises(RuntimeError, match="killed"):
        interrupted_write()
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["f.txt"]
