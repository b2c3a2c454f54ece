"""SLE disease-activity instruments computed from item-level visit data.

Every function takes the ``visits`` table (one row per patient and visit, column names as in
``data/codebook.csv``) and returns a Series aligned with its index. Nothing is printed or cached.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

#: SLEDAI-2K descriptor weights (Gladman DD, Ibañez D, Urowitz MB. J Rheumatol 2002;29:288-91).
SLEDAI2K_WEIGHTS: dict[str, int] = {
    "sledai_seizure": 8,
    "sledai_psychosis": 8,
    "sledai_organic_brain_syndrome": 8,
    "sledai_visual_disturbance": 8,
    "sledai_cranial_nerve_disorder": 8,
    "sledai_lupus_headache": 8,
    "sledai_cerebrovascular_accident": 8,
    "sledai_vasculitis": 8,
    "sledai_arthritis": 4,
    "sledai_myositis": 4,
    "sledai_urinary_casts": 4,
    "sledai_haematuria": 4,
    "sledai_proteinuria": 4,
    "sledai_pyuria": 4,
    "sledai_rash": 2,
    "sledai_alopecia": 2,
    "sledai_mucosal_ulcers": 2,
    "sledai_pleurisy": 2,
    "sledai_pericarditis": 2,
    "sledai_low_complement": 2,
    "sledai_increased_dna_binding": 2,
    "sledai_fever": 1,
    "sledai_thrombocytopenia": 1,
    "sledai_leukopenia": 1,
}
#: The two serological descriptors; clinical SLEDAI leaves them out.
SEROLOGY_ITEMS = ("sledai_low_complement", "sledai_increased_dna_binding")
CLINICAL_SLEDAI_WEIGHTS = {k: w for k, w in SLEDAI2K_WEIGHTS.items() if k not in SEROLOGY_ITEMS}
NEUROPSYCHIATRIC_ITEMS = (
    "sledai_seizure", "sledai_psychosis", "sledai_organic_brain_syndrome",
    "sledai_visual_disturbance", "sledai_cranial_nerve_disorder", "sledai_lupus_headache",
    "sledai_cerebrovascular_accident",
)
#: Neuropsychiatric lupus outside the SLEDAI-2K descriptors (SLE-DAS's neuropsychiatric item names
#: peripheral neuropathy, myelopathy, aseptic meningitis among others; Jesus 2019, Table 1).
OTHER_NEUROPSYCHIATRIC = "other_neuropsychiatric_lupus"
RENAL_ITEMS = ("sledai_urinary_casts", "sledai_haematuria", "sledai_proteinuria", "sledai_pyuria")
#: The organ domain of every SLEDAI-2K descriptor, in the clinic's words.
SLEDAI_ORGANS: dict[str, str] = {
    **dict.fromkeys(NEUROPSYCHIATRIC_ITEMS, "neuropsychiatric"), "sledai_vasculitis": "vascular",
    "sledai_arthritis": "musculoskeletal", "sledai_myositis": "musculoskeletal", **dict.fromkeys(RENAL_ITEMS, "renal"),
    "sledai_rash": "mucocutaneous", "sledai_alopecia": "mucocutaneous", "sledai_mucosal_ulcers": "mucocutaneous",
    "sledai_pleurisy": "serosal", "sledai_pericarditis": "serosal", **dict.fromkeys(SEROLOGY_ITEMS, "serological"),
    "sledai_fever": "constitutional", "sledai_thrombocytopenia": "haematological", "sledai_leukopenia": "haematological",
}


def coded(series: pd.Series, mapping: dict[str, float], missing: float = np.nan,
          common: str | None = None) -> tuple[np.ndarray, list[str]]:
    """Map a text column through ``mapping`` (keys compared stripped and lower-cased) quickly:
    each distinct value is looked up once. Returns the values (``missing`` for empty cells) and
    the distinct values that ``mapping`` does not know. ``common``, a key of ``mapping`` that may
    fill most cells (``"none"``): when it fills nine in ten of the first 10,000, it is matched by a
    plain comparison, quicker than hashing, and only the other cells are looked up."""
    values = series.to_numpy() if common is not None and series.dtype == object else None
    if values is not None and _mostly(values[:10_000], common):
        try:
            is_common = values == common
        except (TypeError, ValueError):  # pd.NA has no truth value: look every cell up
            is_common = None
        if isinstance(is_common, np.ndarray) and is_common.dtype == bool:
            others = np.flatnonzero(~is_common)
            out = np.full(len(values), float(mapping[common]))
            out[others], unknown = coded(pd.Series(values[others], dtype=object), mapping, missing)
            return out, unknown
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    keys = [str(u).strip().lower() for u in uniques]
    unknown = [u for u, k in zip(uniques, keys) if k not in mapping]
    table = np.array([mapping.get(k, np.nan) for k in keys] + [missing], dtype="float64")
    return table[codes], [str(u) for u in unknown]


def _mostly(values: np.ndarray, common: str) -> bool:
    """Whether at least nine in ten of ``values`` equal ``common``."""
    try:
        return bool(np.mean(values == common) >= 0.9) if len(values) else False
    except (TypeError, ValueError):  # pd.NA has no truth value
        return False


#: SLEDAI-2K laboratory descriptors and the value that defines each: descriptor -> (column,
#: direction, threshold, unit). Proteinuria > 0.5 g/24 h, platelets < 100 and leukocytes < 3
#: x10^9/L (Gladman DD et al. J Rheumatol 2002;29:288-91); SLE-DAS uses the same thresholds.
SLEDAI_LAB_THRESHOLDS = {
    "sledai_proteinuria": ("proteinuria_g_24h", ">", 0.5, "g/24 h"),
    "sledai_thrombocytopenia": ("platelets_10e9_l", "<", 100.0, "x10^9/L"),
    "sledai_leukopenia": ("leukocytes_10e9_l", "<", 3.0, "x10^9/L"),
}


def beyond_lab_threshold(values, item: str):
    """Whether ``values`` (of the descriptor's laboratory column) are past the threshold of the
    SLEDAI-2K descriptor ``item``; False where missing."""
    _, op, thr, _ = SLEDAI_LAB_THRESHOLDS[item]
    return values > thr if op == ">" else values < thr


#: Ordered extents of the two SLE-DAS category columns (worse = higher).
RASH_EXTENT_RANK = {"none": 0, "localized": 1, "generalized": 2}
VASCULITIS_TYPE_RANK = {"none": 0, "mucocutaneous": 1, "systemic": 2}


#: The derived column that carries each category column's rank (``derive_visits`` adds them with
#: the scores, so that the states code the text once: :func:`extent_ranks`).
RANK_COLUMNS = {"rash_extent": "rash_extent_rank", "vasculitis_type": "vasculitis_rank"}


def extent_rank(visits: pd.DataFrame, column: str, use_derived: bool = False) -> np.ndarray:
    """``rash_extent`` or ``vasculitis_type`` as its rank (NaN where empty). A value outside the
    codebook raises ``ValueError`` naming the column and the values, rather than scoring as none.
    With ``use_derived``, the rank column the visits carry (:data:`RANK_COLUMNS`); asked for and
    absent: ``KeyError`` naming it."""
    ranks = {"rash_extent": RASH_EXTENT_RANK, "vasculitis_type": VASCULITIS_TYPE_RANK}[column]
    if use_derived:
        derived = RANK_COLUMNS[column]
        if derived not in visits:
            raise KeyError(f"use_derived: the visits carry no {derived!r} column (derive_visits adds it)")
        return visits[derived].to_numpy(dtype="float64", na_value=np.nan)
    rank, unknown = coded(visits[column], ranks, common="none")
    if unknown:
        raise ValueError(f"{column} has value(s) outside {sorted(ranks)}: {', '.join(unknown)}")
    return rank


def extent_ranks(visits: pd.DataFrame) -> dict[str, np.ndarray]:
    """The derived rank columns (:data:`RANK_COLUMNS`) of ``visits``: name -> ranks. Added to the
    visits once (``visits.assign(**extent_ranks(visits))``), they spare the states that take
    ``use_derived`` coding the text again."""
    return {name: extent_rank(visits, column) for column, name in RANK_COLUMNS.items()}


def column_values(visits: pd.DataFrame, name: str) -> np.ndarray:
    """A numeric column as a numpy array: read as it is when it is already int64 (never missing)
    or float64 (NaN where missing), else converted to float64 with NaN where missing. The array
    may be the table's own memory: read it, never write to it."""
    values = visits[name]
    if isinstance(values.dtype, np.dtype) and values.dtype in (np.int64, np.float64):
        return values.to_numpy()
    return values.to_numpy(dtype="float64", na_value=np.nan)


def missing_values(values: np.ndarray) -> np.ndarray:
    """Where an array from :func:`column_values` is missing (an integer array never is)."""
    return np.isnan(values) if values.dtype.kind == "f" else np.zeros(values.shape, dtype=bool)


def has_missing(visits: pd.DataFrame, column: str) -> bool:
    """Whether a numeric column misses a value (rules then need their unknowns worked out)."""
    return bool(missing_values(column_values(visits, column)).any())


def only_where(mask: np.ndarray, condition) -> np.ndarray:
    """``mask & condition``, the condition (a function of row numbers) worked out only at the rows
    where ``mask`` holds (rare findings: a few rows of many)."""
    rows = np.flatnonzero(mask)
    out = np.zeros(len(mask), dtype=bool)
    out[rows] = condition(rows)
    return out


def _weighted_sum(visits: pd.DataFrame, weights: dict[str, int]) -> pd.Series:
    missing = [c for c in weights if c not in visits.columns]
    if missing:
        raise KeyError(f"visits lacks the SLEDAI-2K item column(s): {', '.join(missing)}")
    items = {col: column_values(visits, col) for col in weights}
    if all(v.dtype == np.int64 for v in items.values()):
        # integer items cannot be missing: add those of each weight, then weigh the sums (exact)
        score = np.zeros(len(visits), dtype="int64")
        for w in sorted(set(weights.values())):
            first, *others = [items[col] for col, wc in weights.items() if wc == w]
            total = first + others.pop() if others else first.copy()
            for values in others:
                total += values
            total *= w
            score += total
        return pd.Series(score, index=visits.index)
    score = np.zeros(len(visits))
    for col, w in weights.items():
        score += w * visits[col].to_numpy(dtype="float64", na_value=np.nan)
    if not np.isnan(score).any():
        score = score.astype("int64")
    return pd.Series(score, index=visits.index)


def sledai2k(visits: pd.DataFrame) -> pd.Series:
    """SLEDAI-2K total score (0-105).

    Sum of the weights of the 24 descriptors present at the visit (columns ``sledai_*``, 0/1).
    Source: Gladman DD, Ibañez D, Urowitz MB. Systemic lupus erythematosus disease activity index
    2000. J Rheumatol 2002;29:288-91. A missing item gives a missing score, never a silent 0.
    """
    return _weighted_sum(visits, SLEDAI2K_WEIGHTS).rename("sledai2k")


def clinical_sledai(visits: pd.DataFrame, use_derived: bool = False) -> pd.Series:
    """Clinical SLEDAI: SLEDAI-2K without low complement and increased DNA binding (0-101).

    Used by the DORIS 2021 remission definition (van Vollenhoven RF et al. Lupus Sci Med
    2021;8:e000538), which disregards serology. With ``use_derived``, the ``sledai2k`` column the
    visits carry less the weights of the serology items present, when all are whole numbers
    (never missing: the same integers as adding the other items); else from the items. Asked
    for and absent: ``KeyError`` naming it.
    """
    if use_derived:
        if "sledai2k" not in visits:
            raise KeyError("use_derived: the visits carry no 'sledai2k' column (derive_visits adds it)")
        values = [column_values(visits, c) for c in ("sledai2k", *SEROLOGY_ITEMS)]
        if all(v.dtype == np.int64 for v in values):
            score = values[0].copy()
            for item, v in zip(SEROLOGY_ITEMS, values[1:]):
                score -= SLEDAI2K_WEIGHTS[item] * v
            return pd.Series(score, index=visits.index, name="clinical_sledai")
    return _weighted_sum(visits, CLINICAL_SLEDAI_WEIGHTS).rename("clinical_sledai")


#: Prednisone-equivalent factor: mg of prednisone per mg of the drug (Liu D, Ahmet A, Ward L, et al.
#: A practical guide to the monitoring and management of the complications of systemic
#: corticosteroid therapy. Allergy Asthma Clin Immunol 2013;9:30, Table 1: equivalent doses
#: prednisone 5 mg = prednisolone 5 = methylprednisolone 4 = triamcinolone 4 = hydrocortisone 20
#: = cortisone 25 = dexamethasone 0.75 = betamethasone 0.6; deflazacort 6 mg from its label).
PREDNISONE_EQUIVALENT_MG = {
    "prednisone": 5.0,
    "prednisolone": 5.0,
    "methylprednisolone": 4.0,
    "triamcinolone": 4.0,
    "hydrocortisone": 20.0,
    "cortisone": 25.0,
    "deflazacort": 6.0,
    "dexamethasone": 0.75,
    "betamethasone": 0.6,
}


def prednisone_equivalent(visits: pd.DataFrame) -> pd.Series:
    """Daily glucocorticoid dose in mg of prednisone equivalent.

    ``gc_dose_mg`` of ``gc_drug`` times 5 / (the drug's dose equivalent to 5 mg prednisone);
    ``gc_drug == "none"`` gives 0 (even with the dose left empty); a drug with its dose missing
    gives NaN (unknown, never 0). An unknown drug raises ``ValueError`` naming it.
    Equivalences: Liu D et al. Allergy Asthma Clin Immunol 2013;9:30 (Table 1).
    """
    factor, unknown = coded(visits["gc_drug"], {k: 5.0 / v for k, v in PREDNISONE_EQUIVALENT_MG.items()} | {"none": 0.0})
    if unknown:
        raise ValueError(f"gc_drug has unknown glucocorticoid(s): {', '.join(unknown)}")
    dose = pd.to_numeric(visits["gc_dose_mg"], errors="raise").astype("float64").to_numpy()
    # no glucocorticoid is 0 mg whatever the dose cell says; a drug without its dose is unknown
    mg = dose * factor
    if not (~np.signbit(dose) & (dose < np.inf)).all():  # else dose x 0 is 0 (not -0) where there is no drug
        mg = np.where(factor == 0, 0.0, mg)
    return pd.Series(np.round(mg, 4), index=visits.index, name="prednisone_mg")


#: SLE-DAS coefficients (Jesus D, Matos A, Henriques C, et al. Derivation and validation of the
#: SLE Disease Activity Score (SLE-DAS): a new SLE continuous measure with high sensitivity for
#: changes in disease activity. Ann Rheum Dis 2019;78:365-71, Figure 1; transcribed from the
#: formula used by the public sle-das.eu calculator). Binary items add their coefficient when
#: present; the four continuous items are below.
SLE_DAS_INTERCEPT = 0.366
SLE_DAS_BINARY = {
    "neuropsychiatric": 18.0,
    "systemic_vasculitis": 18.0,
    "cardiopulmonary": 18.0,
    "myositis": 9.0,
    "haemolytic_anaemia": 9.0,
    "serositis": 6.0,
    "mucocutaneous_vasculitis": 4.408,
    "generalized_rash": 3.887,
    "localized_rash": 3.138,
    "arthritis": 3.132,
    "mucosal_ulcers": 2.769,
    "alopecia": 0.973,
    "increased_anti_dsdna": 0.956,
    "hypocomplementaemia": 0.754,
}
SLE_DAS_SWOLLEN_JOINT = 0.454  # per swollen joint (28-joint count), added to the arthritis term
#: Continuous terms, applied only beyond their threshold: (intercept, slope on the natural log).
SLE_DAS_PROTEINURIA = (-17.584, 3.811)   # proteinuria > 500 mg/24 h, ln(mg/24 h)
SLE_DAS_PLATELETS = (26.105, -5.577)     # platelets < 100 x10^9/L, ln(10^9/L)
SLE_DAS_LEUKOCYTES = (6.118, -5.058)     # leukocytes < 3 x10^9/L, ln(10^9/L)
#: Activity categories (Jesus D, Larosa M, Henriques C, et al. Ann Rheum Dis 2021;80:1568-74):
#: remission <= 2.08, mild activity <= 7.64, moderate/severe above. Clinically meaningful change
#: >= 1.72 (Jesus 2019). SLE-DAS low disease activity: <= 2.48 with prednisone <= 7.5 mg/day
#: (Assuncao H, Jesus D, Larosa M, et al. Rheumatology (Oxford) 2022;61:3309-13).
SLE_DAS_REMISSION = 2.08
SLE_DAS_MILD = 7.64
SLE_DAS_LOW_ACTIVITY = 2.48
SLE_DAS_MEANINGFUL_CHANGE = 1.72


def sle_das_items(visits: pd.DataFrame, use_derived: bool = False) -> pd.DataFrame:
    """The 17 SLE-DAS inputs derived from the visit columns (0/1 items plus the four numbers).

    Mapping: neuropsychiatric = any of the seven SLEDAI-2K neuropsychiatric descriptors or
    ``other_neuropsychiatric_lupus`` (the SLE-DAS item is broader than SLEDAI-2K's);
    serositis = pleurisy, pericarditis or sterile peritonitis, and systemic vasculitis includes lupus
    enteritis (Jesus 2019, Table 1 of items); arthritis = at least one swollen joint (SLE-DAS counts
    swollen joints of the 28-joint count); rash and vasculitis from ``rash_extent`` and
    ``vasculitis_type``; hypocomplementaemia and anti-dsDNA from the SLEDAI-2K serology items;
    proteinuria in mg/24 h (``proteinuria_g_24h`` x 1000). The laboratory values are returned as
    recorded; :func:`sle_das` counts one only when its SLEDAI-2K item is present (attributed to
    lupus). An item made of several inputs is present (1) when any of them is, missing when none
    is but one is missing, else absent (0): a missing input is never read as absent. With
    ``use_derived``, the ranks of rash and vasculitis are the columns the visits carry
    (:func:`extent_ranks`).
    """
    items = _sle_das_binary_items(visits, use_derived)
    labs = {
        "proteinuria_mg_24h": visits["proteinuria_g_24h"].to_numpy(dtype="float64", na_value=np.nan) * 1000.0,
        "platelets_10e9_l": visits["platelets_10e9_l"].to_numpy(dtype="float64", na_value=np.nan),
        "leukocytes_10e9_l": visits["leukocytes_10e9_l"].to_numpy(dtype="float64", na_value=np.nan),
    }
    return pd.DataFrame({name: np.asarray(values, dtype="float64") for name, values in (items | labs).items()},
                        index=visits.index)


def _sle_das_binary_items(visits: pd.DataFrame, use_derived: bool = False) -> dict[str, np.ndarray]:
    """The 14 binary SLE-DAS items and the swollen joint count of :func:`sle_das_items`, as
    arrays: booleans where no input is missing, else 1.0/0.0 with NaN; a single column as it is
    (read-only)."""
    def any_of(*parts):
        present = np.zeros(len(visits), dtype=bool)
        unknown = np.zeros(len(visits), dtype=bool)
        for p in parts:
            present |= p > 0
            if p.dtype.kind == "f":
                unknown |= np.isnan(p)
        if not unknown.any():
            return present
        return np.where(present, 1.0, np.where(unknown, np.nan, 0.0))

    def known(flag, missing):  # the flag, NaN where its input is missing
        return flag if not missing.any() else np.where(missing, np.nan, flag.astype("float64"))

    def col(name):
        return column_values(visits, name)

    vasc = extent_rank(visits, "vasculitis_type", use_derived)
    rash = extent_rank(visits, "rash_extent", use_derived)
    vasc_missing, rash_missing = np.isnan(vasc), np.isnan(rash)
    swollen = visits["swollen_joints"].to_numpy(dtype="float64", na_value=np.nan)
    return {
        "neuropsychiatric": any_of(*(col(c) for c in (*NEUROPSYCHIATRIC_ITEMS, OTHER_NEUROPSYCHIATRIC))),
        "systemic_vasculitis": any_of(known(vasc == 2, vasc_missing), col("lupus_enteritis")),
        "cardiopulmonary": col("cardiopulmonary_involvement"),
        "myositis": col("sledai_myositis"),
        "haemolytic_anaemia": col("haemolytic_anaemia"),
        "serositis": any_of(col("sledai_pleurisy"), col("sledai_pericarditis"), col("sterile_peritonitis")),
        "mucocutaneous_vasculitis": known(vasc == 1, vasc_missing),
        "generalized_rash": known(rash == 2, rash_missing),
        "localized_rash": known(rash == 1, rash_missing),
        "arthritis": known(swollen >= 1, np.isnan(swollen)),
        "mucosal_ulcers": col("sledai_mucosal_ulcers"),
        "alopecia": col("sledai_alopecia"),
        "increased_anti_dsdna": col("sledai_increased_dna_binding"),
        "hypocomplementaemia": col("sledai_low_complement"),
        "swollen_joints": swollen,
    }


def sle_das(visits: pd.DataFrame, use_derived: bool = False) -> pd.Series:
    """SLE Disease Activity Score (SLE-DAS), a continuous score (0.366 with no activity).

    SLE-DAS = 0.366 + sum of binary coefficients present + 0.454 x swollen joints
    + [proteinuria > 500 mg/24 h] (-17.584 + 3.811 ln proteinuria)
    + [platelets < 100] (26.105 - 5.577 ln platelets)
    + [leukocytes < 3] (6.118 - 5.058 ln leukocytes).
    Source: Jesus D et al. Ann Rheum Dis 2019;78:365-71 (formula, Figure 1; sle-das.eu).
    Inputs are mapped from the visit columns by :func:`sle_das_items`. A laboratory value that is
    missing while its SLEDAI-2K item is present gives a missing score. A value beyond the threshold
    with its SLEDAI-2K item at 0 (attributed to another cause, such as a drug) adds nothing: both
    instruments score lupus activity only. With ``use_derived``, the ranks of rash and vasculitis
    are the columns the visits carry (:func:`extent_ranks`), not coded from the text again.
    """
    it = _sle_das_binary_items(visits, use_derived)
    score = _binary_sum(it)
    if score is None:  # a missing or non-0/1 item: each one's coefficient times its value
        score = np.full(len(visits), SLE_DAS_INTERCEPT)
        for name, coef in SLE_DAS_BINARY.items():
            score += coef * it[name]
    score += SLE_DAS_SWOLLEN_JOINT * it["swollen_joints"]
    for (a, b), item, unit in ((SLE_DAS_PROTEINURIA, "sledai_proteinuria", 1000.0),  # g -> mg/24 h
                               (SLE_DAS_PLATELETS, "sledai_thrombocytopenia", None),
                               (SLE_DAS_LEUKOCYTES, "sledai_leukopenia", None)):
        recorded = visits[SLEDAI_LAB_THRESHOLDS[item][0]].to_numpy(dtype="float64", na_value=np.nan)
        present = column_values(visits, item)
        lupus = np.flatnonzero(present > 0)  # the visits with the item present: the values read
        value = recorded[lupus]
        beyond = beyond_lab_threshold(value, item)
        # beyond the threshold and attributed to lupus: a + b ln(value) (ln 1 for a value <= 0)
        rows = lupus[beyond]
        value = value[beyond] if unit is None else value[beyond] * unit
        score[rows] += a + b * np.log(np.where(value > 0, value, 1.0))
        # a missing value with its item present, or a value beyond it with the item unknown
        score[lupus[np.isnan(recorded[lupus])]] = np.nan
        if present.dtype.kind == "f":
            score[np.isnan(present) & beyond_lab_threshold(recorded, item)] = np.nan  # attribution unknown
    return pd.Series(np.round(score, 3), index=visits.index, name="sle_das")


def _binary_sum(items: dict[str, np.ndarray]) -> np.ndarray | None:
    """``SLE_DAS_INTERCEPT`` plus the coefficients of the binary items present, added in the order
    of ``SLE_DAS_BINARY`` as :func:`sle_das` adds them one by one (the same sums, to the last
    bit), read from a table of every combination of the 14 items: ``None`` when an item is
    missing or has a value other than 0 and 1 (booleans, or integers)."""
    bits = []
    for name in SLE_DAS_BINARY:
        values = items[name]
        if values.dtype == bool:
            bits.append(values.view(np.uint8))
        elif values.dtype.kind == "i" and values.dtype.itemsize == 8:
            as_unsigned = values.view(np.uint64)  # a negative value is above 1 here
            if len(values) and as_unsigned.max() > 1:
                return None
            bits.append(as_unsigned.astype(np.uint8))
        else:
            return None
    low, high, shifted = (np.zeros(len(bits[0]), dtype=np.uint8) for _ in range(3))
    for k, b in enumerate(bits):
        half = low if k < 8 else high
        half |= np.left_shift(b, k % 8, out=shifted)
    combination = high.astype(np.uint16) << 8
    combination |= low
    present = (np.arange(1 << len(bits))[:, None] >> np.arange(len(bits))) & 1
    table = np.full(1 << len(bits), SLE_DAS_INTERCEPT)
    for k, coef in enumerate(SLE_DAS_BINARY.values()):
        table += coef * present[:, k]
    return table[combination]


def sle_das_category(score: pd.Series) -> pd.Series:
    """SLE-DAS activity category: ``remission`` (<= 2.08), ``mild`` (<= 7.64) or
    ``moderate_severe`` (> 7.64) (Jesus D et al. Ann Rheum Dis 2021;80:1568-74)."""
    s = score.to_numpy(dtype="float64", na_value=np.nan)
    codes = np.where(np.isnan(s), -1, np.where(s <= SLE_DAS_REMISSION, 0, np.where(s <= SLE_DAS_MILD, 1, 2)))
    cat = pd.Categorical.from_codes(codes, categories=["remission", "mild", "moderate_severe"])
    return pd.Series(cat, index=score.index, name="sle_das_category")


#: Most CLASI activity points an item can give (Albrecht J et al. J Invest Dermatol 2005): mucous
#: membrane lesions 0-1; hair 0-4 (recent hair loss 0-1 plus non-scarring alopecia 0-3). Erythema
#: and scale, the rest of the 0-70, need skin lesions (a rash).
CLASI_A_MUCOSAL_MAX = 1
CLASI_A_HAIR_MAX = 4


def clasi_a_50(baseline: pd.Series, current: pd.Series) -> pd.Series:
    """Elementwise CLASI-A 50% response: baseline CLASI-A >= 10 and current <= half of it; missing
    where baseline < 10 (Morand EF et al. N Engl J Med 2020;382:211-21)."""
    b = baseline.to_numpy(dtype="float64", na_value=np.nan)
    c = current.to_numpy(dtype="float64", na_value=np.nan)
    out = pd.arrays.BooleanArray(c <= 0.5 * b, ~(b >= 10) | np.isnan(c))
    return pd.Series(out, index=current.index, name="clasi_a_response")
