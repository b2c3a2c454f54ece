"""Headless-browser tests of the built book: every page works offline, and the widget explorer
switches its content in the browser without a kernel.

The book under test is ``build/_build/html`` (``BOOK_HTML=...`` overrides). When that folder does
not exist it is built once per session with ``python book/build.py``. Pages are served from
127.0.0.1; every request to any other host is aborted and fails the test, as do console errors,
uncaught exceptions and local requests answered with HTTP >= 400. Screenshots go to
``build/screenshots/`` (``SCREENSHOT_DIR=...`` overrides).

Needs the ``playwright`` Python package and Debian's Chromium at /usr/bin/chromium
(``CHROMIUM=...`` overrides); never run ``playwright install``.

The explorer test fails when no page has an explorer (a ``.explorer-dropdown`` dropdown driving an
``.explorer-stack``). ``LUPUS_BOOK_NO_EXPLORER=1`` turns that into a skip, only for books built
before the explorer existed.
"""
from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from browser_support import CHROMIUM, CHROMIUM_ARGS, PageProbe, html_pages, serve

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_BOOK_HTML = ROOT / "build" / "_build" / "html"
BOOK_HTML = Path(os.environ.get("BOOK_HTML", DEFAULT_BOOK_HTML)).resolve()
SCREENSHOT_DIR = Path(os.environ.get("SCREENSHOT_DIR", ROOT / "build" / "screenshots")).resolve()
VENDOR = ROOT / "book" / "_vendor_static" / "vendor"
EXPLORER_CLASS = "explorer-dropdown"
NO_EXPLORER_OK = os.environ.get("LUPUS_BOOK_NO_EXPLORER") == "1"
WIDGET_TIMEOUT_MS = 20_000

pytestmark = pytest.mark.slow


def _shot_name(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("_")[:120] or "page"


# --------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="session")
def book_html() -> Path:
    """The built book; built once with book/build.py when the default location is empty."""
    if not (BOOK_HTML / "index.html").exists():
        if BOOK_HTML != DEFAULT_BOOK_HTML:
            pytest.fail(f"BOOK_HTML={BOOK_HTML} has no index.html; build that book first")
        res = subprocess.run([sys.executable, str(ROOT / "book" / "build.py")], cwd=ROOT,
                             capture_output=True, text=True, timeout=3600)
        if res.returncode != 0 or not (BOOK_HTML / "index.html").exists():
            pytest.fail(f"`python book/build.py` failed (exit {res.returncode}):\n"
                        f"{res.stdout[-4000:]}\n{res.stderr[-4000:]}")
    return BOOK_HTML


@pytest.fixture(scope="session")
def base_url(book_html):
    with serve(book_html) as url:
        yield url


@pytest.fixture(scope="session")
def browser():
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="the playwright package (pinned in the dev extra) is not installed")
    if not (shutil.which(CHROMIUM) or os.access(CHROMIUM, os.X_OK)):
        pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium, or set CHROMIUM=...)")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture(scope="session")
def screenshots() -> Path:
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    return SCREENSHOT_DIR


# --------------------------------------------------------------------------- tests
def test_vendored_assets_match_manifest():
    """The committed vendor files are exactly those listed (with sha256) in VENDORED.md."""
    manifest = (VENDOR / "VENDORED.md").read_text(encoding="utf-8")
    listed = dict(re.findall(r"^\| `([^`]+)` \| `([0-9a-f]{64})` \|$", manifest, flags=re.M))
    present = {p.relative_to(VENDOR).as_posix() for p in VENDOR.rglob("*") if p.is_file()} - {"VENDORED.md"}
    assert set(listed) == present, f"VENDORED.md lists {sorted(set(listed) ^ present)} differently from the folder"
    bad = [f for f, h in listed.items() if hashlib.sha256((VENDOR / f).read_bytes()).hexdigest() != h]
    assert not bad, f"sha256 differs from VENDORED.md (re-run python book/vendor_assets.py): {bad}"


def test_every_page_is_offline_clean(browser, base_url, book_html, screenshots):
    """Open every page: no console/page errors, no request leaves 127.0.0.1, no local 404."""
    pages = html_pages(book_html)
    assert pages, f"no HTML pages under {book_html}"
    report = {}
    for page_path in pages:
        probe = PageProbe(browser)
        try:
            probe.goto(base_url + page_path)
            probe.page.screenshot(path=str(screenshots / f"{_shot_name(page_path)}.png"), full_page=True)
            if probe.problems():
                report[page_path] = probe.problems()
        finally:
            probe.close()
    assert not report, f"{len(report)} of {len(pages)} pages are not offline-clean:\n" + "\n".join(
        f"  {page}:\n" + "\n".join(f"    - {p}" for p in problems) for page, problems in report.items())


def _explorer_pages(book_html: Path) -> list[str]:
    return [p for p in html_pages(book_html)
            if EXPLORER_CLASS in (book_html / p).read_text(encoding="utf-8", errors="replace")]


# Visible pieces of one Stack child that identify it: tables, captions, figures.
_VISIBLE_SIGNATURE_JS = """
(stack) => {
  const visible = (el) => !!(el.offsetWidth || el.offsetHeight || el.getClientRects().length)
      && getComputedStyle(el).visibility !== 'hidden';
  const pick = (sel) => Array.from(stack.querySelectorAll(sel)).filter(visible);
  return {
    tables: pick('table').map((t) => t.innerText.trim()),
    captions: pick('caption, figcaption, .caption, .caption-text').map((c) => c.innerText.trim()),
    images: pick('img, svg').map((i) => (i.currentSrc || i.getAttribute('src') || i.outerHTML).slice(0, 4000)),
    brokenImages: pick('img').filter((i) => !(i.complete && i.naturalWidth > 0)).length,
    text: stack.innerText.trim(),
  };
}
"""


def test_explorer_dropdown_switches_stack(browser, base_url, book_html, screenshots):
    """Each explorer option shows its own table/figure in the stack and hides the others'."""
    pages = _explorer_pages(book_html)
    if not pages:
        message = (f"no page of the book at {book_html} contains an explorer (CSS class "
                   f"'{EXPLORER_CLASS}' in the HTML source): the widget explorer is missing")
        if NO_EXPLORER_OK:
            pytest.skip(message + " (allowed by LUPUS_BOOK_NO_EXPLORER=1)")
        pytest.fail(message)
    from playwright.sync_api import expect

    checked = 0
    for page_path in pages:
        probe = PageProbe(browser)
        page = probe.page
        try:
            probe.goto(base_url + page_path)
            selects = page.locator(f".{EXPLORER_CLASS} select")
            # rendered in the browser from the saved widget state by the html-manager, not a kernel
            expect(selects.first).to_be_visible(timeout=WIDGET_TIMEOUT_MS)
            for n in range(selects.count()):
                select = selects.nth(n)
                # the Stack is a sibling of the dropdown inside the explorer's box
                stack = select.locator(
                    "xpath=ancestor::*[.//*[contains(concat(' ', normalize-space(@class), ' '), "
                    "' explorer-stack ')]][1]").locator(".explorer-stack").first
                expect(stack).to_be_visible(timeout=WIDGET_TIMEOUT_MS)
                labels = [t.strip() for t in select.locator("option").all_inner_texts()]
                assert len(labels) >= 2, f"{page_path}: explorer #{n} has fewer than two options: {labels}"
                seen = {}
                for i, label in enumerate(labels):
                    select.select_option(index=i)
                    page.wait_for_timeout(200)
                    probe.settle()
                    sig = stack.evaluate(_VISIBLE_SIGNATURE_JS)
                    where = f"{page_path}, explorer #{n}, option {label!r}"
                    assert sig["tables"] or sig["captions"] or sig["images"], \
                        f"{where}: the stack shows no table, caption or figure:\n{sig['text'][:500]}"
                    assert not sig["brokenImages"], f"{where}: {sig['brokenImages']} figure(s) did not load"
                    shown_elsewhere = [o for o in labels
                                       if o != label and o not in label and o in sig["text"]]
                    assert not shown_elsewhere, \
                        f"{where}: the stack still shows other options' labels {shown_elsewhere}"
                    key = (tuple(sig["tables"]), tuple(sig["captions"]), tuple(sig["images"]))
                    assert key not in seen, \
                        f"{where}: the stack shows the same table/caption/figure as option {seen[key]!r}"
                    seen[key] = label
                    page.screenshot(path=str(screenshots / f"explorer_{_shot_name(page_path)}_{n}_{i}_"
                                                           f"{_shot_name(label)}.png"), full_page=True)
                checked += 1
            assert not probe.problems(), f"{page_path} after using the explorer:\n  " + "\n  ".join(probe.problems())
        finally:
            probe.close()
    assert checked, "no explorer was exercised"
