"""Adverse events: Table 3, event by event, dealt to patients in follow-up at that visit."""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..codebook import columns
from .items import ITEMS, W
from .patients import Cohort

#: Table 3, event by event: (week, category, term, serious, hospitalised, action). Which events
#: were serious or led to a suspension is our choice where the paper is silent; the counts are
#: checked against the targets when a generation starts (``targets.check_table3_events``).
TABLE3_EVENTS = [
    (4, "infection", "upper respiratory tract infection", 0, 0, "none"),
    (4, "infection", "upper respiratory tract infection", 0, 0, "none"),
    (4, "infection", "upper respiratory tract infection", 0, 0, "none"),
    (4, "infection", "urinary tract infection", 0, 0, "none"),
    (4, "infection", "herpes simplex", 0, 0, "temporary_suspension"),
    (4, "cardiovascular", "paroxysmal supraventricular tachycardia", 0, 0, "none"),
    (12, "infection", "urogenital tract infection", 0, 0, "none"),
    (12, "infection", "urogenital tract infection", 0, 0, "none"),
    (12, "infection", "gastroenteritis", 0, 0, "none"),
    (12, "infection", "COVID-19", 0, 0, "temporary_suspension"),
    (12, "infection", "herpes zoster", 1, 0, "temporary_suspension"),
    (12, "cardiovascular", "pulmonary thromboembolism", 1, 1, "temporary_suspension"),
    (12, "other", "neutropenia", 0, 0, "temporary_suspension"),
    (24, "infection", "urogenital tract infection", 0, 0, "none"),
    (24, "infection", "gastroenteritis", 0, 0, "none"),
    (24, "infection", "COVID-19", 1, 1, "temporary_suspension"),
    (24, "infection", "COVID-19", 0, 0, "none"),
    (24, "other", "fatigue", 0, 0, "none"),
    (36, "infection", "upper respiratory tract infection", 0, 0, "none"),
    (36, "infection", "upper respiratory tract infection", 0, 0, "none"),
    (36, "infection", "urogenital tract infection", 0, 0, "none"),
    (36, "infection", "cellulitis", 1, 0, "discontinuation"),
    (36, "infection", "COVID-19", 0, 0, "temporary_suspension"),
    (48, "infection", "oral candidiasis", 0, 0, "none"),
    (48, "infection", "upper respiratory tract infection", 0, 0, "none"),
    (48, "infection", "COVID-19", 0, 0, "temporary_suspension"),
    (72, "infection", "upper respiratory tract infection", 0, 0, "none"),
]



#: Adverse events that a lupus descriptor active at the same visit would contradict: a
#: drug-related neutropenia goes to a patient whose leukopenia is not scored as lupus then.
NOT_WITH_DESCRIPTOR = {"neutropenia": "leukopenia"}


def build_adverse_events(cohort: Cohort, rng, act: np.ndarray | None = None) -> pd.DataFrame:
    """Table 3's events dealt to patients in follow-up at their visit. ``act`` (stage a's
    descriptors) keeps an event away from a patient whose active descriptor it would contradict."""
    r = cohort.roles
    fixed = {"herpes zoster": r["infections"], "cellulitis": r["infections"],
             "pulmonary thromboembolism": r["pulmonary_embolism"]}
    rows = []
    for k, (week, cat, term, serious, hosp, action) in enumerate(TABLE3_EVENTS):
        if term in fixed:
            i = fixed[term]
        else:
            seen = [i for i in np.flatnonzero(cohort.attend[:, W[week]]) if i != r["infections"] or week != 36]
            item = NOT_WITH_DESCRIPTOR.get(term)
            if item is not None and act is not None:
                seen = [i for i in seen if not act[i, W[week], ITEMS.index(item)]]
            i = int(rng.choice(seen))
        rows.append({"event_id": f"SYNTH-AE{k + 1:02d}", "patient_id": cohort.patients["patient_id"].iloc[i],
                     "week": week, "category": cat, "term": term, "serious": serious, "hospitalised": hosp,
                     "action": action})
    return pd.DataFrame(rows, columns=columns("adverse_events"))

