"""Build step that pyproject.toml cannot express: wheels carry a copy of the top-level ``datasets/`` folder.

The dataset cards and prompt sets live in ``datasets/`` (their one source, read in place by a source checkout);
``build_py`` copies them to ``evalkit/_datasets`` inside the built package, where ``evalkit.shipped`` finds them.
setuptools' ``data-files`` would install them outside the package (and is deprecated), and a symlink does not
survive every platform, so a build-time copy it is. ``MANIFEST.in`` puts the folder into source distributions.
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py


class BuildPyWithDatasets(build_py):
    """``build_py`` plus ``datasets/`` -> ``<build>/evalkit/_datasets``."""

    def run(self) -> None:
        super().run()
        if not self.editable_mode:
            source = Path(__file__).resolve().parent / "datasets"
            shutil.copytree(source, Path(self.build_lib) / "evalkit" / "_datasets", dirs_exist_ok=True)


setup(cmdclass={"build_py": BuildPyWithDatasets})
