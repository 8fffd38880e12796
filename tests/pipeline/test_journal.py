import json

import numpy as np
import pytest
import torch

from evalkit.metrics.fvd import FVD
from evalkit.pipeline.journal import ClipJournal, JournalMismatchError, check_meta, read_progress, save_state


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


def test_pooled_increments_of_whole_lines_are_read_back_in_order(tmp_path):
    journal = ClipJournal(tmp_path, session=0, rank=0)
    journal.append([_record("a", 1.0)], stage_s={}, elapsed_s=1.0, pooled_increment={"fvd": {"sum": np.arange(3.0)}})
    journal.append([_record("b", 1.0)], stage_s={}, elapsed_s=2.0, pooled_increment={"fvd": {"sum": np.ones(3)}})
    # a kill after the next increment but before its line: no whole line names it, so it is ignored
    journal.dir.joinpath("session-000.rank0.pooled-000003.pt").write_bytes(b"garbage")
    (increments,) = read_progress(tmp_path).pooled_increments
    assert [list(increment["fvd"]["sum"]) for increment in increments] == [[0.0, 1.0, 2.0], [1.0, 1.0, 1.0]]


def test_an_older_cumulative_checkpoint_reads_as_one_increment(tmp_path):
    save_state(tmp_path / "journal" / "session-000.rank0.state-000001.pt", {"fvd": {"sum": np.arange(3.0)}})
    line = {
        "records": [_record("a", 1.0)],
        "stage_s": {},
        "elapsed_s": 1.0,
        "pooled_state": "session-000.rank0.state-000001.pt",
    }
    (tmp_path / "journal" / "session-000.rank0.jsonl").write_text(json.dumps(line) + "\n")
    (increments,) = read_progress(tmp_path).pooled_increments
    assert [list(increment["fvd"]["sum"]) for increment in increments] == [[0.0, 1.0, 2.0]]


def _fvd() -> FVD:
    return FVD(torch.nn.Identity(), "0" * 64, keep_features=True)


def test_fvd_increments_stay_the_same_size_as_clips_accumulate_and_rebuild_the_state_exactly(tmp_path):
    """Each batch journals its own 4 clips' features (not the D x D sums, nor the clips before it)."""
    rng = np.random.default_rng(0)
    journal, running = ClipJournal(tmp_path, session=0, rank=0), _fvd()
    for batch in range(50):
        ids = [f"clip{batch * 4 + row:05d}" for row in range(4)]
        reference, candidate = (torch.from_numpy(rng.standard_normal((4, 400), np.float32)).double() for _ in "rc")
        increment = _fvd()
        increment.update_features(reference, candidate, ids, frames_per_clip=16)
        running.merge(increment.state_dict())
        journal.append(
            [_record(i, 1.0) for i in ids], stage_s={}, elapsed_s=1.0, pooled_increment={"fvd": increment.state_dict()}
        )
    sizes = [path.stat().st_size for path in sorted(journal.dir.glob("*.pooled-*.pt"))]
    assert len(sizes) == 50
    assert max(sizes) == min(sizes) < 8 * 400 * 400  # one D x D float64 sum alone is 1.28 MB
    (increments,) = read_progress(tmp_path).pooled_increments
    rebuilt = _fvd()
    for increment in increments:
        rebuilt.merge(increment["fvd"])
    for side in ("reference_stats", "candidate_stats"):
        for key in ("sum", "outer_sum"):
            np.testing.assert_array_equal(getattr(getattr(rebuilt, side), key), getattr(getattr(running, side), key))
    assert rebuilt.compute() == running.compute()


def test_meta_refuses_another_run(tmp_path):
    check_meta(tmp_path, {"config": "aaa"})
    check_meta(tmp_path, {"config": "aaa"})
    assert json.loads((tmp_path / "journal" / "meta.json").read_text()) == {"config": "aaa"}
    with pytest.raises(JournalMismatchError, match="exists with other settings: it holds an unfinished run"):
        check_meta(tmp_path, {"config": "bbb"})
    (tmp_path / "results.json").write_text("{}")  # what a finished run leaves
    with pytest.raises(JournalMismatchError, match="exists with other settings: it holds a finished run"):
        check_meta(tmp_path, {"config": "bbb"})
