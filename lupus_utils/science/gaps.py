"""The gap inputs: the visit values that may be missing (a gap, counted and warned about, never a
validation error) and what each leaves unknown. Which score or state needs which input is the
instruments' and outcome states' knowledge, so it lives here, in the science; the data part reads
it to warn, the results to count."""
from __future__ import annotations

import numpy as np
import pandas as pd


#: The visit inputs that may be missing (a gap, counted and warned about, never an error), and
#: what is unknown (NA) at a visit without them. The codebook marks them not required.
GAP_INPUTS = {
    "pga": ("PGA", "LLDAS, DORIS remission, the flare index's PGA rules and the PGA summaries"),
    "gc_dose_mg": ("Glucocorticoid dose", "the prednisone equivalent, LLDAS, DORIS remission and the glucocorticoid summaries"),
    "tender_joints": ("Tender joints", "the tender-joint summaries"),
    "swollen_joints": ("Swollen joints", "SLE-DAS (its arthritis item) and the swollen-joint summaries"),
    "clasi_activity": ("CLASI-A", "the CLASI-A summaries and the CLASI-A 50 response"),
    "clasi_damage": ("CLASI-D", "the CLASI-D summaries"),
    "proteinuria_g_24h": ("Proteinuria", "SLE-DAS where SLEDAI-2K proteinuria is present, and the proteinuria summaries"),
    "platelets_10e9_l": ("Platelets", "SLE-DAS where SLEDAI-2K thrombocytopenia is present, and the platelet summaries"),
    "leukocytes_10e9_l": ("Leukocytes", "SLE-DAS where SLEDAI-2K leukopenia is present, and the leukocyte summaries"),
    "haemoglobin_g_l": ("Haemoglobin", "the flare index's haemolytic-anaemia rule and the haemoglobin summaries"),
}


def input_gaps(visits: pd.DataFrame) -> pd.DataFrame:
    """Per gap input (:data:`GAP_INPUTS`) present in ``visits``: the visits without it, of how
    many, and what is unknown there. One row per input, in the order of :data:`GAP_INPUTS`."""
    rows = []
    for col, (label, unknown) in GAP_INPUTS.items():
        if col in visits:
            n = int(visits[col].isna().sum())
            rows.append({"input": col, "label": label, "missing": n, "visits": len(visits),
                         "pct": 100.0 * n / len(visits) if len(visits) else np.nan, "unknown_without_it": unknown})
    return pd.DataFrame(rows, columns=["input", "label", "missing", "visits", "pct", "unknown_without_it"])
