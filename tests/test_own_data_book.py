"""A centre's own book builds both ways (with and without the paper's published values) from
paths that hold a space and an accent, shows no input identifier, and says in every chapter
whether anything is compared with the paper. Without published values the input has gaps (10% of
PGA and laboratory cells blanked) and the book counts them; with them, the input is a REDCap
records export."""
from __future__ import annotations

import re

import pytest

from own_data_book import BLANKED, NAMES, build, html_dir, synthetic, with_gaps

from lupus_utils.paths import NOTEBOOKS_DIR

CHAPTERS = sorted(nb.name[:2] for nb in NOTEBOOKS_DIR.glob("[0-9][0-9]_*.ipynb"))


@pytest.fixture(scope="module", params=[False, True], ids=["without_published", "published"])
def book(request):
    res = build(request.param)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    return request.param, html_dir(request.param)


def test_every_chapter_is_built_and_says_whether_it_compares(book):
    published, html = book
    pages = {p.name[:2]: p.read_text(encoding="utf-8") for p in html.glob("[0-9][0-9]_*.html")}
    assert sorted(pages) == CHAPTERS
    said = "are set beside this cohort" if published else "nothing here is compared with the paper"
    for number, page in pages.items():
        assert NAMES[published] in page, number
        assert said in page, number
    if published:
        assert "published numbers" in pages["06"] and "Published value and computed value" in pages["06"]
    else:
        assert "nothing to score" in pages["06"] and "No target is scored in this book" in pages["06"]


def test_no_input_identifier_reaches_the_book(book):
    _, html = book
    for page in html.rglob("*.html"):
        assert "SYNTH-" not in page.read_text(encoding="utf-8"), page.name
    for export in (html / "exports").rglob("*.csv") if (html / "exports").exists() else []:
        assert "SYNTH-" not in export.read_text(encoding="utf-8"), export.name


def test_the_book_counts_the_gaps_it_was_given(book):
    published, html = book
    cohort = (html / "01_cohort.html").read_text(encoding="utf-8")
    if published:  # the REDCap export of the complete cohort: nothing missing, and the book says so
        assert "No input is missing at any assessed visit" in cohort and "Inputs missing at some" not in cohort
        return
    tables, blanked = with_gaps(synthetic())
    v = tables["visits"]
    assessed = v["treatment_status"] != "discontinued"
    gaps = cohort[cohort.index("Inputs missing at some assessed visits"):]
    for col, label in (("pga", "PGA"), ("haemoglobin_g_l", "Haemoglobin"), ("platelets_10e9_l", "Platelets")):
        n = int(((v[col] == "") & assessed).sum())
        assert n == sum(assessed.iloc[i] for i in blanked[col]) and n > 0
        row = re.search(rf"<td[^>]*>{label}</td>\s*<td[^>]*>(\d+)</td>\s*<td[^>]*>(\d+)</td>", gaps)
        assert row and (int(row.group(1)), int(row.group(2))) == (n, int(assessed.sum())), label
    missing_any = int(((v[list(BLANKED)] == "").any(axis=1) & assessed).sum())
    flow = cohort[cohort.index("Visits at each scheduled week"):]
    total = re.search(r"<td[^>]*>All visits</td>((?:\s*<td[^>]*>\d+</td>){4})", flow)
    assert [int(x) for x in re.findall(r">(\d+)<", total.group(1))] == [len(v), int((~assessed).sum()),
                                                                          int(assessed.sum()), missing_any]
    # the flare index is unknown at some later visits: chapter 3 says how many, as chapter 1 counts them
    flares = (html / "03_remission_flares.html").read_text(encoding="utf-8")
    said = int(re.search(r"The category is unknown at (\d+) later visits", flares).group(1))
    head = re.findall(r"<th[^>]*>(.*?)</th>", flow[:flow.index("</thead>")])
    cells = re.findall(r"<td[^>]*>(.*?)</td>", flow[flow.index("All visits") - 200:])
    cells = cells[cells.index("All visits"):]
    assert said > 0 and int(cells[head.index("Unknown: flare index")]) == said
    efficacy = (html / "02_efficacy.html").read_text(encoding="utf-8")
    assert ", n=" in efficacy   # Table 2 states n where a measure is missing at some visits
