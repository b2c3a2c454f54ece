"""The live explorer as a user meets it: ``make explore`` on a centre's cohort (a copy of the
synthetic cohort handed over as a folder with a space and an accent, so the same ingest and
validation as ``make book DATA=...`` run first) on a free port of 127.0.0.1, driven in Debian's
Chromium: a continuous cut-off, a categorical grouping, a state outcome and the patient picker,
each compared with what lupus_utils computes for that choice; then the choices that cannot be
answered (a cut-off that leaves a group empty, an outcome with every value missing: the centre
never recorded haemoglobin; no visit chosen) must
show a message, never a traceback. The server is stopped with Ctrl-C (SIGINT) and the port must
be free again, with nothing left running."""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

from browser_support import CHROMIUM, PageProbe

ROOT = Path(__file__).resolve().parent.parent
CENTRE = ROOT / "build" / "explore test" / "Centro Esplora Pisà"
NAME = "Centro Esplora Pisà"
TIMEOUT_MS = 60_000

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _port_free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


@pytest.fixture(scope="module")
def server():
    if not (shutil.which(CHROMIUM) or os.access(CHROMIUM, os.X_OK)):
        pytest.skip(f"no Chromium at {CHROMIUM}")
    CENTRE.mkdir(parents=True, exist_ok=True)
    for t in ("patients", "adverse_events"):
        shutil.copyfile(ROOT / "data" / "synthetic" / f"{t}.csv", CENTRE / f"{t}.csv")
    # the centre never records haemoglobin (an optional column, left empty): an outcome with no value
    import pandas as pd
    visits = pd.read_csv(ROOT / "data" / "synthetic" / "visits.csv", dtype=str, keep_default_na=False)
    visits["haemoglobin_g_l"] = ""
    visits.to_csv(CENTRE / "visits.csv", index=False)
    port = _free_port()
    log = open(ROOT / "build" / "explore_test.log", "w")
    proc = subprocess.Popen(["make", "-s", "explore", f"DATA={CENTRE}", f"NAME={NAME}", f"PORT={port}"], cwd=ROOT,
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + 180
    while _port_free(port):
        if proc.poll() is not None or time.monotonic() > deadline:
            log.close()
            pytest.fail(f"make explore did not start: {(ROOT / 'build' / 'explore_test.log').read_text()[-3000:]}")
        time.sleep(0.5)
    try:
        yield {"url": f"http://127.0.0.1:{port}/", "port": port, "proc": proc}
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGINT)          # Ctrl-C, as a user stops it
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        log.close()


def _cohort():
    from lupus_utils.data.cohort import read_cohort
    from lupus_utils.science.results import derive_visits
    tables = read_cohort(ROOT / "build" / "explore_data" / "data")
    return tables, derive_visits(tables)


def _table(page) -> dict:
    """The explorer's table as {week: {header: text}}."""
    return page.evaluate("""() => {
      const t = document.querySelector('.live-explorer-view table');
      const heads = Array.from(t.querySelectorAll('thead th')).map((h) => h.innerText.replace(/\\s+/g, ' ').trim());
      const out = {};
      for (const r of t.querySelectorAll('tbody tr')) {
        const cells = Array.from(r.children).map((c) => c.innerText.trim());
        out[cells[0]] = Object.fromEntries(heads.map((h, i) => [h, cells[i]]));
      }
      return out;
    }""")


def _expected(res) -> dict:
    from lupus_utils.presentation.journal import P_COLUMN, header
    from lupus_utils.numbers import display_number, p_text
    out = {}
    for row in res["table"].to_dict("records"):
        cells = {}
        for k, v in row.items():
            if k == "week":
                continue
            cells[header(k)] = (v if isinstance(v, str) else p_text(v) if P_COLUMN.search(k) else display_number(v))
        out[str(row["week"])] = cells
    return out


def _assert_same(page, res, where):
    from playwright.sync_api import expect
    # the view is redrawn when the kernel answers: wait for a header only the expected table has
    expect(page.locator(".live-explorer-view table thead")).to_contain_text(res["table"].columns[1], timeout=TIMEOUT_MS)
    shown, expected = _table(page), _expected(res)
    assert set(shown) == set(expected), f"{where}: weeks {sorted(shown)} != {sorted(expected)}"
    for week, cells in expected.items():
        for header, text in cells.items():
            assert shown[week][header] == text, f"{where}, week {week}, {header}: page {shown[week][header]!r} != {text!r}"


def _set_cutoff(page, value):
    readout = page.locator(".live-explorer-control .widget-readout").first
    readout.click()
    page.keyboard.press("Control+A")
    page.keyboard.type(str(value))
    page.keyboard.press("Enter")


def _message(page, text):
    from playwright.sync_api import expect
    expect(page.locator(".live-explorer-view .explorer-message")).to_contain_text(text, timeout=TIMEOUT_MS)


def test_make_explore_drives_every_control_on_a_centres_cohort(server, browser):
    sync_api = pytest.importorskip("playwright.sync_api")
    from lupus_utils.presentation.explorer import explore, patient_course
    tables, visits = _cohort()
    patients = tables["patients"]
    probe = PageProbe(browser, viewport=(1400, 1000))
    page = probe.page
    try:
        page.goto(server["url"], wait_until="load", timeout=120_000)
        sync_api.expect(page.locator(".live-explorer-view table")).to_be_visible(timeout=120_000)
        assert NAME in page.inner_text("body")
        selects = page.locator(".live-explorer-control select")
        grouping, outcome, picker = selects.nth(0), selects.nth(1), selects.nth(2)
        weeks = [0, 4, 12, 24, 36]
        # 1. a continuous grouping with a cut-off: SDI >= 2
        _set_cutoff(page, 2)
        _assert_same(page, explore(visits, patients, "sdi", "sledai2k", weeks, cutoff=2), "SDI ≥ 2, SLEDAI-2K")
        # 2. a categorical grouping
        grouping.select_option(label="Reason for anifrolumab")
        _assert_same(page, explore(visits, patients, "reason_for_anifrolumab", "sledai2k", weeks), "reason, SLEDAI-2K")
        # 3. a state outcome
        outcome.select_option(label="LLDAS")
        _assert_same(page, explore(visits, patients, "reason_for_anifrolumab", "lldas", weeks), "reason, LLDAS")
        # 4. the patient picker: the first pseudonymised patient's course
        pid = sorted(patients["patient_id"])[0]
        assert pid.startswith("P0"), "the centre's ids are pseudonymised before anything is shown"
        picker.select_option(label=pid)
        course = patient_course(visits, tables["adverse_events"], pid)["visits"]
        sync_api.expect(page.locator(".live-explorer-course table").first).to_be_visible(timeout=TIMEOUT_MS)
        rows = page.locator(".live-explorer-course table").first.locator("tbody tr")
        assert rows.count() == len(course)
        first = rows.nth(0).inner_text().split("\t")
        assert first[:3] == [str(course["Week"].iloc[0]), course["Anifrolumab"].iloc[0], str(course["SLEDAI-2K"].iloc[0])]
        # the choices that cannot be answered: a message each, never a traceback
        grouping.select_option(label="SLICC/ACR damage index (SDI)")
        _set_cutoff(page, 0)                                     # SDI >= 0: nobody below
        _message(page, "leaves a single group")
        _set_cutoff(page, 1)
        outcome.select_option(label="Haemoglobin (g/L)")                   # every value missing
        _message(page, "no Haemoglobin (g/L) value at the chosen visits")
        outcome.select_option(label="SLEDAI-2K")
        for w in weeks:                                          # no visit chosen
            page.get_by_label(f"Week {w}", exact=True).uncheck()
        _message(page, "choose at least one visit")
        text = page.inner_text("body")
        assert "Traceback" not in text and "Error" not in text.replace("ExplorerError", "")
        assert not probe.problems(), probe.problems()
    finally:
        probe.close()


def test_ctrl_c_stops_the_server_and_frees_the_port(server):
    proc, port = server["proc"], server["port"]
    os.killpg(proc.pid, signal.SIGINT)
    assert proc.wait(timeout=30) is not None
    time.sleep(0.5)
    assert _port_free(port), f"port {port} still in use after Ctrl-C"
    left = subprocess.run(["pgrep", "-s", str(proc.pid)], capture_output=True, text=True).stdout.split()
    assert not left, f"processes left running after Ctrl-C: {left}"
