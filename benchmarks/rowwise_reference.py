"""A straightforward row-by-row reference of the instruments and outcome states: one Python
dict per visit, plain loops. It exists to be timed against the vectorised library (and to agree
with it, which the benchmark checks); nothing else should use it."""
from __future__ import annotations

import math

from lupus_utils.science.instruments import (NEUROPSYCHIATRIC_ITEMS, PREDNISONE_EQUIVALENT_MG, RENAL_ITEMS,
                                             SLEDAI2K_WEIGHTS)

SEROLOGY = ("sledai_low_complement", "sledai_increased_dna_binding")


def sledai(row, clinical=False):
    return sum(w * row[c] for c, w in SLEDAI2K_WEIGHTS.items() if not (clinical and c in SEROLOGY))


def prednisone(row):
    drug = row["gc_drug"].strip().lower()
    return 0.0 if drug == "none" else round(row["gc_dose_mg"] * 5.0 / PREDNISONE_EQUIVALENT_MG[drug], 4)


def sle_das(row):
    s = 0.366
    s += 18 * (any(row[c] for c in NEUROPSYCHIATRIC_ITEMS) or row["other_neuropsychiatric_lupus"] == 1)
    s += 18 * (row["vasculitis_type"] == "systemic" or row["lupus_enteritis"] == 1) + 4.408 * (row["vasculitis_type"] == "mucocutaneous")
    s += 18 * row["cardiopulmonary_involvement"] + 9 * row["sledai_myositis"] + 9 * row["haemolytic_anaemia"]
    s += 6 * (row["sledai_pleurisy"] or row["sledai_pericarditis"] or row["sterile_peritonitis"])
    s += 3.887 * (row["rash_extent"] == "generalized") + 3.138 * (row["rash_extent"] == "localized")
    s += (3.132 if row["swollen_joints"] >= 1 else 0) + 0.454 * row["swollen_joints"]
    s += 2.769 * row["sledai_mucosal_ulcers"] + 0.973 * row["sledai_alopecia"]
    s += 0.956 * row["sledai_increased_dna_binding"] + 0.754 * row["sledai_low_complement"]
    mg = row["proteinuria_g_24h"] * 1000
    if mg > 500 and row["sledai_proteinuria"]:
        s += -17.584 + 3.811 * math.log(mg)
    if row["platelets_10e9_l"] < 100 and row["sledai_thrombocytopenia"]:
        s += 26.105 - 5.577 * math.log(row["platelets_10e9_l"])
    if row["leukocytes_10e9_l"] < 3 and row["sledai_leukopenia"]:
        s += 6.118 - 5.058 * math.log(row["leukocytes_10e9_l"])
    return round(s, 3)


MAJOR = list(RENAL_ITEMS) + list(NEUROPSYCHIATRIC_ITEMS) + ["other_neuropsychiatric_lupus",
    "sledai_pleurisy", "sledai_pericarditis", "sledai_vasculitis", "sledai_fever",
    "cardiopulmonary_involvement", "haemolytic_anaemia", "lupus_enteritis", "sterile_peritonitis",
    "other_gastrointestinal_lupus"]
ACTIVITY = [c for c in SLEDAI2K_WEIGHTS if c not in SEROLOGY] + [
    "cardiopulmonary_involvement", "haemolytic_anaemia", "lupus_enteritis", "sterile_peritonitis",
    "other_gastrointestinal_lupus", "other_neuropsychiatric_lupus"]
RASH = {"none": 0, "localized": 1, "generalized": 2}
VASCULITIS = {"none": 0, "mucocutaneous": 1, "systemic": 2}


def lldas(row, prev):
    new = prev is not None and (any(row[c] and not prev[c] for c in ACTIVITY)
                                or RASH[row["rash_extent"]] > RASH[prev["rash_extent"]]
                                or VASCULITIS[row["vasculitis_type"]] > VASCULITIS[prev["vasculitis_type"]])
    return (sledai(row) <= 4 and not any(row[c] for c in MAJOR) and not new and row["pga"] <= 1
            and prednisone(row) <= 7.5 and row["new_immunosuppressant"] == 0)


def doris(row):
    return (sledai(row, clinical=True) == 0 and row["pga"] < 0.5 and prednisone(row) <= 5
            and row["new_immunosuppressant"] == 0 and row["hcq_added"] == 0)


def sfi(row, prev, weight=math.nan):
    if prev is None:
        return None
    s, sp = sledai(row), sledai(prev)
    p, pp = prednisone(row), prednisone(prev)

    def new(c):
        return row[c] and not prev[c]

    hb, hb_prev = row["haemoglobin_g_l"], prev["haemoglobin_g_l"]
    haemolysis = row["haemolytic_anaemia"] and (
        (hb < 70 or hb_prev - hb > 30) if not prev["haemolytic_anaemia"] else (hb_prev - hb > 30 or (hb < 70 <= hb_prev)))
    organ = (
        any(new(c) for c in (*NEUROPSYCHIATRIC_ITEMS, "other_neuropsychiatric_lupus")) or any(new(c) for c in RENAL_ITEMS)
        or (row["sledai_proteinuria"] and prev["sledai_proteinuria"]
            and row["proteinuria_g_24h"] - prev["proteinuria_g_24h"] > 0.5)
        or (row["vasculitis_type"] == "systemic" and prev["vasculitis_type"] != "systemic")
        or new("sledai_myositis") or (row["platelets_10e9_l"] < 60 and row["sledai_thrombocytopenia"]
            and not (prev["platelets_10e9_l"] < 60 and prev["sledai_thrombocytopenia"]))
        or haemolysis
    )
    requiring = (p > pp and p >= 2 * pp) or (p > pp and p > 0.5 * weight) or row["hospitalised_for_sle"] == 1
    severe = (
        (s > 12 and s > sp) or (organ and requiring)
        or (p > pp and p > 0.5 * weight)
        or row["hospitalised_for_sle"] == 1 or row["new_immunosuppressant"] == 1
        or (row["pga"] > 2.5 and row["pga"] > prev["pga"])
    )
    if severe:
        return "severe"
    mild = (
        s - sp >= 3 or RASH[row["rash_extent"]] > RASH[prev["rash_extent"]]
        or (row["vasculitis_type"] == "mucocutaneous" and prev["vasculitis_type"] == "none")
        or any(new(c) for c in ("sledai_mucosal_ulcers", "sledai_pleurisy", "sledai_pericarditis", "sledai_arthritis", "sledai_fever"))
        or p > pp or row["hcq_added"] == 1 or row["nsaid_added"] == 1 or row["pga"] - prev["pga"] >= 1.0
    )
    return "mild_moderate" if mild else "none"


def score_rows(rows: list[dict]) -> list[dict]:
    """Every instrument and state for each visit dict, in the order given."""
    order = sorted(range(len(rows)), key=lambda i: (rows[i]["patient_id"], rows[i]["week"]))
    prev_of, last, base = {}, {}, {}
    for i in order:
        r = rows[i]
        prev_of[i] = last.get(r["patient_id"])
        last[r["patient_id"]] = r
        if r["week"] == 0:
            base[r["patient_id"]] = r["clasi_activity"]
    out = []
    for i, r in enumerate(rows):
        prev = prev_of[i]
        b = base.get(r["patient_id"])
        out.append({
            "sledai2k": sledai(r), "clinical_sledai": sledai(r, clinical=True), "sle_das": sle_das(r),
            "prednisone_mg": prednisone(r), "lldas": lldas(r, prev), "doris_remission": doris(r),
            "sfi_flare": sfi(r, prev),
            "clasi_a_response": None if b is None or b < 10 else r["clasi_activity"] <= 0.5 * b,
        })
    return out
