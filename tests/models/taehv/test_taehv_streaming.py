"""Frame-by-frame streaming decoding equals decoding all frames at once, and its memory does not grow with frames.

Streaming and parallel decoding run the same arithmetic on differently batched convolutions, so they differ by
float32 rounding only: measured on the golden weights, at most 2.9e-6 on the first 3 latent frames' 2x2 corner
used here (8.6e-6 on the super case's whole golden latent, values up to 4.8), against the 1e-5 bound; in float64
the difference is ~1e-15. A bug in the carried memory shows as differences of order 0.1.
"""

import copy
import json
import subprocess
import sys

import pytest
import torch

from evalkit.models.taehv import TaehvDecoder
from tests.models.taehv.taehv_golden import CASES, golden_decoder, golden_tensors

TOLERANCE = 1e-5


def _small_latent(case: str) -> torch.Tensor:
    """The first 3 latent frames, 2x2 pixels of them: every layer runs, at a fraction of the cost."""
    return golden_tensors(case)["latent"][:, :3, :, :2, :2]


def _stream_vs_parallel(decoder: TaehvDecoder, latent: torch.Tensor) -> float:
    with torch.inference_mode():
        parallel = decoder(latent)
        frames = list(decoder.stream(latent))
    assert all(frame.shape == (1, 1, *parallel.shape[2:]) for frame in frames)
    streamed = torch.cat(frames, dim=1)
    assert streamed.shape == parallel.shape
    return (streamed - parallel).abs().max().item()


@pytest.mark.parametrize("case", CASES)
def test_streaming_equals_parallel(case):
    diff = _stream_vs_parallel(golden_decoder(case), _small_latent(case))
    assert diff <= TOLERANCE, f"{case}: streaming vs parallel max abs diff {diff:.1e}"


def test_streaming_and_parallel_differ_by_rounding_only():
    decoder = copy.deepcopy(golden_decoder("base_p1_c16")).double()
    assert _stream_vs_parallel(decoder, _small_latent("base_p1_c16").double()) <= 1e-12


def test_decode_streaming_fills_the_same_tensor():
    decoder = golden_decoder("cogvideox_p1_c16")
    latent = golden_tensors("cogvideox_p1_c16")["latent"]
    with torch.inference_mode():
        streamed, parallel = decoder.decode_streaming(latent), decoder(latent)
    assert streamed.shape == parallel.shape == (1, 16, 3, 32, 32)
    assert (streamed - parallel).abs().max().item() <= TOLERANCE


def test_the_first_frame_streams_before_later_latents_are_read():
    """Frame 0 of the output depends only on latent frame 0 (MemBlocks look back, never ahead)."""
    decoder = golden_decoder("base_p1_c16")
    latent = golden_tensors("base_p1_c16")["latent"]
    changed = latent.clone()
    changed[:, 1:] += 1
    with torch.inference_mode():
        first = next(decoder.stream(latent))
        assert torch.equal(next(decoder.stream(changed)), first)
        assert not torch.equal(decoder(changed)[:, 1:], decoder(latent)[:, 1:])


MEASURE = """
import json, sys, torch
from evalkit.models.taehv import TaehvConfig, TaehvDecoder
from evalkit.profile.memory import peak_memory
torch.set_num_threads(1)
frames, mode = int(sys.argv[1]), sys.argv[2]
decoder = TaehvDecoder(TaehvConfig()).eval()
latent = torch.randn(1, (frames + 3) // 4, 16, 8, 8)
def run():
    if mode == "parallel":
        decoder(latent)
    else:
        for _ in decoder.stream(latent):
            pass
print(json.dumps(peak_memory(run).to_dict()))
"""


def _peak(frames: int, mode: str) -> int:
    result = subprocess.run(
        [sys.executable, "-c", MEASURE, str(frames), mode], capture_output=True, text=True, check=True
    )
    return json.loads(result.stdout)["peak_bytes"]


@pytest.mark.slow
def test_streaming_peak_memory_does_not_grow_with_frames():
    """Peak RSS growth at 17 and 129 frames (64x64 output, frames consumed as they come, nothing kept)."""
    short, long = _peak(17, "stream"), _peak(129, "stream")
    parallel = _peak(17, "parallel")
    assert long <= 1.25 * short + 2**20, (
        f"streaming peak {short / 2**20:.1f} MiB at 17 frames, {long / 2**20:.1f} at 129"
    )
    assert parallel > 2 * long, f"parallel at 17 frames {parallel / 2**20:.1f} MiB vs streaming {long / 2**20:.1f}"
