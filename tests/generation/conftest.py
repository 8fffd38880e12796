"""A tiny random LTX text-to-video pipeline built from config (as diffusers' own tests do), offline, and the tiny
turbo-ltx pair whose teacher VAE it shares, with non-trivial latent statistics so denormalisation matters."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from evalkit.generation import (
    CheckOptions,
    GenerationSettings,
    PromptSample,
    ReferenceSet,
    check_and_write,
    produce_latents,
    read_latent_folder,
)
from evalkit.metrics import MetricOptions
from evalkit.models.registry import build_pair
from tests.tiny_ltx_pair import TINY_STUDENT, TINY_TEACHER

PROMPTS = (PromptSample("000-s0", "a cat runs on the beach", 0), PromptSample("001-s1", "a red car in the snow", 1))
SETTINGS = GenerationSettings(
    num_frames=9, height=64, width=64, num_inference_steps=2, guidance_scale=3.0, extra={"max_sequence_length": 16}
)
CHECK_METRICS = ("psnr", "ssim", "fvd", "tdiff")
VOCAB = ("<pad>", "</s>", "<unk>", "a", "cat", "dog", "runs", "on", "the", "beach", "in", "snow", "red", "car")


@pytest.fixture(scope="package", autouse=True)
def _offline(tmp_path_factory):
    """Offline for this package, its package-scoped fixtures included (built before function fixtures)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HF_HUB_OFFLINE", "1")
        patch.setenv("EVALKIT_OFFLINE", "1")
        patch.setenv("EVALKIT_CACHE", str(tmp_path_factory.mktemp("evalkit-cache")))
        yield


@pytest.fixture(scope="package")
def tiny_pair():
    """turbo-ltx with 8-channel tiny teacher/student; the teacher's latents_mean/std are set away from 0/1."""
    pair = build_pair("turbo-ltx", init="random", teacher_config=TINY_TEACHER, student_config=TINY_STUDENT)
    generator = torch.Generator().manual_seed(7)
    pair.teacher.vae.latents_mean.copy_(torch.randn(8, generator=generator) * 0.5)
    pair.teacher.vae.latents_std.copy_(torch.rand(8, generator=generator) + 0.5)
    return pair


def tiny_tokenizer(folder: Path):
    """A word-level fast tokenizer over a 14-word vocabulary, saved to and loaded back from ``folder``."""
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    tokenizer = Tokenizer(models.WordLevel({word: i for i, word in enumerate(VOCAB)}, unk_token="<unk>"))
    tokenizer.pre_tokenizer = pre_tokenizers.Whitespace()
    wrapped = PreTrainedTokenizerFast(
        tokenizer_object=tokenizer, pad_token="<pad>", eos_token="</s>", unk_token="<unk>", model_max_length=16
    )
    wrapped.save_pretrained(folder)
    return PreTrainedTokenizerFast.from_pretrained(folder)


@pytest.fixture(scope="package")
def tiny_pipeline(tiny_pair, tmp_path_factory):
    """LTXPipeline with a 1-layer T5 and transformer; its VAE is the teacher's (only the cross-check decodes)."""
    from diffusers import FlowMatchEulerDiscreteScheduler, LTXPipeline, LTXVideoTransformer3DModel
    from transformers import T5Config, T5EncoderModel

    torch.manual_seed(0)
    text_encoder = T5EncoderModel(
        T5Config(vocab_size=len(VOCAB), d_model=32, d_kv=8, d_ff=37, num_layers=1, num_heads=4)
    ).eval()
    transformer = LTXVideoTransformer3DModel(
        in_channels=8,
        out_channels=8,
        patch_size=1,
        patch_size_t=1,
        num_attention_heads=4,
        attention_head_dim=8,
        cross_attention_dim=32,
        num_layers=1,
        caption_channels=32,
    ).eval()
    return LTXPipeline(
        scheduler=FlowMatchEulerDiscreteScheduler(),
        vae=tiny_pair.teacher.vae,
        text_encoder=text_encoder,
        tokenizer=tiny_tokenizer(tmp_path_factory.mktemp("tokenizer")),
        transformer=transformer,
    )


@pytest.fixture(scope="package")
def generated(tiny_pipeline, tmp_path_factory):
    """Latents of the two prompts, kept in memory and saved to a folder."""
    folder = tmp_path_factory.mktemp("latents")
    items = produce_latents(tiny_pipeline, "turbo-ltx", list(PROMPTS), SETTINGS, save_dir=folder)
    return items, folder


@pytest.fixture(scope="package")
def checked(generated, tiny_pair, fake_detector, tmp_path_factory):
    """The check run twice: on the in-memory pipeline latents and on the folder they were saved to."""
    items, folder = generated
    options = CheckOptions(
        metrics=CHECK_METRICS,
        metric_options=MetricOptions(fvd_detector=str(fake_detector)),
        reference=ReferenceSet("sample", max_clips=2),
        flicker=True,
        resamples=200,
    )
    root = tmp_path_factory.mktemp("runs")
    from_pipeline = check_and_write(items, tiny_pair, root / "pipeline", options, source={"kind": "pipeline"})
    from_folder = check_and_write(
        read_latent_folder(folder), tiny_pair, root / "folder", options, source={"kind": "latents"}
    )
    return from_pipeline, from_folder
