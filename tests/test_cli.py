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
