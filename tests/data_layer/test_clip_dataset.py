"""ClipDataset and collate_clips: reference pixels, failures as records, worker DataLoader, HF adapter."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader

import datasets
from evalkit.data import ClipDataset, ClipProtocol, build_manifest, collate_clips

from .conftest import reference_frames


def test_clips_match_the_reference_decode_after_the_protocol(ucf_root):
    protocol = ClipProtocol(num_frames=5, frame_stride=2, start="center", resolution=64)
    manifest = build_manifest("ucf101", ucf_root, protocol)
    item = ClipDataset(manifest)[0]
    assert item["clip_id"] == "v_ApplyEyeMakeup_g01_c01"
    assert item["label"] == 0
    indices = list(manifest.clips[0].frame_indices)
    assert indices == [13, 15, 17, 19, 21]
    expected = protocol.transform(reference_frames(manifest.resolve(manifest.clips[0]))[indices])
    assert item["frames"].dtype == torch.uint8
    assert item["frames"].shape == (5, 64, 64, 3)
    np.testing.assert_array_equal(item["frames"].numpy(), expected)


def test_same_frames_from_every_backend_and_every_run(ucf_root):
    manifest = build_manifest("ucf101", ucf_root, ClipProtocol(resolution=48))
    runs = [ClipDataset(manifest, backend=backend)[1]["frames"] for backend in ("decord", "pyav", "decord")]
    assert torch.equal(runs[0], runs[1])
    assert torch.equal(runs[0], runs[2])


def test_a_clip_that_breaks_after_listing_becomes_an_error_record(ucf_root, tmp_path):
    root = tmp_path / "ucf"
    shutil.copytree(ucf_root, root)
    manifest = build_manifest("ucf101", root, ClipProtocol(resolution=32))
    (root / manifest.clips[1].source).write_bytes(b"")
    dataset = ClipDataset(manifest)
    assert dataset[1] == {"clip_id": "v_HandStandPushups_g01_c01", "error": "empty file (0 bytes)", "label": 1}
    batch = collate_clips([dataset[0], dataset[1]])
    assert batch["clip_id"] == ["v_ApplyEyeMakeup_g01_c01"]
    assert batch["label"] == [0]
    assert batch["frames"].shape == (1, 17, 32, 32, 3)
    assert batch["errors"] == [("v_HandStandPushups_g01_c01", "empty file (0 bytes)")]
    assert collate_clips([dataset[1]])["frames"] is None


def test_protocol_mismatch_is_refused(ucf_root):
    manifest = build_manifest("ucf101", ucf_root, ClipProtocol())
    with pytest.raises(ValueError, match="differs from the manifest's"):
        ClipDataset(manifest, protocol=ClipProtocol(resolution=128))


def test_dataloader_with_workers_gives_the_same_batches(ucf_root):
    manifest = build_manifest("ucf101", ucf_root, ClipProtocol(resolution=32, short_policy="loop"))
    dataset = ClipDataset(manifest)
    serial = [dataset[i]["frames"] for i in range(len(dataset)) if "frames" in dataset[i]]
    loader = DataLoader(dataset, batch_size=2, num_workers=2, collate_fn=collate_clips)
    batches = list(loader)
    parallel = [clip for batch in batches if batch["frames"] is not None for clip in batch["frames"]]
    assert len(parallel) == len(serial) == 3  # the cut-short YoYo video loops onto its partial last frame
    assert [error for batch in batches for _, error in batch["errors"]] == [
        "damaged frame 5: its packet is truncated or corrupt; the header declares 36 frames, the file holds 6"
    ]
    assert all(torch.equal(a, b) for a, b in zip(serial, parallel, strict=True))


def test_hf_saved_dataset_with_embedded_videos(media, tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    features = datasets.Features({"video": datasets.Video(), "label": datasets.ClassLabel(names=["avi", "mp4"])})
    table = datasets.Dataset.from_dict({"video": [str(media["avi"]), str(media["mp4"])], "label": [0, 1]}, features)
    table.save_to_disk(str(tmp_path / "saved"))
    cache = tmp_path / "cache"
    manifest = build_manifest("hf", tmp_path / "saved", ClipProtocol(num_frames=3), cache_dir=str(cache))
    assert [(clip.clip_id, clip.label, clip.frame_indices) for clip in manifest.clips] == [
        ("data/000000", 0, (0, 1, 2)),
        ("data/000001", 1, (0, 1, 2)),
    ]
    assert manifest.options == {}
    assert manifest.locations == {"cache_dir": str(cache)}
    assert sorted(path.suffix for path in cache.iterdir()) == [".avi", ".mp4"]  # bytes written out once
    frames = ClipDataset(manifest)[1]["frames"].numpy()
    np.testing.assert_array_equal(frames, ClipProtocol(num_frames=3).transform(reference_frames(media["mp4"])[:3]))
