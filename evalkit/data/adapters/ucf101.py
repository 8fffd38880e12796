"""UCF-101 in its official layout: ``UCF-101/<Class>/v_<Class>_gXX_cYY.avi`` plus ``ucfTrainTestlist/``.

Split files: ``classInd.txt`` (``1 ApplyEyeMakeup``, 1-indexed), ``trainlist0{1,2,3}.txt`` (path and label),
``testlist0{1,2,3}.txt`` (path only); any may have CRLF line endings. List paths are matched to files
case-insensitively, which absorbs the known ``HandStandPushups`` / ``HandstandPushups`` mismatch
between the lists and the folder names of some copies.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path, PurePosixPath

from evalkit.data.adapters.base import DatasetAdapter, read_lines
from evalkit.data.records import Listing, VideoEntry


class UCF101(DatasetAdapter):
    """UCF-101 action videos; default protocol split ``test`` fold 1 (3783 clips, as Turbo-VAED evaluates)."""

    name = "ucf101"
    splits = ("test", "train")
    default_split = "test"
    folds = (1, 2, 3)
    default_fold = 1
    location_options = frozenset({"videos", "lists"})
    options = {
        "videos": "folder holding the 101 class folders (default: ROOT/UCF-101)",
        "lists": "folder holding classInd.txt and the split lists (default: ROOT/ucfTrainTestlist)",
    }

    @property
    def videos_dir(self) -> Path:
        return self.require(Path(self.option_values.get("videos", self.root / "UCF-101")), "the UCF-101 video folder")

    @property
    def lists_dir(self) -> Path:
        default = self.root / "ucfTrainTestlist"
        return self.require(Path(self.option_values.get("lists", default)), "the ucfTrainTestlist folder")

    @property
    def split_file(self) -> Path:
        return self.require(self.lists_dir / f"{self.split}list{self.fold:02d}.txt", f"the {self.split} list")

    def class_names(self) -> list[str]:
        """Class names in classInd.txt order (index 0 is classInd's ``1``)."""
        names: dict[int, str] = {}
        class_file = self.require(self.lists_dir / "classInd.txt", "classInd.txt")
        for line in read_lines(class_file):
            number, name = line.split(maxsplit=1)
            names[int(number)] = name
        if sorted(names) != list(range(1, len(names) + 1)):
            raise ValueError(f"{class_file}: class numbers must run 1..N, got {sorted(names)[:5]}...")
        return [names[number] for number in sorted(names)]

    @cached_property
    def _files_by_lower_path(self) -> dict[str, str]:
        """Every file under the video folder (two levels), keyed by lower-cased relative path."""
        return {
            path.relative_to(self.videos_dir).as_posix().lower(): path.relative_to(self.videos_dir).as_posix()
            for path in self.videos_dir.glob("*/*")
        }

    def _resolve(self, listed: str) -> Path:
        exact = self.videos_dir / listed
        if exact.exists():
            return exact
        return self.videos_dir / self._files_by_lower_path.get(listed.lower(), listed)

    def list_videos(self) -> Listing:
        class_names = self.class_names()
        label_of = {name.lower(): index for index, name in enumerate(class_names)}
        entries = []
        split_file = self.split_file
        for line_number, line in enumerate(read_lines(split_file), start=1):
            listed, _, label_text = line.partition(" ")
            listed = listed.replace("\\", "/")
            class_name = PurePosixPath(listed).parts[0]
            if label_text.strip():
                label = int(label_text) - 1
            elif class_name.lower() in label_of:
                label = label_of[class_name.lower()]
            else:
                raise ValueError(f"{split_file}:{line_number}: class {class_name!r} is not in classInd.txt")
            entries.append(VideoEntry(PurePosixPath(listed).stem, self.relative(self._resolve(listed)), label))
        return Listing(entries=entries, class_names=class_names)
