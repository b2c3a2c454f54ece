"""Chapter 'In context': the comparison table (labels, n, denominators, Wilson intervals, what is
charted and why), and the references behind the published figures."""
import json
import re

import numpy as np
import pandas as pd
import pybtex.database
import pytest

from lupus_utils.presentation.context import (CHART_MEASURES, CI_NOT_COMPUTABLE, N_DERIVED, NO_DENOMINATOR, NOT_VERIFIED, charted,
                                              cohort_rows, comparison_table, derive_count, external_rows, figure_text,
                                              not_charted, population_label, reference_keys)
from lupus_utils.paths import BOOK_DIR, DATA_DIR, NOTEBOOKS_DIR

EXTERNAL = DATA_DIR / "external_context.csv"
BIB = BOOK_DIR / "references.bib"
CHAPTER = NOTEBOOKS_DIR / "10_context.ipynb"

#: Acronyms a bibliography title must keep in capitals (the style sets titles in sentence case).
ACRONYMS = ["SLE-DAS", "SLEDAI", "SLE", "CLASI", "LLDAS", "DORIS", "BICLA", "SRI", "TULIP", "SELENA", "SLICC",
            "ACR", "EULAR", "LOOPS", "GRIM", "LTE", "LBO1", "MUSE"]
#: Entries for which no DOI or PMID could be confirmed from the sources we could read (conference
#: abstracts and one table page; see their notes). Anything else without an identifier fails.
WITHOUT_IDENTIFIER = {"assuncao2022", "vanvollenhoven2024", "tulipbiclatime2020", "tulipbiclasubgroups2020",
                      "tulipisexperience2026", "tulippooledbaseline", "calvorio2025", "a112cutaneous2024",
                      "herronskin"}


def _external(**changes) -> pd.DataFrame:
    row = dict(study="Trial X", design="RCT", arm="anifrolumab 300 mg", metric="lldas", week=52, value=37.5,
               unit="pct", n=9, denominator=24, population="all randomised", population_note="",
               reference_key="key", location="Table 1", verified="yes")
    return pd.DataFrame([row | changes])


def _ours() -> pd.DataFrame:
    return pd.DataFrame({"metric": ["lldas", "herpes_zoster"], "week": [12, np.nan], "value": [45.83, 3.85],
                         "n": [11.0, 1.0], "denominator": [24.0, 26.0]})


@pytest.fixture(scope="module")
def csv() -> pd.DataFrame:
    return pd.read_csv(EXTERNAL)


@pytest.fixture(scope="module")
def bib():
    return pybtex.database.parse_file(str(BIB))


# ---- intervals and counts --------------------------------------------------------------------------

def test_wilson_interval_of_9_of_24_by_hand():
    # z = 1.959964, p = 0.375, N = 24: centre (p + z^2/2N)/(1 + z^2/N) = 0.392240,
    # half-width z sqrt(p(1-p)/N + z^2/4N^2)/(1 + z^2/N) = 0.180646 -> 21.159% to 57.290%
    row = external_rows(_external()).iloc[0]
    assert (row["n"], row["denominator"], row["pct"]) == (9, 24, 37.5)
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((21.159, 57.290), abs=5e-4)
    assert figure_text(row["n"], row["denominator"], row["pct"], row["ci_low"], row["ci_high"]) == "9/24, 37.5% (21.2–57.3)"


def test_wilson_interval_of_28_of_459_by_hand(csv):
    # herpes zoster on anifrolumab in pooled MUSE, TULIP-1 and TULIP-2 (tummala2021, Table 1):
    # p = 0.061002, N = 459: centre 0.064646, half-width 0.022106 -> 4.254% to 8.675%
    t = external_rows(csv)
    row = t[(t["measure"] == "herpes_zoster") & (t["reference_key"] == "tummala2021") & (t["arm"] == "anifrolumab 300 mg")
            & t["charted"]].iloc[0]
    assert (row["n"], row["denominator"]) == (28, 459)
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((4.254, 8.675), abs=5e-4)


def test_the_japanese_lldas_row_of_the_file_gives_its_hand_computed_interval(csv):
    t = external_rows(csv)
    row = t[(t["reference_key"] == "tulip2japan2025") & (t["arm"] == "anifrolumab 300 mg")].iloc[0]
    assert figure_text(row["n"], row["denominator"], row["pct"], row["ci_low"], row["ci_high"]) == "9/24, 37.5% (21.2–57.3)"


def test_count_derived_only_when_it_gives_the_printed_percentage_back():
    assert derive_count(45.8, 24) == 11           # 11/24 = 45.83 -> 45.8
    assert derive_count(26.8, 180) is None        # 48/180 = 26.67 -> 26.7, not 26.8 (a weighted estimate)
    assert derive_count(36.9, 257) is None        # 95/257 = 36.96 -> 37.0
    assert derive_count(9.9, 112) is None         # 11/112 = 9.82 -> 9.8
    assert derive_count(50.0, 16) == 8
    assert derive_count(37.5, np.nan) is None


def test_derived_count_gets_an_interval_and_a_note_underivable_one_none():
    derived = external_rows(_external(n=np.nan, value=45.8, denominator=24)).iloc[0]
    assert derived["n"] == 11 and derived["n_note"] == N_DERIVED and derived["charted"]
    assert derived["ci_low"] == pytest.approx(27.891, abs=5e-4)
    weighted = external_rows(_external(n=np.nan, value=36.9, denominator=257)).iloc[0]
    assert not weighted["charted"] and np.isnan(weighted["ci_low"]) and weighted["ci_note"] == CI_NOT_COMPUTABLE
    assert weighted["pct"] == 36.9 and weighted["reason"].startswith("no count published")


def test_a_figure_without_denominator_is_listed_not_charted():
    row = external_rows(_external(n=np.nan, denominator=np.nan)).iloc[0]
    assert not row["charted"] and row["reason"] == NO_DENOMINATOR


# ---- labels -----------------------------------------------------------------------------------------

def test_loops_label_names_the_subgroup_not_the_registry(csv):
    t = external_rows(csv)
    loops = t[t["study"] == "LOOPS registry (Japan)"]
    assert "LOOPS registry (Japan), minor flare group, week 12" in set(loops["label"])
    assert "LOOPS registry (Japan), non-LLDAS achievement group, week 12" in set(loops["label"])
    assert not loops["charted"].any() and set(loops["reason"]) == {NO_DENOMINATOR}


def test_trial_label_names_study_arm_population_and_week():
    assert population_label("TULIP-1+2 pooled", "anifrolumab 300 mg", "baseline CLASI-A ≥10", 12.0) == \
        "TULIP-1+2 pooled, anifrolumab 300 mg, baseline CLASI-A ≥10, week 12"
    assert population_label("Registry", "all", "", np.nan) == "Registry"


def test_cohort_rows_say_synthetic_and_observed_population():
    t = cohort_rows(_ours(), "Synthetic cohort", synthetic=True)
    assert t["label"].str.startswith("Synthetic cohort").all()
    assert t.loc[0, "label"] == "Synthetic cohort, anifrolumab, observed at week 12 (11/24)"
    assert t.loc[1, "population"] == "all patients, whole follow-up (1/26)"
    assert cohort_rows(_ours(), "Pisa", synthetic=True)["label"].str.startswith("Synthetic cohort (Pisa)").all()
    assert cohort_rows(_ours(), "Pisa", synthetic=False)["label"].str.startswith("Pisa, ").all()
    assert t.loc[0, "ci_low"] == pytest.approx(27.891, abs=5e-4)


# ---- what is charted --------------------------------------------------------------------------------

def test_unverified_rows_are_never_charted(csv):
    t = comparison_table(csv, _ours(), "Synthetic cohort", True)
    unverified = t[(t["source"] == "published") & (t["verified"] != "yes")]
    assert len(unverified) == (csv["verified"] != "yes").sum() > 0
    assert not unverified["charted"].any() and set(unverified["reason"]) == {NOT_VERIFIED}
    assert not (charted(t)["verified"] == "no").any()
    left_out = not_charted(t)
    assert (left_out["reason"] == NOT_VERIFIED).sum() == len(unverified)
    assert not_charted(external_rows(_external(verified="no")))["reason"].tolist() == [NOT_VERIFIED]


def test_every_charted_published_bar_has_a_denominator_and_a_percentage(csv):
    c = charted(comparison_table(csv, _ours(), "Synthetic cohort", True))
    assert c["denominator"].notna().all() and c["pct"].notna().all()
    # every bar carries its n and a 95% CI (issue 21: "n and a CI on every bar")
    assert c["n"].notna().all() and c["ci_low"].notna().all()
    assert (c["ci_low"] <= c["pct"]).all() and (c["pct"] <= c["ci_high"]).all()


# ---- references -------------------------------------------------------------------------------------

def test_csv_cites_by_key_and_every_key_is_in_the_bibliography(csv, bib):
    assert "reference" not in csv.columns and csv["reference_key"].notna().all()
    missing = set(csv["reference_key"]) - set(bib.entries)
    assert not missing, f"keys not in references.bib: {sorted(missing)}"


def test_no_placeholder_text_in_the_csv_or_the_bibliography():
    for path in (EXTERNAL, BIB):
        text = path.read_text(encoding="utf-8").lower()
        assert "not captured" not in text, path
        assert "[authors" not in text and "[article" not in text, path


def test_every_bib_entry_has_a_doi_or_pmid_or_says_why_not(bib):
    without = {k for k, e in bib.entries.items() if not (e.fields.get("doi") or e.fields.get("pmid"))}
    assert without == WITHOUT_IDENTIFIER
    for k in without:
        e = bib.entries[k]
        assert e.fields.get("url", "").startswith("https://"), k
        assert "No DOI or PMID" in e.fields.get("note", ""), k


def test_acronyms_in_titles_are_braced(bib):
    pattern = re.compile(r"\b(" + "|".join(map(re.escape, ACRONYMS)) + r")\b")
    for key, e in bib.entries.items():
        title = e.fields["title"]
        unbraced = title
        while re.search(r"\{[^{}]*\}", unbraced):
            unbraced = re.sub(r"\{[^{}]*\}", "", unbraced)
        assert not pattern.search(unbraced), f"{key}: acronym without braces in {title!r}"


def test_the_chapter_cites_exactly_the_keys_of_the_csv(csv):
    cells = json.loads(CHAPTER.read_text(encoding="utf-8"))["cells"]
    sources = [c for c in cells if c["cell_type"] == "markdown"
               and "".join(c["source"]).startswith("## Sources of the published figures")]
    assert len(sources) == 1
    cited = set(re.findall(r"\{cite\}`([^`]+)`", "".join(sources[0]["source"])))
    cited = {k.strip() for group in cited for k in group.split(",")}
    assert cited == set(reference_keys(csv))


def test_every_key_cited_in_the_book_is_in_the_bibliography(bib):
    texts = [p.read_text(encoding="utf-8") for p in [*NOTEBOOKS_DIR.glob("*.ipynb"), *BOOK_DIR.glob("*.md")]]
    cited = {k.strip() for t in texts for group in re.findall(r"\{cite(?::[a-z]+)?\}`([^`]+)`", t) for k in group.split(",")}
    assert cited and not cited - set(bib.entries)


def test_context_figure_draws_one_bar_with_a_whisker_per_charted_row(csv):
    import matplotlib.pyplot as plt

    from lupus_utils.presentation.plots import context_figure
    chart = charted(comparison_table(csv, _ours(), "Synthetic cohort", True))
    fig = context_figure(chart, True, "Synthetic cohort")
    try:
        panels = [ax for ax in fig.axes if ax.get_title(loc="left")]
        assert [ax.get_title(loc="left") for ax in panels] == [CHART_MEASURES[m] for m in CHART_MEASURES
                                                              if (chart["measure"] == m).any()]
        bars = [len(ax.patches) for ax in panels]
        assert bars == [int((chart["measure"] == m).sum()) for m in CHART_MEASURES if (chart["measure"] == m).any()]
        texts = [t.get_text() for ax in panels for t in ax.texts]
        assert sorted(texts) == sorted(chart["text"])   # 'n/d, % (CI)' beside every bar
        assert any(t.get_text() == "Synthetic data" for t in fig.texts)
    finally:
        plt.close(fig)
