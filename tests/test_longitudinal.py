"""Tests of lupus_utils.science.longitudinal on hand-made data with hand-computed answers, on a textbook
Kaplan-Meier example, and once end to end on the synthetic cohort."""
from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("statsmodels")
pytest.importorskip("lifelines")

from lupus_utils.science import longitudinal as L  # noqa: E402
from lupus_utils.paths import SYNTHETIC_DIR  # noqa: E402
from lupus_utils.presentation.plots import km_figure  # noqa: E402


# ---------------------------------------------------------------------------------------------
# toy cohort (dtypes as derive_visits gives them: Int64 weeks, nullable booleans)
# ---------------------------------------------------------------------------------------------

def _visits(rows):
    """rows: (patient_id, week, on_treatment, state) with state None for not recorded."""
    df = pd.DataFrame(rows, columns=["patient_id", "week", "on_treatment", "remission"])
    df["week"] = df["week"].astype("Int64")
    df["on_treatment"] = df["on_treatment"].astype("boolean")
    df["remission"] = df["remission"].astype("boolean")
    return df


def _patients(rows):
    """rows: (patient_id, follow_up_weeks, anifrolumab_stop_week, anifrolumab_stop_reason)."""
    df = pd.DataFrame(rows, columns=["patient_id", "follow_up_weeks", "anifrolumab_stop_week",
                                     "anifrolumab_stop_reason"])
    df["follow_up_weeks"] = df["follow_up_weeks"].astype("Int64")
    df["anifrolumab_stop_week"] = df["anifrolumab_stop_week"].astype("Int64")
    return df


# A: followed to 48, on drug throughout.
# B: stopped anifrolumab at week 12 (assessed on drug at 12), followed to 24; the week-24 visit is
#    "discontinued" (on_treatment False) and its state, although True, must never count.
# C: follow-up ended at week 12 (administrative), still on drug.
# D: in remission at baseline, missed week 4 and 24, state not recorded at 36, remission at 48.
TOY_VISITS = _visits([
    ("A", 0, True, False), ("A", 4, True, False), ("A", 12, True, True), ("A", 24, True, True),
    ("A", 36, True, False), ("A", 48, True, True),
    ("B", 0, True, False), ("B", 4, True, True), ("B", 12, True, True), ("B", 24, False, True),
    ("C", 0, True, False), ("C", 4, True, False), ("C", 12, True, True),
    ("D", 0, True, True), ("D", 12, True, False), ("D", 36, True, None), ("D", 48, True, True),
])
TOY_PATIENTS = _patients([
    ("A", 48, None, None), ("B", 24, 12, "flare"), ("C", 12, None, None), ("D", 48, None, None),
])

# Hand counts (week: completers n/den, NRI n/den, NRI-eligible n/den, LOCF n/den):
#  4: assessed A-,B+,C- -> 1/3; NRI 1/4; eligible all 4 (follow-up >= 4) -> 1/4;
#     LOCF A-(4) B+(4) C-(4) D+(0, baseline carried) -> 2/4
# 12: A+,B+,C+,D- -> 3/4; NRI 3/4; eligible 4 -> 3/4; LOCF same visits -> 3/4
# 24: only A assessed on drug (+) -> 1/1; NRI 1/4; eligible A (fu 48), B (stopped 12 <= 24),
#     D (fu 48), not C (fu 12) -> 1/3; LOCF A+(24) B+(12) C+(12) D-(12) -> 3/4
# 48: A+,D+ -> 2/2; NRI 2/4; eligible A,B,D -> 2/3; LOCF A+(48) B+(12) C+(12) D+(48) -> 4/4
EXPECTED = pd.DataFrame({
    "week": [4, 12, 24, 48],
    "completers_n": [1, 3, 1, 2], "completers_den": [3, 4, 1, 2],
    "nri_n": [1, 3, 1, 2], "nri_den": [4, 4, 4, 4],
    "nri_eligible_n": [1, 3, 1, 2], "nri_eligible_den": [4, 4, 3, 3],
    "locf_n": [2, 3, 3, 4], "locf_den": [4, 4, 4, 4],
})


def test_responder_table_hand_counts():
    out = L.responder_table(TOY_VISITS, TOY_PATIENTS, "remission", weeks=(4, 12, 24, 48))
    assert list(out.columns) == [
        "week", "completers_n", "completers_den", "completers_pct", "nri_n", "nri_den", "nri_pct",
        "nri_eligible_n", "nri_eligible_den", "nri_eligible_pct", "locf_n", "locf_den", "locf_pct"]
    pd.testing.assert_frame_equal(out[EXPECTED.columns].astype("int64"), EXPECTED)
    w24 = out.set_index("week").loc[24]
    assert w24["completers_pct"] == pytest.approx(100.0)
    assert w24["nri_pct"] == pytest.approx(25.0)
    assert w24["nri_eligible_pct"] == pytest.approx(100 / 3)
    assert w24["locf_pct"] == pytest.approx(75.0)
    assert out.set_index("week").loc[4, "completers_pct"] == pytest.approx(100 / 3)


def test_responder_table_default_weeks_and_row_order_invariance():
    shuffled = TOY_VISITS.sample(frac=1.0, random_state=3)
    out = L.responder_table(shuffled, TOY_PATIENTS, "remission")
    assert out["week"].tolist() == [12, 24, 48]
    pd.testing.assert_frame_equal(
        out[EXPECTED.columns].astype("int64").reset_index(drop=True),
        EXPECTED[EXPECTED["week"] != 4].reset_index(drop=True))


def test_responder_table_refuses_bad_input():
    with pytest.raises(ValueError, match="not scheduled"):
        L.responder_table(TOY_VISITS, TOY_PATIENTS, "remission", weeks=(13,))
    with pytest.raises(ValueError, match="not in patients"):
        L.responder_table(TOY_VISITS, TOY_PATIENTS[TOY_PATIENTS["patient_id"] != "D"], "remission")
    with pytest.raises(ValueError, match="more than one row"):
        L.responder_table(pd.concat([TOY_VISITS, TOY_VISITS.head(1)]), TOY_PATIENTS, "remission")
    with pytest.raises(KeyError):
        L.responder_table(TOY_VISITS, TOY_PATIENTS, "no_such_state")


# ---------------------------------------------------------------------------------------------
# time_to_first / time_on_drug
# ---------------------------------------------------------------------------------------------

def test_time_to_first_hand_made():
    v = _visits([
        ("P1", 0, True, True), ("P1", 4, True, False), ("P1", 12, True, False),  # baseline state ignored
        ("P2", 0, True, False), ("P2", 4, True, True), ("P2", 12, True, True),    # first at 4
        ("P3", 0, True, False), ("P3", 4, True, False), ("P3", 12, True, False),
        ("P3", 24, False, True),                                                  # after stop: unused
        ("P4", 0, True, False), ("P4", 4, True, None),                            # only baseline assessed
    ])
    p = _patients([("P1", 12, None, None), ("P2", 12, None, None), ("P3", 24, 12, "flare"),
                   ("P4", 4, None, None), ("P5", 0, None, None)])            # P5: no visits at all
    out = L.time_to_first(v, p, "remission")
    assert out["patient_id"].tolist() == ["P1", "P2", "P3", "P4", "P5"]
    assert out["duration"].tolist()[:4] == [12.0, 4.0, 12.0, 0.0]
    assert math.isnan(out["duration"].iloc[4])
    assert out["event"].tolist() == [0, 1, 0, 0, 0]


def test_time_to_first_toy_cohort():
    out = L.time_to_first(TOY_VISITS, TOY_PATIENTS, "remission").set_index("patient_id")
    # A first at 12; B at 4; C at 12; D: baseline remission ignored, 12 no, 36 missing, 48 yes
    assert out["duration"].to_dict() == {"A": 12.0, "B": 4.0, "C": 12.0, "D": 48.0}
    assert out["event"].tolist() == [1, 1, 1, 1]


def test_time_on_drug_hand_made():
    out = L.time_on_drug(TOY_PATIENTS)
    assert out["patient_id"].tolist() == ["A", "B", "C", "D"]
    assert out["duration"].tolist() == [48.0, 12.0, 12.0, 48.0]
    assert out["event"].tolist() == [0, 1, 0, 0]
    assert out["stop_reason"].tolist()[1] == "flare"


# ---------------------------------------------------------------------------------------------
# Kaplan-Meier: Freireich 1963 6-MP arm (Kleinbaum DG, Klein M. Survival Analysis, ch. 2)
# ---------------------------------------------------------------------------------------------

SIX_MP = pd.DataFrame({
    "duration": [6, 6, 6, 6, 7, 9, 10, 10, 11, 13, 16, 17, 19, 20, 22, 23, 25, 32, 32, 34, 35],
    "event": [1, 1, 1, 0, 1, 0, 1, 0, 0, 1, 1, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0],
})
# Product-limit table by hand: t, n_j at risk, d_j events, S(t)
KM_TABLE = [
    (6, 21, 3, 18 / 21),
    (7, 17, 1, 18 / 21 * 16 / 17),
    (10, 15, 1, 18 / 21 * 16 / 17 * 14 / 15),
    (13, 12, 1, 18 / 21 * 16 / 17 * 14 / 15 * 11 / 12),
    (16, 11, 1, 18 / 21 * 16 / 17 * 14 / 15 * 11 / 12 * 10 / 11),
    (22, 7, 1, 18 / 21 * 16 / 17 * 14 / 15 * 11 / 12 * 10 / 11 * 6 / 7),
    (23, 6, 1, 18 / 21 * 16 / 17 * 14 / 15 * 11 / 12 * 10 / 11 * 6 / 7 * 5 / 6),
]
PUBLISHED = {6: 0.8571, 7: 0.8067, 10: 0.7529, 13: 0.6902, 16: 0.6275, 22: 0.5378, 23: 0.4482}


def _at(curve: pd.DataFrame, t: float, col: str = "estimate") -> float:
    return float(curve.loc[curve["timeline"] <= t, col].iloc[-1])


def test_kaplan_meier_freireich_6mp():
    res = L.kaplan_meier(SIX_MP, "6-MP", at=[t for t, *_ in KM_TABLE])
    curve = res["survival"]
    for t, _, _, s in KM_TABLE:
        assert _at(curve, t) == pytest.approx(s, abs=1e-12)
        assert _at(curve, t) == pytest.approx(PUBLISHED[t], abs=5e-5)
    assert _at(curve, 35) == pytest.approx(PUBLISHED[23], abs=5e-5)   # flat after the last event
    assert res["median"] == 23.0
    # Brookmeyer-Crowley with the log-log band: lower band first <= 0.5 at t = 13 (0.432; at
    # t = 10 it is 0.503), upper band never reaches 0.5 (0.680 at t = 23)
    assert res["median_ci"] == (13.0, math.inf)
    # risk sets n_j and cumulative counts, by hand from the data
    assert res["at_risk"]["at_risk"].tolist() == [n for _, n, _, _ in KM_TABLE]
    assert res["at_risk"]["events_cum"].tolist() == [3, 4, 5, 6, 7, 8, 9]
    assert res["at_risk"]["censored_cum"].tolist() == [1, 1, 3, 4, 4, 7, 7]
    assert res["n"] == 21 and res["n_excluded"] == 0
    assert res["fitter"].label == "6-MP"


def test_kaplan_meier_greenwood_loglog_ci():
    """95% CI at t = 6 by hand: Greenwood sum 3/(21*18); se of log(-log S) = sqrt(sum)/|log S|;
    CI = S ** exp(+-1.96 se) = (0.6197, 0.9516) (as printed by Stata sts list)."""
    s = 18 / 21
    se = math.sqrt(3 / (21 * 18)) / abs(math.log(s))
    z = 1.959963984540054
    lo, hi = s ** math.exp(z * se), s ** math.exp(-z * se)
    assert (lo, hi) == pytest.approx((0.6197, 0.9516), abs=1e-4)
    res = L.kaplan_meier(SIX_MP, "6-MP")
    assert _at(res["survival"], 6, "ci_low") == pytest.approx(lo, abs=1e-9)
    assert _at(res["survival"], 6, "ci_high") == pytest.approx(hi, abs=1e-9)


def test_kaplan_meier_cumulative_flips_curve_and_ci():
    res = L.kaplan_meier(SIX_MP, "6-MP", cumulative=True)
    curve = res["survival"]
    assert res["cumulative"] is True
    assert _at(curve, 0) == 0.0
    assert _at(curve, 6) == pytest.approx(3 / 21, abs=1e-12)
    assert _at(curve, 23) == pytest.approx(1 - KM_TABLE[-1][3], abs=1e-12)
    assert _at(curve, 6, "ci_low") == pytest.approx(1 - 0.9516, abs=1e-4)
    assert _at(curve, 6, "ci_high") == pytest.approx(1 - 0.6197, abs=1e-4)
    assert (curve["ci_low"] <= curve["estimate"] + 1e-12).all()
    assert (curve["estimate"] <= curve["ci_high"] + 1e-12).all()
    assert res["median"] == 23.0


def test_kaplan_meier_median_not_reached_and_missing_rows():
    frame = pd.DataFrame({"duration": [4.0, 12.0, 24.0, 24.0, np.nan], "event": [1, 0, 0, 0, 0]})
    res = L.kaplan_meier(frame, "x", at=(0, 4, 12, 24))
    assert res["median"] == math.inf
    assert res["n"] == 4 and res["n_excluded"] == 1
    # at 4: 4 at risk (durations >= 4), 1 event; at 24: 2 at risk, 3 censored by then
    assert res["at_risk"].to_dict("list") == {"week": [0, 4, 12, 24], "at_risk": [4, 4, 3, 2],
                                              "events_cum": [0, 1, 1, 1], "censored_cum": [0, 0, 1, 3]}
    assert _at(res["survival"], 30) == pytest.approx(0.75)


# ---------------------------------------------------------------------------------------------
# mixed model
# ---------------------------------------------------------------------------------------------

# Balanced: 4 patients x weeks 0, 4, 12, no missing value. Week means by hand:
# week 0 (12+10+8+14)/4 = 11, week 4 (9+8+5+10)/4 = 8, week 12 (5+4+3+8)/4 = 5.
BALANCED = {"P1": (12, 9, 5), "P2": (10, 8, 4), "P3": (8, 5, 3), "P4": (14, 10, 8)}


def _score_visits(values: dict, weeks=(0, 4, 12)) -> pd.DataFrame:
    rows = [(p, w, True, y) for p, ys in values.items() for w, y in zip(weeks, ys) if y is not None]
    df = pd.DataFrame(rows, columns=["patient_id", "week", "on_treatment", "sledai2k"])
    df["week"] = df["week"].astype("Int64")
    df["on_treatment"] = df["on_treatment"].astype("boolean")
    return df


def test_mixed_model_balanced_equals_week_means():
    res = L.mixed_model_trajectory(_score_visits(BALANCED), "sledai2k", weeks=(0, 4, 12))
    est = res["estimates"]
    assert est["week"].tolist() == [0, 4, 12]
    assert est["model_mean"].to_numpy() == pytest.approx([11.0, 8.0, 5.0], abs=1e-6)
    assert est["n_obs"].tolist() == [4, 4, 4]
    # observed medians by hand: (10+12)/2, (8+9)/2, (4+5)/2
    assert est["completers_median"].tolist() == [11.0, 8.5, 4.5]
    assert est["completers_mean"].tolist() == pytest.approx([11.0, 8.0, 5.0])  # balanced: = the model's
    assert res["n_patients"] == 4 and res["n_obs"] == 12
    assert res["converged"] is True
    assert "REML" in res["method"] and "sledai2k ~ C(week)" in res["method"]
    # balanced random-intercept model: var(cell mean) = (tau^2 + sigma^2) / 4
    se = math.sqrt((res["random_intercept_var"] + res["residual_var"]) / 4)
    assert (est["ci_high"] - est["model_mean"]).to_numpy() == pytest.approx([1.959964 * se] * 3, rel=1e-4)
    assert res["random_intercept_var"] > 0


def test_mixed_model_with_dropout_and_off_treatment_visits():
    values = {"P1": (12, 9, 5, 4), "P2": (10, 8, None, None), "P3": (8, 5, 3, None),
              "P4": (14, 10, 8, 6), "P5": (9, None, 6, 2), "P6": (11, 7, None, None)}
    v = _score_visits(values, weeks=(0, 4, 12, 24))
    off = pd.DataFrame({"patient_id": ["P2"], "week": [12], "on_treatment": [False], "sledai2k": [40]})
    off = off.astype({"week": "Int64", "on_treatment": "boolean"})
    v = pd.concat([v, off], ignore_index=True)                 # a discontinued visit: not used
    res = L.mixed_model_trajectory(v, "sledai2k", weeks=(0, 4, 12, 24, 36))
    est = res["estimates"].set_index("week")
    assert est["n_obs"].to_dict() == {0: 6, 4: 5, 12: 4, 24: 3, 36: 0}
    assert res["n_obs"] == 18 and res["n_patients"] == 6
    assert np.isfinite(est.loc[[0, 4, 12, 24], ["model_mean", "ci_low", "ci_high"]].to_numpy()).all()
    assert est.loc[36, ["model_mean", "completers_median"]].isna().all()
    assert (est.loc[[0, 4, 12, 24], "ci_low"] < est.loc[[0, 4, 12, 24], "model_mean"]).all()
    assert est.loc[12, "completers_median"] == 5.5                # (3, 5, 6, 8): on-treatment only


def test_mixed_model_warnings_are_recorded_not_leaked():
    # no between-patient variation: the random-intercept variance sits on the boundary (0)
    flat = {"P1": (5, 3, 1), "P2": (3, 1, 5), "P3": (1, 5, 3)}
    with warnings.catch_warnings(record=True) as leaked:
        warnings.simplefilter("always")
        res = L.mixed_model_trajectory(_score_visits(flat), "sledai2k", weeks=(0, 4, 12))
        failed = L.mixed_model_trajectory(_score_visits(flat).iloc[:0], "sledai2k", weeks=(0, 4, 12))
    assert leaked == []
    assert any("ConvergenceWarning" in w for w in res["warnings"])
    assert "ConvergenceWarning" in res["method"]
    assert res["estimates"]["model_mean"].to_numpy() == pytest.approx([3.0, 3.0, 3.0], abs=1e-4)
    assert "Fit failed" in failed["method"] and failed["converged"] is False
    assert failed["estimates"]["model_mean"].isna().all()


# ---------------------------------------------------------------------------------------------
# figure
# ---------------------------------------------------------------------------------------------

def test_km_figure_curves_table_and_note():
    from matplotlib.figure import Figure

    a = L.kaplan_meier(SIX_MP, "6-MP", at=(0, 10, 20, 30))
    b = L.kaplan_meier(pd.DataFrame({"duration": [1, 2, 3, 4], "event": [1, 1, 1, 0]}), "other",
                       at=(0, 10, 20, 30))
    fig = km_figure({"6-MP": a, "other": b}, "Time to relapse")
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    assert len(ax.get_lines()) == 2
    texts = [t.get_text() for t in ax.texts]
    assert "Number at risk" in texts and "6-MP" in texts and "other" in texts
    # by hand: 6-MP durations >= 0, 10, 20, 30 -> 21, 15, 8, 4; other -> 4, 0, 0, 0
    assert texts.count("21") == 1 and texts.count("15") == 1 and texts.count("8") == 1
    assert texts.count("4") == 2 and texts.count("0") == 3
    assert [t.get_text() for t in fig.texts] == []  # no note unless asked
    noted = km_figure({"6-MP": a}, "t", cumulative=True, note="Synthetic data")
    assert [t.get_text() for t in noted.texts] == ["Synthetic data"]
    y = noted.axes[0].get_lines()[0].get_ydata()
    assert y[0] == 0.0 and max(y) == pytest.approx(1 - KM_TABLE[-1][3])


# ---------------------------------------------------------------------------------------------
# end to end on the synthetic cohort
# ---------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def cohort():
    from lupus_utils import read_cohort
    from lupus_utils.science.results import derive_visits

    tables = read_cohort(SYNTHETIC_DIR)
    return derive_visits(tables), tables["patients"]


@pytest.mark.parametrize("state", ["doris_remission", "lldas", "at_least_lldas"])
def test_synthetic_responder_table(cohort, state):
    v, p = cohort
    out = L.responder_table(v, p, state)
    assert out["week"].tolist() == [12, 24, 48]
    for col in ("completers_pct", "nri_pct", "nri_eligible_pct", "locf_pct"):
        assert out[col].between(0, 100).all()
    assert (out["nri_den"] == len(p)).all()
    assert (out["nri_pct"] <= out["completers_pct"] + 1e-12).all()
    assert (out["nri_pct"] <= out["nri_eligible_pct"] + 1e-12).all()
    assert (out["nri_eligible_den"] <= out["nri_den"]).all()
    assert (out["completers_den"] <= out["nri_eligible_den"]).all()
    assert (out["nri_n"] == out["completers_n"]).all()
    # completers agree with the paper-style count of lupus_utils.science.results
    eff = v[v["on_treatment"].fillna(False).astype(bool)]
    for w, n, den in out[["week", "completers_n", "completers_den"]].itertuples(index=False):
        at = eff[eff["week"] == w]
        assert (n, den) == (int(at[state].sum()), len(at))


def test_synthetic_mixed_model(cohort):
    v, _ = cohort
    with warnings.catch_warnings(record=True) as leaked:
        warnings.simplefilter("always")
        res = L.mixed_model_trajectory(v, "sledai2k")
    assert leaked == []
    est = res["estimates"]
    assert est["week"].tolist() == [0, 4, 12, 24, 36]
    assert np.isfinite(est[["model_mean", "ci_low", "ci_high"]].to_numpy()).all()
    assert (est["ci_low"] < est["model_mean"]).all() and (est["model_mean"] < est["ci_high"]).all()
    assert est["model_mean"].between(-5, 105).all()
    assert res["n_obs"] == est["n_obs"].sum() and res["n_patients"] == v["patient_id"].nunique()
    # all patients are seen at baseline, so the week-0 model mean is the baseline mean
    base = v.loc[(v["week"] == 0) & v["on_treatment"].fillna(False).astype(bool), "sledai2k"]
    assert est.loc[0, "n_obs"] == len(base)


def test_synthetic_survival(cohort):
    v, p = cohort
    lldas = L.time_to_first(v, p, "at_least_lldas")
    drug = L.time_on_drug(p)
    assert len(lldas) == len(drug) == len(p)
    assert set(lldas["event"]) <= {0, 1} and set(drug["event"]) <= {0, 1}
    assert (lldas["duration"] >= 0).all() and (lldas["duration"] <= p["follow_up_weeks"].to_numpy()).all()
    assert drug["event"].sum() == p["anifrolumab_stop_week"].notna().sum()
    km_l = L.kaplan_meier(lldas, "At least LLDAS", cumulative=True)
    km_d = L.kaplan_meier(drug, "On anifrolumab")
    for res in (km_l, km_d):
        s = res["survival"]
        assert s[["estimate", "ci_low", "ci_high"]].stack().between(0, 1).all()
        assert res["at_risk"]["week"].tolist() == list(L.SCHEDULE)
        assert res["at_risk"]["at_risk"].iloc[0] == len(p)
        assert (np.diff(res["at_risk"]["at_risk"]) <= 0).all()
    assert km_l["survival"]["estimate"].is_monotonic_increasing
    assert km_d["survival"]["estimate"].is_monotonic_decreasing
    fig = km_figure({"At least LLDAS": km_l}, "Time to first LLDAS", cumulative=True,
                      note="Synthetic data")
    assert len(fig.axes[0].get_lines()) == 1


def test_km_medians_read_not_reached_and_count_left_out_rows():
    six_mp = L.kaplan_meier(SIX_MP, "6-MP")
    out = L.km_medians({"6-MP": six_mp})
    # Freireich 6-MP arm: median 23 weeks, 95% CI from 13 weeks, upper limit not reached
    assert out.iloc[0].tolist() == ["6-MP", "23 weeks", "13 weeks to not reached", 21, 0]
    assert L.km_time_text(float("inf")) == "not reached" and L.km_time_text(float("nan")) == "–"
