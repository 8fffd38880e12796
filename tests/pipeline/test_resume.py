"""Resume: a run interrupted between batches or in the middle of a journal write ends with the same results,
losing no finished clip and recomputing none."""

from __future__ import annotations

import pandas as pd
import pytest

from evalkit.pipeline import run
from evalkit.pipeline.journal import ClipJournal
from tests.pipeline.conftest import VALUE_COLUMNS, make_config, set_offline, values

SETTINGS = {"max_clips": 3, "batch_size": 1, "no_cache": True}


class Killed(BaseException):
    """Stands in for SIGKILL: not an Exception, so nothing in the run may swallow it."""


def _kill_on_line(monkeypatch, line: int, torn: bool) -> None:
    """Make journal line ``line`` (1-based) never land: the process dies before it, or halfway through it."""
    original = ClipJournal.append

    def append(self, records, **kwargs):
        if self.lines + 1 == line:
            if torn:
                with open(self.path, "ab") as handle:
                    handle.write(b'{"elapsed_s": 1.0, "records": [{"clip_id": "')
            raise Killed
        original(self, records, **kwargs)

    monkeypatch.setattr(ClipJournal, "append", append)


@pytest.fixture(scope="module")
def reference(tmp_path_factory, fake_detector):
    """The uninterrupted run both resume tests must reproduce."""
    folder = tmp_path_factory.mktemp("reference")
    with pytest.MonkeyPatch.context() as patch:
        set_offline(patch, folder)
        return run(make_config(folder, fake_detector, **SETTINGS))


@pytest.mark.parametrize("torn", [False, True], ids=["between-clips", "mid-write"])
def test_resumed_run_equals_uninterrupted_run(reference, tiny_config, tmp_path, monkeypatch, teacher_calls, torn):
    settings = SETTINGS

    with monkeypatch.context() as patch:
        _kill_on_line(patch, line=2, torn=torn)
        with pytest.raises(Killed):
            run(tiny_config(out=str(tmp_path / "resumed"), **settings))
    teacher_calls.update(encode=0, decode=0)
    resumed = run(tiny_config(out=str(tmp_path / "resumed"), **settings)).results

    assert teacher_calls["encode"] == 2  # clips 2 and 3 only: clip 1 was journaled before the kill
    assert resumed["timings"]["sessions"] == 2
    assert resumed["status"] == "complete"
    table = values(tmp_path / "resumed")
    assert list(table.index) == ["bigbuckbunny", "bikes", "carphone"]
    pd.testing.assert_frame_equal(table[VALUE_COLUMNS], values(reference.run_dir)[VALUE_COLUMNS])
    for comparison in ("teacher", "student", "student_vs_teacher"):
        expected = reference.results["metrics"]["fvd"]["values"][comparison]["value"]
        assert resumed["metrics"]["fvd"]["values"][comparison]["value"] == pytest.approx(expected, rel=1e-9)
    assert resumed["metrics"]["psnr"] == reference.results["metrics"]["psnr"]


@pytest.mark.slow
def test_sigkill_then_same_command_resumes(reference, tmp_path, fake_detector):
    """A real ``kill -9`` of `evalkit run` after its first journaled clip; the same command finishes the run."""
    import json
    import os
    import signal
    import subprocess
    import sys
    import time

    config = make_config(tmp_path, fake_detector, **SETTINGS)
    config_file = tmp_path / "run.yaml"
    config_file.write_text(json.dumps({k: v for k, v in config.to_dict().items() if v is not None}))
    command = [sys.executable, "-m", "evalkit", "run", "--config", str(config_file), "--no-progress"]
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "EVALKIT_OFFLINE": "1", "OMP_NUM_THREADS": "1"}
    journal = tmp_path / "run" / "journal" / "session-000.rank0.jsonl"
    process = subprocess.Popen(command, env=env)
    deadline = time.monotonic() + 300
    while not (journal.exists() and journal.read_bytes().count(b"\n") >= 1):
        assert process.poll() is None, "the run ended before it could be killed"
        assert time.monotonic() < deadline, "no clip was journaled within 300 s"
        time.sleep(0.05)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    subprocess.run(command, env=env, check=True, timeout=600)
    resumed = json.loads((tmp_path / "run" / "results.json").read_text())
    assert resumed["timings"]["sessions"] == 2
    pd.testing.assert_frame_equal(values(tmp_path / "run")[VALUE_COLUMNS], values(reference.run_dir)[VALUE_COLUMNS])


@pytest.mark.parametrize("damage", [b'{"config": "1f36', b"\xff\xfe", b"[]"], ids=["truncated", "binary", "not-object"])
def test_damaged_journal_meta_keeps_finished_clips_and_says_how_to_resume(
    reference, tiny_config, tmp_path, monkeypatch, teacher_calls, damage
):
    from evalkit.pipeline.journal import JournalMismatchError

    out = str(tmp_path / "damaged")
    with monkeypatch.context() as patch:
        _kill_on_line(patch, line=3, torn=False)
        with pytest.raises(Killed):
            run(tiny_config(out=out, **SETTINGS))
    meta = tmp_path / "damaged" / "journal" / "meta.json"
    journal = meta.parent / "session-000.rank0.jsonl"
    journaled = journal.read_bytes()
    meta.write_bytes(damage)

    with pytest.raises(JournalMismatchError) as refused:
        run(tiny_config(out=out, **SETTINGS))
    message = str(refused.value)
    assert f"{meta} is damaged" in message
    assert "the 2 finished clip(s) journaled beside it are kept" in message
    assert f"delete {meta} and run it again to resume" in message
    assert journal.read_bytes() == journaled

    meta.unlink()  # the fix the message gives
    teacher_calls.update(encode=0, decode=0)
    resumed = run(tiny_config(out=out, **SETTINGS)).results
    assert teacher_calls["encode"] == 1  # only the clip that was not journaled
    pd.testing.assert_frame_equal(values(tmp_path / "damaged")[VALUE_COLUMNS], values(reference.run_dir)[VALUE_COLUMNS])
    assert resumed["status"] == "complete"
