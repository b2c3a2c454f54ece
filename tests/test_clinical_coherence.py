"""Clinical coherence of the committed SYNTHETIC cohort: rules a rheumatologist reading the
patients' courses would check, beyond the published numbers. Each rule says its threshold and why
(data/synthetic/CALIBRATION.md, "Clinical coherence rules", records the measured values). The
generator keeps them: laboratory values by lupus_utils.generator.laboratory, treatment at the
flares and the glucocorticoid courses by repairs marked 'coherence' in data/synthetic/repairs.csv."""
import numpy as np
import pandas as pd
import pytest

from lupus_utils import read_cohort
from lupus_utils.science.outcomes import SFI_LEVELS
from lupus_utils.paths import SYNTHETIC_DIR
from lupus_utils.science.results import derive_visits

#: Lag-1 correlation of laboratory values between consecutive visits of the same patient, each
#: value taken as its deviation from that visit's cohort mean (so that the course of the whole
#: cohort does not count). Haemoglobin, platelet and leukocyte counts of a person are stable over
#: months (within-person SD of haemoglobin about 4-5 g/L against about 12 between people), so
#: consecutive values correlate strongly; 0.5 is a low bar for that, and values redrawn at every
#: visit give about 0.
AUTOCORRELATION_FLOOR = 0.5
LABORATORY = ("haemoglobin_g_l", "platelets_10e9_l", "leukocytes_10e9_l")
#: Largest change between consecutive visits (4-12 weeks apart) without a flare or a change of
#: treatment: platelets 150 x10^9/L, leukocytes 4 x10^9/L, haemoglobin 20 g/L. Larger changes
#: happen, but with a cause a clinician would record.
LARGEST_SWING = {"platelets_10e9_l": 150, "leukocytes_10e9_l": 4.0, "haemoglobin_g_l": 20}
#: Platelets below 50 x10^9/L (a severe thrombocytopenia) do not reach the normal range (150) by
#: the next visit without a change of treatment: recovery on a biologic takes more than four weeks.
SEVERE_THROMBOCYTOPENIA, NORMAL_PLATELETS = 50, 150
#: SLEDAI-2K of 10 or more at anifrolumab's start is high activity (Polachek's and the SLE-DAS
#: authors' cut-offs put "moderate" at 6-10 and "high" above): a patient starting a biologic for it
#: is on at least 5 mg of prednisone (the EULAR low-dose maintenance threshold) unless a reason
#: not to is recorded. The cohort records no such reason, so the rule has no exception.
HIGH_ACTIVITY_SLEDAI, HIGH_ACTIVITY_PREDNISONE_MIN = 10, 5.0
#: A generalized rash (as opposed to localized: beyond one or two body regions) involves at least
#: three of the CLASI's 13 anatomical areas with erythema, each scoring at least 1: CLASI-A >= 3.
GENERALIZED_RASH_CLASI_MIN = 3


@pytest.fixture(scope="module")
def visits():
    t = read_cohort(SYNTHETIC_DIR)
    v = derive_visits(t).sort_values(["patient_id", "week"]).reset_index(drop=True)
    prev_pred = v.groupby("patient_id")["prednisone_mg"].shift()
    v["gc_raised"] = (v["prednisone_mg"] > prev_pred + 1e-9) & prev_pred.notna()
    v["treatment_changed"] = (v["gc_raised"] | (v["new_immunosuppressant"] == 1) | (v["hcq_added"] == 1)
                              | (v["nsaid_added"] == 1))
    v["flare"] = v["sfi_flare"].isin(SFI_LEVELS[1:])
    return v


def lag1_correlation(v: pd.DataFrame, column: str) -> float:
    """Correlation of each visit's deviation from the visit's cohort mean with the same patient's
    deviation at her next visit."""
    dev = v[column] - v.groupby("week")[column].transform("mean")
    nxt = dev.groupby(v["patient_id"]).shift(-1)
    ok = nxt.notna()
    return float(np.corrcoef(dev[ok], nxt[ok])[0, 1])


@pytest.mark.parametrize("column", LABORATORY)
def test_laboratory_values_are_autocorrelated_within_patients(visits, column):
    """A patient's laboratory value at one visit predicts the next (AUTOCORRELATION_FLOOR)."""
    assert lag1_correlation(visits, column) >= AUTOCORRELATION_FLOOR


def test_no_large_laboratory_swing_without_a_cause(visits):
    """No change between consecutive visits beyond LARGEST_SWING unless the later visit is a
    flare or records a change of treatment; platelets below 50 x10^9/L are not normal at the next
    visit unless treatment changed."""
    problems = []
    for col, most in LARGEST_SWING.items():
        change = visits.groupby("patient_id")[col].diff().abs()
        bad = visits[(change > most) & ~visits["flare"] & ~visits["treatment_changed"]]
        problems += [f"{r.patient_id} w{r.week}: {col} moved by {change[i]:g}" for i, r in bad.iterrows()]
    prev = visits.groupby("patient_id")["platelets_10e9_l"].shift()
    jump = (prev < SEVERE_THROMBOCYTOPENIA) & (visits["platelets_10e9_l"] >= NORMAL_PLATELETS)
    problems += [f"{r.patient_id} w{r.week}: platelets {prev[i]:g} -> {r.platelets_10e9_l:g} with no change of treatment"
                 for i, r in visits[jump & ~visits["treatment_changed"]].iterrows()]
    assert problems == []


def test_flares_come_with_the_treatment_they_need(visits):
    """Every flare of the SELENA-SLEDAI Flare Index records a change of treatment at its visit
    (glucocorticoid raised or started, an immunosuppressant, an antimalarial or an NSAID added).
    A serositis flare or a cytopenia flare (leukopenia or thrombocytopenia without the arthritis
    that a mild thrombocytopenia of 88 x10^9/L accompanies at the week-36 flare) needs more
    glucocorticoid: pericarditis on no or a falling dose is not how it is treated. A flare with new renal activity needs an immunosuppressant: the
    nephritis flare's cyclophosphamide induction (Results) is recorded in ``new_immunosuppressant``,
    the codebook's column for an immunosuppressant started or escalated (the codebook has no
    column for the drug's name)."""
    flares = visits[visits["flare"]]
    assert len(flares) == 4
    problems = [f"{r.patient_id} w{r.week}: flare with no change of treatment"
                for r in flares[~flares["treatment_changed"]].itertuples()]
    serositis = flares["sledai_pericarditis"] == 1
    cytopenia = ((flares["sledai_leukopenia"] == 1) | (flares["sledai_thrombocytopenia"] == 1)) & (flares["sledai_arthritis"] == 0)
    needs_gc = flares[serositis | cytopenia]
    assert len(needs_gc) == 2
    problems += [f"{r.patient_id} w{r.week}: serositis or cytopenia flare without more glucocorticoid"
                 for r in needs_gc[~needs_gc["gc_raised"]].itertuples()]
    prev_prot = visits.groupby("patient_id")["sledai_proteinuria"].shift().fillna(0)
    renal = flares[(flares["sledai_proteinuria"] == 1) & (prev_prot[flares.index] == 0)]
    assert len(renal) == 1
    problems += [f"{r.patient_id} w{r.week}: nephritis flare without an immunosuppressant"
                 for r in renal[renal["new_immunosuppressant"] != 1].itertuples()]
    assert problems == []


def test_high_activity_comes_with_glucocorticoids(visits):
    """SLEDAI-2K of HIGH_ACTIVITY_SLEDAI or more at baseline, or fever at any visit, comes with at
    least HIGH_ACTIVITY_PREDNISONE_MIN mg/day of prednisone."""
    base = visits[visits["week"] == 0]
    low = base[(base["sledai2k"] >= HIGH_ACTIVITY_SLEDAI) & (base["prednisone_mg"] < HIGH_ACTIVITY_PREDNISONE_MIN)]
    febrile = visits[(visits["sledai_fever"] == 1) & (visits["prednisone_mg"] < HIGH_ACTIVITY_PREDNISONE_MIN)]
    assert [f"{r.patient_id} w{r.week}" for r in pd.concat([low, febrile]).itertuples()] == []


def test_clasi_activity_fits_the_rash_extent(visits):
    """A generalized rash scores at least GENERALIZED_RASH_CLASI_MIN on CLASI-A."""
    bad = visits[(visits["rash_extent"] == "generalized") & (visits["clasi_activity"] < GENERALIZED_RASH_CLASI_MIN)]
    assert [f"{r.patient_id} w{r.week}: CLASI-A {r.clasi_activity}" for r in bad.itertuples()] == []
