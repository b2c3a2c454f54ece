"""Derived analyses on hand-made cohorts: exposure, safety rates, zoster by vaccination."""
import math

import pandas as pd
import pytest

from lupus_utils.paths import LLDAS_WEEKS, STATE_WEEKS, VISIT_WEEKS

from lupus_utils.science.results import WEEKS_PER_YEAR, exposure_years, safety_rates, zoster_by_vaccination


def _cohort():
    p = pd.DataFrame({"patient_id": ["A", "B", "C"], "follow_up_weeks": [52, 26, 104],
                      "anifrolumab_stop_week": [None, 13, None], "hz_vaccinated": [1, 0, 0]})
    ae = pd.DataFrame({"patient_id": ["A", "B", "C", "C"], "category": ["infection", "infection", "other", "infection"],
                       "term": ["COVID-19", "Herpes zoster", "fatigue", "herpes zoster "], "serious": [0, 1, 0, 0]})
    return {"patients": p, "adverse_events": ae}


def test_exposure_stops_at_discontinuation():
    assert exposure_years(_cohort()["patients"]).tolist() == pytest.approx([52 / WEEKS_PER_YEAR, 13 / WEEKS_PER_YEAR, 104 / WEEKS_PER_YEAR])


def test_safety_rates_per_100_patient_years():
    out = safety_rates(_cohort()).set_index("event")
    years = (52 + 13 + 104) / WEEKS_PER_YEAR          # 3.2389 patient-years
    assert out.loc["All adverse events", "events"] == 4
    assert out.loc["Infections", "rate_per_100py"] == pytest.approx(300 / years)
    assert out.loc["Herpes zoster", "events"] == 2 and out.loc["Serious adverse events", "events"] == 1
    # exact Poisson upper limit for 1 event: chi2(0.975, 4)/2 = 5.5716
    assert out.loc["Serious adverse events", "ci_high"] == pytest.approx(100 * 5.5716 / years, rel=1e-4)


def test_zoster_by_vaccination():
    out = zoster_by_vaccination(_cohort()).set_index("zoster_vaccine")
    assert (out.loc["not vaccinated", "patients"], out.loc["not vaccinated", "with_zoster"]) == (2, 2)
    assert (out.loc["vaccinated", "patients"], out.loc["vaccinated", "with_zoster"]) == (1, 0)
    # Wilson interval for 0/1 at 95%, in percent: [0, 100 z^2 / (1 + z^2)] = [0, 79.345]
    z2 = 1.959963984540054 ** 2
    assert out.loc["vaccinated", "wilson_low"] == 0
    assert out.loc["vaccinated", "wilson_high"] == pytest.approx(100 * z2 / (1 + z2), abs=1e-3)


def test_data_flow_counts_every_exclusion():
    from lupus_utils.science.results import data_flow
    tables = {"patients": pd.DataFrame({"patient_id": ["A", "B"], "follow_up_weeks": [36, 12]}),
              "visits": pd.DataFrame({"patient_id": ["A", "A", "A", "B"]}), "adverse_events": pd.DataFrame({"patient_id": []})}
    visits = pd.DataFrame({"on_treatment": [True, True, False, True], "week": [0, 48, 72, 12]})
    flow = data_flow(tables, visits).set_index("data")
    assert flow.loc["visits in the efficacy analyses", ["analysed", "excluded"]].tolist() == [3, 1]
    # of the 3 on treatment, the week-48 visit is outside Table 2's weeks: counted, not dropped
    assert flow.loc["on-treatment visits in the efficacy summaries (Table 2)",
                    ["rows in", "analysed", "excluded"]].tolist() == [3, 2, 1]
    assert flow.loc["patients in the non-responder rule", ["analysed", "excluded"]].tolist() == [1, 1]
    assert flow.loc["adverse_events table", "rows in"] == 0


def test_compute_results_on_a_cohort_without_skin_or_joint_involvement():
    """A centre's cohort may have nobody in a subpopulation: those statistics are not computed,
    the rest are."""
    from lupus_utils import read_cohort
    from lupus_utils.paths import SYNTHETIC_DIR
    from lupus_utils.science.results import compute_results
    tables = read_cohort(SYNTHETIC_DIR)
    tables["patients"] = tables["patients"].assign(mucocutaneous_active=0, articular_active=0)
    res = compute_results(tables)
    full = compute_results(read_cohort(SYNTHETIC_DIR))
    for pop, measure in (("mucocutaneous_active_baseline", "clasi_activity"), ("articular_active_baseline", "tender_joints")):
        sub = res[(res["population"] == pop) & (res["measure"] == measure)]
        n = sub[sub["statistic"] == "n"].set_index("week")["value"]
        assert n.to_dict() == {w: 0 for w in VISIT_WEEKS}, pop  # every visit present, at 0
        assert not (sub["statistic"] == "p").any()
    # the all-patient statistics are those of the unmodified cohort
    keys = ["measure", "population", "week", "statistic"]
    mine = res[res["measure"] == "sledai2k"].set_index(keys)["value"]
    assert mine.equals(full[full["measure"] == "sledai2k"].set_index(keys)["value"]) and len(mine) > 20


def test_proportions_with_ci_reads_counts_and_keeps_rows_nobody_was_assessed_for():
    from scipy.stats import beta

    from lupus_utils.science.results import proportions_with_ci
    res = pd.DataFrame({"measure": ["lldas", "lldas"], "population": ["observed_at_visit"] * 2,
                        "week": [12.0, 12.0], "statistic": ["n", "denominator"], "value": [8.0, 24.0]})
    out = proportions_with_ci(res, [("LLDAS, week 12", "lldas", "observed_at_visit", 12),
                                    ("LLDAS, week 48", "lldas", "observed_at_visit", 48)])
    assert out["Outcome"].tolist() == ["LLDAS, week 12", "LLDAS, week 48"]
    row = out.iloc[0]
    assert row["n/N"] == "8/24" and row["%"] == "33.3"  # one decimal, half up
    # Wilson by hand: centre (8 + 1.96²/2) / (24 + 1.96²) = 0.3563, half-width 0.1766 -> 18-53%
    assert row["Wilson 95% CI"] == "18.0–53.3"
    low, high = beta.ppf(0.025, 8, 17), beta.ppf(0.975, 9, 16)  # Clopper-Pearson
    assert row["Exact 95% CI"] == f"{100 * low:.1f}–{100 * high:.1f}" == "15.6–55.3"
    assert out.iloc[1][["n/N", "Wilson 95% CI", "Exact 95% CI"]].tolist() == ["–", "–", "–"]


def test_response_rates_count_visits_that_cannot_be_assessed():
    from lupus_utils.science.results import response_rates
    v = pd.DataFrame({"on_treatment": [True] * 5 + [False], "week": [12] * 6,
                      "resp": pd.array([True, True, False, pd.NA, pd.NA, True], dtype="boolean")})
    out = response_rates(v, {"resp": "A response"}, weeks=(12, 24))
    assert out[["Week", "n/N", "not assessable"]].values.tolist() == [[12, "2/3", 2], [24, "–", 0]]
    assert out.loc[0, "%"] == "66.7" and out.loc[1, "Wilson 95% CI"] == "–"


def test_result_value_tells_a_missing_week_from_a_misspelt_key():
    from lupus_utils.science.results import proportions_with_ci, result_value
    res = pd.DataFrame({"measure": ["lldas", "lldas"], "population": ["observed_at_visit"] * 2,
                        "week": [12.0, 12.0], "statistic": ["n", "denominator"], "value": [8.0, 24.0]})
    assert result_value(res, "lldas", "observed_at_visit", 12, "n") == 8.0
    assert math.isnan(result_value(res, "lldas", "observed_at_visit", 48, "n"))  # nobody followed that long
    with pytest.raises(KeyError, match="'lldass' / 'observed_at_visit' / 'n'"):
        result_value(res, "lldass", "observed_at_visit", 12, "n")
    with pytest.raises(KeyError):
        proportions_with_ci(res, [("typo", "doris_remision", "observed_at_visit", 12)])


def test_context_percentages_agree_with_the_chapters_own_counts():
    """Chapter 10's side of the comparison, checked against independent counts: CLASI-A 50% at
    week 12 among the assessable (as chapter 09's response_rates counts it) and patients with
    herpes zoster counted from the adverse-events table directly."""
    from lupus_utils import read_cohort
    from lupus_utils.science.outcomes import clasi_a_response
    from lupus_utils.paths import SYNTHETIC_DIR
    from lupus_utils.science.results import compute_results, context_percentages, derive_visits, response_rates
    tables = read_cohort(SYNTHETIC_DIR)
    v = derive_visits(tables)
    out = context_percentages(compute_results(tables), v, tables).set_index("metric")
    clasi = response_rates(v.assign(c=clasi_a_response(v)), {"c": "CLASI-A 50"}, weeks=(12,)).iloc[0]
    assert f'{int(out.loc["clasi_a50", "n"])}/{int(out.loc["clasi_a50", "denominator"])}' == clasi["n/N"]
    ae = tables["adverse_events"]
    zoster = ae.loc[ae["term"].str.lower() == "herpes zoster", "patient_id"].nunique()
    assert out.loc["herpes_zoster", "value"] == pytest.approx(100 * zoster / len(tables["patients"]))
    assert out.loc["lldas", "week"].tolist() == list(LLDAS_WEEKS)
    assert out.loc["doris_remission", "week"].tolist() == list(STATE_WEEKS[1:])


def test_subgroup_comparison_counts_what_it_leaves_out():
    """Two SDI groups of three, plus a visit with no group and one with no value: the medians,
    Mann-Whitney U = 0 (SPSS asymptotic z = -4.5 / sqrt(3 x 3 x 7 / 12) = -1.964, p = 0.0495;
    exact p = 2 / C(6, 3) = 0.1), and the two left-out visits counted."""
    from lupus_utils.science.subgroups import subgroup_comparison
    v = pd.DataFrame({"week": [0] * 8, "on_treatment": [True] * 8,
                      "sdi_group": ["SDI = 0"] * 3 + ["SDI > 0"] * 3 + [None, "SDI > 0"],
                      "sledai2k": [1, 2, 3, 4, 5, 6, 8, None]})
    row = subgroup_comparison(v, "sdi_group", "sledai2k", weeks=(0,)).iloc[0]
    assert row["SDI = 0: n"] == 3 and row["SDI > 0: n"] == 3
    assert row["SDI = 0: median (IQR)"] == "2 (1–3)" and row["SDI > 0: median (IQR)"] == "5 (4–6)"
    assert row["Mann-Whitney p"] == pytest.approx(0.0495, abs=1e-4)
    assert row["exact p"] == pytest.approx(0.1)
    assert row["no group: n"] == 1 and row["no value: n"] == 1
    assert row["Holm p"] == pytest.approx(0.0495, abs=1e-4)  # one week: nothing to adjust
    assert row["small group"] == "fewer than 5 in SDI = 0, SDI > 0"


def test_subgroup_comparison_adjusts_across_its_weeks():
    """Two weeks with the same data: Holm multiplies the smaller p by 2 and keeps the step-down
    monotone, so both adjusted values are 2 x 0.0495."""
    from lupus_utils.science.subgroups import subgroup_comparison
    v = pd.DataFrame({"week": [0] * 6 + [4] * 6, "on_treatment": [True] * 12,
                      "sdi_group": (["SDI = 0"] * 3 + ["SDI > 0"] * 3) * 2, "sledai2k": [1, 2, 3, 4, 5, 6] * 2})
    t = subgroup_comparison(v, "sdi_group", "sledai2k", weeks=(0, 4))
    assert t["Holm p"].tolist() == pytest.approx([0.0990, 0.0990], abs=2e-4)


def test_safety_results_count_serious_events():
    """The hand-made cohort has one serious event (B's herpes zoster) among four."""
    from lupus_utils.science.results import safety_results
    c = _cohort()
    v = pd.DataFrame({"patient_id": ["A", "B", "C"], "week": [0, 0, 0]})
    ae = c["adverse_events"].assign(week=[4, 4, 12, 12], action="none", hospitalised=0)
    rows = pd.DataFrame(safety_results(c["patients"].assign(age_years=[40, 50, 60]), v, ae))
    serious = rows[(rows["measure"] == "serious_adverse_events") & (rows["population"] == "all")]
    assert serious["value"].tolist() == [1]


def test_gap_input_labels_name_every_gap_input_in_order():
    from lupus_utils.science.gaps import GAP_INPUTS
    from lupus_utils.science.results import gap_input_labels
    labels = gap_input_labels()
    assert labels[:2] == ["PGA", "Glucocorticoid dose"] and labels[-1] == "Haemoglobin"
    assert len(labels) == len(GAP_INPUTS) == 10
