"""Prompt files: the shipped default set, text and CSV layouts, seeds, and the errors for unusable files."""

from __future__ import annotations

import pytest

from evalkit.generation.prompts import DEFAULT_PROMPTS, PromptSample, load_prompts, prompts_sha256


def test_default_set_has_sixteen_prompts_named_by_position():
    samples = load_prompts()
    assert len(samples) == 16
    assert samples[0].sample_id == "000-s0"
    assert samples[0].prompt.startswith("A close-up of a woman with freckles")
    assert samples[-1].sample_id == "015-s0"
    assert not any(sample.prompt.startswith("#") for sample in samples)
    assert prompts_sha256() == prompts_sha256(DEFAULT_PROMPTS)


def test_text_file_one_sample_per_prompt_and_seed(tmp_path):
    path = tmp_path / "p.txt"
    path.write_text("# comment\nfirst prompt\n\nsecond prompt\n", encoding="utf-8")
    samples = load_prompts(path, seeds=(3, 4))
    assert samples == [
        PromptSample("000-s3", "first prompt", 3),
        PromptSample("000-s4", "first prompt", 4),
        PromptSample("001-s3", "second prompt", 3),
        PromptSample("001-s4", "second prompt", 4),
    ]
    assert len(load_prompts(path, seeds=(3, 4), max_samples=3)) == 3


def test_csv_with_ids_seeds_negative_prompts_and_another_column(tmp_path):
    path = tmp_path / "openvid.csv"
    path.write_text('video,caption,seed,negative_prompt,id\na.mp4,"a dog, running",7,blurry,dog\nb.mp4,a cat,,,\n')
    samples = load_prompts(path, seeds=(0,), prompt_column="caption")
    assert samples == [PromptSample("dog-s7", "a dog, running", 7, "blurry"), PromptSample("001-s0", "a cat", 0)]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("caption\nx\n", r"no 'prompt' column \(columns: caption\); pass --prompt-column NAME"),
        ("prompt\n\n", r"no prompts found"),
        ("prompt,id\nx,a\ny,a\n", r"sample ids repeat \(a-s0\); make the 'id' column unique"),
        ("prompt\n  \n", r"row 2 has an empty 'prompt'"),
    ],
)
def test_unusable_csv_files_are_refused(tmp_path, content, message):
    path = tmp_path / "bad.csv"
    path.write_text(content)
    with pytest.raises(ValueError, match=message):
        load_prompts(path)


def test_missing_file_names_the_flag(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"nope.txt does not exist; pass --prompts FILE"):
        load_prompts(tmp_path / "nope.txt")
