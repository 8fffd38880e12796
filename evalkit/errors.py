"""The one base class of evalkit's bad-input errors, and text-file reading that reports bad encodings as one.

The command line (``evalkit.cli.main``) turns an :class:`InputError` into one line on stderr and exit code 2;
any other exception is a bug in evalkit and keeps its traceback. Imports nothing heavy (the CLI loads it early).
"""

from __future__ import annotations

import os
from pathlib import Path

EXIT_UNUSABLE_INPUT = 2


class InputError(Exception):
    """Input evalkit cannot use (a file, a flag, a setting); the message names it, says what is wrong and the fix."""

    def __str__(self) -> str:
        # KeyError subclasses would otherwise print their message in quotes.
        return str(self.args[0]) if self.args else ""


class UnreadableFileError(InputError, ValueError):
    """A file that cannot be read as what it should be (missing, a folder, binary or not UTF-8 text, damaged)."""


class MissingInputError(InputError, FileNotFoundError):
    """A file or folder named on the command line does not exist or holds nothing usable."""


def read_text_file(path: str | os.PathLike[str], what: str, fix: str, encoding: str = "utf-8") -> str:
    """The text of ``path``; a missing, unreadable or non-UTF-8 file raises :class:`UnreadableFileError`.

    ``what`` names the file's role ("config file", "results file") and ``fix`` says how to get a usable one.
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UnreadableFileError(f"{what} {path}: cannot be read ({exc.strerror or exc}); {fix}") from None
    if b"\x00" in data:
        raise UnreadableFileError(f"{what} {path}: is a binary file, not text; {fix}")
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise UnreadableFileError(
            f"{what} {path}: is not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start}); {fix}"
        ) from None
