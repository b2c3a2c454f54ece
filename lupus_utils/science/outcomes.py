"""Outcome states: LLDAS, DORIS 2021 remission, SELENA-SLEDAI Flare Index, CLASI-A response,
and the paper's non-responder rule.

Per-visit states take the ``visits`` table (codebook columns) and return Series aligned with its
index; rules that look at "the previous visit" use the patient's previous observed visit in week
order, whatever the row order of the input (:mod:`lupus_utils.science.visit_order`).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .instruments import (
    NEUROPSYCHIATRIC_ITEMS,
    OTHER_NEUROPSYCHIATRIC,
    RENAL_ITEMS,
    SEROLOGY_ITEMS,
    SLEDAI2K_WEIGHTS,
    clasi_a_50,
    clinical_sledai,
    column_values,
    extent_rank,
    has_missing,
    missing_values,
    only_where,
    prednisone_equivalent,
    sledai2k,
)
from .visit_order import (VisitOrder, given_order, positions, previous_values, previous_visit_position,
                          visit_order, visit_pairs)

#: Clinical SLEDAI-2K descriptors (serology excluded) checked for "new activity".
CLINICAL_ITEMS = tuple(k for k in SLEDAI2K_WEIGHTS if k not in SEROLOGY_ITEMS)
#: Gastrointestinal lupus activity, recorded by kind (SLE-DAS scores enteritis and peritonitis
#: under other items; LLDAS criterion 1 excludes all three).
GASTROINTESTINAL_ITEMS = ("lupus_enteritis", "sterile_peritonitis", "other_gastrointestinal_lupus")
#: Non-SLEDAI activity flags that also count as new activity when they appear.
EXTRA_ACTIVITY_FLAGS = ("cardiopulmonary_involvement", "haemolytic_anaemia", OTHER_NEUROPSYCHIATRIC, *GASTROINTESTINAL_ITEMS)
#: LLDAS criterion 1's major organ activity: renal, neuropsychiatric, cardiopulmonary, vasculitis,
#: fever, haemolytic anaemia, gastrointestinal.
LLDAS_MAJOR_ITEMS = (*RENAL_ITEMS, *NEUROPSYCHIATRIC_ITEMS, OTHER_NEUROPSYCHIATRIC, "sledai_pleurisy",
                     "sledai_pericarditis", "sledai_vasculitis", "sledai_fever", "cardiopulmonary_involvement",
                     "haemolytic_anaemia", *GASTROINTESTINAL_ITEMS)

#: LLDAS cut-offs (Franklyn K et al. Ann Rheum Dis 2016;75:1615-21): SLEDAI-2K <= 4, PGA (0-3)
#: <= 1, prednisone equivalent <= 7.5 mg/day.
LLDAS_SLEDAI2K_MAX = 4
LLDAS_PGA_MAX = 1.0
LLDAS_PREDNISONE_MAX_MG = 7.5
#: DORIS 2021 remission cut-offs (van Vollenhoven RF et al. Lupus Sci Med 2021;8:e000538):
#: clinical SLEDAI = 0, PGA (0-3) < 0.5, prednisone equivalent <= 5 mg/day.
DORIS_PGA_BELOW = 0.5
DORIS_PREDNISONE_MAX_MG = 5.0
#: The paper's non-responder rule applies to patients followed for at least 6 months.
NON_RESPONSE_MIN_FOLLOW_UP_WEEKS = 24


def _col(visits: pd.DataFrame, name: str) -> np.ndarray:
    return visits[name].to_numpy(dtype="float64", na_value=np.nan)


def _present_absent(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Where a 0/1 item is present (> 0) and where it is absent (0); an integer column is read
    once, as its sign."""
    if values.dtype.kind == "i":
        sign = np.sign(values, out=np.empty(len(values), dtype=np.int8), casting="unsafe")
        return sign > 0, sign == 0
    return values > 0, values == 0


def new_descriptor(visits: pd.DataFrame, column: str, prev: np.ndarray) -> np.ndarray:
    """A 0/1 item present now and absent at the previous visit (False at a first visit): the
    Flare Index's "new"."""
    now = _col(visits, column)
    return (prev >= 0) & (now > 0) & (previous_values(now, prev, 0.0) == 0)


def _derived(visits: pd.DataFrame, column: str, compute, use_derived: bool) -> np.ndarray:
    """With ``use_derived`` the score the visits carry (``derive_visits`` adds ``sledai2k``,
    ``clinical_sledai`` and ``prednisone_mg`` before the states), so that the visits table flows
    one way; otherwise computed from the items, so that a caller who changes an item (a
    counterfactual) never reads a stale score. Asked for and absent: ``KeyError`` naming it."""
    if use_derived:
        if column not in visits:
            raise KeyError(f"use_derived: the visits carry no {column!r} column (derive_visits adds it)")
        return column_values(visits, column)  # read-only: integers or floats (NaN where missing)
    return compute(visits).to_numpy(dtype="float64", na_value=np.nan)


def _known_bool(values: np.ndarray, missing: np.ndarray) -> pd.arrays.BooleanArray:
    """``values`` as a nullable boolean array, missing (``<NA>``) where ``missing`` is True."""
    return pd.arrays.BooleanArray(np.asarray(values, dtype=bool), np.asarray(missing, dtype=bool))


def _all_of(criteria: dict, index: pd.Index, name: str) -> pd.Series:
    """Kleene AND across criteria given as (holds, unknown) arrays: False when any criterion is
    known to fail, missing when none fails but one is unknown, True when all hold."""
    fails = np.zeros(len(index), dtype=bool)
    unknown = np.zeros(len(index), dtype=bool)
    for holds, not_known in criteria.values():
        fails |= ~(holds | not_known)
        unknown |= not_known
    unknown &= ~fails
    return pd.Series(pd.arrays.BooleanArray(~(fails | unknown), unknown), index=index, name=name)


def lldas_criteria(visits: pd.DataFrame, prev: np.ndarray | None = None, use_derived: bool = False) -> pd.DataFrame:
    """The five LLDAS criteria per visit, as booleans (Franklyn K et al. Ann Rheum Dis
    2016;75:1615-21).

    - ``c1_sledai_le4_no_major_organ``: SLEDAI-2K <= 4 with no renal, CNS, cardiopulmonary
      (pleurisy, pericarditis, ``cardiopulmonary_involvement``), vasculitis or fever activity, no
      haemolytic anaemia and no gastrointestinal activity (any of ``GASTROINTESTINAL_ITEMS``);
    - ``c2_no_new_activity``: no clinical SLEDAI-2K descriptor, cardiopulmonary, haemolytic or
      gastrointestinal flag present now that was absent at the previous visit, and (our reading of
      "new features") no rash or vasculitis of worse extent than then (serology is not "activity"
      here; at a patient's first visit there is nothing to compare and it holds);
    - ``c3_pga_le1``: PGA (0-3) <= 1;
    - ``c4_prednisone_le7_5``: prednisone equivalent <= 7.5 mg/day;
    - ``c5_standard_maintenance``: no immunosuppressant started or escalated since the previous
      visit (``new_immunosuppressant == 0``). This is how "well-tolerated standard maintenance
      doses of immunosuppressive drugs and approved biologics" is read: a drug taken at an
      unchanged dose counts as maintenance (anifrolumab itself at its licensed 300 mg every four
      weeks included); a start or an escalation for activity does not; tolerance is not recorded
      in the data, so a drug stopped for an adverse event is judged by the dose the patient still
      takes, not by the reason.

    Each criterion is a nullable boolean, missing (``<NA>``) where an input it needs is missing
    (a descriptor, PGA, the glucocorticoid, ``new_immunosuppressant``), never a silent False.
    With ``use_derived``, ``sledai2k``, ``prednisone_mg`` and the ranks of rash and vasculitis
    (:func:`lupus_utils.science.instruments.extent_ranks`) are the columns ``visits`` carries;
    ``prev`` is :func:`visit_order` (or :func:`previous_visit_position`) when the caller has it already.
    """
    crit = _lldas_arrays(visits, prev, use_derived)
    return pd.DataFrame({k: _known_bool(v, u) for k, (v, u) in crit.items()}, index=visits.index)


def _lldas_arrays(visits: pd.DataFrame, prev: np.ndarray | None, use_derived: bool) -> dict:
    """:func:`lldas_criteria` as numpy arrays: name -> (holds, unknown)."""
    score = _derived(visits, "sledai2k", sledai2k, use_derived)
    items = {c: column_values(visits, c) for c in LLDAS_MAJOR_ITEMS}
    prev = given_order(visits, prev)
    activity = (*CLINICAL_ITEMS, *EXTRA_ACTIVITY_FLAGS)
    items |= {c: column_values(visits, c) for c in activity if c not in items}
    # a worse extent is new activity too: rash localized -> generalized, vasculitis
    # mucocutaneous -> systemic
    ranks = [extent_rank(visits, col, use_derived) for col in ("rash_extent", "vasculitis_type")]
    pga = _col(visits, "pga")
    pred = _derived(visits, "prednisone_mg", prednisone_equivalent, use_derived)
    maintenance = column_values(visits, "new_immunosuppressant")
    at, before, place = visit_pairs(prev)
    has_prev = at(positions(prev)) >= 0
    major_active = np.zeros(len(visits), dtype=bool)
    major_unknown = np.zeros(len(visits), dtype=bool)
    new_any = np.zeros(len(has_prev), dtype=bool)  # present now, absent (0) at the previous visit
    new_unknown = np.zeros(len(has_prev), dtype=bool)
    for c, values in items.items():
        present, absent = _present_absent(values)
        missing = np.isnan(values) if values.dtype.kind == "f" else None
        if c in LLDAS_MAJOR_ITEMS:
            major_active |= present
            if missing is not None:
                major_unknown |= missing
        if c in activity:
            new_any |= at(present) & before(absent)
            if missing is not None:
                new_unknown |= at(missing) | before(missing)
    for rank in ranks:
        new_any |= at(rank) > before(rank)
        missing = np.isnan(rank)
        new_unknown |= at(missing) | before(missing)
    new_any &= has_prev
    new_unknown &= has_prev & ~new_any
    c1_false = (score > LLDAS_SLEDAI2K_MAX) | major_active
    return {
        "c1_sledai_le4_no_major_organ": (~c1_false, ~c1_false & (missing_values(score) | major_unknown)),
        "c2_no_new_activity": (place(~new_any, True), place(new_unknown)),
        "c3_pga_le1": (pga <= LLDAS_PGA_MAX, np.isnan(pga)),
        "c4_prednisone_le7_5": (pred <= LLDAS_PREDNISONE_MAX_MG, np.isnan(pred)),
        "c5_standard_maintenance": (maintenance == 0, missing_values(maintenance)),
    }


def lldas(visits: pd.DataFrame, prev: np.ndarray | None = None, use_derived: bool = False) -> pd.Series:
    """Lupus Low Disease Activity State at each visit: all five criteria of
    :func:`lldas_criteria` hold (Franklyn K et al. Ann Rheum Dis 2016;75:1615-21). A nullable
    boolean: False when a known criterion fails, missing when none fails but one is unknown."""
    return _all_of(_lldas_arrays(visits, prev, use_derived), visits.index, "lldas")


def doris_remission(visits: pd.DataFrame, use_derived: bool = False) -> pd.Series:
    """DORIS 2021 remission (on therapy) at each visit.

    Clinical SLEDAI = 0, PGA (0-3) < 0.5 and prednisone equivalent <= 5 mg/day; antimalarials,
    immunosuppressants and biologics are allowed when stable, so a visit at which an
    immunosuppressant was started or escalated (``new_immunosuppressant == 1``) or
    hydroxychloroquine newly added (``hcq_added == 1``) is not remission.
    Serology does not count. Source: van Vollenhoven RF, Bertsias G, Doria A, et al. 2021 DORIS
    definition of remission in SLE. Lupus Sci Med 2021;8:e000538. A nullable boolean, like
    :func:`lldas`: missing when no criterion fails but an input is missing.
    """
    score = _derived(visits, "clinical_sledai", clinical_sledai, use_derived)
    pga = _col(visits, "pga")
    pred = _derived(visits, "prednisone_mg", prednisone_equivalent, use_derived)
    maintenance = column_values(visits, "new_immunosuppressant")
    hcq = column_values(visits, "hcq_added")
    stable = (maintenance == 0) & (hcq == 0)
    criteria = {
        "clinical_sledai_0": (score == 0, missing_values(score)),
        "pga_below_0_5": (pga < DORIS_PGA_BELOW, np.isnan(pga)),
        "prednisone_le5": (pred <= DORIS_PREDNISONE_MAX_MG, np.isnan(pred)),
        "stable_therapy": (stable, ~stable & ~(maintenance == 1) & ~(hcq == 1)),
    }
    return _all_of(criteria, visits.index, "doris_remission")


SFI_LEVELS = ("none", "mild_moderate", "severe")
#: SELENA-SLEDAI Flare Index: a rise of at least this many SLEDAI points from the previous visit
#: is a mild/moderate flare.
SFI_MILD_SLEDAI_RISE = 3
#: "Worse" proteinuria with the renal descriptor already present: a rise of more than this many
#: g/24 h, the "recent increase of more than 0.5 g/24 h" of the SLEDAI glossary (Bombardier C et
#: al. Arthritis Rheum 1992;35:630-40).
SFI_PROTEINURIA_RISE_G = 0.5
#: "Worse" haemolytic anaemia, and haemolytic anaemia severe enough to count: a haemoglobin fall of
#: more than this many g/L, or a value below ``SFI_HAEMOGLOBIN_BELOW`` (SFI form).
SFI_HAEMOGLOBIN_FALL = 30
SFI_HAEMOGLOBIN_BELOW = 70
SFI_PLATELETS_BELOW = 60

#: Each criterion of :func:`sfi_flare_criteria` in the clinic's words (tables name the ones met).
SFI_CRITERIA_LABELS = {
    "severe_sledai_gt12": "SLEDAI-2K above 12 and rising",
    "severe_cns_requiring": "new or worse neuropsychiatric lupus, requiring more glucocorticoid or hospital",
    "severe_vasculitis_requiring": "new systemic vasculitis, requiring more glucocorticoid or hospital",
    "severe_nephritis_requiring": "new or worse nephritis, requiring more glucocorticoid or hospital",
    "severe_myositis_requiring": "new myositis, requiring more glucocorticoid or hospital",
    "severe_platelets_lt60_requiring": "platelets below 60 x10^9/L, requiring more glucocorticoid or hospital",
    "severe_haemolytic_anaemia_requiring": "new or worse haemolytic anaemia, requiring more glucocorticoid or hospital",
    "severe_prednisone_gt_half_mg_kg": "prednisone raised above 0.5 mg/kg/day",
    "severe_hospitalised_for_sle": "hospitalised for lupus",
    "severe_new_immunosuppressant": "immunosuppressant started or escalated", "severe_pga_gt2_5": "PGA above 2.5",
    "mild_sledai_up_ge3": f"SLEDAI-2K up by {SFI_MILD_SLEDAI_RISE} or more", "mild_new_or_worse_rash": "new or worse rash",
    "mild_new_cutaneous_vasculitis": "new cutaneous vasculitis", "mild_new_mucosal_ulcers": "new mucosal ulcers",
    "mild_new_pleurisy": "new pleurisy", "mild_new_pericarditis": "new pericarditis",
    "mild_new_arthritis": "new arthritis", "mild_new_fever": "new fever",
    "mild_prednisone_increased": "prednisone increased",
    "mild_hcq_or_nsaid_added": "hydroxychloroquine or NSAID added", "mild_pga_up_ge1": "PGA up by 1 or more",
}
#: The criteria that are a change of treatment rather than of disease activity.
SFI_TREATMENT_CRITERIA = ("severe_prednisone_gt_half_mg_kg", "mild_prednisone_increased",
                          "severe_new_immunosuppressant", "mild_hcq_or_nsaid_added", "severe_hospitalised_for_sle")


def sfi_organ_items(visits: pd.DataFrame) -> pd.DataFrame:
    """The SELENA-SLEDAI Flare Index's severe organ items, "new or worse" at each visit compared
    with the patient's previous visit (all False at a first visit). Worse includes the worsening of
    an item already present, where the data measure it:

    - ``cns``: a neuropsychiatric SLEDAI-2K descriptor (or ``other_neuropsychiatric_lupus``)
      present now and absent before;
    - ``vasculitis``: systemic vasculitis now, not before (``vasculitis_type``);
    - ``nephritis``: a renal descriptor present now and absent before, or proteinuria attributed to
      lupus at both visits and up by more than ``SFI_PROTEINURIA_RISE_G`` g/24 h;
    - ``myositis``: the myositis descriptor new;
    - ``platelets_lt60``: a lupus thrombocytopenia below 60 x10^9/L now that was not below 60
      before (a count already below 60 that falls further is not counted: no source gives a
      threshold);
    - ``haemolytic_anaemia``: haemolytic anaemia now with haemoglobin below 70 g/L or a fall of
      more than 30 g/L, and either new or, if present before, with that fall (or the fall below 70).
    """
    prev = previous_visit_position(visits)
    at, before, place = visit_pairs(prev)
    items = _sfi_organ_at(visits, at(prev) >= 0, at, before)
    return pd.DataFrame({k: _known_bool(place(v), place(u)) for k, (v, u) in items.items()}, index=visits.index)


def _sfi_organ_at(visits: pd.DataFrame, has_prev: np.ndarray, at, before, vasc: np.ndarray | None = None) -> dict:
    """:func:`sfi_organ_items` at the visits that ``at`` and ``before`` read (:func:`visit_pairs`;
    ``has_prev`` where those have a previous visit): name -> (holds, unknown), ``unknown`` only
    where the item does not hold. ``vasc`` is the vasculitis ranks when the caller has them."""
    def now_then(values):  # an array's values now and at the previous visit
        return at(values), before(values)

    def values_then(column):
        return now_then(column_values(visits, column))

    def any_new(columns):
        new = np.zeros(len(has_prev), dtype=bool)
        for c in columns:
            present, absent = _present_absent(column_values(visits, c))
            new |= at(present) & before(absent)
        return new & has_prev

    prot, prot_before = values_then("proteinuria_g_24h")
    prot_item, prot_item_before = now_then(column_values(visits, "sledai_proteinuria") == 1)
    worse_prot = only_where(has_prev & prot_item & prot_item_before,
                             lambda r: prot[r] - prot_before[r] > SFI_PROTEINURIA_RISE_G)
    vasc = extent_rank(visits, "vasculitis_type") if vasc is None else vasc
    systemic, systemic_before = now_then(vasc == 2)
    platelets, platelets_before = values_then("platelets_10e9_l")
    thromb_all = column_values(visits, "sledai_thrombocytopenia") == 1
    thromb, thromb_before = now_then(thromb_all)
    low_platelets, low_platelets_before = now_then((column_values(visits, "platelets_10e9_l") < SFI_PLATELETS_BELOW)
                                                   & thromb_all)
    hb, hb_prev = values_then("haemoglobin_g_l")
    haemolysis, haemolysis_before = now_then(column_values(visits, "haemolytic_anaemia") == 1)

    def haemolysis_counts(r):  # below 70 g/L or a fall of more than 30; crossing 70 if present before
        low, fall = hb[r] < SFI_HAEMOGLOBIN_BELOW, hb_prev[r] - hb[r] > SFI_HAEMOGLOBIN_FALL
        return fall | np.where(haemolysis_before[r], low & ~(hb_prev[r] < SFI_HAEMOGLOBIN_BELOW), low)
    nephritis_new = any_new(RENAL_ITEMS)
    values = {
        "cns": any_new((*NEUROPSYCHIATRIC_ITEMS, OTHER_NEUROPSYCHIATRIC)),
        "vasculitis": has_prev & systemic & ~systemic_before,
        "nephritis": nephritis_new | worse_prot,
        "myositis": any_new(["sledai_myositis"]),
        "platelets_lt60": has_prev & low_platelets & ~low_platelets_before,
        "haemolytic_anaemia": only_where(has_prev & haemolysis, haemolysis_counts),
    }
    # unknown where a value the item needs is missing and nothing else decides it (never, when
    # the column misses no value)
    none = np.zeros(len(has_prev), dtype=bool)
    unknown = {
        "nephritis": has_prev & prot_item & prot_item_before & (np.isnan(prot) | np.isnan(prot_before))
        if has_missing(visits, "proteinuria_g_24h") else none,
        "platelets_lt60": has_prev & thromb & (np.isnan(platelets) | (thromb_before & np.isnan(platelets_before)))
        if has_missing(visits, "platelets_10e9_l") else none,
        "haemolytic_anaemia": has_prev & haemolysis & (np.isnan(hb) | np.isnan(hb_prev))
        if has_missing(visits, "haemoglobin_g_l") else none,
    }
    return {k: (v, unknown[k] & ~v if k in unknown else none) for k, v in values.items()}


def sfi_flare_criteria(visits: pd.DataFrame, patients: pd.DataFrame | None = None,
                       prev: np.ndarray | None = None, use_derived: bool = False) -> pd.DataFrame:
    """Each SELENA-SLEDAI Flare Index criterion per visit, compared with the patient's previous
    visit (Petri M et al. N Engl J Med 2005;353:2550-8; Buyon JP et al. Ann Intern Med
    2005;142:953-62). Columns starting ``severe_`` define a severe flare, ``mild_`` a
    mild/moderate one. At a patient's first visit every criterion is False.

    - The severe organ items (:func:`sfi_organ_items`: neuropsychiatric lupus, systemic
      vasculitis, nephritis, myositis, platelets below 60, haemolytic anaemia) make a flare severe
      only when they require doubled prednisone (a dose at least twice the previous one, a start
      from none included), prednisone above 0.5 mg/kg/day or hospitalisation (``*_requiring``);
      otherwise the mild/moderate rules judge the visit (a new renal descriptor of 4 points, for
      example, is a SLEDAI-2K rise of 3 or more). Doubling prednisone is not severe on its own.
    - Severe on their own: SLEDAI-2K above 12 (and higher than before), prednisone raised above
      0.5 mg/kg/day, hospitalisation for lupus, an immunosuppressant started or escalated, PGA
      above 2.5 (and higher than before).
    - Mild/moderate: SLEDAI-2K up by 3 or more; new or worse rash (a wider extent); new cutaneous
      vasculitis, mucosal ulcers, pleurisy, pericarditis, arthritis or fever; prednisone
      increased; hydroxychloroquine or an NSAID added; PGA up by 1 or more.

    "Worse" is judged where the data measure an item's severity and a source gives the step: the
    extent of rash and vasculitis, proteinuria and haemoglobin (:func:`sfi_organ_items`). The
    joint counts move from visit to visit, but no source says by how much arthritis must grow to
    be "worse"; we do not invent a step, and a worsening the physician judged shows in the PGA rule.

    SLEDAI-2K stands in for SELENA-SLEDAI (the paper recorded SLEDAI-2K). The 0.5 mg/kg/day rules
    need ``weight_kg`` from ``patients``; without a weight they are not applied. Criteria are
    nullable booleans: unknown (``<NA>``) where a PGA, a glucocorticoid dose or a laboratory value
    they need is missing at the visit or the previous one, and nothing else decides them.
    """
    crit, place = _sfi_criteria_at(visits, patients, prev, use_derived)
    return pd.DataFrame({k: _known_bool(place(v), place(u)) for k, (v, u) in crit.items()}, index=visits.index)


def _sfi_criteria_at(visits: pd.DataFrame, patients: pd.DataFrame | None, prev: np.ndarray | None = None,
                     use_derived: bool = False) -> tuple[dict, object]:
    """:func:`sfi_flare_criteria` as numpy arrays at the visits :func:`visit_pairs` reads:
    (name -> (holds, unknown), ``place``, which puts such an array back in visit order)."""
    prev = given_order(visits, prev)
    at, before, place = visit_pairs(prev)
    has_prev = at(positions(prev)) >= 0

    def new(column):
        present, absent = _present_absent(column_values(visits, column))
        return has_prev & at(present) & before(absent)

    def flag(column):
        return at(column_values(visits, column)) == 1

    score = _derived(visits, "sledai2k", sledai2k, use_derived)
    score, score_prev = at(score), before(score)
    pga = _col(visits, "pga")
    pga_known = not np.isnan(pga).any()  # then no PGA rule is unknown
    pga, pga_prev = at(pga), before(pga)
    pred = _derived(visits, "prednisone_mg", prednisone_equivalent, use_derived)
    pred, pred_prev = at(pred), before(pred)
    pred_up = has_prev & (pred > pred_prev)
    # unknown only where a missing value could make the rule hold: a dose missing now, or missing
    # before a dose above 0 (a rise from an unknown dose cannot be ruled out); likewise for PGA
    none = np.zeros(len(has_prev), dtype=bool)
    pred_known = not (np.isnan(pred).any() or np.isnan(pred_prev).any())
    pred_unknown = none if pred_known else has_prev & (np.isnan(pred) | (np.isnan(pred_prev) & (pred > 0)))
    if patients is not None and "weight_kg" in patients.columns:
        weight = visits["patient_id"].map(patients.set_index("patient_id")["weight_kg"]).to_numpy(
            dtype="float64", na_value=np.nan)
        half_mg_kg = at(0.5 * weight)  # NaN when unknown: comparisons are then False
        above_half = pred_up & (pred > half_mg_kg)
        above_half_unknown = (~np.isnan(half_mg_kg) & has_prev
                              & (np.isnan(pred) | (np.isnan(pred_prev) & (pred > half_mg_kg))))
    else:  # without a weight the 0.5 mg/kg/day rules are not applied
        above_half = above_half_unknown = np.zeros(len(has_prev), dtype=bool)
    rash_rank = extent_rank(visits, "rash_extent", use_derived)
    vasc = extent_rank(visits, "vasculitis_type", use_derived)
    hospitalised = has_prev & flag("hospitalised_for_sle")
    requiring = (pred_up & (pred >= 2 * pred_prev)) | above_half | hospitalised
    requiring_unknown = ~requiring & (pred_unknown | above_half_unknown)
    organ = _sfi_organ_at(visits, has_prev, at, before, vasc)

    def kleene(values, unknown):
        return values, unknown & ~values

    requiring_known = not requiring_unknown.any()

    def organ_requiring(k):
        item, item_unknown = organ[k]
        value = item & requiring
        if requiring_known and not item_unknown.any():
            return value, none
        return kleene(value, (item & requiring_unknown) | (item_unknown & (requiring | requiring_unknown)))

    crit = {
        "severe_sledai_gt12": has_prev & (score > 12) & (score > score_prev),
        **{f"severe_{k}_requiring": organ_requiring(k) for k in organ},
        "severe_prednisone_gt_half_mg_kg": kleene(above_half, above_half_unknown),
        "severe_hospitalised_for_sle": hospitalised,
        "severe_new_immunosuppressant": has_prev & flag("new_immunosuppressant"),
        "severe_pga_gt2_5": kleene(has_prev & (pga > 2.5) & (pga > pga_prev),
                                   none if pga_known else has_prev & (np.isnan(pga) | ((pga > 2.5) & np.isnan(pga_prev)))),
        "mild_sledai_up_ge3": has_prev & (score - score_prev >= SFI_MILD_SLEDAI_RISE),
        "mild_new_or_worse_rash": has_prev & (at(rash_rank) > before(rash_rank)),
        "mild_new_cutaneous_vasculitis": has_prev & (at(vasc) == 1) & (before(vasc) == 0),
        "mild_new_mucosal_ulcers": new("sledai_mucosal_ulcers"),
        "mild_new_pleurisy": new("sledai_pleurisy"),
        "mild_new_pericarditis": new("sledai_pericarditis"),
        "mild_new_arthritis": new("sledai_arthritis"),
        "mild_new_fever": new("sledai_fever"),
        "mild_prednisone_increased": kleene(pred_up, pred_unknown),
        "mild_hcq_or_nsaid_added": has_prev & (flag("hcq_added") | flag("nsaid_added")),
        "mild_pga_up_ge1": kleene(has_prev & (pga - pga_prev >= 1.0),
                                  none if pga_known else has_prev & (np.isnan(pga) | ((pga >= 1.0) & np.isnan(pga_prev)))),
    }
    return {k: (v if isinstance(v, tuple) else (v, none)) for k, v in crit.items()}, place


def sfi_flare(visits: pd.DataFrame, patients: pd.DataFrame | None = None, prev: np.ndarray | None = None,
              use_derived: bool = False) -> pd.Series:
    """SELENA-SLEDAI Flare Index category at each visit versus the previous one:
    ``"severe"`` if any severe criterion of :func:`sfi_flare_criteria` holds, else
    ``"mild_moderate"`` if any mild/moderate one does, else ``"none"``; missing (``<NA>``) at a
    patient's first visit, where there is nothing to compare with, and where a criterion that
    could change the category is unknown (a PGA, a dose or a laboratory value missing now or at
    the previous visit) while none of a higher category holds."""
    prev = given_order(visits, prev)
    crit, place = _sfi_criteria_at(visits, patients, prev, use_derived)

    def any_of(prefix):  # Kleene OR: True if one holds, unknown if none holds but one is unknown
        true = np.zeros(len(crit["severe_sledai_gt12"][0]), dtype=bool)
        unknown = np.zeros(len(true), dtype=bool)
        for k, (v, u) in crit.items():
            if k.startswith(prefix):
                true |= v
                unknown |= u
        return place(true), place(unknown & ~true)

    severe, severe_unknown = any_of("severe_")
    mild, mild_unknown = any_of("mild_")
    # none (0), mild/moderate (1) or unknown (-1) at the mild level; a severe finding (2) or an
    # unknown severe one (-1) overrides it; a first visit is unknown (-1) whatever was found
    # (the booleans read as 0/1 integers: views, not copies)
    codes = mild.view(np.int8) - mild_unknown.view(np.int8)
    codes *= (~(severe | severe_unknown)).view(np.int8)
    codes += 2 * severe.view(np.int8) - severe_unknown.view(np.int8)
    first = positions(prev) < 0
    codes *= (~first).view(np.int8)
    codes -= first.view(np.int8)
    cat = pd.Categorical.from_codes(codes, categories=list(SFI_LEVELS))
    return pd.Series(cat, index=visits.index, name="sfi_flare")


def baseline_values(visits: pd.DataFrame, column: str, order: VisitOrder | None = None) -> pd.Series:
    """Each row's value of ``column`` at the patient's week-0 visit (NaN if there is none). A
    missing week or a duplicated (patient, week) raises ``ValueError``. ``order`` is the visits'
    :func:`visit_order` when the caller has it already (the patients are not grouped again)."""
    order = visit_order(visits) if order is None else order.check(visits)
    codes = order.codes
    base = np.full(len(order.patients), np.nan)
    at_baseline = visits["week"].to_numpy() == 0
    base[codes[at_baseline]] = visits[column].to_numpy(dtype="float64", na_value=np.nan)[at_baseline]
    return pd.Series(base[codes], index=visits.index, name=f"{column}_baseline")


def clasi_a_response(visits: pd.DataFrame, order: VisitOrder | None = None) -> pd.Series:
    """CLASI-A 50% response at each visit against the patient's week-0 CLASI-A (see
    :func:`lupus_utils.science.instruments.clasi_a_50`); missing where the baseline is below 10 or
    unknown, so such patients never enter the denominator. ``order``: as for :func:`baseline_values`."""
    return clasi_a_50(baseline_values(visits, "clasi_activity", order), visits["clasi_activity"])


#: Stop reasons that make a patient a non-responder whatever the last visit showed.
NON_RESPONSE_STOP_REASONS = ("flare", "persistent_activity")


def non_response_eligible(patients: pd.DataFrame,
                          min_follow_up_weeks: int = NON_RESPONSE_MIN_FOLLOW_UP_WEEKS) -> pd.Series:
    """Whether each patient falls under the non-responder rule: followed for at least
    ``min_follow_up_weeks``. An unknown follow-up is not eligible (``data_flow`` counts it)."""
    return (patients["follow_up_weeks"] >= min_follow_up_weeks).fillna(False).astype(bool)


def non_responder(patients: pd.DataFrame, visits: pd.DataFrame,
                  min_follow_up_weeks: int = NON_RESPONSE_MIN_FOLLOW_UP_WEEKS, use_derived: bool = False,
                  order: VisitOrder | None = None) -> pd.DataFrame:
    """The paper's non-responder rule, one row per patient.

    Among patients followed for at least ``min_follow_up_weeks`` (6 months = 24 weeks), a
    non-responder did not reach at least LLDAS (LLDAS or DORIS remission) at the last visit, or
    stopped anifrolumab for a flare or persistently active disease (Tani C et al. J Rheumatol
    2024, Methods). Returns ``patient_id``, ``follow_up_weeks``, ``eligible``, ``last_week``,
    ``at_least_lldas_last``, ``stopped_for_activity`` and ``non_responder`` (missing when not
    eligible, or when the state at the last visit is unknown and the patient did not stop for
    activity). With ``use_derived``, ``lldas`` and ``doris_remission`` are the columns ``visits``
    carries; ``order`` is the visits' :func:`visit_order` when the caller has it already.
    """
    order = visit_order(visits) if order is None else order.check(visits)
    codes, uniques, order = order.codes, order.patients, order.order
    if order is None:
        last_rows = np.flatnonzero(np.r_[codes[1:] != codes[:-1], True][: len(codes)])  # empty visits: no last rows
    else:
        last_rows = order[np.r_[codes[order][1:] != codes[order][:-1], True][: len(order)]]
    # the states at the last visits only (computed for every visit when not carried)
    states = [visits[c].take(last_rows).astype("boolean") if use_derived else f(visits).take(last_rows)
              for c, f in (("lldas", lldas), ("doris_remission", doris_remission))]
    at_least = (states[0] | states[1]).array
    week = visits["week"].to_numpy()[last_rows]
    out = patients[["patient_id", "follow_up_weeks"]].copy(deep=False)  # columns taken: a copy already
    out.index = pd.RangeIndex(len(out))
    eligible = non_response_eligible(patients, min_follow_up_weeks).to_numpy()
    out["eligible"] = eligible
    if 0 < len(last_rows) == len(uniques) and _same_values(out["patient_id"].to_numpy(), np.asarray(uniques)):
        # the patients in the order they first appear in the visits: each row's last visit is its own
        out["last_week"] = week
        out["at_least_lldas_last"] = at_least
    else:
        last = pd.DataFrame({"week": week, "at_least_lldas": at_least},
                            index=pd.Index(uniques[codes[last_rows]], name="patient_id"))
        out["last_week"] = out["patient_id"].map(last["week"])
        out["at_least_lldas_last"] = out["patient_id"].map(last["at_least_lldas"]).astype("boolean")
    reason = patients["anifrolumab_stop_reason"] if "anifrolumab_stop_reason" in patients else pd.Series(pd.NA, index=patients.index)
    stopped = np.zeros(len(patients), dtype=bool)
    given = reason.notna().to_numpy()
    stopped[given] = reason[given].isin(NON_RESPONSE_STOP_REASONS).to_numpy()
    out["stopped_for_activity"] = stopped
    # Kleene logic: stopping for activity decides; otherwise an unknown state stays unknown
    state = out["at_least_lldas_last"].array
    non_responder = stopped | ~state.to_numpy(dtype=bool, na_value=True)
    unknown = (~non_responder & state.isna()) | ~eligible
    out["non_responder"] = pd.arrays.BooleanArray(non_responder & ~unknown, unknown)
    return out


def _same_values(a: np.ndarray, b: np.ndarray) -> bool:
    """Whether two arrays hold equal values in the same order (False when they cannot be
    compared, as with ``pd.NA``)."""
    if a.shape != b.shape:
        return False
    try:
        same = a == b
    except (TypeError, ValueError):
        return False
    return isinstance(same, np.ndarray) and bool(same.all())


#: Modified SRI-4: the SLEDAI-2K reduction needed and the PGA worsening (0-3 scale) that undoes a
#: response (Furie RA et al. Arthritis Rheum 2009;61:1143-51).
SRI4_SLEDAI_REDUCTION, SRI4_PGA_WORSENING = 4, 0.3


def sri4_modified(visits: pd.DataFrame) -> pd.Series:
    """A modified SRI-4 response at each visit against the patient's week-0 visit: SLEDAI-2K
    reduced by at least 4 points and PGA (0-3) not worse by 0.3 or more
    (:data:`SRI4_SLEDAI_REDUCTION`, :data:`SRI4_PGA_WORSENING`). The SLE Responder Index
    (Furie RA et al. Arthritis Rheum 2009;61:1143-51) also requires no new BILAG A and no more
    than one new BILAG B domain; BILAG was not collected in this study, so that criterion is
    left out and the result is labelled *modified*. Missing (``<NA>``) where the baseline is
    unknown."""
    score = sledai2k(visits).to_numpy(dtype="float64", na_value=np.nan)
    base_score = baseline_values(visits.assign(_s=score), "_s").to_numpy()
    base_pga = baseline_values(visits, "pga").to_numpy(dtype="float64")
    pga = _col(visits, "pga")
    ok = (base_score - score >= SRI4_SLEDAI_REDUCTION) & (pga - base_pga < SRI4_PGA_WORSENING)
    out = pd.array(ok, dtype="boolean")
    out[np.isnan(base_score) | np.isnan(base_pga) | np.isnan(score) | np.isnan(pga)] = pd.NA
    return pd.Series(out, index=visits.index, name="sri4_modified")
