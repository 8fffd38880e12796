"""Drive headless Chromium from the command line (no extra Python packages): DOM self-test and screenshots.

The page under test is copied beside itself with a small script injected first in <head>: it records
script errors, console errors and Content-Security-Policy violations, checks that a table is visible,
clicks one of its headers twice and writes what it saw as JSON into ``<pre id="evalkit-selftest">``,
which ``--dump-dom`` then prints. The page's CSP is widened by exactly that script's hash.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

from evalkit.report.environment import csp_source_hash

from .dom import parse

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--hide-scrollbars",
    "--no-first-run",
    "--disable-extensions",
    "--mute-audio",
    "--enable-logging=stderr",
    "--v=0",
)

HARNESS = """
(function () {
  var report = {errors: [], table: null};
  window.addEventListener("error", function (e) { report.errors.push("error: " + e.message); });
  document.addEventListener("securitypolicyviolation", function (e) {
    report.errors.push("csp: " + e.violatedDirective + " " + e.blockedURI);
  });
  var consoleError = console.error;
  console.error = function () {
    report.errors.push("console.error: " + Array.prototype.join.call(arguments, " "));
    consoleError.apply(console, arguments);
  };
  function rowKeys(table, column) {
    return Array.prototype.map.call(table.tBodies[0].rows, function (row) {
      var cell = row.cells[column];
      var floor = row.hasAttribute("data-floor") ? "floor " + row.getAttribute("data-floor") : null;
      var id = row.getAttribute("data-run") || row.getAttribute("data-metric") || floor;
      return {id: id || row.cells[0].textContent.trim(),
              sort: cell ? cell.getAttribute("data-sort") : null};
    });
  }
  window.addEventListener("load", function () {
    var table = document.querySelector(%(selector)s);
    if (table) {
      var box = table.getBoundingClientRect();
      var header = table.tHead.rows[0].cells[%(column)d];
      var result = {visible: box.width > 0 && box.height > 0 && box.top < window.innerHeight * 3,
                    width: box.width, viewport: window.innerWidth, header: header.textContent.trim(),
                    before: rowKeys(table, %(column)d)};
      header.querySelector("button").click();
      result.first_click = rowKeys(table, %(column)d);
      result.first_sort = header.getAttribute("aria-sort");
      header.querySelector("button").click();
      result.second_click = rowKeys(table, %(column)d);
      result.second_sort = header.getAttribute("aria-sort");
      report.table = result;
    }
    report.images = Array.prototype.map.call(document.images, function (img) {
      return {alt: img.alt, loaded: img.complete && img.naturalWidth > 0};
    });
    var out = document.createElement("pre");
    out.id = "evalkit-selftest";
    out.textContent = JSON.stringify(report);
    document.body.appendChild(out);
  });
})();
"""


def find_chromium() -> str | None:
    """The path of a Chromium/Chrome binary on PATH, if any."""
    return next((path for name in CHROMIUM_NAMES if (path := shutil.which(name))), None)


def _run(chromium: str, args: list[str], timeout: float = 60.0) -> subprocess.CompletedProcess[str]:
    return subprocess.run([chromium, *FLAGS, *args], capture_output=True, text=True, timeout=timeout, check=False)


def console_lines(stderr: str) -> list[str]:
    """Messages the page wrote to the console (Chromium logs them as ``INFO:CONSOLE``)."""
    return [line for line in stderr.splitlines() if ":CONSOLE" in line]


def self_test(chromium: str, page: Path, selector: str, column: int, width: int, height: int) -> tuple[dict, list[str]]:
    """Open ``page`` with the harness at ``width``×``height``; return its JSON report and console lines."""
    script = HARNESS % {"selector": json.dumps(selector), "column": column}
    html = page.read_text(encoding="utf-8")
    html, count = re.subn(r"script-src ", f"script-src {csp_source_hash(script)} ", html, count=1)
    assert count == 1, f"{page} has no script-src in its Content-Security-Policy"
    html = html.replace("<head>", f"<head>\n<script>{script}</script>", 1)
    probe = page.with_name(f".selftest-{page.name}")
    probe.write_text(html, encoding="utf-8")
    try:
        done = _run(
            chromium,
            ["--virtual-time-budget=5000", f"--window-size={width},{height}", "--dump-dom", probe.resolve().as_uri()],
        )
    finally:
        probe.unlink()
    node = parse(done.stdout).by_id("evalkit-selftest")
    assert node is not None, f"no self-test output from Chromium (exit {done.returncode}): {done.stderr[-2000:]}"
    return json.loads(node.text()), console_lines(done.stderr)


def screenshot(chromium: str, page: Path, target: Path, width: int, height: int) -> Path:
    """Save a PNG of ``page`` at ``width``×``height`` (the top of the page; headless has no full-page mode)."""
    done = _run(chromium, [f"--screenshot={target}", f"--window-size={width},{height}", page.resolve().as_uri()])
    assert target.is_file(), f"Chromium wrote no screenshot (exit {done.returncode}): {done.stderr[-2000:]}"
    return target
