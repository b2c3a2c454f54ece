"""Helpers for tests/test_book_browser.py: serve the built book locally, drive Debian's Chromium
through Playwright and record everything a page does wrong (console errors, uncaught exceptions,
requests that leave the machine, local requests that fail).

Chromium is the distribution package at /usr/bin/chromium (override with CHROMIUM=...); the
browser bundles of `playwright install` are never used.
"""
from __future__ import annotations

import contextlib
import functools
import http.server
import os
import threading
import time
from pathlib import Path
from urllib.parse import urlparse

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-quic",
]
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}
# Folders of the built book that hold no pages of their own.
NON_PAGE_DIRS = ("_static/", "_sources/", "_images/", "_downloads/")


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep pytest output clean
        pass


@contextlib.contextmanager
def serve(directory: Path):
    """Serve ``directory`` on 127.0.0.1 (free port) from a thread; yields the base URL."""
    handler = functools.partial(_QuietHandler, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def html_pages(root: Path) -> list[str]:
    """Every HTML page of the built book, relative to ``root`` (POSIX paths, sorted)."""
    pages = (p.relative_to(root).as_posix() for p in root.rglob("*.html"))
    return sorted(p for p in pages if not p.startswith(NON_PAGE_DIRS))


def is_local(url: str) -> bool:
    u = urlparse(url)
    if u.scheme in ("data", "blob", "about", "file"):
        return True
    return u.hostname in LOCAL_HOSTS


class PageProbe:
    """A fresh browser context + page that aborts and records every non-local request and records
    console errors, uncaught page errors and failed local requests (network error or HTTP >= 400)."""

    def __init__(self, browser, viewport=(1280, 900)):
        self.context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]})
        self.external: list[str] = []
        self.failed: list[str] = []
        self.errors: list[str] = []
        self.context.route("**/*", self._route)
        self.page = self.context.new_page()
        self.page.on("console", self._on_console)
        self.page.on("pageerror", lambda e: self.errors.append(f"page error: {e}"))
        self.page.on("requestfailed", self._on_request_failed)
        self.page.on("response", lambda r: r.status >= 400 and self.failed.append(f"{r.url} -> HTTP {r.status}"))
        # requests in flight, followed by the probe itself (see settle)
        self.in_flight: dict = {}
        self.last_activity = time.monotonic()
        self.page.on("request", self._started)
        for event in ("requestfinished", "requestfailed"):
            self.page.on(event, self._ended)

    def _started(self, request):
        self.in_flight[id(request)] = request.url
        self.last_activity = time.monotonic()

    def _ended(self, request):
        self.in_flight.pop(id(request), None)
        self.last_activity = time.monotonic()

    def settle(self, quiet_ms: int = 300, timeout_ms: int = 30_000) -> None:
        """Wait until no request has been in flight for ``quiet_ms``. Playwright's 'networkidle'
        is not used: for the explorer page (30 inline figures) Chromium sometimes never reports it
        although every request has finished. A request still pending after ``timeout_ms`` is a
        problem of the page, recorded, not waited for forever."""
        deadline = time.monotonic() + timeout_ms / 1000
        while time.monotonic() < deadline:
            if not self.in_flight and time.monotonic() - self.last_activity >= quiet_ms / 1000:
                return
            self.page.wait_for_timeout(100)
        self.failed += [f"{url} -> still pending after {timeout_ms / 1000:g} s" for url in self.in_flight.values()]

    def _route(self, route):
        if is_local(route.request.url):
            route.continue_()
        else:  # nothing may leave the machine: record it, abort it, fail the test later
            self.external.append(route.request.url)
            route.abort()

    def _on_console(self, msg):
        if msg.type == "error":
            loc = msg.location or {}
            where = f" ({loc.get('url', '')}:{loc.get('lineNumber', '')})" if loc.get("url") else ""
            self.errors.append(f"console error: {msg.text}{where}")

    def _on_request_failed(self, request):
        if is_local(request.url):
            self.failed.append(f"{request.url} -> {request.failure}")

    def goto(self, url: str, settle_ms: int = 300):
        self.page.goto(url, wait_until="load")
        self.settle()
        # deferred work (MathJax typesetting and its fonts, the widget embedder) finishes after load
        self.page.wait_for_timeout(settle_ms)
        self.settle()

    def problems(self) -> list[str]:
        return ([f"non-local request (aborted): {u}" for u in self.external]
                + [f"failed local request: {u}" for u in self.failed]
                + self.errors)

    def close(self):
        self.context.close()
