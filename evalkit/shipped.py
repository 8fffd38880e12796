"""Where the files kept in the repository's top-level ``datasets/`` folder (dataset cards, prompt sets) are.

``datasets/`` is their one source. A wheel carries a copy inside the package (``evalkit/_datasets``, made by the
``build_py`` step in ``setup.py``); a source checkout or editable install reads the folder itself.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent
PACKAGED_DATASETS_DIR = _PACKAGE_DIR / "_datasets"
SOURCE_DATASETS_DIR = _PACKAGE_DIR.parent / "datasets"


def datasets_dir() -> Path:
    """The folder holding the dataset cards (``<name>.yaml``) and ``prompts/``: the wheel's copy, else the source."""
    return PACKAGED_DATASETS_DIR if PACKAGED_DATASETS_DIR.is_dir() else SOURCE_DATASETS_DIR
