"""Every weights test runs offline against empty, private caches."""

import pytest


@pytest.fixture(autouse=True)
def _isolated(isolated_caches):
    """``isolated_caches`` (tests/conftest.py) for every test here."""
