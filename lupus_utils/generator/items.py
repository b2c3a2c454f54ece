"""The visit schedule and the SLEDAI-2K items the search places, with named axes.

Constants only, from ``lupus_utils.paths`` and ``lupus_utils.science.instruments`` (no file is read):
the search keeps item presence in arrays of shape (patients, visits, items), and every place
that picks one item out of them says which by name (``RASH``, ``ARTHRITIS``, ...), never by
position."""
from __future__ import annotations

import numpy as np

from ..science.instruments import SEROLOGY_ITEMS, SLEDAI2K_WEIGHTS
from ..paths import EFFICACY_WEEKS, VISIT_WEEKS

SEED = 20240053
ID_PREFIX = "SYNTH-"
WEEKS = np.array(VISIT_WEEKS)
NW = len(WEEKS)
W = {w: i for i, w in enumerate(VISIT_WEEKS)}  # visit week -> column

ITEMS = ("rash", "alopecia", "ulcers", "arthritis", "leukopenia", "thrombocytopenia", "proteinuria",
         "low_complement", "dsdna")
#: The item axis by name: ``act[:, :, ARTHRITIS]`` is arthritis at every visit of every patient.
(RASH, ALOPECIA, ULCERS, ARTHRITIS, LEUKOPENIA, THROMBOCYTOPENIA, PROTEINURIA,
 LOW_COMPLEMENT, DSDNA) = range(len(ITEMS))
#: The SLEDAI-2K descriptor behind each item, its weight from lupus_utils.science.instruments.
ITEM_COLUMNS = ("sledai_rash", "sledai_alopecia", "sledai_mucosal_ulcers", "sledai_arthritis", "sledai_leukopenia",
                "sledai_thrombocytopenia", "sledai_proteinuria", "sledai_low_complement", "sledai_increased_dna_binding")
SLEDAI_W = np.array([SLEDAI2K_WEIGHTS[c] for c in ITEM_COLUMNS], dtype=float)
CLINICAL = np.array([c not in SEROLOGY_ITEMS for c in ITEM_COLUMNS])
PERICARDITIS_W = SLEDAI2K_WEIGHTS["sledai_pericarditis"]
GROUP = {"rash": "muco", "alopecia": "muco", "ulcers": "muco", "arthritis": "artic", "leukopenia": "haem",
         "thrombocytopenia": "haem", "proteinuria": "renal", "low_complement": "all", "dsdna": "all"}
#: the patients-table flag of ongoing involvement behind each group ("all": anyone)
GROUP_FLAG = {"muco": "mucocutaneous_active", "artic": "articular_active", "haem": "haematological_active",
              "renal": "renal_active"}
#: The items of each involvement group, in item order (a patient with ongoing involvement keeps at
#: least one of them at baseline).
GROUP_ITEMS = {"muco": [RASH, ALOPECIA, ULCERS], "artic": [ARTHRITIS], "haem": [LEUKOPENIA, THROMBOCYTOPENIA],
               "renal": [PROTEINURIA]}

#: Measures of Table 2 in the order the search scores them.
TABLE2_MEASURES = ("sledai2k", "sle_das", "swollen_joints", "tender_joints", "clasi_activity", "pga", "prednisone_mg")
TABLE2_WEEKS = EFFICACY_WEEKS
