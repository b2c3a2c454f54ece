"""Table helpers on hand-made results: numbers as shown, remission/LLDAS with published columns,
flare listing, events by term."""
import math

import numpy as np
import pandas as pd
import pytest

from conftest import non_responder_cohort, visit
from lupus_utils.presentation.journal import styled
from lupus_utils.numbers import display_number, p_text, stat_text
from lupus_utils.presentation.tables import (events_by_term, flare_table, keyed_values, n_of_text, non_responder_table,
                                             remission_lldas_table, share_text, table1, table1_keys, table2, table2_keys)


def _results(rows):
    return pd.DataFrame([{"measure": m, "population": p, "week": w, "statistic": s, "value": v, "denominator": np.nan}
                         for m, p, w, s, v in rows])


@pytest.mark.parametrize("x, shown", [(12.0, "12"), (3, "3"), (1.5, "1.5"), (2.978, "2.978"), (13.25, "13.25"),
                                      (2.0625, "2.063"), (0.0495, "0.0495"), (0.000324, "0.000324"),
                                      (3.24e-5, "0.0000324"), (0.45, "0.45"), (0.12345, "0.123"), (0.12355, "0.124"),
                                      (-0.0, "0"), (-7.0275, "-7.028"), (float("nan"), "–"), (None, "–")])
def test_display_number(x, shown):
    assert display_number(x) == shown


def test_styled_shows_counts_whole_p_values_as_printed_and_gaps_as_dashes():
    t = pd.DataFrame({"n": [12.0, np.nan], "label": ["a", None], "Mann-Whitney p": [0.0495, 0.00002], "p": ["n.s.", 0.2],
                      "hl_ci_low": [-0.8874, 3.24e-5], "mixed": [12.0, "x"], "flag": [True, False]})
    html = styled(t).to_html()
    for shown in (">12<", ">0.050<", "><0.001<", ">n.s.<", ">0.200<", ">-0.887<", ">0.0000324<", ">x<", ">True<", ">False<"):
        assert shown in html, shown
    assert "12.000" not in html and "e-05" not in html and html.count(">–<") == 2


def test_share_text_rounds_half_up_to_one_decimal():
    assert share_text(3, 24) == "3/24 (12.5%)"
    assert share_text(1, 16) == "1/16 (6.3%)"    # 6.25%: half-up, not half-to-even
    assert share_text(7, 9) == "7/9 (77.8%)"
    assert share_text(5, 5) == "5/5 (100.0%)"
    assert share_text(2, 0) == "– (nobody assessed)" and share_text(float("nan"), 5) == "–"


@pytest.mark.parametrize("p,shown", [(0.0004999, "<0.001"), (0.0005, "0.001"), (0.00057, "0.001"),
                                     (0.00085, "0.001"), (0.0015, "0.002"), (0.0445, "0.045"), (0.2, "0.200")])
def test_p_text_prints_as_spss_does(p, shown):
    # SPSS shows three decimals; its ".000" (p < 0.0005) is what papers print as "<0.001"
    assert p_text(p) == shown


@pytest.mark.parametrize("value,statistic,shown", [
    (7.5, "median", "7.5"), (10.25, "q3", "10.25"), (8.0, "median", "8"), (52.6315, "pct", "52.6"),
    (6.25, "pct", "6.3"), (19.0, "n", "19"), (0.00057, "p", "0.001"), (4.0497, "sd", "4.05"), (float("nan"), "mean", "–")])
def test_stat_text_shows_each_statistic_at_its_own_precision(value, statistic, shown):
    assert stat_text(value, statistic) == shown


def test_keyed_values_show_table1_and_table2_baseline_alike():
    """The same baseline SLEDAI-2K reads the same in Table 1 and Table 2 (it read "8 (6–10)" in
    one and "7.5 (5.5–10.3)" in the other when Table 1 rounded to the paper's precision)."""
    r = _results([("sledai2k", "all", 0, "median", 7.5), ("sledai2k", "all", 0, "q1", 5.5), ("sledai2k", "all", 0, "q3", 10.25),
                  ("lldas", "observed_at_visit", 12, "n", 3), ("lldas", "observed_at_visit", 12, "denominator", 24)])
    k = keyed_values(r, [("sledai2k", "all", 0, "median"), ("sledai2k", "all", 0, "q3"), ("lldas", "observed_at_visit", 12, "pct"),
                         ("lldas", "observed_at_visit", 12, "n")])
    assert k["shown"].tolist() == ["7.5", "10.25", "12.5", "3"]
    assert k.columns.tolist() == ["measure", "population", "week", "statistic", "value", "shown"]
    assert ("sledai2k", "all", 0, "median") in table1_keys() and ("sledai2k", "observed_at_visit", 0, "median") in table2_keys()
    assert ("pga", "observed_at_visit", 24, "p") in table2_keys() and ("pga", "observed_at_visit", 0, "p") not in table2_keys()
    from lupus_utils import read_cohort
    from lupus_utils.paths import SYNTHETIC_DIR
    from lupus_utils.science.results import compute_results
    res = compute_results(read_cohort(SYNTHETIC_DIR))
    t1 = table1(res).set_index("Characteristic")["Computed"]
    t2 = table2(res).set_index(["Block", "Measure"])["Baseline (N=26)"]
    base = keyed_values(res, [("sledai2k", "all", 0, s) for s in ("median", "q1", "q3")])["shown"].tolist()
    assert t1["SLEDAI-2K"] == f"{base[0]} ({base[1]}–{base[2]})" == t2[("Median (IQR)", "SLEDAI-2K")]


def test_n_of_text():
    r = _results([("lldas", "observed_at_visit", 24, "n", 14), ("lldas", "observed_at_visit", 24, "denominator", 17),
                  ("lldas", "observed_at_visit", 12, "n", 3), ("lldas", "observed_at_visit", 12, "denominator", 24),
                  ("lldas", "observed_at_visit", 48, "n", 0), ("lldas", "observed_at_visit", 48, "denominator", 0)])
    assert n_of_text(r, "lldas", "observed_at_visit", 24) == "14/17 (82.4%)"
    assert n_of_text(r, "lldas", "observed_at_visit", 12) == "3/24 (12.5%)"
    assert n_of_text(r, "lldas", "observed_at_visit", 48) == "– (nobody assessed)"
    assert n_of_text(r, "lldas", "observed_at_visit", 36) == "– (nobody assessed)"
    with pytest.raises(KeyError, match="lldsa"):
        n_of_text(r, "lldsa", "observed_at_visit", 24)


def test_remission_lldas_table_with_and_without_published_values():
    rows = []
    for w, (rem, lldas, den) in {12: (5, 7, 20), 24: (6, 12, 15), 48: (4, 5, 5)}.items():
        rows += [("doris_remission", "observed_at_visit", w, "n", rem), ("doris_remission", "observed_at_visit", w, "denominator", den),
                 ("lldas", "observed_at_visit", w, "n", lldas), ("lldas", "observed_at_visit", w, "denominator", den)]
    # remission at week 48 is read among those who completed 48 weeks (here 3 of 4, to tell them apart)
    rows += [("doris_remission", "completed_48w", 48, "n", 3), ("doris_remission", "completed_48w", 48, "denominator", 4)]
    targets = pd.DataFrame({"target_id": ["res_remission_w12_n", "res_remission_w12_den", "res_remission_w12_pct",
                                          "res_lldas_w12_n", "res_lldas_w12_den", "res_remission_w24_pct"],
                            "display": ["5", "20", "25%", "7", "20", "40%"]})
    t = remission_lldas_table(_results(rows), targets)
    assert t["Visit"].tolist() == ["3 months (week 12)", "6 months (week 24)", "12 months (week 48)"]
    assert t["DORIS remission"].tolist() == ["5/20 (25.0%)", "6/15 (40.0%)", "3/4 (75.0%)"]
    assert t["LLDAS"].tolist() == ["7/20 (35.0%)", "12/15 (80.0%)", "5/5 (100.0%)"]
    # whatever parts the paper prints are shown; a dash where it prints none
    assert t["Published remission"].tolist() == ["5/20 (25%)", "40%", "–"]
    assert t["Published LLDAS"].tolist() == ["7/20", "–", "–"]
    assert "Published LLDAS" not in remission_lldas_table(_results(rows)).columns


def _flare_visits(n):
    """n flare visits (one per patient, so no previous visit and no criterion met) and a quiet one."""
    v = pd.DataFrame([visit(patient_id=f"P{i}", week=w) for i, w in enumerate([36] + [24] * (n - 1) + [4])])
    return v.assign(sfi_flare=["severe"] + ["mild_moderate"] * (n - 1) + ["none"], sledai2k=[10] * n + [2],
                    pga=[1.5] * n + [0.3], prednisone_mg=[7.5] * n + [5.0])


def test_flare_table_lists_flares_in_order_of_visit():
    t = flare_table(_flare_visits(3))
    assert t.columns.tolist() == ["Flare", "Week", "SFI category", "SLEDAI-2K", "PGA", "Prednisone, mg/day",
                                  "SFI criteria met", "New descriptors", "Organ", "Treatment change"]
    assert (t["SFI criteria met"] == "–").all() and (t["New descriptors"] == "none").all()
    assert t["Flare"].tolist() == [1, 2, 3]
    assert t["Week"].tolist() == [24, 24, 36]
    assert t["SFI category"].tolist() == ["mild/moderate", "mild/moderate", "severe"]
    assert len(flare_table(_flare_visits(4), listing_limit=4)) == 4   # at the limit: still listed


def test_flare_table_counts_by_visit_beyond_the_listing_limit():
    t = flare_table(_flare_visits(5), listing_limit=4)
    assert "Flare" not in t.columns
    assert t.set_index(["Week", "SFI category"])["Flares"].to_dict() == {(24, "mild/moderate"): 4, (36, "severe"): 1}


def test_events_by_term():
    ae = pd.DataFrame({"category": ["infection"] * 5 + ["other"],
                       "term": ["COVID-19", "cellulitis", "COVID-19", "Herpes zoster", "abscess", "fatigue"]})
    t = events_by_term(ae, "infection")
    assert list(zip(t["Term"], t["Events"])) == [("COVID-19", 2), ("abscess", 1), ("cellulitis", 1), ("Herpes zoster", 1)]
    assert math.isclose(t["Events"].sum(), 5)


def test_non_responder_table_on_a_hand_made_cohort():
    """conftest.non_responder_cohort: eligible R, N, F, I; non-responders N and F (2/4, 50%); one
    not at least LLDAS at the last visit (N); one stopped for activity (F); S excluded."""
    pts, v = non_responder_cohort()
    row = non_responder_table(pts, v).iloc[0]
    assert row.tolist() == [4, 1, 0, 1, "2/4 (50.0%)", 1]
    empty = non_responder_table(pts[pts["patient_id"] == "S"], v[v["patient_id"] == "S"]).iloc[0]
    assert empty.tolist() == [0, 0, 0, 0, "– (nobody eligible)", 1]


def test_table1_gives_the_damage_index_median_over_every_patient():
    """Chapter 1 shows the SLICC/ACR damage index median (IQR) of the whole cohort, computed from
    the patients table (the committed synthetic cohort: SDI values counted by hand below)."""
    from lupus_utils import read_cohort
    from lupus_utils.paths import SYNTHETIC_DIR
    from lupus_utils.presentation.report import open_chapter
    from lupus_utils.presentation.tables import table1

    sdi = read_cohort(SYNTHETIC_DIR)["patients"]["sdi"].astype(float)
    q1, med, q3 = np.percentile(sdi, [25, 50, 75], method="weibull")
    ch = open_chapter(None, None, "Synthetic cohort", False)
    row = table1(ch.results).set_index("Characteristic").loc["SLICC/ACR damage index"]
    assert row["Computed"] == f"{med:.0f} ({q1:.0f}–{q3:.0f})"


def test_counts_read_in_the_right_number():
    from lupus_utils.presentation.report import counted

    assert [counted(n, "patient") for n in (0, 1, 2, float("nan"), None)] == [
        "no patients", "1 patient", "2 patients", "no patients", "no patients"]
    assert counted(3, "flare", "flares") == "3 flares"


def test_flare_details_name_the_criteria_what_is_new_its_organ_and_what_was_done():
    """Hand-built: A flares at week 12 with new proteinuria (1.2 g/24 h) beside the arthritis she
    had, prednisone 5 -> 25 mg/day and an immunosuppressant started; B's PGA rises by 1 at week 4
    with nothing new. The criteria are those of the Flare Index itself."""
    from lupus_utils.science.instruments import prednisone_equivalent
    from lupus_utils.science.outcomes import sfi_flare
    from lupus_utils.presentation.tables import flare_details

    v = pd.DataFrame([
        visit(patient_id="A", week=0, sledai_arthritis=1, tender_joints=2, gc_drug="prednisone", gc_dose_mg=5.0),
        visit(patient_id="A", week=12, sledai_arthritis=1, tender_joints=2, sledai_proteinuria=1,
              proteinuria_g_24h=1.2, gc_drug="prednisone", gc_dose_mg=25.0, new_immunosuppressant=1),
        visit(patient_id="B", week=0, sledai_arthritis=1, tender_joints=2, pga=0.5),
        visit(patient_id="B", week=4, sledai_arthritis=1, tender_joints=2, pga=1.5),
    ])
    v["prednisone_mg"] = prednisone_equivalent(v)
    v["sfi_flare"] = sfi_flare(v)
    assert v["sfi_flare"].tolist()[1::2] == ["severe", "mild_moderate"]  # first visits have no previous one
    d = flare_details(v)
    assert list(d.index) == [1, 3]
    assert d.loc[1].to_dict() == {
        "SFI criteria met": "new or worse nephritis, requiring more glucocorticoid or hospital; "
                            "immunosuppressant started or escalated; SLEDAI-2K up by 3 or more; prednisone increased",
        "New descriptors": "proteinuria", "Organ": "renal",
        "Treatment change": "prednisone 5 → 25 mg/day; immunosuppressant started or escalated"}
    assert d.loc[3].to_dict() == {"SFI criteria met": "PGA up by 1 or more", "New descriptors": "none", "Organ": "–",
                                  "Treatment change": "none recorded"}


def test_every_sledai_descriptor_has_an_organ_and_every_flare_criterion_a_label():
    from lupus_utils.science.instruments import SLEDAI2K_WEIGHTS, SLEDAI_ORGANS
    from lupus_utils.science.outcomes import SFI_CRITERIA_LABELS, SFI_TREATMENT_CRITERIA, sfi_flare_criteria

    assert set(SLEDAI_ORGANS) == set(SLEDAI2K_WEIGHTS)
    criteria = sfi_flare_criteria(pd.DataFrame([visit()]))
    assert set(SFI_CRITERIA_LABELS) == set(criteria.columns)
    assert set(SFI_TREATMENT_CRITERIA) <= set(criteria.columns)


def test_adverse_event_listing_names_every_event_and_zoster_vaccination():
    from lupus_utils.presentation.tables import adverse_event_listing

    ae = pd.DataFrame({"event_id": ["E1", "E2", "E3"], "patient_id": ["A", "B", "C"], "week": [12, 4, 12],
                       "category": ["infection", "cardiovascular", "infection"],
                       "term": ["herpes zoster", "pulmonary embolism", "Herpes Zoster ophthalmicus"],
                       "serious": [1, 1, 0], "hospitalised": [0, 1, 0],
                       "action": ["temporary_suspension", "discontinuation", "none"]})
    patients = pd.DataFrame({"patient_id": ["A", "B", "C"], "hz_vaccinated": pd.array([0, 1, pd.NA], dtype="Int64")})
    out = adverse_event_listing(ae, patients)
    assert list(out["Event"]) == ["pulmonary embolism", "Herpes Zoster ophthalmicus", "herpes zoster"]
    assert list(out["Zoster vaccine"]) == ["", "not recorded", "no"]
    assert list(out["Action with anifrolumab"]) == ["discontinuation", "none", "temporary suspension"]
    assert list(out["Hospitalised"]) == ["yes", "no", "no"]


def test_headers_read_in_the_clinics_words():
    t = pd.DataFrame({"week": [4], "rate_per_100py": [3.2], "completers_median": [2.0], "p_exact": [0.01], "SLEDAI-2K": [4]})
    html = styled(t).to_html()
    for head in (">Week<", ">Rate per 100 patient-years<", ">Median of those observed<", ">p exact<", ">SLEDAI-2K<"):
        assert head in html, head
    assert "rate_per_100py" not in html.split("<tbody>")[0]
    from lupus_utils.presentation.journal import header
    assert header("nri_eligible_pct") == "Nri eligible pct"  # no label yet: spaces, never the code name


def test_table1_links_the_damage_index_row_to_its_audit_entry():
    """Where the paper's printed value cannot describe the cohort (SDI median 2 (1-3) for 26
    patients of whom 12 have SDI 0), Table 1 names the audit entry; rows the paper prints
    consistently name none."""
    from lupus_utils import read_cohort
    from lupus_utils.paths import SYNTHETIC_DIR
    from lupus_utils.science.results import compute_results
    from lupus_utils.presentation.scorecard import load_readings, load_targets
    from lupus_utils.presentation.tables import audit_link

    t = table1(compute_results(read_cohort(SYNTHETIC_DIR)), load_targets(), load_readings()).set_index("Characteristic")
    assert t.loc["SLICC/ACR damage index", "Paper audit"] == "inc27"
    assert t.loc["Mycophenolate mofetil", "Paper audit"] == "inc12"
    assert t.loc["Female", "Paper audit"] == "" and t.loc["SLEDAI-2K", "Paper audit"] == ""
    assert audit_link("inc27") == '<a href="11_consistency.html">inc27</a>' and audit_link("") == ""


def test_keyed_values_refuse_a_key_the_results_never_have():
    r = _results([("lldas", "observed_at_visit", 12, "n", 3), ("lldas", "observed_at_visit", 12, "denominator", 24)])
    with pytest.raises(KeyError, match="lldas / all / median; lldsa / observed_at_visit / n"):
        keyed_values(r, [("lldsa", "observed_at_visit", 12, "n"), ("lldas", "all", 0, "median"),
                         ("lldas", "observed_at_visit", 12, "pct")])
    # known key, a visit where nobody was assessed: a dash
    assert keyed_values(r, [("lldas", "observed_at_visit", 48, "n")])["shown"].tolist() == ["–"]


def test_keyed_values_on_a_cohort_with_nobody_in_a_subpopulation():
    """Nobody with mucocutaneous or joint activity at baseline: Table 1 and Table 2's keys for those
    subpopulations read as dashes, not as an error (a centre's cohort may lack them)."""
    from lupus_utils import read_cohort
    from lupus_utils.paths import SYNTHETIC_DIR
    from lupus_utils.science.results import compute_results
    tables = read_cohort(SYNTHETIC_DIR)
    tables["patients"] = tables["patients"].assign(mucocutaneous_active=0, articular_active=0)
    res = compute_results(tables)
    k = keyed_values(res, table1_keys() + table2_keys())
    shown = dict(zip(zip(k["measure"], k["population"], k["week"], k["statistic"]), k["shown"]))
    assert shown[("clasi_activity", "mucocutaneous_active_baseline", 0, "median")] == "–"
    assert shown[("tender_joints", "articular_active_baseline", 12, "p")] == "–"
    assert shown[("sledai2k", "all", 0, "median")] == "7.5"


# ---- journal tables (issue 16) -------------------------------------------------------------------

def _synthetic_results():
    from lupus_utils import read_cohort
    from lupus_utils.paths import SYNTHETIC_DIR
    from lupus_utils.science.results import compute_results
    return compute_results(read_cohort(SYNTHETIC_DIR))


def test_table2_puts_exactly_the_librarys_numbers_in_its_cells_with_n_in_the_header():
    from lupus_utils.presentation.tables import TABLE2_ROWS, WEEK_LABELS
    from lupus_utils.paths import EFFICACY_WEEKS
    res = _synthetic_results()
    t2 = table2(res)
    visits = [c for c in t2.columns if c not in ("Block", "Measure")]
    n = {w: int(res[(res.measure == "patients_at_visit") & (res.population == "observed_at_visit") & (res.week == w)
                    & (res.statistic == "n")]["value"].iloc[0]) for w in EFFICACY_WEEKS}
    assert visits == [f"{WEEK_LABELS[w]} (N={n[w]})" for w in EFFICACY_WEEKS]
    assert visits[:3] == ["Baseline (N=26)", "Week 4 (N=26)", "Week 12 (N=24)"]
    assert t2["Block"].tolist() == ["Median (IQR)"] * 7 + ["p vs baseline"] * 7   # one row per measure in each block
    values = keyed_values(res, table2_keys())
    for label, measure, pop in TABLE2_ROWS:
        med = t2[(t2.Block == "Median (IQR)") & (t2.Measure == label)].iloc[0]
        p = t2[(t2.Block == "p vs baseline") & (t2.Measure == label)].iloc[0]
        for w, col in zip(EFFICACY_WEEKS, visits):
            k = values[(values.measure == measure) & (values.population == pop) & (values.week == w)].set_index("statistic")
            assert med[col].split(", n=")[0] == f'{k.at["median", "shown"]} ({k.at["q1", "shown"]}–{k.at["q3", "shown"]})'
            assert p[col] == (k.at["p", "shown"] if w else "")
    # a subpopulation's n is given where it is smaller than the visit's N; never for the whole cohort's rows
    cell = t2[(t2.Block == "Median (IQR)") & (t2.Measure.str.startswith("CLASI-A"))]["Week 4 (N=26)"].iloc[0]
    assert cell.endswith(", n=19")
    assert ", n=" not in t2[t2.Measure == "SLEDAI-2K"]["Week 4 (N=26)"].iloc[0]


def test_table2_published_side_includes_the_baseline_the_paper_prints():
    """The baseline column describes the whole cohort (population 'all') in the targets, the later
    columns the patients observed: the published baseline was shown as a dash (issue 16)."""
    from lupus_utils.presentation.scorecard import load_targets
    from lupus_utils.presentation.tables import published_visit_n, table2_published
    res = _synthetic_results()
    t2 = table2(res)
    pub = table2_published(load_targets(), t2)
    base = pub[t2.Block == "Median (IQR)"].set_index(t2.loc[t2.Block == "Median (IQR)", "Measure"])["Baseline (N=26)"]
    assert base["SLEDAI-2K"] == "7.5 (6–10)" and base["SLE-DAS"] == "6.7 (5.3–13.2)"
    assert base["PGA (0-3)"] == "1.0 (1.0–1.6)" and base["Prednisone, mg/day"] == "7.3 (5–10)"
    p = pub[t2.Block == "p vs baseline"].set_index(t2.loc[t2.Block == "p vs baseline", "Measure"])
    assert p.at["SLEDAI-2K", "Baseline (N=26)"] == "" and p.at["SLEDAI-2K", "Week 4 (N=26)"] == "0.005"
    assert p.at["Tender joints (joint involvement)", "Week 12 (N=24)"] == "n.s."
    assert published_visit_n(load_targets(), t2)["Week 36 (N=13)"] == "N=13"


def test_journal_table_sets_the_published_value_under_the_computed_one_and_escapes_text():
    from lupus_utils.presentation.journal import journal_html
    t = pd.DataFrame({"Measure": ["SLEDAI-2K", "<script>x</script>"], "Week 12 (N=24)": ["5.5 (2–6.75)", "1"],
                      "p": [0.0004, 0.2], "Paper audit": ["inc27, inc07", ""]})
    pub = pd.DataFrame({"Week 12 (N=24)": ["5.5 (2–7)", ""]})
    html = journal_html(t, "t-demo", "Table X. A title", ["A footnote & more."], pub, {"Week 12 (N=24)": "N=24"},
                        links={"Paper audit": {"inc27": "11_consistency.html"}})
    assert '5.5 (2–6.75)<br><span class="published">5.5 (2–7)</span>' in html
    assert "Week 12<br>(N=24)" in html and '<span class="published">N=24</span>' in html
    assert "&lt;script&gt;x&lt;/script&gt;" in html and "<script>x" not in html
    assert "&lt;0.001" in html and "0.200" in html                          # p-values as SPSS prints them
    assert '<a href="11_consistency.html">inc27</a>, inc07' in html         # only the linked entry is a link
    assert "<p>A footnote &amp; more.</p>" in html and "<strong>Table X. A title</strong>" in html
    assert "googleapis" not in html and "http" not in html.replace("http-equiv", "")   # nothing loaded from outside
    assert html.count('class="published"') == 2                              # an empty published cell adds nothing


def test_published_beside_and_published_rows_split_tidy_downloads_for_the_page():
    from lupus_utils.presentation.tables import published_beside, published_rows
    t = pd.DataFrame({"Visit": ["w12", "w24"], "LLDAS": ["3/24 (12.5%)", "6/19 (31.6%)"], "Published LLDAS": ["3/24", "–"]})
    shown, pub = published_beside(t, {"LLDAS": "Published LLDAS"})
    assert shown.columns.tolist() == ["Visit", "LLDAS"] and pub["LLDAS"].tolist() == ["3/24", ""]
    t3 = pd.DataFrame({"Visit": ["Week 4", "Week 4"], "Source": ["computed", "published"], "Infections": ["3", "4"]})
    comp, pub3 = published_rows(t3)
    assert comp.to_dict("list") == {"Visit": ["Week 4"], "Infections": ["3"]}
    assert pub3.to_dict("list") == {"Visit": [""], "Infections": ["4"]}
    assert published_rows(t3[t3.Source == "computed"])[1] is None


def test_subgroup_view_moves_exclusion_counts_to_a_footnote():
    from lupus_utils.presentation.tables import SUBGROUP_EXCLUSIONS, in_sentence, subgroup_view
    t = pd.DataFrame({"week": [0, 4], "SDI = 0: n": [12, 12], "small group": ["", ""], "no group: n": [0, 0],
                      "no value: n": [0, 0]})
    shown, notes = subgroup_view(t)
    assert not set(SUBGROUP_EXCLUSIONS) & set(shown.columns)
    assert notes == ["No visit on treatment was left out (none with the grouping unknown or the measure missing)."]
    shown, notes = subgroup_view(t.assign(**{"no value: n": [0, 2], "small group": ["", "fewer than 5 in SDI = 0"]}))
    assert notes[0] == "Visits on treatment left out: 2 with the measure missing (per visit in the download)."
    assert notes[1].startswith("Small group")
    assert in_sentence("SLICC/ACR damage index") == "SLICC/ACR damage index"
    assert in_sentence("Reason for anifrolumab") == "reason for anifrolumab" and in_sentence("SDI = 0") == "SDI = 0"


def test_flare_details_name_the_criteria_a_missing_input_leaves_unknown():
    from conftest import patient, visit
    from lupus_utils.science.results import derive_visits
    from lupus_utils.presentation.tables import flare_details

    pts = pd.DataFrame([patient(patient_id="A", follow_up_weeks=4)])
    v = pd.DataFrame([visit(patient_id="A", week=0), visit(patient_id="A", week=4, hospitalised_for_sle=1, pga=np.nan)])
    d = derive_visits({"patients": pts, "visits": v})
    assert d["sfi_flare"].astype(str).tolist()[1] == "severe"          # hospitalisation decides, whatever the PGA
    from lupus_utils.science.outcomes import SFI_CRITERIA_LABELS as L

    row = flare_details(d, pts).iloc[0]["SFI criteria met"]
    assert row == (f"{L['severe_hospitalised_for_sle']} (unknown, an input missing: {L['severe_pga_gt2_5']}; "
                   f"{L['mild_pga_up_ge1']})")
