"""What the built book claims must hold (issue 21): checked on the pages ``make test`` builds
(``book/build.py`` builds them when they are missing; it skips when nothing changed)."""
from __future__ import annotations

import html
import re
import subprocess
import sys
from pathlib import Path

import pytest

from lupus_utils import read_cohort
from lupus_utils.longitudinal import responder_table
from lupus_utils.paths import SYNTHETIC_DIR
from lupus_utils.results import add_groupings, derive_visits

ROOT = Path(__file__).resolve().parent.parent
BOOK = ROOT / "build" / "_build" / "html"


@pytest.fixture(scope="module")
def pages() -> dict[str, str]:
    res = subprocess.run([sys.executable, str(ROOT / "book" / "build.py")], cwd=ROOT, capture_output=True, text=True,
                         timeout=1800)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    out = {}
    for page in BOOK.glob("*.html"):
        text = html.unescape(re.sub(r"<[^>]+>", " ", page.read_text(encoding="utf-8")))
        out[page.stem] = re.sub(r"\s+", " ", text)
    return out


def test_chapter8_compares_the_patients_due_at_week_48(pages):
    """The week-48 remission figure is set against the patients due at week 48 (followed long
    enough, or stopped before), not only against everybody who started."""
    tables = read_cohort(SYNTHETIC_DIR)
    visits = add_groupings(derive_visits(tables), tables["patients"])
    r = responder_table(visits, tables["patients"], "doris_remission").set_index("week").loc[48]
    due = f"{int(r['nri_eligible_n'])}/{int(r['nri_eligible_den'])} ({r['nri_eligible_pct']:.0f}%) of the patients due at that visit"
    assert r["nri_eligible_den"] < r["nri_den"]  # some patients were not yet due: the fair figure differs
    assert due in pages["08_dropout"]
    assert "administrative censoring" in pages["08_dropout"]


def test_no_plural_templates_and_no_brief(pages):
    for name, text in pages.items():
        assert "patient(s)" not in text, name
        assert not re.search(r"\bthe (project )?brief\b", text), name


def test_every_download_of_the_synthetic_book_says_synthetic(pages):
    import pandas as pd

    from lupus_utils.report import SYNTHETIC_LABEL

    exports = sorted((BOOK / "exports").glob("*.csv"))
    tables = [p for p in exports if not p.name.startswith("synthetic_")]
    assert len(tables) > 20
    for path in tables:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        assert frame.columns[0] == "cohort" and (frame["cohort"] == SYNTHETIC_LABEL).all(), path.name


def test_the_synthetic_patient_tables_are_downloadable(pages):
    for t in ("patients", "visits", "adverse_events"):
        assert (BOOK / "exports" / f"synthetic_{t}.csv").read_bytes() == (SYNTHETIC_DIR / f"{t}.csv").read_bytes()
        assert f'href="exports/synthetic_{t}.csv"' in (BOOK / "data_dictionary.html").read_text(encoding="utf-8")
