"""A file server on 127.0.0.1 for download tests: plain URLs and the Hugging Face Hub's ``resolve`` layout.

It serves ``files`` (URL path -> bytes) with ``Content-Length``, Range requests and the Hub's metadata headers,
can cut one response short (an interrupted download), records every request, and stops by itself after
``lifetime_s`` even if a test forgets it.
"""

from __future__ import annotations

import hashlib
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HUB_COMMIT = "c0ffee" * 6 + "c0ff"  # the commit the fake Hub reports for ``main``
_RESOLVE = re.compile(r"^/(?P<repo>[^/]+/[^/]+)/resolve/(?P<revision>[^/]+)/(?P<file>.+)$")


@dataclass
class Served:
    """What the server holds and saw: files by URL path, one response to cut short, the requests made."""

    files: dict[str, bytes]
    cut_once: dict[str, int] = field(default_factory=dict)  # path -> bytes sent before the connection drops
    requests: list[tuple[str, str, str | None]] = field(default_factory=list)  # (method, path, Range header)

    def hub_file(self, repo_id: str, path: str, data: bytes) -> None:
        """Serve ``data`` as ``path`` of Hub repo ``repo_id`` at any revision."""
        self.files[f"/{repo_id}/resolve/*/{path}"] = data


class _Handler(BaseHTTPRequestHandler):
    served: Served

    def log_message(self, *args) -> None:  # keep test output clean
        pass

    def _lookup(self) -> tuple[bytes | None, dict[str, str]]:
        path = self.path.split("?")[0]
        hub = _RESOLVE.match(path)
        if hub is None:
            return self.served.files.get(path), {}
        data = self.served.files.get(f"/{hub['repo']}/resolve/*/{hub['file']}")
        revision = hub["revision"]
        commit = revision if re.fullmatch(r"[0-9a-f]{40}", revision) else HUB_COMMIT
        etag = hashlib.sha256(data or b"").hexdigest()
        return data, {"X-Repo-Commit": commit, "ETag": f'"{etag}"'}

    def do_HEAD(self) -> None:  # noqa: N802 (http.server's name)
        self.served.requests.append(("HEAD", self.path, None))
        data, headers = self._lookup()
        self._headers(200 if data is not None else 404, headers, len(data or b""))

    def do_GET(self) -> None:  # noqa: N802
        self.served.requests.append(("GET", self.path, self.headers.get("Range")))
        data, headers = self._lookup()
        if data is None:
            self._headers(404, headers, 0)
            return
        start = 0
        ranged = re.fullmatch(r"bytes=(\d+)-", self.headers.get("Range") or "")
        if ranged:
            start = int(ranged[1])
            if start >= len(data):
                self._headers(416, headers, 0)
                return
            headers["Content-Range"] = f"bytes {start}-{len(data) - 1}/{len(data)}"
        body = data[start:]
        self._headers(206 if ranged else 200, headers, len(body))
        cut = self.served.cut_once.pop(self.path.split("?")[0], None)
        self.wfile.write(body if cut is None else body[:cut])
        if cut is not None:
            self.close_connection = True

    def _headers(self, status: int, extra: dict[str, str], length: int) -> None:
        self.send_response(status)
        self.send_header("Content-Length", str(length))
        self.send_header("Accept-Ranges", "bytes")
        for key, value in extra.items():
            self.send_header(key, value)
        self.end_headers()


class LocalServer:
    """``with LocalServer(served) as base_url:`` serves ``served`` until the block ends (or ``lifetime_s``)."""

    def __init__(self, served: Served, lifetime_s: float = 120.0) -> None:
        handler = type("Handler", (_Handler,), {"served": served})
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.deadline = threading.Timer(lifetime_s, self.server.shutdown)
        self.deadline.daemon = True

    def __enter__(self) -> str:
        self.thread.start()
        self.deadline.start()
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def __exit__(self, *exc_info) -> None:
        self.deadline.cancel()
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)
