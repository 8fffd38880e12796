"""Download one URL into a ``.part`` file that only becomes the real file once complete.

An interrupted transfer keeps its bytes and resumes with a Range request (or restarts when the server ignores
ranges); a body shorter than the announced ``Content-Length`` counts as interrupted, never as a finished file
(urllib returns a short body silently). Downloads over :data:`PROGRESS_MIN_BYTES` show a tqdm bar on stderr.
"""

from __future__ import annotations

import http.client
import logging
import urllib.error
import urllib.request
from pathlib import Path

from tqdm import tqdm

from evalkit.weights.errors import WeightsUnavailable

logger = logging.getLogger(__name__)

PROGRESS_MIN_BYTES = 4 * 2**20
ATTEMPTS = 3
TIMEOUT_S = 30.0
_CHUNK = 1 << 16
_RANGE_NOT_SATISFIABLE = 416


class IncompleteDownloadError(OSError):
    """The connection ended before the announced number of bytes arrived."""


def partial_path(target: Path) -> Path:
    """Where the bytes of ``target`` collect until the download is complete."""
    return target.with_name(target.name + ".part")


def download_url(url: str, target: Path, *, progress: bool = True, attempts: int = ATTEMPTS) -> Path:
    """Fetch ``url`` into ``partial_path(target)`` (resuming what is there); returns that path once complete.

    The caller checks the content and renames the file to ``target``. Raises :class:`WeightsUnavailable` when
    the server refuses the request or every attempt is cut short (the bytes so far stay for the next run).
    """
    partial = partial_path(target)
    partial.parent.mkdir(parents=True, exist_ok=True)
    for attempt in range(1, attempts + 1):
        try:
            _fetch(url, partial, target.name, progress)
            return partial
        except urllib.error.HTTPError as exc:
            if exc.code == _RANGE_NOT_SATISFIABLE:  # the .part file already holds every byte
                return partial
            raise WeightsUnavailable(f"{url}: the server answered HTTP {exc.code} ({exc.reason})") from None
        except (OSError, http.client.HTTPException) as exc:
            kept = partial.stat().st_size if partial.exists() else 0
            logger.warning("%s: interrupted (try %d of %d, %d bytes so far): %s", url, attempt, attempts, kept, exc)
            last = exc
    raise WeightsUnavailable(
        f"{url}: download interrupted {attempts} times ({last}); the {kept} bytes received are kept in {partial} "
        "and the same command resumes from them"
    )


def _fetch(url: str, partial: Path, name: str, progress: bool) -> None:
    have = partial.stat().st_size if partial.exists() else 0
    headers = {"User-Agent": "evalkit", **({"Range": f"bytes={have}-"} if have else {})}
    with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=TIMEOUT_S) as response:
        if have and response.status != http.HTTPStatus.PARTIAL_CONTENT:
            logger.info("%s ignored the range request; restarting the download", url)
            have = 0
        length = response.headers.get("Content-Length")
        total = have + int(length) if length is not None else None
        show = progress and (total is None or total >= PROGRESS_MIN_BYTES)
        with (
            open(partial, "ab" if have else "wb") as out,
            tqdm(total=total, initial=have, unit="B", unit_scale=True, desc=name, disable=not show) as bar,
        ):
            while chunk := response.read(_CHUNK):
                out.write(chunk)
                bar.update(len(chunk))
    size = partial.stat().st_size
    if total is not None and size != total:
        raise IncompleteDownloadError(f"connection closed after {size} of {total} bytes")
