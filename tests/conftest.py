"""Hand-made patients and visits for the tests: every codebook column at a quiet default."""
from __future__ import annotations

import pandas as pd
import pytest

from lupus_utils import columns

QUIET_VISIT = {c: 0 for c in columns("visits")} | {
    "patient_id": "P01", "week": 0, "treatment_status": "on", "rash_extent": "none",
    "vasculitis_type": "none", "proteinuria_g_24h": 0.1, "platelets_10e9_l": 250.0,
    "leukocytes_10e9_l": 6.0, "haemoglobin_g_l": 130.0, "pga": 0.0, "gc_drug": "none",
    "gc_dose_mg": 0.0,
}
QUIET_PATIENT = {c: 0 for c in columns("patients")} | {
    "patient_id": "P01", "center": "Pisa", "sex": "F", "age_years": 40, "ethnicity": "Caucasian",
    "disease_duration_years": 10.0, "weight_kg": 60.0, "cumulative_gc_g": 10.0,
    "reason_for_anifrolumab": "flare", "anifrolumab_start": "2022-01-10", "follow_up_weeks": 0,
    "anifrolumab_stop_week": None, "anifrolumab_stop_reason": None, "lupus_nephritis_biopsy_proven": None,
}


def visit(**changes) -> dict:
    """One quiet visit with ``changes`` applied."""
    unknown = set(changes) - set(QUIET_VISIT)
    assert not unknown, f"not codebook visit columns: {unknown}"
    return QUIET_VISIT | changes


def visits(*rows: dict) -> pd.DataFrame:
    return pd.DataFrame(list(rows))


def patient(**changes) -> dict:
    unknown = set(changes) - set(QUIET_PATIENT)
    assert not unknown, f"not codebook patient columns: {unknown}"
    return QUIET_PATIENT | changes


# --- a tiny valid cohort written as a CSV folder (tests/test_data.py, tests/test_ingest.py) ----------
def write_cohort(folder, patients, visits, adverse_events, sep=","):
    """Write the three tables as ``folder/<table>.csv``; each is a frame (written as it is) or a
    list of row dicts (put in codebook column order). Returns ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    for t, rows in (("patients", patients), ("visits", visits), ("adverse_events", adverse_events)):
        frame = rows if isinstance(rows, pd.DataFrame) else pd.DataFrame(rows, columns=columns(t))
        frame.to_csv(folder / f"{t}.csv", index=False, sep=sep)
    return folder


def good_cohort() -> tuple[list[dict], list[dict], list[dict]]:
    """A valid cohort as lists of typed row dicts, to alter before :func:`write_cohort`: P01 followed
    12 weeks (visits 0, 4, 12; prednisone at baseline; one infection at week 4), P02 4 weeks (visits 0, 4)."""
    pts = [patient(patient_id="P01", follow_up_weeks=12), patient(patient_id="P02", follow_up_weeks=4)]
    vis = [visit(patient_id="P01", week=0, pga=1.5, gc_drug="prednisone", gc_dose_mg=10),
           visit(patient_id="P01", week=4), visit(patient_id="P01", week=12),
           visit(patient_id="P02", week=0), visit(patient_id="P02", week=4)]
    ae = [dict(event_id="E1", patient_id="P01", week=4, category="infection", term="COVID-19",
               serious=0, hospitalised=0, action="none")]
    return pts, vis, ae


def as_text(rows: list[dict], table: str) -> pd.DataFrame:
    """Rows as a frame of text cells in codebook column order (None -> empty cell)."""
    f = pd.DataFrame(rows, columns=columns(table))
    return f.astype(object).where(f.notna(), "").map(lambda v: f"{v:g}" if isinstance(v, float) else str(v))


def small_cohort(ids=("P01", "P02")) -> dict[str, pd.DataFrame]:
    """A valid cohort as text frames (as a centre's file holds them), keyed by table: each patient
    followed 4 weeks, with visits at weeks 0 and 4 and one infection (event ``E<id>``) at week 4."""
    pts = [patient(patient_id=i, follow_up_weeks=4) for i in ids]
    vis = [visit(patient_id=i, week=w) for i in ids for w in (0, 4)]
    ae = [dict(event_id=f"E{i}", patient_id=i, week=4, category="infection", term="COVID-19", serious=0,
               hospitalised=0, action="none") for i in ids]
    return {"patients": as_text(pts, "patients"), "visits": as_text(vis, "visits"),
            "adverse_events": as_text(ae, "adverse_events")}


def non_responder_cohort() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Five patients for the paper's non-responder rule: R in LLDAS at week 24; N at PGA 2 at her
    last visit; F stopped for a flare (in remission then); S followed 12 weeks only; I stopped for
    an infection while in remission. Eligible R, N, F, I; non-responders N and F."""
    pts = pd.DataFrame([
        patient(patient_id="R", follow_up_weeks=24),
        patient(patient_id="N", follow_up_weeks=36),
        patient(patient_id="F", follow_up_weeks=24, anifrolumab_stop_week=24, anifrolumab_stop_reason="flare"),
        patient(patient_id="S", follow_up_weeks=12),
        patient(patient_id="I", follow_up_weeks=36, anifrolumab_stop_week=36, anifrolumab_stop_reason="adverse_event"),
    ])
    v = visits(
        visit(patient_id="R", week=0, pga=2), visit(patient_id="R", week=24, pga=1.0),
        visit(patient_id="N", week=0, pga=2), visit(patient_id="N", week=24, pga=0), visit(patient_id="N", week=36, pga=2),
        visit(patient_id="F", week=0, pga=2), visit(patient_id="F", week=24, pga=0),
        visit(patient_id="S", week=0, pga=2), visit(patient_id="S", week=12, pga=2),
        visit(patient_id="I", week=0, pga=2), visit(patient_id="I", week=36, pga=0),
    )
    return pts, v


# ---- the generator check runs beside the other work --------------------------------------------
# Regenerating the synthetic cohort takes about two minutes of one core. ``make test`` starts it in
# the background before the book builds (tests/regenerate_cohort.py); the byte-for-byte test waits
# for that run when it was started from the current sources, and otherwise runs the generator now.
@pytest.fixture(scope="session")
def regenerated_cohort(tmp_path_factory):
    """The folder of the three regenerated CSV files (fails with the generator's log if it failed)."""
    import time

    from regenerate_cohort import OUT, inputs_digest, start

    stamp = OUT / "inputs.sha256"
    if stamp.exists() and stamp.read_text() == inputs_digest():
        out = OUT
    else:
        out = tmp_path_factory.mktemp("regenerated")
        start(out)
    deadline = time.monotonic() + 900
    while not (out / "exit_code").exists():
        assert time.monotonic() < deadline, "the generator did not finish within 15 minutes"
        time.sleep(0.5)
    code = int((out / "exit_code").read_text().strip() or "1")
    assert code == 0, (out / "generator.log").read_text()[-3000:]
    return out / "tables"


# ---- one headless Chromium per test process ------------------------------------------------------
@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium driven by Playwright, shared by every browser test of the process (a
    second sync Playwright in one process is refused)."""
    import os
    import shutil

    from browser_support import CHROMIUM, CHROMIUM_ARGS
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="the playwright package (pinned in the dev extra) is not installed")
    if not (shutil.which(CHROMIUM) or os.access(CHROMIUM, os.X_OK)):
        pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium, or set CHROMIUM=...)")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


def load_script(path, name: str | None = None):
    """Import a script of the project (a benchmark, the corpus generator, the book's build) as a
    module without touching ``sys.path``; it is registered under its file name, so that a script
    that imports a sibling finds the sibling loaded first."""
    import importlib.util
    import sys
    from pathlib import Path

    path = Path(path)
    name = name or path.stem
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module
