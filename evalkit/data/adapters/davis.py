"""DAVIS 2017: JPEG frame folders ``JPEGImages/{480p,Full-Resolution}/<seq>/00000.jpg`` and split lists
``ImageSets/2017/<split>.txt`` (one sequence name per line), as in ``davis2017-evaluation``."""

from __future__ import annotations

from evalkit.data.adapters.base import DatasetAdapter, read_lines
from evalkit.data.records import Listing, VideoEntry

RESOLUTIONS = ("480p", "Full-Resolution")


class Davis2017(DatasetAdapter):
    """DAVIS 2017 sequences as frame folders; default split ``val`` at 480p. No class labels."""

    name = "davis"
    splits = ("train", "val", "test-dev", "test-challenge")
    default_split = "val"
    options = {"resolution": f"frame folder resolution: {' or '.join(RESOLUTIONS)} (default 480p)"}

    def list_videos(self) -> Listing:
        resolution = self.option_values.get("resolution", "480p")
        if resolution not in RESOLUTIONS:
            raise ValueError(f"davis: unknown resolution {resolution!r}; choose one of: {', '.join(RESOLUTIONS)}")
        frames_dir = self.require(self.root / "JPEGImages" / resolution, f"the {resolution} frame folders")
        split_file = self.require(self.root / "ImageSets" / "2017" / f"{self.split}.txt", f"the {self.split} list")
        entries = [VideoEntry(name, self.relative(frames_dir / name)) for name in read_lines(split_file)]
        return Listing(entries=entries)
