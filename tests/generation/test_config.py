"""`GenerateCheckConfig`: its default folder keeps the name the CLI gave before the config existed; bad settings."""

from __future__ import annotations

from pathlib import Path

import pytest

from evalkit.generation.config import GenerateCheckConfig


def test_default_folder_hash_is_unchanged():
    config = GenerateCheckConfig(
        "turbo-demo", latents="latents/demo", metrics="psnr,ssim,tdiff", seeds=(0, 1), device="cpu"
    )
    assert config.run_dir == Path("reports/gen-turbo-demo-acef934de0ef")  # the name evalkit 0.x's CLI derived
    assert config.run_dir == GenerateCheckConfig(**{**config.to_dict(), "progress": False}).run_dir
    assert GenerateCheckConfig(**{**config.to_dict(), "into": "runs/a"}).run_dir == Path("runs/a")


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"latents": "x", "decoder": "nope"}, "unknown decoder 'nope'; choose one of: "),
        ({"latents": "x", "reference_dataset": "nope"}, "unknown dataset 'nope'; choose one of: "),
        ({}, "give --pipeline MODEL (generate latents) or --latents DIR (saved latents), one of them"),
        ({"latents": "x", "out": "a", "into": "b"}, "give --out (new run folder) or --into (existing run), not both"),
    ],
)
def test_check_names_the_bad_setting(settings, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        GenerateCheckConfig(**{"decoder": "turbo-demo", **settings}).check()


def test_cli_defaults_are_the_config_defaults():
    """The parser takes its defaults from the dataclass, so a bare command line gives the default config."""
    from evalkit.cli import build_parser

    args = vars(build_parser().parse_args(["generate-check", "--decoder", "turbo-demo", "--latents", "x"]))
    parsed = GenerateCheckConfig(
        **{key: value for key, value in args.items() if key not in ("func", "command", "verbose")}
    )
    assert parsed == GenerateCheckConfig("turbo-demo", latents="x")
    assert (parsed.seeds, parsed.metrics, parsed.save_clips, parsed.bootstrap_resamples) == (
        (0,),
        "psnr,ssim,lpips,fvd",
        4,
        1000,
    )
