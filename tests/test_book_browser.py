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
import subprocess
import sys
from pathlib import Path

import pytest

from browser_support import PageProbe, html_pages, serve

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


#: The widths every page is looked at: a desktop and a phone (iPhone 12-14, 390 CSS px).
WIDTHS = {"desktop": (1400, 900), "phone": (390, 844)}

_LAYOUT_JS = """
() => {
  const doc = document.documentElement;
  const imgs = Array.from(document.images);
  return {scrollWidth: Math.max(doc.scrollWidth, document.body.scrollWidth), clientWidth: doc.clientWidth,
          brokenImages: imgs.filter((i) => i.complete && i.naturalWidth === 0).map((i) => i.src.slice(0, 120))};
}
"""

_TABLE2_JS = """
() => {
  const t = document.querySelector('#table2-activity-over-time table');
  if (!t) return null;
  const heads = Array.from(t.querySelectorAll('thead th')).map((h) => h.innerText.replace(/\\s+/g, ' ').trim());
  const rows = Array.from(t.querySelectorAll('tbody tr')).map((r) =>
      Array.from(r.children).map((c) => ({text: c.innerText.trim(),
                                          published: (c.querySelector('.published') || {}).innerText || ''})));
  return {heads, rows};
}
"""


def _check_table2(page) -> list[str]:
    """Table 2 as a journal prints it: N in every visit header, the published baseline shown."""
    t = page.evaluate(_TABLE2_JS)
    if t is None:
        return ["Table 2 (#table2-activity-over-time) is missing"]
    problems = []
    visits = [h for h in t["heads"] if h and h != "Measure"]
    if len(visits) != 5 or not all(re.search(r"\(N=\d+\)", h) for h in visits):
        problems.append(f"Table 2's visit headers do not all carry N: {visits}")
    sledai = next((r for r in t["rows"] if r and r[0]["text"] == "SLEDAI-2K"), None)
    if sledai is None or sledai[1]["published"] != "7.5 (6–10)":
        problems.append(f"Table 2 does not show the published baseline SLEDAI-2K 7.5 (6–10): {sledai}")
    return problems


def _check_figure(name):
    def check(page) -> list[str]:
        link = page.locator(f'a[href$="exports/{name}.svg"]')
        return [] if link.count() == 1 else [f"the figure {name} (its download link) is missing"]
    return check


#: What a page must show beyond being clean (issue 16).
PAGE_CHECKS = {
    "02_efficacy.html": [_check_table2],
    "03_remission_flares.html": [_check_figure("swimmer_plot"), _check_figure("state_transitions")],
    "05_subgroups.html": [_check_figure("forest_subgroups")],
}


def test_every_page_is_offline_clean(browser, base_url, book_html, screenshots):
    """Open every page at desktop width and look at it again at phone width: no console/page
    error, no request leaves 127.0.0.1, no local 404, no figure that fails to load, and the page
    itself never scrolls sideways (a wide table scrolls inside its own box). A screenshot of each
    page at each width goes to the screenshot folder. The pages of :data:`PAGE_CHECKS` must also
    show what the checks look for (Table 2's N and published baseline, the swimmer and forest
    plots)."""
    pages = html_pages(book_html)
    assert pages, f"no HTML pages under {book_html}"
    assert set(PAGE_CHECKS) <= set(pages), f"pages to check are missing: {set(PAGE_CHECKS) - set(pages)}"
    report = {}
    for page_path in pages:
        probe = PageProbe(browser, viewport=WIDTHS["desktop"])
        problems = []
        try:
            probe.goto(base_url + page_path)
            for kind, (w, h) in WIDTHS.items():
                if kind != "desktop":
                    probe.page.set_viewport_size({"width": w, "height": h})
                    probe.page.wait_for_timeout(150)
                layout = probe.page.evaluate(_LAYOUT_JS)
                if layout["scrollWidth"] > layout["clientWidth"] + 1:
                    problems.append(f"at {w} px the page scrolls sideways ({layout['scrollWidth']} px wide)")
                if layout["brokenImages"]:
                    problems.append(f"images that did not load: {layout['brokenImages']}")
                probe.page.screenshot(path=str(screenshots / f"{_shot_name(page_path)}_{w}.png"))
            probe.page.set_viewport_size({"width": WIDTHS["desktop"][0], "height": WIDTHS["desktop"][1]})
            for check in PAGE_CHECKS.get(page_path, []):
                problems += check(probe.page)
            problems += probe.problems()
            if problems:
                report[page_path] = sorted(set(problems))
        finally:
            probe.close()
    assert not report, f"{len(report)} of {len(pages)} pages fail:\n" + "\n".join(
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


_VISIBLE_VIEW_JS = """
(stack) => {
  const visible = (el) => !!(el.offsetWidth || el.offsetHeight || el.getClientRects().length)
      && getComputedStyle(el).visibility !== 'hidden';
  const views = Array.from(stack.querySelectorAll('.explorer-view, .explorer-message, .jp-OutputArea-output'))
      .filter(visible);
  return views.map((v) => v.innerText.trim()).join('\\n---\\n');
}
"""

_RESOURCES_JS = """
() => [location.href, ...performance.getEntriesByType('resource').map((r) => r.name)]
"""


def _page_weight(page, book_html: Path) -> dict:
    """What loading the page fetches: the bytes as stored and as a web server sends them gzipped
    (GitHub Pages does): every URL the page requested, read back from the built book."""
    import gzip
    from urllib.parse import unquote, urlparse

    raw = packed = 0
    urls = sorted(set(page.evaluate(_RESOURCES_JS)))
    for url in urls:
        path = book_html / unquote(urlparse(url).path).lstrip("/")
        if path.is_file():
            data = path.read_bytes()
            raw += len(data)
            packed += len(gzip.compress(data, compresslevel=6))
    return {"raw": raw, "gzip": packed, "requests": len(urls)}


def _switch_every_option(page, select, stack, where, must_show):
    """Select each option of ``select``: the visible part of ``stack`` must change at once (the
    switch happens in the browser: no kernel, no request) and show ``must_show(label)``."""
    labels = [t.replace("\xa0", " ").strip() for t in select.locator("option").all_inner_texts()]
    assert len(labels) >= 2, f"{where}: fewer than two options: {labels}"
    seen = {}
    for i, label in enumerate(labels):
        before = stack.evaluate(_VISIBLE_VIEW_JS)
        select.select_option(index=i)
        if i:  # wait (briefly) for the visible view to change
            stack.evaluate(f"(s) => new Promise((ok) => {{ const t0 = Date.now(); const f = () => "
                           f"((({_VISIBLE_VIEW_JS.strip()})(s)) !== {before!r} || Date.now() - t0 > 3000) ? ok() : "
                           f"requestAnimationFrame(f); f(); }})")
        text = stack.evaluate(_VISIBLE_VIEW_JS)
        assert text, f"{where}, option {label!r}: nothing is shown"
        for needle in must_show(label):
            assert needle in text, f"{where}, option {label!r}: {needle!r} is not shown:\n{text[:400]}"
        assert text not in seen, f"{where}, option {label!r} shows the same view as {seen.get(text)!r}"
        seen[text] = label
    return labels


def test_explorer_dropdown_switches_stack(browser, base_url, book_html, screenshots):
    """Every option of the static explorer switches its view in the browser without a kernel:
    every grouping, every outcome of every grouping (each view names its outcome and grouping,
    or says why it cannot be shown), and every patient of the patient picker. Prints the page's
    weight and load time, which must stay at or under 5 MB."""
    import time

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
            t0 = time.monotonic()
            probe.goto(base_url + page_path)
            outer = page.locator(f".{EXPLORER_CLASS} select").first
            expect(outer).to_be_visible(timeout=WIDGET_TIMEOUT_MS)
            expect(page.locator(".explorer-view").first).to_be_visible(timeout=WIDGET_TIMEOUT_MS)
            loaded = time.monotonic() - t0
            weight = _page_weight(page, book_html)
            print(f"\n{page_path}: {weight['gzip'] / 1e6:.2f} MB sent gzipped ({weight['raw'] / 1e6:.2f} MB as "
                  f"stored) in {weight['requests']} requests, explorer shown {loaded:.1f} s after navigation")
            assert weight["gzip"] <= 5e6, f"{page_path} weighs {weight['gzip'] / 1e6:.2f} MB gzipped (limit 5 MB)"
            box = outer.locator("xpath=ancestor::*[contains(concat(' ', normalize-space(@class), ' '), ' widget-vbox ')][1]")
            outer_stack = box.locator(".explorer-stack").first
            groupings = [t.strip() for t in outer.locator("option").all_inner_texts()]
            for g, grouping in enumerate(groupings):
                outer.select_option(index=g)
                inner = outer_stack.locator(".explorer-outcome-dropdown select").filter(visible=True).first
                expect(inner).to_be_visible(timeout=WIDGET_TIMEOUT_MS)
                inner_box = inner.locator("xpath=ancestor::*[contains(concat(' ', normalize-space(@class), ' '), ' widget-vbox ')][1]")
                _switch_every_option(page, inner, inner_box.locator(".explorer-outcome-stack").first,
                                     f"{page_path}, grouping {grouping!r}",
                                     lambda outcome: [outcome.split(" (")[0]])
                checked += 1
            page.screenshot(path=str(screenshots / f"explorer_{_shot_name(page_path)}.png"))
            picker = page.locator(".patient-picker-dropdown select").first
            if picker.count():
                pbox = picker.locator("xpath=ancestor::*[contains(concat(' ', normalize-space(@class), ' '), ' widget-vbox ')][1]")
                _switch_every_option(page, picker, pbox.locator(".patient-picker-stack").first,
                                     f"{page_path}, patient picker", lambda pid: [pid])
            assert not probe.problems(), f"{page_path} after using the explorer:\n  " + "\n  ".join(probe.problems())
        finally:
            probe.close()
    assert checked, "no explorer was exercised"
