"""FFmpeg log lines of decord's own FFmpeg libraries: routed to Python logging at debug level instead of
stderr, and collected per decode so that a clip's decode errors and warnings are known.

decord bundles its own libavutil, whose default log callback prints to stderr (``[mpeg4 @ 0x...] ac-tex
damaged at 5 3`` while concealing a damaged frame). A ctypes callback replaces it; the message is formatted
by libavutil itself (``av_log_format_line2``), so no C varargs are handled in Python.
"""

from __future__ import annotations

import ctypes
import logging
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

logger = logging.getLogger(__name__)

AV_LOG_ERROR = 16
AV_LOG_WARNING = 24
_LINE_BYTES = 1024
_ADDRESS = re.compile(r" @ 0x[0-9a-f]+\]")  # "[mpeg4 @ 0x55a4...] ..." -> "[mpeg4] ...": the same line every run
_CALLBACK_TYPE = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_void_p)

_lock = threading.Lock()
_collected: list[tuple[int, str]] | None = None
_installed: dict[str, object] = {}


def route_to_logging(libavutil: Path) -> bool:
    """Send the log of the libavutil at ``libavutil`` (already loaded) to Python logging; False if it cannot."""
    key = str(libavutil)
    if key in _installed:
        return True
    try:
        library = ctypes.CDLL(key)
        format_line = library.av_log_format_line2
    except (OSError, AttributeError) as exc:
        logger.debug("FFmpeg log of %s stays on stderr: %s", libavutil, exc)
        return False
    format_line.argtypes = [
        ctypes.c_void_p,
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_void_p,
        ctypes.c_char_p,
        ctypes.c_int,
        ctypes.POINTER(ctypes.c_int),
    ]

    @_CALLBACK_TYPE
    def callback(context: int, level: int, fmt: bytes, args: int) -> None:
        if level > AV_LOG_WARNING:
            return
        buffer = ctypes.create_string_buffer(_LINE_BYTES)
        prefix = ctypes.c_int(1)
        format_line(context, level, fmt, args, buffer, _LINE_BYTES, ctypes.byref(prefix))
        line = _ADDRESS.sub("]", buffer.value.decode("utf-8", errors="replace").strip())
        logger.debug("ffmpeg: %s", line)
        with _lock:
            if _collected is not None:
                _collected.append((level, line))

    library.av_log_set_callback(callback)
    _installed[key] = callback  # keep the callback alive as long as the library may call it
    return True


@contextmanager
def collect() -> Iterator[list[tuple[int, str]]]:
    """The ``(level, line)`` warnings and errors logged while the body runs (one collection at a time)."""
    global _collected
    lines: list[tuple[int, str]] = []
    with _lock:
        _collected = lines
    try:
        yield lines
    finally:
        with _lock:
            _collected = None
