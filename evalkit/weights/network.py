"""One fast online/offline decision per host, so a missing file fails in seconds instead of retrying for minutes."""

from __future__ import annotations

import functools
import logging
import os
import socket
import threading
from urllib.parse import urlparse

logger = logging.getLogger(__name__)

OFFLINE_ENV_VARS = ("EVALKIT_OFFLINE", "HF_HUB_OFFLINE")
REACH_TIMEOUT_S = 3.0
_TRUE = {"1", "true", "yes", "on"}


def offline_by_env() -> str | None:
    """The name of the environment variable that forces offline mode, or None if none is set."""
    for var in OFFLINE_ENV_VARS:
        if os.environ.get(var, "").strip().lower() in _TRUE:
            return var
    return None


def _connects(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=REACH_TIMEOUT_S):
            return True
    except OSError:
        return False


@functools.cache
def _reachable(host: str, port: int) -> bool:
    # A daemon thread bounds DNS resolution too, which socket timeouts do not cover.
    result: list[bool] = []
    worker = threading.Thread(target=lambda: result.append(_connects(host, port)), daemon=True)
    worker.start()
    worker.join(REACH_TIMEOUT_S + 0.5)
    reachable = bool(result and result[0])
    if not reachable:
        logger.info("%s:%d is not reachable; treating it as offline", host, port)
    return reachable


def is_online(url: str) -> bool:
    """True when downloads from ``url``'s host may be tried: no offline variable set and the host answers."""
    if offline_by_env():
        return False
    parsed = urlparse(url)
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    return _reachable(parsed.hostname or "", port)
