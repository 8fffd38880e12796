import pytest

from evalkit import __version__
from evalkit.cli import build_parser, main


def test_bare_call_prints_help(capsys):
    assert main([]) == 0
    assert "usage: evalkit" in capsys.readouterr().out


def test_version_flag(capsys):
    parser = build_parser()
    with pytest.raises(SystemExit) as exited:
        parser.parse_args(["--version"])
    assert exited.value.code == 0
    assert __version__ in capsys.readouterr().out


def test_parser_and_settings_load_without_torch():
    """`evalkit --help`, `evalkit gate` and config parsing must not pay for torch (seconds per call)."""
    import subprocess
    import sys

    code = (
        "import sys; from evalkit.cli import build_parser; build_parser(); "
        "from evalkit.pipeline import RunConfig; RunConfig(); "
        "from evalkit.data import ClipProtocol; ClipProtocol(); "
        "print(sorted(m for m in ('torch', 'torchvision', 'diffusers', 'numpy') if m in sys.modules))"
    )
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert loaded == "[]"
