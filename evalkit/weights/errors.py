"""Errors raised when a weight file cannot be used."""

from __future__ import annotations

from evalkit.errors import InputError


class WeightsUnavailable(InputError, RuntimeError):  # noqa: N818 (name fixed by the architecture contract)
    """A weight file is missing (or refused) and nothing may stand in for it.

    The message names the expected file, where it was looked for, and the exact command that fetches it.
    """
