"""Turbo-VAED decoder against the official model's golden vectors (reduced configs, random weights, strict load).

The data (tests/data/turbo_vaed/golden, see its README.md) was made with hustvl/Turbo-VAED 9268488 on CPU, float32.
"""

import json
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from evalkit.models.turbo_vaed import ProjectionHeads, TurboVAEDDecoder, strip_official_prefix

GOLDEN = Path(__file__).parents[2] / "data" / "turbo_vaed" / "golden"
# case -> file stem of its decoder weights and latent (the causal LTX case reuses the non-causal weights)
CASES = {
    "ltx_reduced": "ltx_reduced",
    "ltx_reduced_causal": "ltx_reduced",
    "hunyuan_reduced": "hunyuan_reduced",
    "dc_reduced": "dc_reduced",
}
FEATURE_ATOL = 1e-5  # SPEC.md: block features within 1e-5
OUTPUT_ATOL = 1e-4  # SPEC.md: decoder output within 1e-4
OUTPUT_MEAN_ATOL = 1e-6
# The spec's bounds are checked in float64 (decoder and latent), so this CPU's float32 rounding plays no part and
# what remains is the golden's own float32 rounding: the official model in float64 differs from these float32
# files by 3.9e-5 (ltx), 1.5e-4 (ltx causal), 2e-6 (hunyuan), 8.7e-6 (dc) (golden/README.md). The causal LTX
# golden alone exceeds 1e-4 in any precision, so its bound is twice that measured golden error.
FLOAT64_OUTPUT_ATOL = {
    "ltx_reduced": OUTPUT_ATOL,
    "ltx_reduced_causal": 3e-4,
    "hunyuan_reduced": OUTPUT_ATOL,
    "dc_reduced": OUTPUT_ATOL,
}
# float32 (what runs use): with patch_size 4 the last RMS norm runs over 2 channels and acts like a sign function
# where both are near zero, so float32 rounding anywhere upstream (summation order, SIMD width: AVX2 vs AVX-512,
# conv kernel choice) moves single output pixels by up to ~1e-4 here and more elsewhere; the golden itself carries
# 1.5e-4 of such noise. The max is therefore held to the README's 1e-3 (one output level is 2/255 = 7.8e-3),
# while the mean and the block features, which that amplification does not reach, stay at the tight bounds.
FLOAT32_OUTPUT_ATOL = 1e-3


def load_case(case: str) -> tuple[TurboVAEDDecoder, torch.Tensor, dict[str, torch.Tensor]]:
    stem = CASES[case]
    config = json.loads((GOLDEN / f"{case}_config.json").read_text())
    decoder = TurboVAEDDecoder.from_config(config, source=case).eval()
    decoder.load_state_dict(load_file(GOLDEN / f"{stem}_decoder.safetensors"), strict=True)
    latent = load_file(GOLDEN / f"{stem}_latent.safetensors")["latent"]
    return decoder, latent, load_file(GOLDEN / f"{case}_expected.safetensors")


@pytest.fixture(scope="module", params=list(CASES))
def decoded(request):
    decoder, latent, expected = load_case(request.param)
    with torch.inference_mode():
        out, features = decoder.forward_features(latent)
        plain = decoder(latent)
    return request.param, decoder, latent, expected, out, features, plain


@pytest.fixture(scope="module", params=list(CASES))
def decoded_float64(request):
    decoder, latent, expected = load_case(request.param)
    with torch.inference_mode():
        out, features = decoder.double().forward_features(latent.double())
    return request.param, expected, out, features


def test_output_matches_golden_in_float64(decoded_float64):
    case, expected, out, _ = decoded_float64
    assert out.dtype == torch.float64
    assert out.shape == expected["output"].shape, case
    diff = (out - expected["output"].double()).abs()
    assert diff.max().item() <= FLOAT64_OUTPUT_ATOL[case], f"{case}: max abs diff {diff.max().item():.2e}"
    assert diff.mean().item() <= OUTPUT_MEAN_ATOL, f"{case}: mean abs diff {diff.mean().item():.2e}"


def test_block_features_match_golden_in_float64(decoded_float64):
    case, expected, _, features = decoded_float64
    names = [key.removeprefix("feature.") for key in expected if key.startswith("feature.")]
    assert names, case
    for name in names:
        torch.testing.assert_close(
            features[name], expected[f"feature.{name}"].double(), atol=FEATURE_ATOL, rtol=0, msg=name
        )


def test_float32_output_matches_golden(decoded):
    case, _, _, expected, out, _, _ = decoded
    assert out.shape == expected["output"].shape, case
    diff = (out - expected["output"]).abs()
    assert diff.max().item() <= FLOAT32_OUTPUT_ATOL, f"{case}: max abs diff {diff.max().item():.2e}"
    assert diff.mean().item() <= OUTPUT_MEAN_ATOL, f"{case}: mean abs diff {diff.mean().item():.2e}"


def test_float32_block_features_match_golden(decoded):
    case, _, _, expected, _, features, _ = decoded
    names = [key.removeprefix("feature.") for key in expected if key.startswith("feature.")]
    assert names, case
    for name in names:
        torch.testing.assert_close(features[name], expected[f"feature.{name}"], atol=FEATURE_ATOL, rtol=0, msg=name)
    assert list(features) == ["mid_block", "up_block_0", "up_block_1", "up_block_2", "up_block_3"]


def test_forward_equals_forward_features_output(decoded):
    _, _, _, _, out, _, plain = decoded
    assert torch.equal(out, plain)


def test_autograd_path_matches_golden(decoded):
    """With autograd on, the differentiable code path runs instead of the fused in-place one, and backward works."""
    case, decoder, latent, expected, _, _, _ = decoded
    latent = latent.clone().requires_grad_(True)
    with torch.enable_grad():
        out, features = decoder.forward_features(latent)
    out.square().mean().backward()
    for name in ("mid_block", "up_block_0", "up_block_1", "up_block_2"):
        torch.testing.assert_close(features[name].detach(), expected[f"feature.{name}"], atol=FEATURE_ATOL, rtol=0)
    diff = (out.detach() - expected["output"]).abs()
    assert diff.max().item() <= FLOAT32_OUTPUT_ATOL, case
    assert diff.mean().item() <= OUTPUT_MEAN_ATOL, case
    assert latent.grad is not None
    assert torch.isfinite(latent.grad).all()
    assert latent.grad.abs().sum() > 0


def test_causal_flag_changes_every_frame_but_no_parameters():
    causal, latent, _ = load_case("ltx_reduced_causal")
    plain, _, _ = load_case("ltx_reduced")
    layout = [(key, value.shape) for key, value in causal.state_dict().items()]
    assert layout == [(key, value.shape) for key, value in plain.state_dict().items()]
    with torch.inference_mode():
        per_frame = (causal(latent) - plain(latent)).abs().amax(dim=(0, 1, 3, 4))
    assert (per_frame > 1e-3).all()


def test_ltx_projection_head_matches_golden():
    config = json.loads((GOLDEN / "ltx_reduced_config.json").read_text())
    heads = ProjectionHeads.from_config(config)
    official = load_file(GOLDEN / "ltx_reduced_projection_heads.safetensors")
    heads.load_state_dict(strip_official_prefix(official), strict=True)
    expected = load_file(GOLDEN / "ltx_reduced_expected.safetensors")
    with torch.inference_mode():
        projected = heads.project({"up_block_1": expected["feature.up_block_1"]})
    assert heads.feature_names == ("up_block_1",)
    torch.testing.assert_close(projected["up_block_1"], expected["projected.up_block_1"], atol=FEATURE_ATOL, rtol=0)


def test_heads_under_official_attribute_reproduce_official_keys():
    config = json.loads((GOLDEN / "ltx_reduced_config.json").read_text())
    parent = torch.nn.Module()
    parent.aligned_feature_projection_heads = ProjectionHeads.from_config(config)
    official = load_file(GOLDEN / "ltx_reduced_projection_heads.safetensors")
    parent.load_state_dict(official, strict=True)
    ours = {key: tuple(value.shape) for key, value in parent.state_dict().items()}
    assert ours == {key: tuple(value.shape) for key, value in official.items()}
    prefix = "aligned_feature_projection_heads.0"
    assert list(ours) == [f"{prefix}.{layer}.conv.{name}" for layer in (0, 1) for name in ("weight", "bias")]
