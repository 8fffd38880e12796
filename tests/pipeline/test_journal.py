import json

import numpy as np
import pytest

from evalkit.pipeline.journal import ClipJournal, JournalMismatchError, check_meta, read_progress


def _record(clip_id, value):
    return {"clip_id": clip_id, "status": "ok", "values": {"psnr.student": value}}


def test_progress_survives_sessions_and_ignores_torn_line(tmp_path):
    first = ClipJournal(tmp_path, session=0, rank=0)
    first.append([_record("a", 1.0), _record("b", float("nan"))], stage_s={"metrics": 1.0}, elapsed_s=2.0)
    first.append([_record("c", 3.0)], stage_s={"metrics": 0.5}, elapsed_s=3.0)
    with open(first.path, "ab") as handle:
        handle.write(b'{"records": [{"clip_id": "d"')  # killed mid-write
    progress = read_progress(tmp_path)
    assert sorted(progress.records) == ["a", "b", "c"]
    assert np.isnan(progress.records["b"]["values"]["psnr.student"])
    assert (progress.sessions, progress.wall_s, progress.stage_s) == (1, 3.0, {"metrics": 1.5})
    second = ClipJournal(tmp_path, session=progress.sessions, rank=0)
    second.append([_record("d", 4.0)], stage_s={}, elapsed_s=1.0)
    progress = read_progress(tmp_path)
    assert sorted(progress.records) == ["a", "b", "c", "d"]
    assert (progress.sessions, progress.wall_s) == (2, 4.0)


def test_pooled_state_checkpoint_matches_last_whole_line(tmp_path):
    journal = ClipJournal(tmp_path, session=0, rank=0)
    journal.append([_record("a", 1.0)], stage_s={}, elapsed_s=1.0, pooled_state={"fvd": {"sum": np.arange(3.0)}})
    journal.append([_record("b", 1.0)], stage_s={}, elapsed_s=2.0, pooled_state={"fvd": {"sum": np.arange(3.0) * 2}})
    states = sorted(p.name for p in journal.dir.glob("*.pt"))
    assert states == ["session-000.rank0.state-000002.pt"]
    progress = read_progress(tmp_path)
    assert len(progress.pooled_states) == 1
    np.testing.assert_array_equal(progress.pooled_states[0]["fvd"]["sum"], [0.0, 2.0, 4.0])
    # a kill after the next checkpoint but before its line: the line count still points at state 2
    journal.dir.joinpath("session-000.rank0.state-000003.pt").write_bytes(b"garbage")
    np.testing.assert_array_equal(read_progress(tmp_path).pooled_states[0]["fvd"]["sum"], [0.0, 2.0, 4.0])


def test_meta_refuses_another_run(tmp_path):
    check_meta(tmp_path, {"config": "aaa"})
    check_meta(tmp_path, {"config": "aaa"})
    assert json.loads((tmp_path / "journal" / "meta.json").read_text()) == {"config": "aaa"}
    with pytest.raises(JournalMismatchError, match="exists with other settings: it holds an unfinished run"):
        check_meta(tmp_path, {"config": "bbb"})
    (tmp_path / "results.json").write_text("{}")  # what a finished run leaves
    with pytest.raises(JournalMismatchError, match="exists with other settings: it holds a finished run"):
        check_meta(tmp_path, {"config": "bbb"})
