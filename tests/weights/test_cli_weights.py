import hashlib
import json

from evalkit.cli import main
from evalkit.weights import known_weights


def test_weights_list_shows_every_file_with_location_and_fetch_command(capsys):
    assert main(["weights", "list"]) == 0
    out = capsys.readouterr().out
    for spec in known_weights():
        if spec.package_path is None:
            assert f"fetch:    evalkit weights fetch {spec.name}" in out
    assert "fetch:    shipped with evalkit: reinstall it (pip install -e .) to restore the file" in out
    assert "i3d-torchscript      missing" in out
    assert "/hub/checkpoints/vgg16-397923af.pth" in out
    assert "(expected: 397923af...)" in out


def test_weights_list_json_reports_present_file_and_sha256(isolated_caches, capsys):
    data = b"detector"
    target = isolated_caches / "evalkit" / "weights" / "i3d-torchscript" / "i3d_torchscript.pt"
    target.parent.mkdir(parents=True)
    target.write_bytes(data)
    assert main(["weights", "list", "--json"]) == 0
    rows = {row["name"]: row for row in json.loads(capsys.readouterr().out)}
    assert rows["i3d-torchscript"]["present"] is True
    assert rows["i3d-torchscript"]["path"] == str(target)
    assert rows["i3d-torchscript"]["sha256"] == hashlib.sha256(data).hexdigest()
    assert rows["ltx-vae"]["present"] is False


def test_fetch_offline_exits_1_with_the_reason(capsys):
    assert main(["weights", "fetch", "lpips-vgg"]) == 1
    assert "EVALKIT_OFFLINE is set" in capsys.readouterr().err


def test_verify_checks_present_files(isolated_caches, capsys):
    assert main(["weights", "verify"]) == 0
    verified = capsys.readouterr().out.splitlines()
    assert [line.split()[:2] for line in verified] == [["demo-vae:", "ok"], ["turbo-vaed-demo:", "ok"]]  # shipped
    fake = isolated_caches / "torch" / "hub" / "checkpoints" / "alexnet-owt-7be5be79.pth"
    fake.parent.mkdir(parents=True)
    fake.write_bytes(b"not the real alexnet")
    assert main(["weights", "verify"]) == 1
    assert "lpips-alex: FAILED" in capsys.readouterr().err


def test_list_reports_ambiguous_checkpoints_instead_of_crashing(isolated_caches, capsys):
    folder = isolated_caches / "evalkit" / "weights" / "turbo-vaed-dc"
    folder.mkdir(parents=True)
    (folder / "dc_a.pt").write_bytes(b"a")
    (folder / "dc_b.pt").write_bytes(b"b")
    assert main(["weights", "list"]) == 0
    assert "problem:  turbo-vaed-dc: several checkpoints match 'dc'" in capsys.readouterr().out


def test_fetch_checks_every_name_before_downloading_anything(capsys, monkeypatch):
    import evalkit.weights

    def must_not_fetch(*args, **kwargs):
        raise AssertionError("a file was fetched before every name was checked")

    monkeypatch.setattr(evalkit.weights, "resolve", must_not_fetch)
    assert main(["weights", "fetch", "lpips-alex", "nope"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("evalkit weights: unknown weight file 'nope'; choose one of: ")
    assert err.count("\n") == 1
