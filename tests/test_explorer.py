"""The explorer's engine (lupus_utils.presentation.explorer): groupings from the codebook, cut-offs, the
comparison of a measure or a state between groups, the messages for choices that cannot be
answered, and one patient's course; hand-made patients, values by hand or by the library's own
tested functions."""

import numpy as np
import pandas as pd
import pytest
from scipy.stats import fisher_exact

from lupus_utils.presentation.explorer import ExplorerError, explore, group_patients, groupings, patient_course
from lupus_utils.science.inference import hodges_lehmann_two_sample, wilson_ci
from lupus_utils.science.stats import mann_whitney

PATIENTS = pd.DataFrame({"patient_id": [f"P{i}" for i in range(1, 9)], "sdi": [0, 0, 1, 2, 3, 0, 4, np.nan],
                         "hz_vaccinated": [1, 0, 0, 1, 1, 0, 0, 1], "center": ["Pisa"] * 4 + ["Roma"] * 4})


def _visits():
    rows = []
    sledai = {"P1": (8, 2), "P2": (10, 4), "P3": (6, 6), "P4": (12, 8), "P5": (4, 2), "P6": (9, 0), "P7": (7, 7), "P8": (5, 5)}
    for pid, (w0, w12) in sledai.items():
        for w, s in ((0, w0), (12, w12)):
            rows.append({"patient_id": pid, "week": w, "sledai2k": s, "on_treatment": True,
                         "lldas": w == 12 and s <= 4, "doris_remission": w == 12 and s == 0})
    return pd.DataFrame(rows)


def test_groupings_come_from_the_codebooks_baseline_columns():
    g = groupings(PATIENTS).set_index("column")
    assert g.at["sdi", "kind"] == "number" and (g.at["sdi", "min"], g.at["sdi", "max"], g.at["sdi", "median"]) == (0, 4, 1)
    assert g.at["hz_vaccinated", "kind"] == "binary" and g.at["center", "kind"] == "category"
    assert "follow_up_weeks" not in g.index and "patient_id" not in g.index


def test_group_patients_by_cut_off_binary_and_category():
    g = group_patients(PATIENTS, "sdi", 2)
    assert g.astype(str).tolist() == ["SDI < 2"] * 3 + ["SDI ≥ 2"] * 2 + ["SDI < 2", "SDI ≥ 2", "nan"]
    assert list(g.cat.categories) == ["SDI < 2", "SDI ≥ 2"]
    assert group_patients(PATIENTS, "hz_vaccinated").astype(str).tolist()[:3] == ["Yes", "No", "No"]
    with pytest.raises(ExplorerError, match="choose a cut-off"):
        group_patients(PATIENTS, "sdi")


def test_explore_a_measure_equals_the_librarys_tests():
    r = explore(_visits(), PATIENTS, "sdi", "sledai2k", [0, 12], cutoff=2)
    t = r["table"].set_index("week")
    assert r["groups"] == ["SDI < 2", "SDI ≥ 2"]
    low = [2, 4, 6, 0]                                  # week 12, SDI < 2: P1, P2, P3, P6 (P8: SDI unknown)
    high = [8, 2, 7]                                    # P4, P5, P7
    assert t.at[12, "SDI < 2: n"] == 4 and t.at[12, "SDI < 2: median (IQR)"] == "3 (0.5–5.5)"
    assert t.at[12, "p"] == pytest.approx(mann_whitney(low, high)["p"])
    hl = hodges_lehmann_two_sample(low, high)
    assert t.at[12, "HL difference (95% CI)"].startswith(f"{hl['estimate']:.3g} (")
    assert "2 visits left out: the patient's SLICC/ACR damage index (SDI) is not recorded." in r["notes"]   # P8, both weeks
    assert r["long"]["patient_id"].eq("P8").sum() == 0


def test_explore_a_state_gives_counts_wilson_and_fisher():
    r = explore(_visits(), PATIENTS, "hz_vaccinated", "lldas", [12])
    row = r["table"].iloc[0]
    # week 12 LLDAS (SLEDAI-2K <= 4 here): vaccinated P1 (2), P4 (8), P5 (2), P8 (5) -> 2/4; not: P2 (4), P3, P6 (0), P7 -> 2/4
    assert row["Yes: n/N (%)"] == "2/4 (50.0%)" and row["No: n/N (%)"] == "2/4 (50.0%)"
    lo, hi = wilson_ci(2, 4)
    assert row["Yes: 95% CI"] == f"{100 * lo:.1f}–{100 * hi:.1f}%"
    assert row["p"] == pytest.approx(fisher_exact([[2, 2], [2, 2]]).pvalue) == 1.0


def test_explore_says_what_cannot_be_answered():
    v = _visits()
    with pytest.raises(ExplorerError, match="leaves a single group"):
        explore(v, PATIENTS, "sdi", "sledai2k", [0], cutoff=0)          # SDI >= 0: everyone
    with pytest.raises(ExplorerError, match="no SLEDAI-2K value at the chosen visit"):
        explore(v.assign(sledai2k=np.nan), PATIENTS, "sdi", "sledai2k", [0, 12], cutoff=2)
    with pytest.raises(ExplorerError, match="choose at least one visit"):
        explore(v, PATIENTS, "sdi", "sledai2k", [], cutoff=2)
    with pytest.raises(ExplorerError, match="unknown outcome"):
        explore(v, PATIENTS, "sdi", "sledia2k", [0], cutoff=2)
    # a group under 3 patients: a note instead of a p-value
    r = explore(v, PATIENTS, "sdi", "sledai2k", [12], cutoff=4)
    assert r["table"].iloc[0]["p"] == "no p-value: fewer than 3 patients in SDI ≥ 4"
    # more than two groups: no p-value, said so
    r = explore(v.assign(patient_id=v["patient_id"]), PATIENTS.assign(center=["A", "A", "B", "B", "C", "C", "C", "A"]),
                "center", "sledai2k", [12])
    assert "p" not in r["table"] and "3 groups: p-values are given for two groups only." in r["notes"]


def test_patient_course():
    v = _visits().assign(treatment_status="on", sle_das=1.234, pga=0.5, prednisone_mg=5.0, clasi_activity=0,
                         tender_joints=1, swollen_joints=0, sfi_flare=[np.nan, "none"] * 8)
    ae = pd.DataFrame({"patient_id": ["P2"], "week": [12], "category": ["infection"], "term": ["herpes zoster"],
                       "serious": [0], "action": ["temporary_suspension"]})
    c = patient_course(v, ae, "P2")
    assert c["visits"]["SLEDAI-2K"].tolist() == [10, 4] and c["visits"]["State"].tolist() == ["Neither", "LLDAS, not remission"]
    assert c["visits"]["Flare (SFI)"].tolist() == ["", ""]
    # an unknown category after the first visit (an input missing) reads 'unknown', never as no flare
    unknown = v.assign(sfi_flare=pd.Categorical([np.nan, np.nan] * 8, categories=["none", "mild_moderate", "severe"]))
    assert patient_course(unknown, ae, "P2")["visits"]["Flare (SFI)"].tolist() == ["", "unknown"]
    assert c["events"].iloc[0].to_dict() == {"Week": 12, "Category": "infection", "Event": "herpes zoster",
                                             "Serious": "no", "Action": "temporary suspension"}
    with pytest.raises(ExplorerError, match="no patient"):
        patient_course(v, ae, "P99")


def test_derived_table1_characteristics_are_groupings_too():
    from lupus_utils.presentation.explorer import DERIVED_BINARY, static_groupings, with_baseline_flags
    p = PATIENTS.assign(concomitant_mtx=[1, 0, 0, 0, 0, 0, 0, 0], concomitant_aza=0, concomitant_mmf=[0, 1, 0, 0, 0, 0, 0, 0],
                        concomitant_cyclosporin=0, age_years=40, disease_duration_years=10)
    v = _visits().assign(active_serology=lambda f: f["patient_id"].isin(["P1", "P3"]),
                         prednisone_mg=lambda f: np.where(f["patient_id"] == "P2", 0.0, 5.0))
    flags = with_baseline_flags(p, v).set_index("patient_id")
    assert flags["active_serology_baseline"].tolist() == [1, 0, 1, 0, 0, 0, 0, 0]
    assert flags["concomitant_gc"].tolist() == [1, 0, 1, 1, 1, 1, 1, 1]
    assert flags["concomitant_immunosuppressant"].tolist() == [1, 1, 0, 0, 0, 0, 0, 0]
    assert (flags["antimalarial_or_gc_only"] == 1 - flags["concomitant_immunosuppressant"]).all()
    labels = [g[0] for g in static_groupings(with_baseline_flags(p, v))]
    assert set(DERIVED_BINARY.values()) <= set(labels)
    r = explore(v, with_baseline_flags(p, v), "active_serology_baseline", "sledai2k", [0])
    assert r["groups"] == ["No", "Yes"] and r["table"].iloc[0]["Yes: n"] == 2


def test_explorer_refuses_inputs_it_would_misread():
    v = _visits()
    with pytest.raises(ExplorerError, match="patient_id given more than once: P1"):
        explore(v, pd.concat([PATIENTS, PATIENTS.iloc[[0]]]), "sdi", "sledai2k", [0], cutoff=2)
    with pytest.raises(ExplorerError, match="must be 0 or 1; P2: 2"):
        explore(v, PATIENTS.assign(hz_vaccinated=[1, 2, 0, 1, 1, 0, 0, 1]), "hz_vaccinated", "sledai2k", [0])
    with pytest.raises(ExplorerError, match="visits of patients not in the patients table: P9"):
        explore(pd.concat([v, v.iloc[[0]].assign(patient_id="P9")]), PATIENTS, "sdi", "sledai2k", [0], cutoff=2)


def test_a_visit_with_its_state_unknown_is_left_out_and_counted():
    v = _visits()
    v["lldas"] = v["lldas"].astype("boolean")
    v.loc[(v["patient_id"] == "P1") & (v["week"] == 12), "lldas"] = pd.NA   # P1 is vaccinated
    res = explore(v, PATIENTS, "hz_vaccinated", "lldas", weeks=[12])
    row = res["table"].iloc[0]
    # vaccinated at week 12: P1 unknown, P4 (8), P5 (2), P8 (5) known -> 1 of 3 in LLDAS, never 1 of 4
    assert row["Yes: n/N (%)"].startswith("1/3 ")
    assert "1 visit left out: LLDAS is not recorded there or is unknown" in " ".join(res["notes"])


def test_a_visit_given_twice_is_refused_not_counted_twice():
    v = pd.concat([_visits(), _visits().iloc[[3]]], ignore_index=True)
    with pytest.raises(ExplorerError, match="rows share a patient and week: P2 week 12"):
        explore(v, PATIENTS, "hz_vaccinated", "sledai2k", weeks=[12])


def test_static_groupings_offer_only_the_columns_the_patients_have():
    from lupus_utils.presentation.explorer import SDI_CUTOFFS, static_groupings
    full = static_groupings(PATIENTS.assign(age_years=[30, 40, 50, 60, 35, 45, 55, 65], disease_duration_years=10))
    assert [g[2] for g in full if g[1] == "sdi"] == [float(k) for k in SDI_CUTOFFS]
    assert [(g[1], g[2]) for g in full if g[1] in ("age_years", "disease_duration_years")] == [
        ("age_years", 47.5), ("disease_duration_years", 10.0)]
    bare = static_groupings(PATIENTS.drop(columns=["sdi"]))   # no damage index, no age, no duration: no KeyError
    assert [g for g in bare if g[1] in ("sdi", "age_years", "disease_duration_years")] == []
