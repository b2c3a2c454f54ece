"""Hand-made patients at every threshold of LLDAS, DORIS 2021, the SFI, CLASI-A 50 and the
paper's non-responder rule."""
import numpy as np
import pandas as pd
import pytest

from conftest import non_responder_cohort, patient, visit, visits
from lupus_utils import (clasi_a_response, doris_remission, lldas, lldas_criteria, non_responder,
                         sfi_flare, sfi_flare_criteria)
from lupus_utils.science.outcomes import previous_visit_position

PRED = dict(gc_drug="prednisone")


# ---------------------------------------------------------------- LLDAS
@pytest.mark.parametrize("changes,expected", [
    ({}, True),
    # criterion 1: SLEDAI-2K <= 4 (arthritis 4 yes; arthritis + rash 6 no)
    ({"sledai_arthritis": 1}, True),
    ({"sledai_arthritis": 1, "sledai_rash": 1, "rash_extent": "localized"}, False),
    ({"sledai_low_complement": 1, "sledai_increased_dna_binding": 1}, True),  # 4, serology only
    # criterion 1: no major organ activity even at SLEDAI <= 4
    ({"sledai_proteinuria": 1, "proteinuria_g_24h": 0.8}, False),
    ({"sledai_pleurisy": 1}, False),
    ({"sledai_pericarditis": 1}, False),
    ({"sledai_fever": 1}, False),
    ({"haemolytic_anaemia": 1}, False),
    ({"lupus_enteritis": 1}, False), ({"sterile_peritonitis": 1}, False), ({"other_gastrointestinal_lupus": 1}, False),
    ({"other_neuropsychiatric_lupus": 1}, False),
    ({"cardiopulmonary_involvement": 1}, False),
    # criterion 3: PGA <= 1
    ({"pga": 1.0}, True), ({"pga": 1.1}, False),
    # criterion 4: prednisone <= 7.5 mg/day
    ({"gc_drug": "prednisone", "gc_dose_mg": 7.5}, True),
    ({"gc_drug": "prednisone", "gc_dose_mg": 7.6}, False),
    ({"gc_drug": "methylprednisolone", "gc_dose_mg": 6}, True),   # = 7.5 prednisone
    ({"gc_drug": "methylprednisolone", "gc_dose_mg": 8}, False),  # = 10
    # criterion 5: no new or escalated immunosuppressant
    ({"new_immunosuppressant": 1}, False),
])
def test_lldas_single_visit(changes, expected):
    assert lldas(visits(visit(**changes))).iloc[0] is np.bool_(expected)


def test_lldas_no_new_activity_since_previous_visit():
    # week 0: rash; week 4: rash persists plus new alopecia (SLEDAI 4, but new activity)
    v = visits(
        visit(week=0, sledai_rash=1, rash_extent="localized"),
        visit(week=4, sledai_rash=1, rash_extent="localized", sledai_alopecia=1),
        visit(week=12, sledai_rash=1, rash_extent="localized", sledai_alopecia=1),
    )
    crit = lldas_criteria(v)
    assert crit["c2_no_new_activity"].tolist() == [True, False, True]
    assert lldas(v).tolist() == [True, False, True]


def test_lldas_worse_rash_extent_is_new_activity():
    # the rash spreads from the face (localized) to the trunk (generalized): SLEDAI-2K stays 2,
    # but a worse rash is new activity, so LLDAS fails at week 4 and holds again at week 12
    v = visits(
        visit(week=0, sledai_rash=1, rash_extent="localized"),
        visit(week=4, sledai_rash=1, rash_extent="generalized"),
        visit(week=12, sledai_rash=1, rash_extent="generalized"),
    )
    assert lldas_criteria(v)["c2_no_new_activity"].tolist() == [True, False, True]
    assert lldas(v).tolist() == [True, False, True]


def test_lldas_new_serology_is_not_new_activity():
    v = visits(visit(week=0), visit(week=4, sledai_increased_dna_binding=1))
    assert lldas(v).tolist() == [True, True]


def test_previous_visit_follows_week_order_not_row_order():
    v = visits(visit(patient_id="B", week=4), visit(patient_id="A", week=4), visit(patient_id="B", week=0),
               visit(patient_id="A", week=0), visit(patient_id="A", week=12))
    assert previous_visit_position(v).tolist() == [2, 3, -1, -1, 1]


# ---------------------------------------------------------------- DORIS
@pytest.mark.parametrize("changes,expected", [
    ({}, True),
    ({"sledai_low_complement": 1, "sledai_increased_dna_binding": 1}, True),  # serology ignored
    ({"sledai_leukopenia": 1, "leukocytes_10e9_l": 2.5}, False),  # clinical SLEDAI 1
    ({"pga": 0.4}, True), ({"pga": 0.5}, False),
    ({"gc_drug": "prednisone", "gc_dose_mg": 5}, True),
    ({"gc_drug": "prednisone", "gc_dose_mg": 5.1}, False),
    ({"gc_drug": "deflazacort", "gc_dose_mg": 6}, True),  # = 5 prednisone
    ({"new_immunosuppressant": 1}, False),
    ({"hcq_added": 1}, False),  # hydroxychloroquine newly added: not stable therapy
    ({"nsaid_added": 1}, True),  # DORIS says nothing of NSAIDs
    ({"lupus_enteritis": 1}, True), ({"sterile_peritonitis": 1}, True),  # not in clinical SLEDAI
])
def test_doris_remission(changes, expected):
    assert doris_remission(visits(visit(**changes))).iloc[0] is np.bool_(expected)


def test_doris_stable_therapy_unknown_is_missing_not_false():
    v = visits(visit(), visit(week=4)).astype({"hcq_added": "Int64"})
    v.loc[1, "hcq_added"] = pd.NA
    assert doris_remission(v).tolist()[0] is True and pd.isna(doris_remission(v).iloc[1])


# ---------------------------------------------------------------- SFI
def _pair(before: dict, after: dict) -> pd.DataFrame:
    return visits(visit(week=0, **before), visit(week=4, **after))


@pytest.mark.parametrize("before,after,expected", [
    ({}, {}, "none"),
    # SLEDAI rise of 2 is not a flare, 3 or more is mild/moderate
    ({}, {"sledai_low_complement": 1}, "none"),
    ({}, {"sledai_low_complement": 1, "sledai_leukopenia": 1, "leukocytes_10e9_l": 2.8}, "mild_moderate"),
    # new pericarditis, arthritis, mucosal ulcers, pleurisy, fever, rash, cutaneous vasculitis
    ({}, {"sledai_pericarditis": 1}, "mild_moderate"),
    ({}, {"sledai_arthritis": 1}, "mild_moderate"),
    ({"sledai_arthritis": 1}, {"sledai_arthritis": 1}, "none"),  # persisting, not new
    ({}, {"sledai_rash": 1, "rash_extent": "localized"}, "mild_moderate"),
    ({"sledai_rash": 1, "rash_extent": "localized"}, {"sledai_rash": 1, "rash_extent": "generalized"}, "mild_moderate"),
    # new cutaneous vasculitis is mild/moderate (SLEDAI-2K +8 stays <= 12); systemic is severe
    ({}, {"sledai_vasculitis": 1, "vasculitis_type": "mucocutaneous"}, "mild_moderate"),
    # PGA: +1.0 mild, +0.9 none, above 2.5 severe
    ({"pga": 1.0}, {"pga": 2.0}, "mild_moderate"),
    ({"pga": 1.0}, {"pga": 1.9}, "none"),
    ({"pga": 2.0}, {"pga": 2.6}, "severe"),
    # prednisone: increase mild; doubling alone mild too (not a severe criterion on its own);
    # > 0.5 mg/kg (60 kg: > 30 mg) severe
    ({**PRED, "gc_dose_mg": 5}, {**PRED, "gc_dose_mg": 7.5}, "mild_moderate"),
    ({**PRED, "gc_dose_mg": 5}, {**PRED, "gc_dose_mg": 10}, "mild_moderate"),
    ({}, {**PRED, "gc_dose_mg": 25}, "mild_moderate"),
    ({}, {**PRED, "gc_dose_mg": 31}, "severe"),
    ({"hcq_added": 0}, {"hcq_added": 1}, "mild_moderate"),
    ({"nsaid_added": 0}, {"nsaid_added": 1}, "mild_moderate"),
    # severe organ items without the treatment they would require: judged by the mild/moderate
    # rules (new nephritis, 4 SLEDAI-2K points: a rise of 3 or more; a new lupus platelet count
    # below 60 adds 1 point and a haemolytic anaemia none, so neither is a flare by itself)
    ({}, {"sledai_proteinuria": 1, "proteinuria_g_24h": 1.2}, "mild_moderate"),
    ({}, {"sledai_seizure": 1}, "mild_moderate"),
    ({}, {"sledai_myositis": 1}, "mild_moderate"),
    ({}, {"vasculitis_type": "systemic", "sledai_vasculitis": 1}, "mild_moderate"),
    ({}, {"sledai_thrombocytopenia": 1, "platelets_10e9_l": 59}, "none"),
    ({}, {"haemolytic_anaemia": 1, "haemoglobin_g_l": 69}, "none"),
    # ... and with prednisone doubled (5 -> 10 mg, below 0.5 mg/kg), severe
    ({**PRED, "gc_dose_mg": 5}, {**PRED, "gc_dose_mg": 10, "sledai_proteinuria": 1, "proteinuria_g_24h": 1.2}, "severe"),
    ({**PRED, "gc_dose_mg": 5}, {**PRED, "gc_dose_mg": 10, "sledai_seizure": 1}, "severe"),
    ({**PRED, "gc_dose_mg": 5}, {**PRED, "gc_dose_mg": 10, "other_neuropsychiatric_lupus": 1}, "severe"),  # myelopathy
    ({}, {"other_neuropsychiatric_lupus": 1}, "none"),  # no SLEDAI-2K points, no treatment change
    ({**PRED, "gc_dose_mg": 5}, {**PRED, "gc_dose_mg": 10, "sledai_myositis": 1}, "severe"),
    ({**PRED, "gc_dose_mg": 5}, {**PRED, "gc_dose_mg": 10, "vasculitis_type": "systemic", "sledai_vasculitis": 1}, "severe"),
    ({}, {**PRED, "gc_dose_mg": 10, "sledai_thrombocytopenia": 1, "platelets_10e9_l": 59}, "severe"),  # started: at least doubled
    ({**PRED, "gc_dose_mg": 5}, {**PRED, "gc_dose_mg": 10, "sledai_thrombocytopenia": 1, "platelets_10e9_l": 60}, "mild_moderate"),
    ({**PRED, "gc_dose_mg": 5}, {**PRED, "gc_dose_mg": 10, "sledai_thrombocytopenia": 0, "platelets_10e9_l": 45}, "mild_moderate"),  # not lupus
    # 50 from a drug, then 50 from lupus: a new lupus count below 60
    ({**PRED, "gc_dose_mg": 5, "sledai_thrombocytopenia": 0, "platelets_10e9_l": 50},
     {**PRED, "gc_dose_mg": 10, "sledai_thrombocytopenia": 1, "platelets_10e9_l": 50}, "severe"),
    ({**PRED, "gc_dose_mg": 5, "sledai_thrombocytopenia": 1, "platelets_10e9_l": 50},
     {**PRED, "gc_dose_mg": 10, "sledai_thrombocytopenia": 1, "platelets_10e9_l": 45}, "mild_moderate"),
    ({**PRED, "gc_dose_mg": 5}, {**PRED, "gc_dose_mg": 10, "haemolytic_anaemia": 1, "haemoglobin_g_l": 69}, "severe"),
    ({**PRED, "gc_dose_mg": 5, "haemoglobin_g_l": 125}, {**PRED, "gc_dose_mg": 10, "haemolytic_anaemia": 1, "haemoglobin_g_l": 94}, "severe"),  # fall 31
    ({**PRED, "gc_dose_mg": 5, "haemoglobin_g_l": 125}, {**PRED, "gc_dose_mg": 10, "haemolytic_anaemia": 1, "haemoglobin_g_l": 95}, "mild_moderate"),  # fall 30
    # haemolysis already present: worse when Hb falls by more than 30 g/L or below 70
    ({**PRED, "gc_dose_mg": 5, "haemolytic_anaemia": 1, "haemoglobin_g_l": 100},
     {**PRED, "gc_dose_mg": 10, "haemolytic_anaemia": 1, "haemoglobin_g_l": 69}, "severe"),
    ({**PRED, "gc_dose_mg": 5, "haemolytic_anaemia": 1, "haemoglobin_g_l": 68},
     {**PRED, "gc_dose_mg": 10, "haemolytic_anaemia": 1, "haemoglobin_g_l": 66}, "mild_moderate"),
    # hospitalisation requires nothing more
    ({}, {"sledai_proteinuria": 1, "proteinuria_g_24h": 1.2, "hospitalised_for_sle": 1}, "severe"),
    ({}, {"hospitalised_for_sle": 1}, "severe"),
    ({}, {"new_immunosuppressant": 1}, "severe"),
    # SLEDAI above 12 (from 10 to 13) is severe
    ({"sledai_arthritis": 1, "sledai_rash": 1, "rash_extent": "generalized", "sledai_alopecia": 1,
      "sledai_low_complement": 1},
     {"sledai_arthritis": 1, "sledai_rash": 1, "rash_extent": "generalized", "sledai_alopecia": 1,
      "sledai_low_complement": 1, "sledai_increased_dna_binding": 1, "sledai_fever": 1}, "severe"),
])
def test_sfi_flare(before, after, expected):
    pts = pd.DataFrame([patient()])
    out = sfi_flare(_pair(before, after), pts)
    assert pd.isna(out.iloc[0])  # nothing to compare at the first visit
    assert out.iloc[1] == expected, sfi_flare_criteria(_pair(before, after), pts).iloc[1].loc[lambda s: s].index.tolist()


@pytest.mark.parametrize("before,after,expected,met", [
    # new nephritis (class IV on biopsy) and cyclophosphamide started: severe
    ({}, {"sledai_proteinuria": 1, "proteinuria_g_24h": 2.8, "new_immunosuppressant": 1}, "severe",
     ["severe_new_immunosuppressant", "mild_sledai_up_ge3"]),
    # new nephritis, no treatment change: mild/moderate, through the SLEDAI-2K rise only
    ({}, {"sledai_proteinuria": 1, "proteinuria_g_24h": 2.8}, "mild_moderate", ["mild_sledai_up_ge3"]),
    # new arthritis with prednisone doubled (5 -> 10 mg; 0.5 mg/kg of 60 kg is 30 mg): mild/moderate
    ({**PRED, "gc_dose_mg": 5}, {**PRED, "gc_dose_mg": 10, "sledai_arthritis": 1, "swollen_joints": 2, "tender_joints": 2},
     "mild_moderate", ["mild_sledai_up_ge3", "mild_new_arthritis", "mild_prednisone_increased"]),
    # worse nephritis without a new descriptor: proteinuria 1.0 -> 1.6 g/24 h with the descriptor
    # present at both visits (SLEDAI-2K unchanged) and prednisone doubled: severe
    ({**PRED, "gc_dose_mg": 5, "sledai_proteinuria": 1, "proteinuria_g_24h": 1.0},
     {**PRED, "gc_dose_mg": 10, "sledai_proteinuria": 1, "proteinuria_g_24h": 1.6}, "severe",
     ["severe_nephritis_requiring", "mild_prednisone_increased"]),
    # the same worsening with no treatment change: the mild rules find nothing (SLEDAI-2K unchanged)
    ({"sledai_proteinuria": 1, "proteinuria_g_24h": 1.0}, {"sledai_proteinuria": 1, "proteinuria_g_24h": 1.6}, "none", []),
    # a rise of exactly 0.5 g/24 h is not "more than 0.5": not worse
    ({**PRED, "gc_dose_mg": 5, "sledai_proteinuria": 1, "proteinuria_g_24h": 1.0},
     {**PRED, "gc_dose_mg": 10, "sledai_proteinuria": 1, "proteinuria_g_24h": 1.5}, "mild_moderate", ["mild_prednisone_increased"]),
    # more swollen joints (2 -> 5) with arthritis present at both visits: no source gives the step
    # that makes arthritis "worse", so only the PGA rule could make this a flare
    ({"sledai_arthritis": 1, "swollen_joints": 2, "tender_joints": 2},
     {"sledai_arthritis": 1, "swollen_joints": 5, "tender_joints": 5}, "none", []),
    ({"sledai_arthritis": 1, "swollen_joints": 2, "tender_joints": 2, "pga": 1.0},
     {"sledai_arthritis": 1, "swollen_joints": 5, "tender_joints": 5, "pga": 2.0}, "mild_moderate", ["mild_pga_up_ge1"]),
    # a worse rash: localized -> generalized, SLEDAI-2K unchanged
    ({"sledai_rash": 1, "rash_extent": "localized"}, {"sledai_rash": 1, "rash_extent": "generalized"}, "mild_moderate",
     ["mild_new_or_worse_rash"]),
])
def test_sfi_requiring_clause_and_worsening(before, after, expected, met):
    pts = pd.DataFrame([patient()])
    v = _pair(before, after)
    assert sfi_flare(v, pts).iloc[1] == expected
    crit = sfi_flare_criteria(v, pts).iloc[1]
    assert crit[crit].index.tolist() == met


def test_sfi_without_weight_uses_doubling_only():
    v = _pair({}, {**PRED, "gc_dose_mg": 31})
    assert sfi_flare(v).iloc[1] == "mild_moderate"


# ---------------------------------------------------------------- CLASI-A 50
def test_clasi_a_response_threshold_and_eligibility():
    v = visits(visit(patient_id="A", week=0, clasi_activity=10), visit(patient_id="A", week=4, clasi_activity=5),
               visit(patient_id="A", week=12, clasi_activity=6),
               visit(patient_id="B", week=0, clasi_activity=9), visit(patient_id="B", week=4, clasi_activity=0))
    out = clasi_a_response(v)
    assert out.iloc[0] == False and out.iloc[1] == True and out.iloc[2] == False  # noqa: E712
    assert pd.isna(out.iloc[3]) and pd.isna(out.iloc[4])


# ---------------------------------------------------------------- non-responder
def test_non_responder_rule():
    pts, v = non_responder_cohort()
    out = non_responder(pts, v).set_index("patient_id")
    assert out["eligible"].tolist() == [True, True, True, False, True]
    assert out.loc["R", "non_responder"] == False  # noqa: E712
    assert out.loc["N", "non_responder"] == True  # noqa: E712
    assert out.loc["F", "non_responder"] == True  # noqa: E712  stopped for flare despite remission
    assert pd.isna(out.loc["S", "non_responder"])
    assert out.loc["I", "non_responder"] == False  # noqa: E712  stopped for infection, in remission


# ---------------------------------------------------------------- modified SRI-4
def test_sri4_modified_thresholds():
    from lupus_utils.science.outcomes import sri4_modified
    base = dict(week=0, sledai_arthritis=1, sledai_rash=1, rash_extent="localized", pga=1.0)  # SLEDAI 6
    v = visits(
        visit(patient_id="A", **base), visit(patient_id="A", week=4, sledai_rash=1, rash_extent="localized", pga=1.2),  # -4, PGA +0.2
        visit(patient_id="B", **base), visit(patient_id="B", week=4, sledai_rash=1, rash_extent="localized", pga=1.3),  # -4, PGA +0.3
        visit(patient_id="C", **base), visit(patient_id="C", week=4, sledai_arthritis=1, pga=0.0),                      # -2 only
    )
    out = sri4_modified(v)
    assert out.tolist() == [False, True, False, False, False, False]


def test_visit_to_visit_rules_refuse_duplicate_or_missing_weeks():
    # two week-4 rows for one patient would make one the 'previous visit' of the other
    dup = visits(visit(week=0), visit(week=4), visit(week=4, sledai_arthritis=1))
    with pytest.raises(ValueError, match="2 rows share a patient and week: P01 week 4"):
        lldas(dup)
    with pytest.raises(ValueError, match="share a patient and week"):
        sfi_flare(dup)
    missing = visits(visit(week=0), visit(week=4)).astype({"week": "Float64"})
    missing.loc[1, "week"] = pd.NA
    with pytest.raises(ValueError, match="week is missing in 1 row"):
        lldas(missing)


def test_unknown_rash_extent_is_an_error_not_no_rash():
    v = visits(visit(sledai_rash=1, rash_extent="generalised"))
    with pytest.raises(ValueError, match="rash_extent has value.*generalised"):
        lldas(v)


# ---------------------------------------------------------------- missing inputs
def test_lldas_and_doris_are_unknown_not_false_when_an_input_is_missing():
    v = visits(
        visit(patient_id="A", pga=np.nan),                                # otherwise in LLDAS and remission
        visit(patient_id="B", pga=np.nan, sledai_arthritis=1, sledai_rash=1, rash_extent="localized"),  # SLEDAI 6
        visit(patient_id="C", gc_drug="prednisone", gc_dose_mg=np.nan),   # dose unknown
        visit(patient_id="D", gc_drug="prednisone", gc_dose_mg=np.nan, pga=2.0),  # PGA alone decides
        visit(patient_id="E", new_immunosuppressant=np.nan),
    )
    assert lldas(v).tolist() == [pd.NA, False, pd.NA, False, pd.NA]
    assert doris_remission(v).tolist() == [pd.NA, False, pd.NA, False, pd.NA]
    crit = lldas_criteria(v)
    assert crit.loc[0, "c3_pga_le1"] is pd.NA and crit.loc[1, "c1_sledai_le4_no_major_organ"] == False  # noqa: E712


def test_new_activity_is_unknown_when_the_previous_visit_lacks_a_descriptor():
    v = visits(
        visit(patient_id="A", week=0, sledai_alopecia=np.nan), visit(patient_id="A", week=4, sledai_alopecia=1),
        visit(patient_id="B", week=0, sledai_alopecia=np.nan), visit(patient_id="B", week=4, sledai_rash=1,
                                                                      rash_extent="localized"),
    )
    # A: alopecia now, unknown before: new or not, nobody can say; B: the rash is new whatever alopecia was
    assert lldas_criteria(v)["c2_no_new_activity"].tolist() == [True, pd.NA, True, False]


def test_non_responder_stays_unknown_when_the_last_state_is_unknown():
    pts = pd.DataFrame([
        patient(patient_id="U", follow_up_weeks=24),
        patient(patient_id="F", follow_up_weeks=24, anifrolumab_stop_week=24, anifrolumab_stop_reason="flare"),
    ])
    v = visits(visit(patient_id="U", week=0, pga=2), visit(patient_id="U", week=24, pga=np.nan),
               visit(patient_id="F", week=0, pga=2), visit(patient_id="F", week=24, pga=np.nan))
    out = non_responder(pts, v).set_index("patient_id")
    assert pd.isna(out.loc["U", "non_responder"])
    assert out.loc["F", "non_responder"] == True  # noqa: E712  stopping for a flare decides


def test_a_state_unknown_for_a_missing_pga_is_kept_unknown_and_counted():
    from lupus_utils.science.results import derive_visits, visit_flow, visit_results
    pts = pd.DataFrame([patient(patient_id="P1", follow_up_weeks=24), patient(patient_id="P2", follow_up_weeks=24)])
    v = visits(visit(patient_id="P1", week=0), visit(patient_id="P1", week=24, pga=np.nan),
               visit(patient_id="P2", week=0), visit(patient_id="P2", week=24))
    d = derive_visits({"patients": pts, "visits": v}).set_index(["patient_id", "week"])
    assert pd.isna(d.loc[("P1", 24), "lldas"]) and pd.isna(d.loc[("P1", 24), "doris_remission"])
    assert d.loc[("P2", 24), "lldas"] == True and d.loc[("P1", 0), "lldas"] == True  # noqa: E712
    flow = visit_flow(d.reset_index()).set_index("Visit")
    assert flow.loc["Week 24", ["Assessed", "Missing an input", "Unknown: LLDAS", "Unknown: DORIS"]].tolist() == [2, 1, 1, 1]
    assert flow.loc["Baseline", "Missing an input"] == 0
    r = pd.DataFrame(visit_results(d.reset_index()))
    at = r[(r.measure == "lldas") & (r.week == 24)].set_index("statistic")["value"]
    assert (at["n"], at["denominator"], at["pct"], at["n_missing"]) == (1, 1, 100.0, 1)   # 1 of 1 known, 1 unknown
    pga = r[(r.measure == "pga") & (r.week == 24) & (r.population == "observed_at_visit")].set_index("statistic")["value"]
    assert pga["n"] == 1


def test_non_responder_with_unknown_follow_up_is_not_eligible_and_data_flow_agrees():
    from lupus_utils.science.results import data_flow
    pts = pd.DataFrame([patient(patient_id="A", follow_up_weeks=24), patient(patient_id="B", follow_up_weeks=24)])
    pts["follow_up_weeks"] = pd.array([24, pd.NA], dtype="Int64")
    v = visits(visit(patient_id="A", week=0, pga=2), visit(patient_id="A", week=24),
               visit(patient_id="B", week=0, pga=2), visit(patient_id="B", week=24))
    out = non_responder(pts, v).set_index("patient_id")
    assert out["eligible"].tolist() == [True, False]
    assert out.loc["A", "non_responder"] == False and pd.isna(out.loc["B", "non_responder"])  # noqa: E712
    flow = data_flow({"patients": pts, "visits": v, "adverse_events": pd.DataFrame()}, v.assign(on_treatment=True))
    assert flow.set_index("data").loc["patients in the non-responder rule", ["analysed", "excluded"]].tolist() == [1, 1]


def test_non_responder_names_a_visit_without_week_and_accepts_no_visits():
    pts = pd.DataFrame([patient(patient_id="A", follow_up_weeks=24)])
    v = visits(visit(patient_id="A", week=0))
    v["week"] = pd.array([pd.NA], dtype="Int64")
    with pytest.raises(ValueError, match="week is missing in 1 row.*patient.*A"):
        non_responder(pts, v)
    empty = non_responder(pts, visits(visit(patient_id="A", week=0)).iloc[0:0])
    assert empty["eligible"].tolist() == [True] and pd.isna(empty.loc[0, "non_responder"])


def test_lldas_extent_rule_needs_its_columns_and_an_unknown_extent_is_unknown():
    v = visits(visit(week=0, sledai_rash=1, rash_extent="localized"), visit(week=4, sledai_rash=1, rash_extent=None))
    assert lldas_criteria(v)["c2_no_new_activity"].tolist() == [True, pd.NA]
    with pytest.raises(KeyError):
        lldas(v.drop(columns=["rash_extent"]))


def test_flare_index_is_unknown_where_a_missing_input_could_change_the_category():
    # quiet visits on prednisone 5 mg/day; each patient's week 4 changes one thing
    def pair(pid, **at4):
        on = {"gc_drug": "prednisone", "gc_dose_mg": 5.0}
        return [visit(patient_id=pid, week=0, **on), visit(patient_id=pid, week=4, **(on | at4))]
    v = visits(*pair("arthritis_pga_missing", sledai_arthritis=1, tender_joints=2, swollen_joints=2, pga=np.nan),
               *pair("arthritis_dose_missing", sledai_arthritis=1, tender_joints=2, swollen_joints=2, gc_dose_mg=np.nan),
               *pair("quiet_dose_missing", gc_dose_mg=np.nan),
               *pair("hospitalised_pga_missing", hospitalised_for_sle=1, pga=np.nan),
               *pair("nephritis_dose_missing", sledai_proteinuria=1, proteinuria_g_24h=1.2, gc_dose_mg=np.nan),
               *pair("quiet_pga_known"))
    got = sfi_flare(v)[v["week"] == 4].astype(object).where(lambda s: s.notna(), None)
    by = dict(zip(v.loc[v["week"] == 4, "patient_id"], got))
    # the new arthritis is mild/moderate, but a PGA above 2.5 would make it severe: unknown
    assert by["arthritis_pga_missing"] is None
    # without a weight the 0.5 mg/kg rule does not apply, and no organ item needs the dose: mild
    assert by["arthritis_dose_missing"] == "mild_moderate"
    # nothing new, but a raised dose would be a mild/moderate flare: unknown, never 'none'
    assert by["quiet_dose_missing"] is None
    # hospitalisation decides severe whatever the PGA
    assert by["hospitalised_pga_missing"] == "severe"
    # new nephritis: severe if it required doubled prednisone, which the missing dose hides
    assert by["nephritis_dose_missing"] is None
    assert by["quiet_pga_known"] == "none"
    # with a weight, a missing dose also hides the 0.5 mg/kg rule: the arthritis flare is unknown
    pts = pd.DataFrame([patient(patient_id=p, weight_kg=60.0) for p in v["patient_id"].unique()])
    with_weight = sfi_flare(v, pts)[v["week"] == 4]
    assert pd.isna(with_weight[v.loc[v["week"] == 4, "patient_id"] == "arthritis_dose_missing"].iloc[0])


def test_states_take_the_scores_the_visits_already_carry_and_agree_with_computing_them():
    from lupus_utils.science.results import derive_visits

    pts = pd.DataFrame([patient(patient_id="A", follow_up_weeks=24)])
    v = visits(visit(patient_id="A", week=0, sledai_arthritis=1, tender_joints=2, swollen_joints=2, pga=1.5),
               visit(patient_id="A", week=12, pga=0.3), visit(patient_id="A", week=24, pga=0.3))
    d = derive_visits({"patients": pts, "visits": v})
    # one way: the derived table gives what computing from the items gives
    assert d["lldas"].tolist() == lldas(v).tolist() == [False, True, True]
    assert d["doris_remission"].tolist() == doris_remission(v).tolist() == [False, True, True]
    assert d["sfi_flare"].astype(str).tolist() == sfi_flare(v).astype(str).tolist()
    prev = previous_visit_position(v)
    assert prev.tolist() == [-1, 0, 1] and lldas(v, prev).tolist() == lldas(v).tolist()
    # asked to, a state takes the carried score as given; by default it computes from the items,
    # so a stale carried score (a counterfactual that changed an item) is never read
    stale = d.assign(sledai2k=[10, 10, 10], prednisone_mg=[0.0, 20.0, 0.0])
    assert lldas(stale, use_derived=True).tolist() == [False, False, False]
    assert doris_remission(stale, use_derived=True).tolist() == [False, False, True]
    assert lldas(stale).tolist() == [False, True, True] and doris_remission(stale).tolist() == [False, True, True]
    with pytest.raises(KeyError, match="sledai2k"):
        lldas(v, use_derived=True)


def test_a_missing_previous_value_leaves_the_flare_unknown_only_where_it_could_matter():
    def pair(pid, before, now):
        return [visit(patient_id=pid, week=0, **before), visit(patient_id=pid, week=4, **now)]
    v = visits(*pair("pga_0_after_unknown", {"pga": np.nan}, {"pga": 0.0}),          # a rise of 1 is impossible
               *pair("pga_2_after_unknown", {"pga": np.nan}, {"pga": 2.0}),          # a rise of 1 is possible
               *pair("no_gc_after_unknown", {"gc_drug": "prednisone", "gc_dose_mg": np.nan}, {}),  # 0 mg: no rise
               *pair("gc_after_unknown", {"gc_drug": "prednisone", "gc_dose_mg": np.nan},
                     {"gc_drug": "prednisone", "gc_dose_mg": 5.0}))                   # a rise is possible
    at4 = sfi_flare(v)[v["week"] == 4].astype(object).where(lambda s: s.notna(), None)
    assert dict(zip(v.loc[v["week"] == 4, "patient_id"], at4)) == {
        "pga_0_after_unknown": "none", "pga_2_after_unknown": None, "no_gc_after_unknown": "none", "gc_after_unknown": None}
    # with a weight of 60 kg, 5 mg/day can never be above 0.5 mg/kg: that severe rule stays known
    pts = pd.DataFrame([patient(patient_id=p, weight_kg=60.0) for p in v["patient_id"].unique()])
    crit = sfi_flare_criteria(v, pts)[v["week"] == 4]
    assert crit["severe_prednisone_gt_half_mg_kg"].tolist() == [False, False, False, False]


def test_a_missing_dose_is_left_out_of_the_glucocorticoid_counts():
    from lupus_utils.science.results import derive_visits, visit_results
    pts = pd.DataFrame([patient(patient_id="A", follow_up_weeks=24), patient(patient_id="B", follow_up_weeks=24)])
    on = {"gc_drug": "prednisone", "gc_dose_mg": 5.0}
    v = visits(visit(patient_id="A", week=0, **on), visit(patient_id="A", week=24, gc_drug="prednisone", gc_dose_mg=np.nan),
               visit(patient_id="B", week=0, **on), visit(patient_id="B", week=24, **on))
    r = pd.DataFrame(visit_results(derive_visits({"patients": pts, "visits": v})))
    le5 = r[(r.measure == "prednisone_le_5mg") & (r.week == 24)].set_index("statistic")["value"]
    assert (le5["n"], le5["denominator"], le5["n_missing"]) == (1, 1, 1)   # B only; A unknown, not 'above 5'


# ---------------------------------------------------------------- row order
def _random_visits(n, seed):
    from pathlib import Path

    from conftest import load_script
    bench = Path(__file__).resolve().parent.parent / "benchmarks"
    return load_script(bench / "synthetic_visits.py").random_visits(n, seed=seed)


def test_states_are_the_same_whatever_the_row_order_and_with_missing_inputs():
    # rows in patient and week order are read without a sort; any other order gives the same states
    rng = np.random.default_rng(5)
    v = _random_visits(7 * 300, seed=6)
    v = v.drop(index=v.index[rng.random(len(v)) < 0.1])  # some visits (and some baselines) missing
    for c in v.columns.drop(["patient_id", "week"]):
        gone = rng.random(len(v)) < 0.03
        v[c] = v[c].where(~gone, None) if v[c].dtype == object else (
            v[c].astype("Int64").mask(gone) if v[c].dtype == "int64" else v[c].mask(gone))
    pts = pd.DataFrame({"patient_id": v["patient_id"].unique()})
    pts["follow_up_weeks"] = 72
    pts["weight_kg"] = np.where(np.arange(len(pts)) % 3 == 0, np.nan, 60.0)
    pts["anifrolumab_stop_reason"] = np.where(np.arange(len(pts)) % 7 == 0, "flare", None)
    shuffled = v.sample(frac=1.0, random_state=8)
    from lupus_utils.science.outcomes import sfi_organ_items
    for state in (lldas, doris_remission, clasi_a_response, lldas_criteria, sfi_flare, sfi_organ_items,
                  lambda d: sfi_flare(d, pts), lambda d: sfi_flare_criteria(d, pts)):
        in_order, any_order = state(v), state(shuffled).loc[v.index]
        if isinstance(in_order, pd.DataFrame):
            pd.testing.assert_frame_equal(any_order, in_order)
        else:
            pd.testing.assert_series_equal(any_order, in_order)
    # the non-responder rule: patients listed in another order than the visits give the same rows
    by_visits = non_responder(pts, v).set_index("patient_id")
    reordered = non_responder(pts.iloc[::-1], shuffled).set_index("patient_id").loc[by_visits.index]
    pd.testing.assert_frame_equal(reordered, by_visits)


def test_previous_visit_of_rows_in_patient_and_week_order_is_the_row_above():
    v = visits(visit(patient_id="A", week=0), visit(patient_id="A", week=4), visit(patient_id="B", week=0),
               visit(patient_id="B", week=12), visit(patient_id="B", week=24))
    assert previous_visit_position(v).tolist() == [-1, 0, -1, 2, 3]
    v.loc[4, "week"] = 12  # a duplicated week is refused in either layout
    with pytest.raises(ValueError, match="share a patient and week: B week 12"):
        previous_visit_position(v)


def test_one_visit_order_shared_by_the_states_gives_what_each_finds_alone():
    from lupus_utils.science.instruments import extent_ranks, prednisone_equivalent, sledai2k
    from lupus_utils.science.visit_order import visit_order

    v = _random_visits(7 * 200, seed=10)
    v.loc[v.index[::9], "clasi_activity"] = 12  # some CLASI-A baselines of 10 or more
    pts = pd.DataFrame({"patient_id": v["patient_id"].unique(), "follow_up_weeks": 72, "weight_kg": 60.0})
    pts.index = pts.index * 2 + 5  # not numbered 0, 1, ...: the non-responder rows are
    for rows in (v, v.sample(frac=1.0, random_state=11)):  # the usual layout, and another order
        d = rows.assign(sledai2k=sledai2k(rows), prednisone_mg=prednisone_equivalent(rows), **extent_ranks(rows))
        order = visit_order(d)
        assert order.prev.tolist() == previous_visit_position(rows).tolist()
        pd.testing.assert_series_equal(lldas(d, order, use_derived=True), lldas(rows))
        pd.testing.assert_frame_equal(lldas_criteria(d, order, use_derived=True), lldas_criteria(rows))
        pd.testing.assert_series_equal(sfi_flare(d, pts, order, use_derived=True), sfi_flare(rows, pts))
        pd.testing.assert_frame_equal(sfi_flare_criteria(d, pts, order, use_derived=True), sfi_flare_criteria(rows, pts))
        pd.testing.assert_series_equal(clasi_a_response(d, order), clasi_a_response(rows))
        d = d.assign(lldas=lldas(rows), doris_remission=doris_remission(rows))
        shared = non_responder(pts, d, use_derived=True, order=order)
        pd.testing.assert_frame_equal(shared, non_responder(pts, rows))
        assert shared.index.equals(pd.RangeIndex(len(pts)))
    with pytest.raises(ValueError, match="visit order of 1400 rows given for 1399 visits"):
        clasi_a_response(v.iloc[:-1], visit_order(v))
    # The order of another table of the same length is refused, not read: the rows shuffled, and
    # two patients with the same weeks swapped (the weeks then agree row by row, the patients not).
    shuffled = v.sample(frac=1.0, random_state=12).reset_index(drop=True)
    with pytest.raises(ValueError, match="describes another visits table"):
        lldas(shuffled, visit_order(v))
    first, second = v["patient_id"].unique()[:2]
    swapped = v.assign(patient_id=v["patient_id"].replace({first: second, second: first}))
    assert (v.loc[v["patient_id"] == first, "week"].tolist() == v.loc[v["patient_id"] == second, "week"].tolist())
    with pytest.raises(ValueError, match="describes another visits table"):
        sfi_flare(swapped, pts, visit_order(v))
    with pytest.raises(ValueError, match="positions of 1400 rows given for 1399 visits"):
        lldas(v.iloc[:-1], previous_visit_position(v))


def test_a_visit_order_names_the_row_that_differs_and_weeks_must_be_whole():
    """The refusal names the first row whose week or patient differs; positions outside the
    table are refused; a week of 4.5 is an error listing the row, not week 4; a missing week is
    listed, also with nullable integers."""
    from lupus_utils.science.visit_order import given_order, visit_order, visit_weeks
    v = pd.DataFrame({"patient_id": ["P1", "P1", "P2", "P2"], "week": [0, 4, 0, 4]})
    order = visit_order(v)
    with pytest.raises(ValueError, match="row 0 is patient P2, the order's table P1"):
        order.check(v.iloc[[2, 3, 0, 1]].reset_index(drop=True))
    with pytest.raises(ValueError, match="row 0 has week 4, the order's table week 0"):
        order.check(v.iloc[[1, 0, 2, 3]].reset_index(drop=True))
    with pytest.raises(ValueError, match="-1 \\(a first visit\\) or a row, 0 to 3"):
        given_order(v, np.array([-1, 0, 4, 2]))
    with pytest.raises(ValueError, match="not a whole number in 2 row\\(s\\): P1 week 4.5, P2 week 0.25"):
        visit_order(v.assign(week=[0, 4.5, 0.25, 4]))
    with pytest.raises(ValueError, match="week is missing in 1 row"):
        visit_order(v.assign(week=pd.array([0, None, 0, 4], dtype="Int64")))
    assert visit_weeks(v.assign(week=[0.0, 4.0, 0.0, 4.0])).tolist() == [0, 4, 0, 4]


def test_the_states_read_the_carried_rash_and_vasculitis_ranks_and_refuse_unknown_text():
    from lupus_utils.science.instruments import extent_ranks, prednisone_equivalent, sledai2k

    def derived(v):
        return v.assign(sledai2k=sledai2k(v), prednisone_mg=prednisone_equivalent(v), **extent_ranks(v))

    v = visits(visit(week=0), visit(week=4, sledai_rash=1, rash_extent="localized"),
               visit(week=8, sledai_rash=1, rash_extent="generalized", pga=1.5))
    d = derived(v)
    assert sfi_flare_criteria(d, use_derived=True)["mild_new_or_worse_rash"].tolist() == [False, True, True]
    assert lldas_criteria(d, use_derived=True)["c2_no_new_activity"].tolist() == [True, False, False]
    stale = d.assign(rash_extent_rank=0.0)  # asked to, the states read the carried ranks as given
    assert sfi_flare_criteria(stale, use_derived=True)["mild_new_or_worse_rash"].tolist() == [False] * 3
    assert lldas_criteria(stale, use_derived=True)["c2_no_new_activity"].tolist() == [True, False, True]
    with pytest.raises(KeyError, match="rash_extent_rank"):
        sfi_flare(d.drop(columns="rash_extent_rank"), use_derived=True)
    bad = v.assign(rash_extent=["none", "localized", "generalised"])
    for state in (lldas, sfi_flare, lambda v: sfi_flare(derived(v), use_derived=True)):
        with pytest.raises(ValueError, match="rash_extent has value.*generalised"):
            state(bad)
