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
from lupus_utils.science.longitudinal import responder_table
from lupus_utils.paths import SYNTHETIC_DIR
from lupus_utils.science.results import derive_visits
from lupus_utils.science.subgroups import add_groupings
from lupus_utils.presentation.tables import share_text

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
    due = f"{share_text(r['nri_eligible_n'], r['nri_eligible_den'])} of the patients due at that visit"
    assert r["nri_eligible_den"] < r["nri_den"]  # some patients were not yet due: the fair figure differs
    assert due in pages["08_dropout"]
    assert "administrative censoring" in pages["08_dropout"]


def test_no_plural_templates_no_brief_no_placeholder_reference(pages):
    for name, text in pages.items():
        assert not re.search(r"\w\(s\)", text), name          # "patient(s)", "event(s)"
        assert not re.search(r"\bthe (project )?brief\b", text), name
        assert "not captured" not in text, name                   # "[Authors not captured]"


def test_no_code_name_column_headers():
    """Tables speak the clinic's words: no header is a code name such as ``sledai2k``,
    ``completers_pct`` or ``doris_remission``."""
    from lupus_utils.codebook import load_codebook
    from lupus_utils.presentation.scorecard import load_targets

    code_names = set(load_codebook()["column"]) | set(load_targets()["measure"])
    offenders = []
    for page in sorted(BOOK.glob("[0-9][0-9]_*.html")):
        for th in re.findall(r"<th[^>]*>(.*?)</th>", page.read_text(encoding="utf-8"), flags=re.S):
            head = html.unescape(re.sub(r"<[^>]+>", "", th)).strip()
            if head in code_names or re.fullmatch(r"[a-z0-9]+(_[a-z0-9]+)+", head):
                offenders.append(f"{page.stem}: {head}")
    assert offenders == []


def _ledgers():
    import pandas as pd

    frames = []
    for path in sorted((BOOK / "exports" / "values").glob("*.csv")):
        f = pd.read_csv(path, dtype={"shown": str})
        frames.append(f.assign(chapter=path.stem, week=f["week"].fillna(-1)))
    return pd.concat(frames, ignore_index=True)


def test_one_value_per_statistic_across_chapters(pages):
    """Every statistic a chapter shows is in its ledger (exports/values/<chapter>.csv). The same
    (measure, population, week, statistic) must read the same in every chapter, and so must the
    same computed value of one measure, week and statistic under another population's name (the
    baseline SLEDAI-2K median of all patients in Table 1 and of those observed at week 0 in Table
    2: it once read "8 (6–10)" in one and "7.5 (5.5–10.3)" in the other)."""
    led = _ledgers()
    assert led["chapter"].nunique() >= 8, sorted(led["chapter"].unique())
    key = ["measure", "population", "week", "statistic"]
    shared = led.groupby(key)["chapter"].nunique()
    assert (shared >= 2).sum() >= 30, "too few statistics shown in two chapters for the test to mean anything"
    clash = led.groupby(key)["shown"].nunique()
    assert list(clash[clash > 1].index) == [], led.set_index(key).loc[list(clash[clash > 1].index)]
    led["value_key"] = led["value"].round(9)
    same_value = led.groupby(["measure", "week", "statistic", "value_key"])["shown"].nunique()
    assert list(same_value[same_value > 1].index) == []
    # the example of the issue, by name: Table 1 and Table 2 give baseline SLEDAI-2K alike
    base = led[(led.measure == "sledai2k") & (led.week == 0) & (led.statistic == "median")]
    assert {"01_cohort", "02_efficacy"} <= set(base["chapter"]) and base["shown"].nunique() == 1
    rem24 = led[(led.measure == "doris_remission") & (led.week == 24) & (led.statistic == "pct")]
    assert {"03_remission_flares", "07_uncertainty", "08_dropout", "10_context"} <= set(rem24["chapter"])


def test_every_download_of_the_synthetic_book_says_synthetic(pages):
    import pandas as pd

    from lupus_utils.presentation.report import SYNTHETIC_LABEL

    exports = sorted((BOOK / "exports").rglob("*.csv"))
    tables = [p for p in exports if not p.name.startswith("synthetic_")]
    assert len(tables) > 20
    for path in tables:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        assert frame.columns[0] == "cohort" and (frame["cohort"] == SYNTHETIC_LABEL).all(), path.name


def test_the_synthetic_patient_tables_are_downloadable(pages):
    for t in ("patients", "visits", "adverse_events"):
        assert (BOOK / "exports" / f"synthetic_{t}.csv").read_bytes() == (SYNTHETIC_DIR / f"{t}.csv").read_bytes()
        assert f'href="exports/synthetic_{t}.csv"' in (BOOK / "data_dictionary.html").read_text(encoding="utf-8")
