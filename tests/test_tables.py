"""Table helpers on hand-made results: numbers as shown, remission/LLDAS with published columns,
flare listing, events by term."""
import math

import numpy as np
import pandas as pd
import pytest

from lupus_utils.tables import (display_number, events_by_term, flare_table, n_of_text, remission_lldas_table,
                                styled)


def _results(rows):
    return pd.DataFrame([{"measure": m, "population": p, "week": w, "statistic": s, "value": v, "denominator": np.nan}
                         for m, p, w, s, v in rows])


@pytest.mark.parametrize("x, shown", [(12.0, "12"), (3, "3"), (1.5, "1.5"), (2.978, "2.978"), (13.25, "13.25"),
                                      (0.0495, "0.0495"), (0.000324, "0.000324"), (0.45, "0.45"),
                                      (float("nan"), "–"), (None, "–")])
def test_display_number(x, shown):
    assert display_number(x) == shown


def test_styled_shows_a_count_with_a_gap_as_whole_numbers():
    html = styled(pd.DataFrame({"n": [12.0, np.nan], "label": ["a", None]})).to_html()
    assert ">12<" in html and "12.000" not in html and html.count(">–<") == 2


def test_n_of_text():
    r = _results([("lldas", "observed_at_visit", 24, "n", 15), ("lldas", "observed_at_visit", 24, "denominator", 19),
                  ("lldas", "observed_at_visit", 48, "n", 0), ("lldas", "observed_at_visit", 48, "denominator", 0)])
    assert n_of_text(r, "lldas", "observed_at_visit", 24) == "15/19 (79%)"
    assert n_of_text(r, "lldas", "observed_at_visit", 48) == "– (nobody assessed)"
    assert n_of_text(r, "lldas", "observed_at_visit", 12) == "– (nobody assessed)"


def test_remission_lldas_table_with_and_without_published_values():
    rows = []
    for w, (rem, lldas, den) in {12: (8, 10, 24), 24: (9, 15, 19), 48: (6, 7, 7)}.items():
        rows += [("doris_remission", "observed_at_visit", w, "n", rem), ("doris_remission", "observed_at_visit", w, "denominator", den),
                 ("lldas", "observed_at_visit", w, "n", lldas), ("lldas", "observed_at_visit", w, "denominator", den)]
    targets = pd.DataFrame({"target_id": ["res_remission_w12_n", "res_remission_w12_den", "res_remission_w12_pct",
                                          "res_lldas_w12_n", "res_lldas_w12_den"],
                            "display": ["8", "24", "33%", "10", "24"]})
    t = remission_lldas_table(_results(rows), targets)
    assert t["Visit"].tolist() == ["3 months (week 12)", "6 months (week 24)", "12 months (week 48)"]
    assert t["DORIS remission"].tolist() == ["8/24 (33%)", "9/19 (47%)", "6/7 (86%)"]
    assert t["LLDAS"].tolist() == ["10/24 (42%)", "15/19 (79%)", "7/7 (100%)"]
    # a published value is shown only when count, denominator and percentage are all printed
    assert t["Published remission"].tolist() == ["8/24 (33%)", "–", "–"]
    assert t["Published LLDAS"].tolist() == ["–", "–", "–"]
    assert "Published LLDAS" not in remission_lldas_table(_results(rows)).columns


def _flare_visits(n):
    return pd.DataFrame({"patient_id": [f"P{i}" for i in range(n + 1)], "week": [36] + [24] * (n - 1) + [4],
                         "sfi_flare": ["severe"] + ["mild_moderate"] * (n - 1) + ["none"],
                         "sledai2k": [10] * n + [2], "pga": [1.5] * n + [0.3], "prednisone_mg": [7.5] * n + [5.0]})


def test_flare_table_lists_flares_in_order_of_visit():
    t = flare_table(_flare_visits(3))
    assert t["Flare"].tolist() == [1, 2, 3]
    assert t["week"].tolist() == [24, 24, 36]
    assert t["SFI category"].tolist() == ["mild_moderate", "mild_moderate", "severe"]


def test_flare_table_counts_by_visit_beyond_the_listing_limit():
    t = flare_table(_flare_visits(5), listing_limit=4)
    assert "Flare" not in t.columns
    assert t.set_index(["week", "SFI category"])["flares"].to_dict() == {(24, "mild_moderate"): 4, (36, "severe"): 1}


def test_events_by_term():
    ae = pd.DataFrame({"category": ["infection"] * 4 + ["other"],
                       "term": ["COVID-19", "cellulitis", "COVID-19", "Herpes zoster", "fatigue"]})
    t = events_by_term(ae, "infection")
    assert list(zip(t["term"], t["events"])) == [("COVID-19", 2), ("Herpes zoster", 1), ("cellulitis", 1)]
    assert math.isclose(t["events"].sum(), 4)
