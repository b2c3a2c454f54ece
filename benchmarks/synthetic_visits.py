"""Random but valid visits for benchmarks: ``n`` rows, patients with 7 scheduled visits each."""
from __future__ import annotations

import numpy as np
import pandas as pd

from lupus_utils.codebook import columns
from lupus_utils.science.instruments import SLEDAI2K_WEIGHTS
from lupus_utils.paths import VISIT_WEEKS


def random_visits(n: int, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    k = len(VISIT_WEEKS)
    n_pat = -(-n // k)
    pid = np.repeat(np.char.add("P", np.arange(n_pat).astype(str)), k)[:n]
    week = np.tile(np.array(VISIT_WEEKS), n_pat)[:n]
    df = {"patient_id": pid, "week": week, "treatment_status": np.full(n, "on")}
    rates = {c: (0.01 if w == 8 else 0.08 if w == 4 else 0.25 if w == 2 else 0.08) for c, w in SLEDAI2K_WEIGHTS.items()}
    for c, r in rates.items():
        df[c] = (rng.random(n) < r).astype("int64")
    df["rash_extent"] = np.where(df["sledai_rash"] == 1, np.where(rng.random(n) < 0.5, "localized", "generalized"), "none")
    df["vasculitis_type"] = np.where(df["sledai_vasculitis"] == 1, np.where(rng.random(n) < 0.7, "mucocutaneous", "systemic"), "none")
    for c in ("cardiopulmonary_involvement", "haemolytic_anaemia", "lupus_enteritis", "sterile_peritonitis",
              "other_gastrointestinal_lupus", "other_neuropsychiatric_lupus", "new_immunosuppressant", "hcq_added", "nsaid_added", "hospitalised_for_sle"):
        df[c] = (rng.random(n) < 0.01).astype("int64")
    # one value in ten beyond its threshold with the descriptor at 0: not attributed to lupus
    other = rng.random((3, n)) < 0.1
    df["proteinuria_g_24h"] = np.where((df["sledai_proteinuria"] == 1) | other[0], rng.uniform(0.51, 5, n), rng.uniform(0, 0.5, n)).round(2)
    df["platelets_10e9_l"] = np.where((df["sledai_thrombocytopenia"] == 1) | other[1], rng.uniform(20, 99, n), rng.uniform(100, 400, n)).round(0)
    df["leukocytes_10e9_l"] = np.where((df["sledai_leukopenia"] == 1) | other[2], rng.uniform(1, 2.9, n), rng.uniform(3, 10, n)).round(1)
    df["haemoglobin_g_l"] = rng.uniform(80, 150, n).round(0)
    df["swollen_joints"] = np.where(df["sledai_arthritis"] == 1, rng.integers(1, 10, n), 0)
    df["tender_joints"] = df["swollen_joints"] + rng.integers(0, 3, n)
    df["pga"] = rng.choice([0, 0.3, 0.5, 1.0, 1.5, 2.0, 2.6], n)
    df["clasi_activity"] = rng.integers(0, 30, n)
    df["clasi_damage"] = rng.integers(0, 10, n)
    drugs = np.array(["none", "prednisone", "methylprednisolone", "deflazacort"])
    df["gc_drug"] = drugs[rng.integers(0, 4, n)]
    df["gc_dose_mg"] = np.where(df["gc_drug"] == "none", 0.0, rng.choice([2.5, 4, 5, 6, 7.5, 10, 12.5], n))
    frame = pd.DataFrame(df)
    return frame[[c for c in columns("visits") if c in frame.columns]]
