import numpy as np
import pytest

from evalkit.report.samples import SAMPLES_DIR, read_samples, write_sample

RNG = np.random.default_rng(0)


def _clip():
    return RNG.integers(0, 256, size=(5, 8, 12, 3), dtype=np.uint8)


def test_samples_round_trip_in_index_order(tmp_path):
    clips = [(_clip(), _clip(), _clip()) for _ in range(3)]
    for index, (gt, teacher, student) in reversed(list(enumerate(clips))):
        write_sample(tmp_path, index, f"class/clip {index}", gt, teacher, student)
    samples = read_samples(tmp_path)
    assert [s.clip_id for s in samples] == ["class/clip 0", "class/clip 1", "class/clip 2"]
    for sample, (gt, teacher, student) in zip(samples, clips, strict=True):
        np.testing.assert_array_equal(sample.ground_truth, gt)
        np.testing.assert_array_equal(sample.teacher, teacher)
        np.testing.assert_array_equal(sample.student, student)
    assert sorted(p.name for p in (tmp_path / SAMPLES_DIR).iterdir()) == ["000.npz", "001.npz", "002.npz"]


def test_no_samples_folder_means_no_samples(tmp_path):
    assert read_samples(tmp_path) == []


def test_bad_samples_are_refused_with_the_file_named(tmp_path, caplog):
    with pytest.raises(ValueError, match=r"sample 'c': sample array 'student' must be uint8 \(T, H, W, 3\)"):
        write_sample(tmp_path, 0, "c", _clip(), _clip(), _clip()[:, :4])
    (tmp_path / SAMPLES_DIR).mkdir()
    np.savez(tmp_path / SAMPLES_DIR / "000.npz", clip_id=np.array("c"), ground_truth=_clip())
    write_sample(tmp_path, 1, "d", _clip(), _clip(), _clip())
    assert [sample.clip_id for sample in read_samples(tmp_path)] == ["d"]  # the damaged one costs only its frames
    assert "000.npz: sample file lacks teacher, student; re-run `evalkit run`" in caplog.text


def test_samples_are_deflated_npz_files_that_numpy_reads(tmp_path):
    import zipfile

    smooth = np.broadcast_to(np.arange(12, dtype=np.uint8)[None, None, :, None], (5, 8, 12, 3)).copy()
    path = write_sample(tmp_path, 0, "c", smooth, smooth, smooth)
    with zipfile.ZipFile(path) as archive:
        members = archive.infolist()
        assert sorted(m.filename for m in members) == ["clip_id.npy", "ground_truth.npy", "student.npy", "teacher.npy"]
        frames = next(m for m in members if m.filename == "ground_truth.npy")
        assert frames.compress_type == zipfile.ZIP_DEFLATED
        assert frames.compress_size < frames.file_size
    with np.load(path, allow_pickle=False) as data:
        np.testing.assert_array_equal(data["teacher"], smooth)
        assert str(data["clip_id"]) == "c"
