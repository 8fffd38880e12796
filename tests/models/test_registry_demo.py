"""The shipped demo pair in the decoder registry: listed as present, built from the package, tampering refused."""

import dataclasses
import json
import math
import shutil

import pytest
from safetensors import safe_open

from evalkit.cli import main
from evalkit.models import demo
from evalkit.models.registry import DECODERS, build_pair, describe
from evalkit.registry import Registry
from evalkit.weights import WEIGHTS, WeightsUnavailable, resolver

pytestmark = pytest.mark.usefixtures("isolated_caches")


def _stored_parameters(path) -> int:
    with safe_open(str(path), "pt") as handle:
        names = handle.keys()
        return sum(math.prod(handle.get_slice(name).get_shape()) for name in names)


def test_demo_names_are_registered_by_importing_the_registry():
    assert DECODERS.get("turbo-demo").teacher == "demo"
    assert DECODERS.get("turbo-demo").student_weights == "turbo-vaed-demo"
    assert DECODERS.get("demo").student_preset is None
    assert DECODERS.get("ltx").demo_note is None
    demo.register()  # idempotent
    assert WEIGHTS.get("turbo-vaed-demo").package_path == demo.STUDENT_FILE


def test_describe_counts_the_shipped_models_and_finds_their_files():
    row = describe("turbo-demo")
    assert row["student_params"] == _stored_parameters(demo.STUDENT_FILE) == 464_923
    # the teacher file also stores the 2 x 16 latents_mean/std buffers
    assert row["teacher_total_params"] == _stored_parameters(demo.TEACHER_FILE) - 2 * 16 == 3_969_845
    assert row["teacher_decoder_params"] == 2_759_788
    assert (row["teacher_weights_status"], row["student_weights_status"]) == ("present", "present")
    assert (row["frame_rule"], row["spatial_compression"], row["latent_channels"]) == ("4k+1", 8, 16)


def test_decoders_table_lists_the_demo_pair_as_present(capsys):
    assert main(["decoders"]) == 0
    rows = {line.split()[0]: line.split() for line in capsys.readouterr().out.splitlines()[1:] if line}
    assert rows["turbo-demo"] == [
        "turbo-demo", "AutoencoderKLLTXVideo", "2.8M", "0.5M", "8x8x4", "4k+1", "16", "present", "present"
    ]  # fmt: skip
    assert rows["demo"][-2:] == ["present", "-"]


def test_turbo_demo_builds_from_the_package_with_recorded_sha256():
    pair = build_pair("turbo-demo")
    assert pair.random_weights is False
    assert pair.info["demo"] == demo.DEMO_NOTE
    pins = demo.pins()
    assert pair.info["teacher_weights"]["sha256"] == pins["demo-vae"]
    assert pair.info["student_weights"]["sha256"] == pins["turbo-vaed-demo"]
    assert pair.info["teacher_weights"]["source"] == pair.info["student_weights"]["source"] == "package"
    assert pair.info["student_weights"]["dropped_keys"] == 0
    assert pair.student.decoder.conv_in.conv.in_channels == pair.teacher.latent_channels == 16
    assert json.loads(demo.STUDENT_CONFIG_FILE.read_text())["latent_channels"] == 16


def test_a_tampered_copy_of_the_package_is_refused(tmp_path, monkeypatch):
    package = shutil.copytree(demo.PACKAGE_DIR, tmp_path / "demo", ignore=shutil.ignore_patterns("__pycache__"))
    student = package / "turbo_demo" / "decoder.safetensors"
    data = bytearray(student.read_bytes())
    data[-1] ^= 1  # one bit of the last tensor
    student.write_bytes(bytes(data))
    moved = Registry("weight file")
    for name in WEIGHTS.names():
        spec = WEIGHTS.get(name)
        if spec.package_path is not None:
            relative = spec.package_path.relative_to(demo.PACKAGE_DIR)
            spec = dataclasses.replace(spec, url=(package / relative).as_uri())
        moved.register(name, obj=spec)
    monkeypatch.setattr(resolver, "WEIGHTS", moved)
    with pytest.raises(WeightsUnavailable) as info:
        build_pair("turbo-demo")
    message = str(info.value)
    assert message.startswith(f"turbo-vaed-demo: refusing {student}: its sha256 ")
    assert f"differs from the sha256 {demo.pins()['turbo-vaed-demo']} known for this file" in message
    assert "the file shipped with evalkit has been modified" in message
