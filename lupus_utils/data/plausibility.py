"""Plausibility warnings: values of a valid cohort that are possible but unusual (an age above
90, a PGA of 0 beside an active SLEDAI-2K descriptor, a hospitalised event not marked serious),
and the inputs not recorded at a visit. They are listed for the centre to check, never errors.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..science.gaps import GAP_INPUTS
from .cohort import flag_cells
from ..science.instruments import CLINICAL_SLEDAI_WEIGHTS, SLEDAI_LAB_THRESHOLDS, beyond_lab_threshold
from ..paths import TABLES
from .provenance import problems_frame, row_origins

CLINICAL_SLEDAI = tuple(CLINICAL_SLEDAI_WEIGHTS)  # the descriptors a physician scores at the visit
EARLIEST_PLAUSIBLE_START = pd.Timestamp("2019-01-01")  # before approval (FDA 2021, EMA 2022) and early access


def plausibility_warnings(tables: dict[str, pd.DataFrame], raw: dict[str, pd.DataFrame] | None = None,
                          files: dict[str, str] | None = None) -> pd.DataFrame:
    """Plausible but unusual values of a valid cohort, and gaps, as a frame like the problems (the
    rule starts with ``unusual:`` or ``missing input:``). They are listed for the centre to check,
    never errors."""
    from ..science.instruments import prednisone_equivalent

    files = files or {t: f"{t}.csv" for t in TABLES}
    raw = raw or {}
    out: list[dict] = []

    def add(t, mask, column, value, rule):
        frame = tables[t]
        origins = row_origins(raw[t], files[t]) if t in raw and len(raw[t]) == len(frame) else row_origins(frame.reset_index(drop=True), files[t])
        mask = pd.Series(mask, index=frame.index).astype("boolean").fillna(False).to_numpy(dtype=bool)
        vals = value if isinstance(value, pd.Series) else frame[value]
        for src in dict.fromkeys(o[0] for o in origins):  # each source file with its own rows
            here = mask & np.array([o[0] == src for o in origins], dtype=bool) if len({o[0] for o in origins}) > 1 else mask
            out.extend(flag_cells(src, here, column, vals, rule, rows=[o[1] for o in origins]))

    p, v, ae = tables["patients"], tables["visits"], tables["adverse_events"]
    add("patients", p["age_years"] > 90, "age_years", "age_years", "unusual: age above 90 years at anifrolumab start; check it")
    add("patients", p["disease_duration_years"] > p["age_years"], "disease_duration_years", "disease_duration_years",
        "unusual: disease duration longer than the patient's age; check both")
    add("patients", (p["weight_kg"] < 35) | (p["weight_kg"] > 150), "weight_kg", "weight_kg",
        "unusual: body weight below 35 or above 150 kg; check it (kg, not lb)")
    start = p["anifrolumab_start"]
    add("patients", (start < EARLIEST_PLAUSIBLE_START) | (start > pd.Timestamp.today()), "anifrolumab_start",
        start.dt.strftime("%Y-%m-%d"), "unusual: anifrolumab start before 2019 or in the future; check the date")

    items = [c for c in CLINICAL_SLEDAI if c in v]
    present = v[items].eq(1).fillna(False)
    odd = present.any(axis=1) & (v["pga"] == 0)
    names = pd.Series("", index=v.index, dtype=object)
    flagged = present[odd.fillna(False)]
    names[flagged.index] = [", ".join(c for c, on in zip(items, r) if on) for r in flagged.to_numpy(dtype=bool)]
    add("visits", odd, "pga", "pga" if not len(v) else v["pga"].astype(str) + " with " + names,
        "unusual: a clinical SLEDAI-2K descriptor is present but PGA is 0; check PGA or the descriptor")
    try:
        pred = prednisone_equivalent(v) if len(v) else pd.Series(dtype=float)
    except ValueError:
        pred = pd.Series(np.nan, index=v.index)
    add("visits", pred > 60, "gc_dose_mg", v["gc_drug"].astype(str) + " " + v["gc_dose_mg"].astype(str) + " mg",
        "unusual: more than 60 mg/day prednisone equivalent; check drug and dose (mg per day)")
    order = v.reset_index(drop=True).sort_values(["patient_id", "week"], kind="stable")
    prev = order.groupby("patient_id")["pga"].shift()
    prev_week = order.groupby("patient_id")["week"].shift()
    rise = pd.Series(False, index=v.index)
    rise_text = pd.Series("", index=v.index, dtype=object)
    jump = (order["pga"] - prev) >= 2
    at = order.index[jump.fillna(False).to_numpy()]
    rise.iloc[at] = True
    rise_text.iloc[at] = [f"{a:g} at week {int(b)} -> {c:g} at week {int(d)}" for a, b, c, d in
                          zip(prev[at], prev_week[at], order.loc[at, "pga"], order.loc[at, "week"])]
    add("visits", rise.to_numpy(), "pga", rise_text, "unusual: PGA rose by 2 or more points since the previous visit; check it")
    for item, (col, _, _, _) in SLEDAI_LAB_THRESHOLDS.items():
        add("visits", beyond_lab_threshold(v[col], item) & (v[item] == 0), col, col,
            f"unusual: {col} is beyond the SLEDAI-2K threshold but {item} is 0, so it is read as not due to "
            "lupus (a drug, an infection) and neither SLEDAI-2K nor SLE-DAS counts it; check the attribution")
    add("visits", (v["sledai_arthritis"] == 1) & (v["tender_joints"] == 0) & (v["swollen_joints"] == 0), "sledai_arthritis",
        "sledai_arthritis", "unusual: SLEDAI arthritis recorded with 0 tender and 0 swollen joints; check the joint counts")
    assessed = v["treatment_status"] != "discontinued"  # a visit off the drug is never assessed for efficacy
    for col, (_, unknown) in GAP_INPUTS.items():
        if col in v:
            add("visits", v[col].isna() & assessed, col, col, f"missing input: {col} is not recorded; unknown at this visit: {unknown} "
                                                   "(counted as missing, never as 0)")
    add("adverse_events", (ae["hospitalised"] == 1) & (ae["serious"] == 0), "serious", "serious",
        "unusual: an event that led to hospitalisation is serious by the ICH E2A definition; check 'serious'")
    ae_stop = ae["patient_id"].map(p.drop_duplicates("patient_id").set_index("patient_id")["anifrolumab_stop_week"])
    add("adverse_events", (ae["action"] == "discontinuation") & ae_stop.isna(), "action", "action",
        "unusual: the event led to discontinuation but the patient has no anifrolumab_stop_week; check both")
    return problems_frame(out)
