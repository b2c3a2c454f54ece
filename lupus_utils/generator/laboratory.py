"""Laboratory values at the visits where no SLEDAI-2K descriptor asks for one beyond its threshold.

No published number depends on these (SLEDAI-2K and SLE-DAS read a laboratory value only with its
descriptor), so they are free to be clinically believable: real haemoglobin, platelet and leukocyte
counts are strongly autocorrelated within a person, so each patient has her own level and each
visit varies a little around it. A count that was low at the previous visit (a cytopenia) recovers
by a limited amount per visit instead of jumping to the patient's level. tests/test_clinical_coherence.py
checks the result on the committed cohort."""
from __future__ import annotations

import numpy as np

#: Haemoglobin level per patient (g/L; women and men with treated lupus, mild anaemia allowed) and
#: the visit-to-visit noise around it (the within-person SD of haemoglobin is about 4-5 g/L).
HAEMOGLOBIN_LEVEL, HAEMOGLOBIN_NOISE = (112, 140), 4
#: Platelet level per patient (x10^9/L): lower with haematological involvement, never below the
#: SLEDAI-2K threshold (100) once the descriptor has gone; noise about 10% of the level.
PLATELET_LEVEL, PLATELET_LEVEL_HAEMATOLOGICAL, PLATELET_NOISE, PLATELET_FLOOR = (170, 330), (120, 190), 20, 105
#: Leukocyte level per patient (x10^9/L), lower with haematological involvement; floor above the
#: SLEDAI-2K threshold (3.0).
LEUKOCYTE_LEVEL, LEUKOCYTE_LEVEL_HAEMATOLOGICAL, LEUKOCYTE_NOISE, LEUKOCYTE_FLOOR = (4.2, 8.5), (3.6, 5.0), 0.4, 3.5
#: The most a count rises from a cytopenic visit to the next (x10^9/L): platelets from 33 reach
#: about 105, not 300, four weeks later; a full recovery takes more than one visit.
PLATELET_RECOVERY, LEUKOCYTE_RECOVERY = 70, 2.0
#: Proteinuria without the descriptor (g/24 h): a level and a small noise, below 0.3.
PROTEINURIA_LEVEL, PROTEINURIA_NOISE = (0.05, 0.25), 0.04


def laboratory_courses(attend: np.ndarray, haematological: np.ndarray, platelets: np.ndarray,
                       leukocytes: np.ndarray, thrombocytopenia: np.ndarray, leukopenia: np.ndarray,
                       rng) -> dict:
    """(patients, visits) arrays of haemoglobin, platelets, leukocytes and proteinuria for the
    visits in ``attend``. Where ``thrombocytopenia`` or ``leukopenia`` is active the search's
    ``platelets`` or ``leukocytes`` value is kept; elsewhere the value is the patient's level plus
    noise, capped at the previous visit's cytopenic value plus the recovery allowed. Draws from
    ``rng`` in a fixed order: levels for every patient, then noise for every cell."""
    n, nw = attend.shape
    hb_level = rng.integers(HAEMOGLOBIN_LEVEL[0], HAEMOGLOBIN_LEVEL[1] + 1, n)
    plt_level = np.where(haematological, rng.integers(*PLATELET_LEVEL_HAEMATOLOGICAL, n),
                         rng.integers(*PLATELET_LEVEL, n))
    wbc_level = np.where(haematological, rng.uniform(*LEUKOCYTE_LEVEL_HAEMATOLOGICAL, n),
                         rng.uniform(*LEUKOCYTE_LEVEL, n))
    prot_level = rng.uniform(*PROTEINURIA_LEVEL, n)
    hb = hb_level[:, None] + rng.integers(-HAEMOGLOBIN_NOISE, HAEMOGLOBIN_NOISE + 1, (n, nw))
    plt = np.maximum(PLATELET_FLOOR, plt_level[:, None] + rng.integers(-PLATELET_NOISE, PLATELET_NOISE + 1, (n, nw)))
    wbc = np.maximum(LEUKOCYTE_FLOOR, wbc_level[:, None] + rng.uniform(-LEUKOCYTE_NOISE, LEUKOCYTE_NOISE, (n, nw)))
    prot = np.clip(prot_level[:, None] + rng.uniform(-PROTEINURIA_NOISE, PROTEINURIA_NOISE, (n, nw)), 0.03, 0.29)
    plt, wbc = plt.astype(float), wbc.round(1)
    for i in range(n):
        for w in range(1, nw):
            if not attend[i, w]:
                continue
            if thrombocytopenia[i, w - 1] and not thrombocytopenia[i, w]:
                plt[i, w] = max(PLATELET_FLOOR, min(plt[i, w], platelets[i, w - 1] + PLATELET_RECOVERY))
            if leukopenia[i, w - 1] and not leukopenia[i, w]:
                wbc[i, w] = max(LEUKOCYTE_FLOOR, min(wbc[i, w], round(leukocytes[i, w - 1] + LEUKOCYTE_RECOVERY, 1)))
    plt = np.where(thrombocytopenia, platelets, plt)
    wbc = np.where(leukopenia, leukocytes, wbc)
    return {"haemoglobin": hb.astype(float), "platelets": plt, "leukocytes": wbc, "proteinuria": prot.round(2)}
