"""Shared flags: one spelling, help and default in every command; ``--stride`` still works but warns."""

from __future__ import annotations

import argparse

import pytest

from evalkit.cli import build_parser

DEPRECATION = "evalkit: --stride is deprecated and will be removed; use --frame-stride\n"


def _subparser(name: str, *action: str) -> argparse.ArgumentParser:
    parser = build_parser()._subparsers._group_actions[0].choices[name]
    for step in action:
        parser = parser._subparsers._group_actions[0].choices[step]
    return parser


@pytest.mark.parametrize(
    ("argv", "dest"),
    [
        (["run"], "stride"),
        (["score", "--reference", "a", "--reconstruction", "b"], "frame_stride"),
        (["datasets", "manifest", "sample", "--out", "m.json"], "frame_stride"),
    ],
)
def test_frame_stride_and_its_deprecated_alias(capsys, argv, dest):
    parser = build_parser()
    assert getattr(parser.parse_args([*argv, "--frame-stride", "3"]), dest) == 3
    assert capsys.readouterr().err == ""
    assert getattr(parser.parse_args([*argv, "--stride", "2"]), dest) == 2
    assert capsys.readouterr().err == DEPRECATION


@pytest.mark.parametrize("command", [("run",), ("score",), ("datasets", "manifest")])
def test_help_shows_only_the_new_spelling(command):
    text = _subparser(*command).format_help()
    assert "--frame-stride K" in text
    assert "--stride" not in text


def test_unset_run_flags_stay_unset_so_a_config_file_can_fill_them():
    args = vars(build_parser().parse_args(["run"]))
    assert not {"stride", "ssim_variant", "device", "dtype", "offload", "bootstrap_resamples"} & set(args)


def test_shared_flags_read_the_same_in_every_command():
    shared = (
        "--frame-stride",
        "--lpips-net",
        "--ssim-variant",
        "--fvd-variant",
        "--fvd-detector",
        "--bootstrap-resamples",
        "--dtype",
        "--offload",
    )
    seen: dict[str, set[tuple]] = {flag: set() for flag in shared}
    for command in [("run",), ("score",), ("generate-check",), ("datasets", "manifest")]:
        for action in _subparser(*command)._actions:
            for flag in set(action.option_strings) & set(shared):
                help_text = action.help % {"default": action.default}  # as argparse prints it
                seen[flag].add((action.choices and tuple(action.choices), action.type, help_text))
    assert {flag: len(forms) for flag, forms in seen.items()} == dict.fromkeys(shared, 1)
    assert seen["--ssim-variant"] == {
        (("wang", "torchmetrics"), None, "SSIM reduction; torchmetrics: the Turbo-VAED paper's (default: wang)")
    }
