"""Hand-made patients and visits for the tests: every codebook column at a quiet default."""
from __future__ import annotations

import pandas as pd
import pytest

from lupus_utils import columns

QUIET_VISIT = {c: 0 for c in columns("visits")} | {
    "patient_id": "P01", "week": 0, "treatment_status": "on", "rash_extent": "none",
    "vasculitis_type": "none", "proteinuria_g_24h": 0.1, "platelets_10e9_l": 250.0,
    "leukocytes_10e9_l": 6.0, "haemoglobin_g_l": 130.0, "pga": 0.0, "gc_drug": "none",
    "gc_dose_mg": 0.0,
}
QUIET_PATIENT = {c: 0 for c in columns("patients")} | {
    "patient_id": "P01", "center": "Pisa", "sex": "F", "age_years": 40, "ethnicity": "Caucasian",
    "disease_duration_years": 10.0, "weight_kg": 60.0, "cumulative_gc_g": 10.0,
    "reason_for_anifrolumab": "flare", "anifrolumab_start": "2022-01-10", "follow_up_weeks": 0,
    "anifrolumab_stop_week": None, "anifrolumab_stop_reason": None, "lupus_nephritis_biopsy_proven": None,
}


def visit(**changes) -> dict:
    """One quiet visit with ``changes`` applied."""
    unknown = set(changes) - set(QUIET_VISIT)
    assert not unknown, f"not codebook visit columns: {unknown}"
    return QUIET_VISIT | changes


def visits(*rows: dict) -> pd.DataFrame:
    return pd.DataFrame(list(rows))


def patient(**changes) -> dict:
    unknown = set(changes) - set(QUIET_PATIENT)
    assert not unknown, f"not codebook patient columns: {unknown}"
    return QUIET_PATIENT | changes

