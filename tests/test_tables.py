"""Table helpers on hand-made results: numbers as shown, remission/LLDAS with published columns,
flare listing, events by term."""
import math

import numpy as np
import pandas as pd
import pytest

from conftest import non_responder_cohort
from lupus_utils.tables import (display_number, events_by_term, flare_table, n_of_text, non_responder_table,
                                remission_lldas_table, share_text, styled)


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


def test_share_text_rounds_half_up():
    assert share_text(3, 24) == "3/24 (13%)"     # 12.5%: half-up, not half-to-even
    assert share_text(1, 8) == "1/8 (13%)"       # 12.5% again
    assert share_text(7, 9) == "7/9 (78%)"
    assert share_text(2, 0) == "– (nobody assessed)" and share_text(float("nan"), 5) == "–"


def test_n_of_text():
    r = _results([("lldas", "observed_at_visit", 24, "n", 14), ("lldas", "observed_at_visit", 24, "denominator", 17),
                  ("lldas", "observed_at_visit", 12, "n", 3), ("lldas", "observed_at_visit", 12, "denominator", 24),
                  ("lldas", "observed_at_visit", 48, "n", 0), ("lldas", "observed_at_visit", 48, "denominator", 0)])
    assert n_of_text(r, "lldas", "observed_at_visit", 24) == "14/17 (82%)"
    assert n_of_text(r, "lldas", "observed_at_visit", 12) == "3/24 (13%)"   # 12.5% rounds half-up
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
    assert t["DORIS remission"].tolist() == ["5/20 (25%)", "6/15 (40%)", "3/4 (75%)"]
    assert t["LLDAS"].tolist() == ["7/20 (35%)", "12/15 (80%)", "5/5 (100%)"]
    # whatever parts the paper prints are shown; a dash where it prints none
    assert t["Published remission"].tolist() == ["5/20 (25%)", "40%", "–"]
    assert t["Published LLDAS"].tolist() == ["7/20", "–", "–"]
    assert "Published LLDAS" not in remission_lldas_table(_results(rows)).columns


def _flare_visits(n):
    return pd.DataFrame({"patient_id": [f"P{i}" for i in range(n + 1)], "week": [36] + [24] * (n - 1) + [4],
                         "sfi_flare": ["severe"] + ["mild_moderate"] * (n - 1) + ["none"],
                         "sledai2k": [10] * n + [2], "pga": [1.5] * n + [0.3], "prednisone_mg": [7.5] * n + [5.0]})


def test_flare_table_lists_flares_in_order_of_visit():
    t = flare_table(_flare_visits(3))
    assert t.columns.tolist() == ["Flare", "Week", "SFI category", "SLEDAI-2K", "PGA", "Prednisone, mg/day",
                                  "New or worse", "Organ", "Treatment change"]
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
    assert row.tolist() == [4, 1, 0, 1, "2/4 (50%)", 1]
    empty = non_responder_table(pts[pts["patient_id"] == "S"], v[v["patient_id"] == "S"]).iloc[0]
    assert empty.tolist() == [0, 0, 0, 0, "– (nobody eligible)", 1]


def test_table1_gives_the_damage_index_median_over_every_patient():
    """Chapter 1 shows the SLICC/ACR damage index median (IQR) of the whole cohort, computed from
    the patients table (the committed synthetic cohort: SDI values counted by hand below)."""
    from lupus_utils import read_cohort
    from lupus_utils.paths import SYNTHETIC_DIR
    from lupus_utils.report import open_chapter
    from lupus_utils.tables import table1

    sdi = read_cohort(SYNTHETIC_DIR)["patients"]["sdi"].astype(float)
    q1, med, q3 = np.percentile(sdi, [25, 50, 75], method="weibull")
    ch = open_chapter(None, None, "Synthetic cohort", False)
    row = table1(ch.results).set_index("Characteristic").loc["SLICC/ACR damage index"]
    assert row["Computed"] == f"{med:.0f} ({q1:.0f}–{q3:.0f})"


def test_counts_read_in_the_right_number():
    from lupus_utils.report import counted

    assert [counted(n, "patient") for n in (0, 1, 2, float("nan"), None)] == [
        "no patients", "1 patient", "2 patients", "no patients", "no patients"]
    assert counted(3, "flare", "flares") == "3 flares"


def test_flare_details_name_what_is_new_its_organ_and_what_was_done():
    """Hand-built: patient A flares at week 12 with new proteinuria beside persisting arthritis,
    prednisone 5 -> 25 mg/day and an immunosuppressant started; patient B flares at week 4 with
    only the arthritis she already had."""
    from lupus_utils.tables import SLEDAI_ORGANS, flare_details

    rows = []
    for pid, week, flare, pred, items, new_is in [
        ("A", 0, "none", 5.0, {"sledai_arthritis"}, 0), ("A", 12, "severe", 25.0, {"sledai_arthritis", "sledai_proteinuria"}, 1),
        ("B", 0, "none", 7.5, {"sledai_arthritis"}, 0), ("B", 4, "mild_moderate", 7.5, {"sledai_arthritis"}, 0),
    ]:
        r = {"patient_id": pid, "week": week, "sfi_flare": flare, "prednisone_mg": pred,
             "new_immunosuppressant": new_is, "hcq_or_nsaid_added": 0, "hospitalised_for_sle": 0}
        r.update({c: int(c in items) for c in SLEDAI_ORGANS})
        rows.append(r)
    visits = pd.DataFrame(rows)
    visits["sfi_flare"] = pd.Categorical(visits["sfi_flare"], categories=["none", "mild_moderate", "severe"])
    d = flare_details(visits)
    assert list(d.index) == [1, 3]
    assert d.loc[1].to_dict() == {"New or worse": "proteinuria", "Organ": "renal",
                                  "Treatment change": "prednisone 5 → 25 mg/day; immunosuppressant started or escalated"}
    assert d.loc[3].to_dict() == {"New or worse": "arthritis (persisting)", "Organ": "musculoskeletal",
                                  "Treatment change": "none recorded"}


def test_adverse_event_listing_names_every_event_and_zoster_vaccination():
    from lupus_utils.tables import adverse_event_listing

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
