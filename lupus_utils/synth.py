"""A deterministic SYNTHETIC cohort calibrated to the published aggregates of Tani C et al.
(J Rheumatol 2024). None of these patients exists.

    python -m lupus_utils.synth [--out data/synthetic]

How it is made (a SPRITE-style reconstruction: search over coherent patient-level data until the
published moments come out):

1. **Patients.** Table 1 fixes counts exactly (sex, ethnicity, organ involvement, therapies,
   reason for prescription, SDI > 0); continuous variables are built by ``quartile_vector`` as
   sorted vectors whose median, quartiles (SPSS HAVERAGE), minimum and maximum are the published
   ones, then dealt to patients by a seeded shuffle. Every count and statistic is read from
   ``data/targets.csv``; what the generator designs itself (the events of Table 3, the flare
   weeks, which patients have which ongoing involvement) is checked against that file when this
   module loads. Roles the text describes are given to named patients: the four flares, the
   discontinuations, the herpes zoster and pulmonary embolism cases.
2. **Follow-up.** The number of patients at each visit follows Table 3's patients in follow-up;
   one patient stopped for recurrent infections before week 36 and is seen off treatment then, so
   Table 2's efficacy counts come out too.
3. **Visits, item by item, by simulated annealing** in four stages, each changing only its own
   items and scoring the statistics those items drive: (a) SLEDAI-2K descriptors, swollen joints
   and laboratory values -> SLEDAI-2K, SLE-DAS and swollen-joint medians, IQRs, means, SDs and
   Wilcoxon p-values, serology; (b) tender joints; (c) CLASI activity; (d) PGA and glucocorticoid
   dose -> PGA, prednisone, DORIS remission, LLDAS and non-responder counts. Every move keeps the
   data coherent: descriptors only within the patient's ongoing organ involvement, no descriptor
   reappearing after it resolved and no rise in PGA or glucocorticoid outside the four described
   flares (so the SELENA-SLEDAI Flare Index finds exactly those four), arthritis exactly when two
   or more joints are tender, laboratory values on the right side of each descriptor's threshold,
   CLASI-A above zero exactly when a skin, hair or mucosal descriptor is present and within what
   the CLASI gives those items; a rise of more than 3 tender joints or CLASI-A points from one
   visit to the next outside a flare is penalised.
4. **Adverse events** are Table 3's, event by event, dealt to patients in follow-up that week.
5. **Repairs** (stage e): recorded visit changes the search does not find, each checked with the
   book's scorecard and keeping every coherence rule (``REPAIRS``).

Scores and outcome states are never written here: the book computes them with ``lupus_utils``.
The search uses its own fast copies of the summary statistics (for speed); the scorecard then
checks every published number with the book's own code. One known difference: ``_wilcoxon_p``
ranks float differences as they are, where ``stats`` rounds them to 9 decimals first so that
equal changes tie; on the shipped cohort this moves SLE-DAS and PGA p-values in the second or
third significant digit (for example the SLE-DAS week 0 vs 12 p-value).
Aligning it changes the search path, so it waits for the next recalibration.
"""
from __future__ import annotations

import argparse
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .codebook import columns
from .instruments import (CLASI_A_HAIR_MAX, CLASI_A_MUCOSAL_MAX, PREDNISONE_EQUIVALENT_MG, SEROLOGY_ITEMS, SLE_DAS_BINARY, SLE_DAS_INTERCEPT,
                          SLE_DAS_LEUKOCYTES, SLE_DAS_PLATELETS, SLE_DAS_PROTEINURIA, SLE_DAS_SWOLLEN_JOINT,
                          SLEDAI2K_WEIGHTS, SLEDAI_LAB_THRESHOLDS)
from .outcomes import (DORIS_PGA_BELOW, DORIS_PREDNISONE_MAX_MG, LLDAS_PGA_MAX, LLDAS_PREDNISONE_MAX_MG,
                       LLDAS_SLEDAI2K_MAX, NON_RESPONSE_MIN_FOLLOW_UP_WEEKS)
from .paths import EFFICACY_WEEKS, SYNTHETIC_DIR, VISIT_WEEKS
from .results import AE_CATEGORY_MEASURES, AE_TERM_MEASURES
from .data import load_targets

SEED = 20240053
WEEKS = np.array(VISIT_WEEKS)
NW = len(WEEKS)
W = {w: i for i, w in enumerate(VISIT_WEEKS)}  # visit week -> column
_TARGETS = load_targets()  # read once: every published number the generator aims at
_PUBLISHED = _TARGETS.set_index("target_id")


def _published(target_id: str) -> float:
    """One published value from data/targets.csv, the only place that types them."""
    return float(_PUBLISHED.loc[target_id, "value"])


def _count(target_id: str) -> int:
    value = _published(target_id)
    if value != int(value):
        raise ValueError(f"targets.csv: {target_id} = {value} is not a whole count")
    return int(value)


N = _count("t1_patients_n")  # the paper's cohort size
ID_PREFIX = "SYNTH-"


# ----------------------------------------------------------------------------- fast statistics
def _quantile(s: list, p: float) -> float:
    """SPSS HAVERAGE percentile (numpy 'weibull') of the sorted list ``s``."""
    n = len(s)
    h = p * (n + 1)
    if h <= 1:
        return s[0]
    if h >= n:
        return s[-1]
    k = int(h)
    return s[k - 1] + (h - k) * (s[k] - s[k - 1])


def _q(a: np.ndarray):
    """median, q1, q3 with SPSS HAVERAGE."""
    s = sorted(a.tolist())
    return _quantile(s, 0.5), _quantile(s, 0.25), _quantile(s, 0.75)


def _norm_sf2(z: float) -> float:
    return math.erfc(abs(z) / math.sqrt(2))


def _wilcoxon_p(x: np.ndarray, y: np.ndarray) -> float:
    d = y - x
    d = d[d != 0]
    n = d.size
    if n == 0:
        return 1.0
    a = np.abs(d)
    order = np.argsort(a, kind="mergesort")
    s = a[order]
    ranks = np.empty(n)
    i = 0
    ties = 0.0
    while i < n:
        j = i
        while j + 1 < n and s[j + 1] == s[i]:
            j += 1
        ranks[order[i:j + 1]] = (i + j) / 2 + 1
        t = j - i + 1
        ties += t ** 3 - t
        i = j + 1
    wp = ranks[d > 0].sum()
    wm = ranks[d < 0].sum()
    var = n * (n + 1) * (2 * n + 1) / 24 - ties / 48
    if var <= 0:
        return 1.0
    return _norm_sf2((min(wp, wm) - n * (n + 1) / 4) / math.sqrt(var))


def _rnd(x: float, decimals: int) -> float:
    """Half-up rounding, as printed tables round."""
    f = 10 ** decimals
    return math.floor(x * f + 0.5 + 1e-9) / f


@dataclass
class Spec:
    """Published target for one statistic: value, printed decimals, relation for p-values."""
    value: float
    decimals: int = 0
    relation: str = "="


def _loss_describe(a: np.ndarray, med=None, q1=None, q3=None, mean=None, sd=None) -> float:
    if a.size == 0:
        return 100.0
    m, l, u = _q(a)
    loss = 0.0
    for got, spec in ((m, med), (l, q1), (u, q3)):
        if spec is not None:
            unit = 10 ** -spec.decimals
            loss += (abs(_rnd(got, spec.decimals) - spec.value) / unit) ** 0.5 * 3 + abs(got - spec.value) / (unit * 5)
    for got, spec in ((a.mean(), mean), (a.std(ddof=1) if a.size > 1 else 0.0, sd)):
        if spec is not None:
            unit = 10 ** -spec.decimals
            loss += abs(_rnd(got, spec.decimals) - spec.value) / unit * 2 + abs(got - spec.value) / unit * 0.2
    return loss


def _loss_p(p: float, spec: Spec) -> float:
    if spec.relation == "<":
        return max(0.0, math.log(p / spec.value)) * 3
    if spec.relation == ">=":
        return max(0.0, math.log(spec.value / p)) * 3 + (2.0 if p < spec.value else 0.0)
    r = abs(math.log(p / spec.value))
    side = 3.0 if (p < 0.05) != (spec.value < 0.05) else 0.0
    return r * 1.5 + side + (0.0 if r < math.log(1.3) else 0.5)


def _anneal(state: dict, loss_fn, propose, rng, iters: int, t0: float = 2.0, t1: float = 0.01) -> float:
    """Simulated annealing over ``state`` (dict of numpy arrays, changed in place). ``propose``
    mutates one cell and returns an undo closure, or None when no valid move was found."""
    cur = loss_fn(state)
    best = cur
    best_state = {k: v.copy() for k, v in state.items()}
    for it in range(iters):
        temp = t0 * (t1 / t0) ** (it / max(1, iters - 1))
        undo = propose(state, rng)
        if undo is None:
            continue
        new = loss_fn(state)
        if new <= cur or rng.random() < math.exp((cur - new) / temp):
            cur = new
            if cur < best - 1e-12:
                best = cur
                best_state = {k: v.copy() for k, v in state.items()}
                if best == 0:
                    break
        else:
            undo()
    for k in state:
        state[k][...] = best_state[k]
    return best


# ----------------------------------------------------------------------------- patients
def _deal(values, rng, n=N):
    values = list(values)
    assert len(values) == n
    return list(rng.permutation(values))


def _on_grid(x: float, resolution: float) -> float:
    return round(math.floor(x / resolution + 0.5 + 1e-9) * resolution, 6)


def quartile_vector(n: int, lo: float, q1: float, median: float, q3: float, hi: float,
                    resolution: float = 1.0, include: float | None = None) -> list:
    """A sorted list of ``n`` values on a grid of ``resolution`` whose minimum, SPSS HAVERAGE
    quartiles and maximum are exactly the given ones.

    Each quartile is pinned on the order statistics that define it: at position h = p(n + 1) =
    k + f, value v on the grid gives s_k = v (and s_k+1 = v when f > 0); a median half-way between
    two grid points gives s_k and s_k+1 on either side. The values between pinned
    ranks are spread linearly and rounded to the grid. ``include`` adds one value that must occur
    (a patient the text describes), at the free rank nearest to it. A grid of 1 gives integers."""
    pins: dict[int, float] = {1: lo, n: hi}

    def pin(rank: int, value: float, what: str):
        if rank in pins and abs(pins[rank] - value) > 1e-9:
            raise ValueError(f"{what}: rank {rank} is needed at {value} and at {pins[rank]}")
        pins[rank] = value

    for p, v, what in ((0.25, q1, "q1"), (0.5, median, "median"), (0.75, q3, "q3")):
        h = p * (n + 1)
        k, f = int(h), h - int(h)
        if abs(_on_grid(v, resolution) - v) < 1e-9:
            pin(k, v, what)
            if f > 0:
                pin(k + 1, v, what)
        elif abs(f - 0.5) < 1e-9 and abs(_on_grid(v - resolution / 2, resolution) - (v - resolution / 2)) < 1e-9:
            pin(k, v - resolution / 2, what)
            pin(k + 1, v + resolution / 2, what)
        else:
            raise ValueError(f"{what} = {v} cannot be pinned at position {h:g} on a grid of {resolution}")
    # A published extreme beyond a Tukey fence (quartile -/+ 1.5 IQR) stands alone, as an outlier
    # does in a skewed sample: the rank next to it is pinned at the fence.
    # (The pin is rounded inward, onto the grid point inside the fence.)
    fence_lo, fence_hi = q1 - 1.5 * (q3 - q1), q3 + 1.5 * (q3 - q1)
    if lo < fence_lo and 2 not in pins:
        pins[2] = round(math.ceil(fence_lo / resolution - 1e-9) * resolution, 6)
    if hi > fence_hi and n - 1 not in pins:
        pins[n - 1] = round(math.floor(fence_hi / resolution + 1e-9) * resolution, 6)
    ranks = sorted(pins)
    values = [pins[r] for r in ranks]
    if values != sorted(values):
        raise ValueError(f"the pinned values {dict(zip(ranks, values))} are not in order")
    out = [_on_grid(float(np.interp(r, ranks, values)), resolution) for r in range(1, n + 1)]
    if include is not None and abs(_on_grid(include, resolution) - include) > 1e-9:
        raise ValueError(f"include = {include} is not on the grid of {resolution}")
    if include is not None and include not in out:
        free = [r for r in range(1, n + 1) if r not in pins
                and (r == 1 or out[r - 2] <= include) and (r == n or include <= out[r])]
        if not free:
            raise ValueError(f"no free rank can hold {include}")
        r = min(free, key=lambda r: abs(out[r - 1] - include))
        out[r - 1] = include
    if resolution == 1:
        out = [int(x) for x in out]
    got = np.percentile(out, [25, 50, 75], method="weibull")
    if not np.allclose(got, [q1, median, q3]) or out[0] != lo or out[-1] != hi:
        raise AssertionError(f"quartile_vector missed its targets: {out}")
    return out


def _published_vector(ids: dict, n: int, resolution: float = 1.0, include: float | None = None,
                      **design) -> list:
    """quartile_vector with each statistic read from targets.csv by id; ``design`` gives the
    statistics the paper does not publish (say which in the caller)."""
    stats = {k: _published(v) for k, v in ids.items()} | design
    return quartile_vector(n, stats["lo"], stats["q1"], stats["median"], stats["q3"], stats["hi"],
                           resolution, include)


#: Where each baseline vector's published statistics stand (targets.csv ids). The Results text's
#: medians of age and disease duration carry a decimal Table 1 rounds away, so they are used.
VECTOR_TARGETS = {
    "age_years": dict(lo="res_age_min", q1="t1_age_q1", median="res_age_median", q3="t1_age_q3", hi="res_age_max"),
    "disease_duration_years": dict(lo="res_disease_duration_min", q1="t1_disease_duration_q1",
                                   median="res_disease_duration_median", q3="t1_disease_duration_q3",
                                   hi="res_disease_duration_max"),
    "cumulative_gc_g": dict(lo="res_cumulative_gc_min", q1="t1_cumulative_gc_q1", median="t1_cumulative_gc_median",
                            q3="t1_cumulative_gc_q3", hi="res_cumulative_gc_max"),
    "n_previous_immunosuppressants": dict(lo="res_n_previous_is_min", q1="t1_n_previous_is_q1",
                                          median="t1_n_previous_is_median", q3="t1_n_previous_is_q3",
                                          hi="res_n_previous_is_max"),
    # Table 1 does not say whom its SLICC-DI quartiles describe; the Results text's median and
    # range are among SDI > 0, and Table 1's quartiles fit those patients too (see the audit).
    "sdi_positive": dict(lo="res_sdi_min", q1="t1_sdi_q1", median="res_sdi_median", q3="t1_sdi_q3", hi="res_sdi_max"),
    # lowest dose count: not published; taken equal to the published q1 (our choice)
    "sars_cov2_vaccine_doses": dict(lo="res_sars_cov2_vaccine_doses_q1", q1="res_sars_cov2_vaccine_doses_q1",
                                    median="res_sars_cov2_vaccine_doses_median", q3="res_sars_cov2_vaccine_doses_q3"),
    "clasi_damage": dict(q1="t1_clasi_damage_q1", median="t1_clasi_damage_median", q3="t1_clasi_damage_q3"),
}
#: Not published, chosen by us: most vaccinated patients had 2-4 doses by 2023; CLASI damage runs
#: from 0 and a long-standing scarring lupus reaches the mid-teens.
VACCINE_DOSES_MAX = 4
CLASI_DAMAGE_MAX = 15


@dataclass
class Cohort:
    patients: pd.DataFrame
    attend: np.ndarray      # (N, NW) bool: visit exists
    efficacy: np.ndarray    # (N, NW) bool: assessed on treatment
    roles: dict = field(default_factory=dict)


#: The four flares the Results text describes, by the role of the patient who has them, and the
#: visit they happen at; checked against the published flare counts per visit when this loads.
FLARE_WEEKS = {"pericarditis": 4, "nephritis": 24, "cytopenia": 24, "arthritis": 36}


def _check_flare_weeks() -> None:
    t = _TARGETS
    per_week = t[(t["source"] == "results") & (t["measure"] == "flares") & t["week"].notna()]
    published = {int(w): int(v) for w, v in zip(per_week["week"], per_week["value"])}
    designed = {w: list(FLARE_WEEKS.values()).count(w) for w in set(FLARE_WEEKS.values())}
    if designed != published:
        raise AssertionError(f"FLARE_WEEKS gives flares per visit {designed}, targets.csv {published}")


_check_flare_weeks()


def _flare_cell(roles: dict, role: str) -> tuple[int, int]:
    """(patient index, visit index) of one described flare."""
    return roles[role], W[FLARE_WEEKS[role]]


def _last_visit_weeks() -> np.ndarray:
    """Each patient's last visit, from Table 3's patients in follow-up per visit (targets.csv):
    as many patients stop after week w as are seen at w but not at the next visit."""
    t = _TARGETS
    seen = t[(t["source"] == "table3") & (t["measure"] == "patients_at_visit")].set_index("week")["value"]
    weeks = [w for w in VISIT_WEEKS if w in seen.index]
    counts = [int(seen[w] - (seen[nxt] if nxt is not None else 0)) for w, nxt in zip(weeks, weeks[1:] + [None])]
    out = np.repeat(np.array(weeks), counts)
    if len(out) != N:
        raise ValueError(f"targets.csv: Table 3 follow-up gives {len(out)} patients, not {N}")
    return out


def build_patients(rng) -> Cohort:
    """Table 1 exactly, with the roles the Results text describes."""
    idx = np.arange(N)
    # Follow-up: last visit week per patient, from Table 3's patients in follow-up.
    last_week = _last_visit_weeks()
    roles = {
        "short": 0,           # last visit week 4: recent start, still on drug at data cut-off
        "pericarditis": 1,    # flare at week 4, anifrolumab stopped
        "nephritis": 7,       # new lupus nephritis at week 24, stopped (severe flare)
        "cytopenia": 8,       # leukopenia + thrombocytopenia flare at week 24
        "persistent": 9,      # still active at week 24: non-responder
        "arthritis": 12,      # arthritis + thrombocytopenia flare at week 36
        "infections": 13,     # zoster at week 12, cellulitis at week 36, stopped before week 36
        "long": 25,           # followed to week 72
    }
    attend = np.zeros((N, NW), bool)
    for i in idx:
        attend[i, : list(WEEKS).index(last_week[i]) + 1] = True
    attend[:, 5] &= last_week >= 48
    attend[roles["long"], 6] = True
    # the week-72 patient has no week-60 visit in the schedule; week 48 attended.
    efficacy = attend.copy()
    efficacy[roles["infections"], 4] = False  # seen off treatment at week 36

    # Organ involvement (cumulative / ongoing) — Table 1. The arthritis-flare patient is not
    # articular-active at baseline, the cytopenia-flare patient not haematologically active; the
    # short-follow-up patient is one of the haematologically active (one fewer is seen at week 12).
    def flags(members):
        out = np.zeros(N, bool)
        out[list(members)] = True
        return out

    non_muco = {1, 3, 7, 18, 21, 23, 25}
    muco_active = ~flags(non_muco)
    artic_active = flags({1, 3, 7, 18, 21, 25, 2, 9, 14, 16, 17, 20})
    haem_active = flags({0, 5, 6, 10, 15, 22, 24})
    renal_active = flags({23})
    for flag, tid in ((muco_active, "t1_mucocutaneous_active_n"), (artic_active, "t1_articular_active_n"),
                      (haem_active, "t1_haematological_active_n"), (renal_active, "t1_renal_active_n")):
        if flag.sum() != _count(tid):
            raise AssertionError(f"{tid}: the generator's patients give {flag.sum()}, targets.csv {_count(tid)}")
    assert (muco_active | artic_active | haem_active | renal_active).all()
    assert not artic_active[roles["arthritis"]] and not haem_active[roles["cytopenia"]]

    def ever(active, target_id, exclude=()):
        total = _count(target_id)
        out = active.copy()
        pool = [i for i in rng.permutation(N) if not out[i] and i not in exclude]
        for i in pool[: total - out.sum()]:
            out[i] = True
        assert out.sum() == total
        return out

    def some(k, exclude=()):
        """``k`` patients drawn at random (a seeded shuffle), leaving out ``exclude``."""
        return [i for i in rng.permutation(N) if i not in exclude][:k]

    muco_ever = ever(muco_active, "t1_mucocutaneous_ever_n")
    artic_ever = ever(artic_active, "t1_articular_ever_n")
    haem_ever = ever(haem_active, "t1_haematological_ever_n")
    renal_ever = ever(renal_active, "t1_renal_ever_n", exclude=(roles["nephritis"],))
    serositis_ever = ever(np.zeros(N, bool), "t1_serositis_ever_n", exclude=(roles["pericarditis"],))
    np_ever = ever(np.zeros(N, bool), "t1_neuropsychiatric_ever_n")
    biopsy = np.full(N, np.nan)
    renal_idx = np.flatnonzero(renal_ever)
    biopsy[renal_idx] = 1.0
    biopsy[renal_idx[rng.permutation(len(renal_idx))[:_count("res_lupus_nephritis_proteinuria_n")]]] = 0.0

    roles["pulmonary_embolism"] = 16
    pe_age = _published("res_pulmonary_embolism_patient_age")
    age = _deal(_published_vector(VECTOR_TARGETS["age_years"], N, include=pe_age), rng)
    j = age.index(pe_age)
    age[j], age[roles["pulmonary_embolism"]] = age[roles["pulmonary_embolism"]], pe_age

    def first(members: list, k: int, what: str) -> list:
        if k > len(members):
            raise AssertionError(f"{what}: targets.csv asks for {k}, the generator names only {len(members)}")
        return members[:k]

    # The men: the pulmonary embolism case (the text says he is a man), then others by index.
    sex = np.array(["F"] * N, dtype=object)
    sex[first([roles["pulmonary_embolism"], 5], N - _count("t1_female_n"), "men")] = "M"
    ethnicity = np.array(["Caucasian"] * N, dtype=object)
    ethnicity[first([4, 20], _count("t1_non_caucasian_n"), "non-Caucasian patients")] = "non-Caucasian"
    n_prev = np.array(_published_vector(VECTOR_TARGETS["n_previous_immunosuppressants"], N))[rng.permutation(N)]
    # Therapies at baseline: one immunosuppressant each, or none (antimalarials or GC only).
    immuno = np.array(sum(([drug] * _count(f"t1_concomitant_{drug}_n") for drug in ("mtx", "aza", "mmf", "cyclosporin")),
                          []) + ["none"] * _count("t1_antimalarial_or_gc_only_n"), dtype=object)
    immuno = immuno[rng.permutation(N)]
    hcq = np.zeros(N, int)
    hcq[rng.permutation(N)[: _count("t1_concomitant_hcq_n")]] = 1
    # Belimumab and rituximab failures go to those with most previous drugs (the rituximab
    # failures had also failed belimumab).
    order = np.argsort(-n_prev, kind="stable")
    belim = np.zeros(N, int)
    belim[order[: _count("res_belimumab_failure_n")]] = 1
    ritux = np.zeros(N, int)
    ritux[order[: _count("res_rituximab_failure_n")]] = 1
    reason = np.array(["persistently_active"] * N, dtype=object)
    flare_reason = [1, 3, 7, 11, 14, 17, 20, 22, 24]
    if len(flare_reason) != _count("t1_reason_flare_n"):
        raise AssertionError("t1_reason_flare_n: the generator's list of patients started for a flare disagrees")
    reason[flare_reason] = "flare"
    sdi_positive = _published_vector(VECTOR_TARGETS["sdi_positive"], _count("t1_sdi_positive_n"))
    sdi = np.array([0] * (N - len(sdi_positive)) + sdi_positive)[rng.permutation(N)]
    hz_vacc = np.zeros(N, int)
    hz_vacc[some(_count("res_hz_vaccinated_n"), exclude=(roles["infections"],))] = 1
    doses = _published_vector(VECTOR_TARGETS["sars_cov2_vaccine_doses"], N, hi=VACCINE_DOSES_MAX)
    # Nine centres (Methods); how many patients each enrolled is not published.
    centers = ["Pisa"] * 6 + ["Padova"] * 4 + ["Milano"] * 3 + ["Roma"] * 3 + ["Cagliari"] * 3 + ["Napoli"] * 2 + ["Udine"] * 2 + ["Firenze"] * 2 + ["Bari"]
    if len(set(centers)) != _count("meth_centers"):
        raise AssertionError("meth_centers: the generator's centre list disagrees with targets.csv")
    cutoff = pd.Timestamp("2023-12-15")
    start = [cutoff - pd.Timedelta(weeks=int(last_week[i]) + int(rng.integers(1, 8))) for i in idx]
    stop_week = np.full(N, np.nan)
    stop_reason = np.array([None] * N, dtype=object)
    for role, wk, why in (("pericarditis", FLARE_WEEKS["pericarditis"], "flare"),
                          ("nephritis", FLARE_WEEKS["nephritis"], "flare"), ("infections", 30, "adverse_event")):
        stop_week[roles[role]] = wk
        stop_reason[roles[role]] = why

    p = pd.DataFrame({
        "patient_id": [f"{ID_PREFIX}{i + 1:02d}" for i in idx],
        "center": _deal(centers, rng),
        "sex": sex, "age_years": age, "ethnicity": ethnicity,
        "disease_duration_years": _deal(_published_vector(VECTOR_TARGETS["disease_duration_years"], N), rng),
        "weight_kg": rng.integers(48, 86, N),
        "mucocutaneous_ever": muco_ever.astype(int), "mucocutaneous_active": muco_active.astype(int),
        "articular_ever": artic_ever.astype(int), "articular_active": artic_active.astype(int),
        "haematological_ever": haem_ever.astype(int), "haematological_active": haem_active.astype(int),
        "renal_ever": renal_ever.astype(int), "renal_active": renal_active.astype(int),
        "serositis_ever": serositis_ever.astype(int), "serositis_active": 0,
        "neuropsychiatric_ever": np_ever.astype(int), "neuropsychiatric_active": 0,
        "lupus_nephritis_biopsy_proven": biopsy,
        "secondary_aps": 0, "secondary_sjogren": 0,
        "cumulative_gc_g": _deal(_published_vector(VECTOR_TARGETS["cumulative_gc_g"], N, resolution=0.1), rng),
        "n_previous_immunosuppressants": n_prev,
        "previous_belimumab_failure": belim, "previous_rituximab_failure": ritux,
        "concomitant_hcq": hcq,
        "concomitant_mtx": (immuno == "mtx").astype(int), "concomitant_aza": (immuno == "aza").astype(int),
        "concomitant_mmf": (immuno == "mmf").astype(int), "concomitant_cyclosporin": (immuno == "cyclosporin").astype(int),
        "reason_for_anifrolumab": reason, "sdi": sdi, "hz_vaccinated": hz_vacc,
        "sars_cov2_vaccine_doses": _deal(doses, rng),
        "anifrolumab_start": [d.strftime("%Y-%m-%d") for d in start],
        "follow_up_weeks": last_week,
        "anifrolumab_stop_week": stop_week, "anifrolumab_stop_reason": stop_reason,
    })
    p.loc[rng.permutation(N)[: _count("t1_secondary_aps_n")], "secondary_aps"] = 1
    p.loc[rng.permutation(N)[: _count("t1_secondary_sjogren_n")], "secondary_sjogren"] = 1
    return Cohort(p, attend, efficacy, roles)


# ----------------------------------------------------------------------------- stage (a): descriptors
ITEMS = ("rash", "alopecia", "ulcers", "arthritis", "leukopenia", "thrombocytopenia", "proteinuria",
         "low_complement", "dsdna")
#: The SLEDAI-2K descriptor behind each item, its weight from lupus_utils.instruments.
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

#: Measures of Table 2 in the order the search scores them.
TABLE2_MEASURES = ("sledai2k", "sle_das", "swollen_joints", "tender_joints", "clasi_activity", "pga", "prednisone_mg")
TABLE2_WEEKS = EFFICACY_WEEKS
#: Published values the search leaves out because its model cannot give them (see
#: data/synthetic/CALIBRATION.md): SLE-DAS q1 at week 36 needs a single swollen joint without the
#: SLEDAI-2K arthritis descriptor, which stage (a) does not model.
NOT_MODELLED = {("sle_das", 36, "q1")}
#: The search aims at one decimal where the paper printed a whole number (PGA mean at week 4,
#: printed "1"): a tighter aim, the same published value.
AIM_DECIMALS = {("pga", 4, "mean"): 1}


def _published_specs():
    """Table 2's medians, quartiles and p-values and the Results text's means and SDs, read from
    data/targets.csv (the one place that holds published numbers)."""
    t = _TARGETS

    def spec(source, measure, week, statistic):
        if (measure, week, statistic) in NOT_MODELLED:
            return None
        row = t[(t["source"] == source) & (t["measure"] == measure) & (t["week"] == week) & (t["statistic"] == statistic)]
        if len(row) != 1:
            raise ValueError(f"targets.csv: expected one {source} {measure} week {week} {statistic}, found {len(row)}")
        r = row.iloc[0]
        decimals = AIM_DECIMALS.get((measure, week, statistic), 0 if pd.isna(r["decimals"]) else int(r["decimals"]))
        return Spec(float(r["value"]), decimals, r["relation"])

    table2 = {m: {w: tuple(spec("table2", m, w, s) for s in ("median", "q1", "q3")) for w in TABLE2_WEEKS}
              for m in TABLE2_MEASURES}
    p_values = {m: {w: spec("table2", m, w, "p") for w in TABLE2_WEEKS[1:]} for m in TABLE2_MEASURES}
    moments = {m: {w: (spec("results", m, w, "mean"), spec("results", m, w, "sd")) for w in (0, 4)}
               for m in ("sledai2k", "sle_das", "pga", "prednisone_mg")}
    return table2, p_values, moments


TABLE2, P_VALUES, MOMENTS = _published_specs()


def _published_counts() -> dict:
    """The counts the search aims at, from targets.csv. Where the paper gives only a percentage,
    the count is that percentage of the patients assessed then (Table 2 or 3), rounded."""
    v = _PUBLISHED["value"]

    def share(pct_id, n_id):
        return int(round(v[pct_id] / 100 * v[n_id]))

    return {
        "active_serology": {0: int(v["t1_active_serology_n"]), 24: share("res_active_serology_w24_pct", "t2_n_w24"),
                            36: share("res_active_serology_w36_pct", "t2_n_w36"), 48: share("res_active_serology_w48_pct", "t3_n_w48")},
        "serology_normalised": int(round(v["res_serology_normalised_last_pct"] / 100 * v["t1_active_serology_n"])),
        "haematological_improved": int(v["res_haematological_improved_w12_n"]),
        "remission": {12: int(v["res_remission_w12_n"]), 24: int(v["res_remission_w24_n"]), 48: int(v["res_remission_w48_n"])},
        "lldas": {12: int(v["res_lldas_w12_n"]), 24: int(v["res_lldas_w24_n"])},
        "remission_failed_on_gc_only": int(v["res_remission_failed_gc_w48_n"]),
        "prednisone_le_5mg_w12": share("disc_prednisone_le_5mg_w12_pct", "t2_n_w12"),
        "on_gc_baseline": int(v["t1_concomitant_gc_n"]),
        "prednisone_max_baseline": float(v["res_prednisone_mg_w0_max"]),
    }


COUNTS = _published_counts()


_CACHE: dict = {}


def _cached(key, compute):
    """Memoise the statistics of one week's values (the search revisits the same columns)."""
    hit = _CACHE.get(key)
    if hit is None:
        if len(_CACHE) > 500_000:
            _CACHE.clear()
        hit = _CACHE[key] = compute()
    return hit


def _table2_loss(values: np.ndarray, mask: np.ndarray, measure: str, weight: float = 1.0) -> float:
    """Loss of one measure's (N, NW) values against Table 2 on the patients in ``mask``."""
    loss = 0.0
    t2 = TABLE2[measure]
    mom = MOMENTS.get(measure, {})
    for w, (med, q1, q3) in t2.items():
        col = W[w]
        a = values[mask[:, col], col]
        mean, sd = mom.get(w, (None, None))
        loss += _cached((measure, w, a.tobytes()), lambda: _loss_describe(a, med, q1, q3, mean, sd))
    for w, spec in P_VALUES[measure].items():
        col = W[w]
        both = mask[:, 0] & mask[:, col]
        x, y = values[both, 0], values[both, col]
        loss += _cached((measure, "p", w, x.tobytes(), y.tobytes()), lambda: _loss_p(_wilcoxon_p(x, y), spec))
    return loss * weight


class Stage1:
    """SLEDAI-2K descriptors (as 'active until visit k'), swollen joints and laboratory values."""

    def __init__(self, cohort: Cohort, rng):
        p = cohort.patients
        self.c = cohort
        self.eff = cohort.efficacy
        self.attend = cohort.attend
        self.last = np.array([cohort.attend[i].nonzero()[0].max() for i in range(N)])
        grp = {g: p[flag].to_numpy() == 1 for g, flag in GROUP_FLAG.items()} | {"all": np.ones(N, bool)}
        self.groups = grp
        self.eligible = np.stack([grp[GROUP[i]] for i in ITEMS], axis=1)  # (N, items)
        r = cohort.roles
        self.roles = r
        # frozen flare cells: item -> list of (patient, week index)
        self.extra = np.zeros((N, NW, len(ITEMS)), bool)
        self.pericarditis = np.zeros((N, NW), bool)
        self.pericarditis[r["pericarditis"], W[FLARE_WEEKS["pericarditis"]]] = True
        self.extra[r["nephritis"], W[FLARE_WEEKS["nephritis"]], ITEMS.index("proteinuria")] = True
        self.extra[r["cytopenia"], W[FLARE_WEEKS["cytopenia"]], ITEMS.index("leukopenia")] = True
        self.extra[r["cytopenia"], W[FLARE_WEEKS["cytopenia"]], ITEMS.index("thrombocytopenia")] = True
        self.extra[r["arthritis"], W[FLARE_WEEKS["arthritis"]], ITEMS.index("arthritis")] = True
        self.extra[r["arthritis"], W[FLARE_WEEKS["arthritis"]], ITEMS.index("thrombocytopenia")] = True
        self.haem_base = grp["haem"]
        # non-responder structure: who must be LLDAS-eligible at the last visit
        self.must_settle = [i for i in range(N) if WEEKS[self.last[i]] >= NON_RESPONSE_MIN_FOLLOW_UP_WEEKS and i not in
                            (r["nephritis"], r["cytopenia"], r["arthritis"], r["persistent"])]
        # initial state: everything active at baseline for eligible patients, resolving at random
        until = np.where(self.eligible, rng.integers(-1, NW, size=(N, len(ITEMS))), -1)
        for i in range(N):
            until[i] = np.minimum(until[i], self.last[i])
        for g, items in (("muco", [0, 1, 2]), ("artic", [3]), ("haem", [4, 5]), ("renal", [6])):
            for i in np.flatnonzero(grp[g]):
                if until[i, items].max() < 0:
                    until[i, items[0]] = rng.integers(0, self.last[i] + 1)
        self.state = {
            "until": until,
            "extent": rng.integers(1, 3, N),
            "sj": rng.integers(0, 6, (N, NW)),
            "plt": rng.uniform(60, 99, (N, NW)).round(0),
            "wbc": rng.uniform(1.5, 2.9, (N, NW)).round(1),
            "prot": rng.uniform(0.6, 3.0, (N, NW)).round(2),
        }
        self.state["plt"][r["cytopenia"], W[FLARE_WEEKS["cytopenia"]]] = 82
        self.state["wbc"][r["cytopenia"], W[FLARE_WEEKS["cytopenia"]]] = 2.6
        self.state["plt"][r["arthritis"], W[FLARE_WEEKS["arthritis"]]] = 88
        self.state["prot"][r["nephritis"], W[FLARE_WEEKS["nephritis"]]] = 2.8
        self.state["sj"][r["arthritis"], W[FLARE_WEEKS["arthritis"]]] = 2
        self.frozen_labs = {_flare_cell(r, role) for role in ("cytopenia", "arthritis", "nephritis")}

    def active(self, st) -> np.ndarray:
        """(N, NW, items) descriptor presence."""
        k = np.arange(NW)[None, :, None]
        on = (k <= st["until"][:, None, :]) & self.attend[:, :, None]
        return on | self.extra

    def scores(self, st):
        act = self.active(st)
        sled = (act * SLEDAI_W).sum(axis=2) + PERICARDITIS_W * self.pericarditis
        csled = (act[:, :, CLINICAL] * SLEDAI_W[CLINICAL]).sum(axis=2) + PERICARDITIS_W * self.pericarditis
        arth = act[:, :, 3]
        sj = np.where(arth, st["sj"], 0)
        # SLE-DAS with the coefficients of lupus_utils.instruments (same order of additions)
        b = SLE_DAS_BINARY
        das = SLE_DAS_INTERCEPT + np.zeros((N, NW))
        ext = st["extent"][:, None]
        das += act[:, :, 0] * np.where(ext == 2, b["generalized_rash"], b["localized_rash"])
        das += act[:, :, 1] * b["alopecia"] + act[:, :, 2] * b["mucosal_ulcers"]
        das += (sj >= 1) * b["arthritis"] + SLE_DAS_SWOLLEN_JOINT * sj
        das += act[:, :, 4] * (SLE_DAS_LEUKOCYTES[0] + SLE_DAS_LEUKOCYTES[1] * np.log(st["wbc"]))
        das += act[:, :, 5] * (SLE_DAS_PLATELETS[0] + SLE_DAS_PLATELETS[1] * np.log(st["plt"]))
        das += act[:, :, 6] * (SLE_DAS_PROTEINURIA[0] + SLE_DAS_PROTEINURIA[1] * np.log(st["prot"] * 1000))
        das += act[:, :, 7] * b["hypocomplementaemia"] + act[:, :, 8] * b["increased_anti_dsdna"]
        das += b["serositis"] * self.pericarditis
        return act, sled, csled, np.round(das, 3), sj

    def loss(self, st) -> float:
        act, sled, csled, das, sj = self.scores(st)
        eff = self.eff
        L = _table2_loss(sled, eff, "sledai2k") + _table2_loss(das, eff, "sle_das")
        L += _table2_loss(sj, eff & self.groups["artic"][:, None], "swollen_joints", weight=2.0)
        sero = act[:, :, 7] | act[:, :, 8]
        for w, target in COUNTS["active_serology"].items():
            L += 3 * abs(sero[eff[:, W[w]], W[w]].sum() - target)
        base_active = sero[:, 0]
        last_sero = sero[np.arange(N), self.last]
        L += 3 * abs((base_active & ~last_sero).sum() - COUNTS["serology_normalised"])
        haem = (act[:, :, 4] | act[:, :, 5])
        seen12 = self.haem_base & eff[:, W[12]]
        L += 3 * abs((~haem[seen12, W[12]]).sum() - COUNTS["haematological_improved"])
        # room for remission / LLDAS (stage d picks PGA and prednisone to land the counts)
        for w in (12, 24):  # one more than remission needs: the cytopenia patient is on GC
            need = COUNTS["remission"][w] + 1
            L += 6 * max(0, need - (csled[eff[:, W[w]], W[w]] == 0).sum())
        L += 3 * (csled[eff[:, W[48]], W[48]] != 0).sum()
        for w, need in COUNTS["lldas"].items():
            ok = (sled[:, W[w]] <= LLDAS_SLEDAI2K_MAX) & ~act[:, W[w], 6] & eff[:, W[w]]
            ok &= ~self.pericarditis[:, W[w]]
            L += 2 * max(0, need - ok.sum())
        settled = [i for i in self.must_settle
                   if not (sled[i, self.last[i]] <= LLDAS_SLEDAI2K_MAX and not act[i, self.last[i], 6])]
        L += 3 * len(settled)
        pers = self.roles["persistent"]
        L += 3 * (sled[pers, self.last[pers]] <= LLDAS_SLEDAI2K_MAX)
        # Order statistics Table 2's SLEDAI-2K quartiles imply for integer scores (SPSS HAVERAGE
        # position p(n + 1) = k + f): the baseline q1 pins the k-th and (k+1)-th values on it, the
        # baseline q3 caps the k-th, and a half-integer week-12 median puts exactly k values at or
        # below its floor, one of them on it.
        _, q1_0, q3_0 = (spec.value for spec in TABLE2["sledai2k"][0])
        s0 = sled[eff[:, 0], 0]
        k1, k3 = int(0.25 * (s0.size + 1)), int(0.75 * (s0.size + 1))
        L += 2 * (max(0, (s0 <= q1_0 - 1).sum() - (k1 - 1)) + max(0, k1 + 1 - (s0 <= q1_0).sum())
                  + max(0, (s0 >= q3_0 + 1).sum() - (s0.size - k3)))
        floor12 = math.floor(TABLE2["sledai2k"][12][0].value)
        s12 = sled[eff[:, W[12]], W[12]]
        k = int(0.5 * (s12.size + 1))
        L += 2 * abs((s12 <= floor12).sum() - k) + 2 * max(0, 1 - (s12 == floor12).sum())
        # Shapes that CLASI-A and tender joints (stages b, c) need from the descriptors. These are
        # the search's own aims, not published numbers: a rash in at least 16 of the mucocutaneous
        # patients at baseline, the share of them with skin activity per visit, and enough
        # arthritis left at weeks 4, 12 and 24 for Table 2's tender-joint quartiles.
        muco = self.groups["muco"]
        skin = act[:, :, 0] | act[:, :, 1] | act[:, :, 2]
        L += 6 * max(0, 16 - (act[muco, 0, 0]).sum())
        for w, lo_frac, hi_frac in ((4, 0.8, 1.0), (12, 0.85, 1.0), (24, 0.3, 0.5), (36, 0.0, 0.2)):
            m = muco & eff[:, W[w]]
            frac = skin[m, W[w]].mean()
            L += 30 * (max(0.0, lo_frac - frac) + max(0.0, frac - hi_frac))
        artic = self.groups["artic"]
        for w, lo_n in ((4, 10), (12, 6), (24, 3)):
            L += 3 * max(0, lo_n - act[artic & eff[:, W[w]], W[w], 3].sum())
        # baseline: SLEDAI-2K descriptors cover each patient's ongoing organ involvement
        return L

    def propose(self, st, rng):
        kind = rng.random()
        if kind < 0.1:
            # exchange one item's course between two patients who may both have it
            j = rng.integers(len(ITEMS))
            i, k = rng.integers(N), rng.integers(N)
            if i == k or not (self.eligible[i, j] and self.eligible[k, j]):
                return None
            a, b = st["until"][i, j], st["until"][k, j]
            na, nb = min(b, self.last[i]), min(a, self.last[k])
            st["until"][i, j], st["until"][k, j] = na, nb
            g = GROUP[ITEMS[j]]
            members = [m for m, it in enumerate(ITEMS) if GROUP[it] == g]
            if g != "all" and (st["until"][i, members].max() < 0 or st["until"][k, members].max() < 0):
                st["until"][i, j], st["until"][k, j] = a, b
                return None

            def undo():
                st["until"][i, j], st["until"][k, j] = a, b
            return undo
        if kind < 0.55:
            i, j = rng.integers(N), rng.integers(len(ITEMS))
            if not self.eligible[i, j]:
                return None
            old = st["until"][i, j]
            new = int(rng.integers(-1, self.last[i] + 1))
            if new == old:
                return None
            st["until"][i, j] = new
            g = GROUP[ITEMS[j]]
            if g != "all":
                members = [k for k, it in enumerate(ITEMS) if GROUP[it] == g]
                if st["until"][i, members].max() < 0:
                    st["until"][i, j] = old
                    return None

            def undo():
                st["until"][i, j] = old
            return undo
        if kind < 0.6:
            i = rng.integers(N)
            old = st["extent"][i]
            st["extent"][i] = 3 - old

            def undo():
                st["extent"][i] = old
            return undo
        key = "sj" if kind < 0.8 else ("plt" if kind < 0.87 else ("wbc" if kind < 0.94 else "prot"))
        i, w = rng.integers(N), rng.integers(NW)
        if (int(i), int(w)) in self.frozen_labs:
            return None
        old = st[key][i, w]
        if key == "sj":
            new = max(0, min(12, old + rng.choice([-2, -1, 1, 2])))
        elif key == "plt":
            new = float(rng.integers(60, 100))
        elif key == "wbc":
            new = round(float(rng.uniform(1.2, 2.9)), 1)
        else:
            new = round(float(rng.uniform(0.6, 3.5)), 2)
        st[key][i, w] = new

        def undo():
            st[key][i, w] = old
        return undo


# ----------------------------------------------------------------------------- stage (b): tender joints
def _step_cell(arr: np.ndarray, i: int, w: int, step: int, lo: np.ndarray, hi: np.ndarray):
    """Move one cell by ``step`` within its bounds; an undo closure, or None when it cannot move."""
    old = arr[i, w]
    new = int(np.clip(old + step, lo[i, w], hi[i, w]))
    if new == old:
        return None
    arr[i, w] = new

    def undo():
        arr[i, w] = old
    return undo


#: Largest visit-to-visit rise the search leaves unpenalised outside a flare: a joint count or a
#: CLASI-A that climbs by more while PGA and glucocorticoids fall is not a believable course.
RISE_ALLOWED = {"tender_joints": 3, "clasi_activity": 3}
RISE_WEIGHT = 0.5


def _rise_penalty(values: np.ndarray, attend: np.ndarray, allowed: int, exempt: np.ndarray | None = None) -> float:
    """Sum of visit-to-visit rises beyond ``allowed`` (attended visits are a prefix of the
    schedule), skipping the (patient, visit) cells in ``exempt`` (a flare)."""
    rise = np.diff(values.astype(float), axis=1) - allowed
    both = attend[:, 1:] & attend[:, :-1]
    if exempt is not None:
        both = both & ~exempt[:, 1:]
    return float(np.clip(rise, 0, None)[both].sum())


class Stage2:
    """Tender joints of the articular-active patients: at least max(2, swollen) while arthritis is
    present, 0 or 1 (with no swollen joint) once it has resolved."""

    def __init__(self, cohort: Cohort, act: np.ndarray, sj: np.ndarray, rng):
        self.eff = cohort.efficacy
        self.artic = cohort.patients["articular_active"].to_numpy() == 1
        self.arth = act[:, :, 3]
        self.lo = np.where(self.arth, np.maximum(2, sj), 0)
        self.hi = np.where(self.arth, 20, 1)
        tj = np.where(self.arth, np.maximum(self.lo, rng.integers(2, 12, (N, NW))), rng.integers(0, 2, (N, NW)))
        self.state = {"tj": np.where(self.artic[:, None], tj, np.where(self.arth, self.lo, 0))}
        self.attend = cohort.attend
        self.flare = np.zeros((N, NW), bool)
        self.flare[_flare_cell(cohort.roles, "arthritis")] = True

    def loss(self, st):
        return (_table2_loss(st["tj"], self.eff & self.artic[:, None], "tender_joints")
                + RISE_WEIGHT * _rise_penalty(st["tj"], self.attend, RISE_ALLOWED["tender_joints"], self.flare))

    def propose(self, st, rng):
        i, w = rng.integers(N), rng.integers(NW)
        if not self.artic[i]:
            return None
        return _step_cell(st["tj"], i, w, rng.choice([-3, -2, -1, 1, 2, 3]), self.lo, self.hi)


# ----------------------------------------------------------------------------- stage (c): CLASI
class Stage3:
    """CLASI activity of the mucocutaneous-active patients: 0 with no skin, hair or mucosal
    descriptor; with ulcers or alopecia but no rash, 1 up to what the CLASI gives those items
    (ulcers alone 1, alopecia alone 4, both 5); 2-40 with an active rash."""

    def __init__(self, cohort: Cohort, act: np.ndarray, rng):
        self.eff = cohort.efficacy
        self.muco = cohort.patients["mucocutaneous_active"].to_numpy() == 1
        rash, alopecia, ulcers = act[:, :, 0], act[:, :, 1], act[:, :, 2]
        no_rash_max = alopecia * CLASI_A_HAIR_MAX + ulcers * CLASI_A_MUCOSAL_MAX
        self.lo = np.where(rash, 2, np.where(alopecia | ulcers, 1, 0))
        self.hi = np.where(rash, 40, no_rash_max)
        self.state = {"clasi": np.clip(rng.integers(0, 25, (N, NW)), self.lo, self.hi)}
        self.attend = cohort.attend

    def loss(self, st):
        return (_table2_loss(st["clasi"], self.eff & self.muco[:, None], "clasi_activity")
                + RISE_WEIGHT * _rise_penalty(st["clasi"], self.attend, RISE_ALLOWED["clasi_activity"]))

    def propose(self, st, rng):
        i, w = rng.integers(N), rng.integers(NW)
        return _step_cell(st["clasi"], i, w, rng.choice([-4, -2, -1, 1, 2, 4]), self.lo, self.hi)


# ----------------------------------------------------------------------------- stage (d): PGA and GC
#: Daily doses a clinician would prescribe, as (drug, mg of that drug), in rising prednisone
#: equivalent; GC_MENU adds that equivalent (lupus_utils.instruments' conversion, to 4 decimals).
GC_DOSES = [("none", 0.0), ("prednisone", 1.25), ("prednisone", 2.5), ("prednisone", 3.75), ("prednisone", 5.0),
            ("methylprednisolone", 5.0), ("prednisone", 7.5), ("deflazacort", 10.0), ("prednisone", 10.0),
            ("prednisone", 12.5), ("prednisone", 15.0), ("prednisone", 20.0), ("prednisone", 25.0)]
GC_MENU = [(0.0 if drug == "none" else round(5.0 * mg / PREDNISONE_EQUIVALENT_MG[drug], 4), drug, mg)
           for drug, mg in GC_DOSES]
GC_VALUES = np.array([m[0] for m in GC_MENU])


class Stage4:
    """PGA (0-3, in steps of 0.05) and glucocorticoid dose per visit, never rising outside a flare."""

    def __init__(self, cohort: Cohort, act, sled, csled, rng):
        self.c = cohort
        self.eff = cohort.efficacy
        self.attend = cohort.attend
        self.sled, self.csled = sled, csled
        self.major = act[:, :, 6]
        self.last = np.array([cohort.attend[i].nonzero()[0].max() for i in range(N)])
        r = cohort.roles
        self.roles = r
        self.flare_cells = {_flare_cell(r, role): rise for role, rise in
                            (("pericarditis", 0.5), ("nephritis", 1.0), ("cytopenia", 1.0), ("arthritis", 1.0))}
        self.gc_flare_cell = _flare_cell(r, "cytopenia")  # the one flare treated with more glucocorticoid
        self.new_activity = np.zeros((N, NW), bool)
        for (i, w) in self.flare_cells:
            self.new_activity[i, w] = True
        self.settle = [i for i in range(N) if WEEKS[self.last[i]] >= NON_RESPONSE_MIN_FOLLOW_UP_WEEKS and i not in
                       (r["nephritis"], r["cytopenia"], r["arthritis"], r["persistent"])]
        pga = np.zeros((N, NW))
        gc = np.zeros((N, NW), int)
        for i in range(N):
            level = rng.choice([0.8, 1.0, 1.2, 1.5, 2.0])
            g = int(rng.choice([4, 5, 6, 8, 9, 10]))
            for w in range(NW):
                pga[i, w] = level
                gc[i, w] = g
                level = max(0.0, round(level - rng.choice([0.0, 0.2, 0.5]), 1))
                g = max(0, g - int(rng.choice([0, 0, 1])))
        self.state = {"pga": pga, "gc": gc}
        self.repair(self.state)

    def repair(self, st):
        """Apply the flare rises and the coherence floors after every move."""
        pga, gc = st["pga"], st["gc"]
        for (i, w) in self.flare_cells:
            if w > 0 and i != self.roles["cytopenia"]:
                gc[i, w] = min(gc[i, w], gc[i, w - 1])
        for (i, w), rise in self.flare_cells.items():
            if w > 0:
                pga[i, w] = min(2.5, round(pga[i, w - 1] + rise, 2))
        ci, cw = self.gc_flare_cell
        gc[ci, cw] = min(gc[ci, cw - 1] + 2, len(GC_MENU) - 1)
        if GC_VALUES[gc[ci, cw]] >= 2 * GC_VALUES[gc[ci, cw - 1]]:
            gc[ci, cw] = gc[ci, cw - 1] + 1

    def states(self, st):
        pga, pred = st["pga"], GC_VALUES[st["gc"]]
        remission = (self.csled == 0) & (pga < DORIS_PGA_BELOW) & (pred <= DORIS_PREDNISONE_MAX_MG)
        lldas = ((self.sled <= LLDAS_SLEDAI2K_MAX) & ~self.major & (pga <= LLDAS_PGA_MAX)
                 & (pred <= LLDAS_PREDNISONE_MAX_MG) & ~self.new_activity)
        return remission, lldas | remission

    def loss(self, st):
        pga, pred = st["pga"], GC_VALUES[st["gc"]]
        eff = self.eff
        L = _table2_loss(pga, eff, "pga") + _table2_loss(pred, eff, "prednisone_mg")
        rem, ll = self.states(st)
        for w, r_t, l_t in ((w, COUNTS["remission"][w], COUNTS["lldas"][w]) for w in (12, 24)):
            m = eff[:, W[w]]
            L += 6 * abs(rem[m, W[w]].sum() - r_t) + 6 * abs(ll[m, W[w]].sum() - l_t)
        m48 = eff[:, W[48]]
        L += 3 * abs(rem[m48, W[48]].sum() - COUNTS["remission"][48])
        gc_only = ((self.csled[:, W[48]] == 0) & (pga[:, W[48]] < DORIS_PGA_BELOW)
                   & (pred[:, W[48]] > DORIS_PREDNISONE_MAX_MG) & m48)
        L += 3 * abs(gc_only.sum() - COUNTS["remission_failed_on_gc_only"])
        L += 3 * abs(((pred[eff[:, W[12]], W[12]]) <= DORIS_PREDNISONE_MAX_MG).sum() - COUNTS["prednisone_le_5mg_w12"])
        L += 3 * abs((pred[:, 0] > 0).sum() - COUNTS["on_gc_baseline"]) + 3 * abs(pred[:, 0].max() - COUNTS["prednisone_max_baseline"]) / 2
        L += 3 * sum(1 for i in self.settle if not ll[i, self.last[i]])
        # coherence: clinical activity -> PGA >= 0.3; no clinical activity -> PGA <= 1
        act_low = (self.csled > 0) & (pga < 0.3) & self.attend
        quiet_high = (self.csled == 0) & (pga > 1.0) & self.attend
        L += 2 * (act_low.sum() + quiet_high.sum())
        L += 2 * ((pga[:, 0] < 0.5).sum())
        return L

    def propose(self, st, rng):
        i, w = rng.integers(N), rng.integers(NW)
        key = "pga" if rng.random() < 0.5 else "gc"
        if not self.attend[i, w] or (key == "pga" and (i, w) in self.flare_cells) or (i, w) == self.gc_flare_cell:
            return None
        arr = st[key]
        old_row = arr[i].copy()
        if key == "pga":
            new = round(float(np.clip(arr[i, w] + rng.choice([-0.5, -0.3, -0.2, -0.1, -0.05, 0.05, 0.1, 0.2, 0.3, 0.5]), 0, 3)), 2)
        else:
            new = int(np.clip(arr[i, w] + rng.choice([-2, -1, 1, 2]), 0, len(GC_MENU) - 1))
        arr[i, w] = new
        # keep non-increasing outside flares: push neighbours
        def rises_at(k):  # the only cells allowed above the previous visit
            return (i, k) in self.flare_cells if key == "pga" else (i, k) == self.gc_flare_cell

        for k in range(w + 1, NW):
            if rises_at(k):
                break
            arr[i, k] = min(arr[i, k], arr[i, k - 1])
        for k in range(w - 1, -1, -1):
            if rises_at(k + 1):
                break
            arr[i, k] = max(arr[i, k], arr[i, k + 1])
        self.repair(st)

        def undo():
            arr[i] = old_row
            self.repair(st)
        return undo


# ----------------------------------------------------------------------------- adverse events
#: Table 3, event by event: (week, category, term, serious, hospitalised, action). Which events
#: were serious or led to a suspension is our choice where the paper is silent; the counts are
#: checked against targets.csv when this module loads (``_check_table3_events``).
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


def _check_table3_events() -> None:
    """Tally TABLE3_EVENTS the way the book reads Table 3 and compare with every per-visit count
    of Table 3 in targets.csv; raise with the whole list of disagreements."""
    ev = pd.DataFrame(TABLE3_EVENTS, columns=["week", "category", "term", "serious", "hospitalised", "action"])
    ev["term_measure"] = ev["term"].str.lower().map(AE_TERM_MEASURES)
    ev["category_measure"] = ev["category"].map(AE_CATEGORY_MEASURES)
    if ev[["term_measure", "category_measure"]].isna().any(axis=None):
        raise AssertionError("TABLE3_EVENTS has a term or category results.AE_*_MEASURES does not know")
    tally: dict = {}
    for week, at in ev.groupby("week"):
        tally[("adverse_events", week)] = len(at)
        for col in ("term_measure", "category_measure"):
            for measure, n in at[col].value_counts().items():
                tally[(measure, week)] = int(n)
        for measure, action in (("discontinuations", "discontinuation"), ("temporary_suspensions", "temporary_suspension")):
            tally[(measure, week)] = int((at["action"] == action).sum())
    t = _TARGETS
    t3 = t[(t["source"] == "table3") & t["week"].notna() & (t["measure"] != "patients_at_visit")]
    wrong = [f"{r.target_id}: TABLE3_EVENTS gives {tally.get((r.measure, int(r.week)), 0)}, targets.csv {r.value:g}"
             for r in t3.itertuples() if tally.get((r.measure, int(r.week)), 0) != r.value]
    if wrong:
        raise AssertionError("TABLE3_EVENTS disagrees with Table 3:\n" + "\n".join(wrong))


_check_table3_events()


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


# ----------------------------------------------------------------------------- stage (e): repairs
@dataclass(frozen=True)
class Repair:
    """A change to one visit that the search does not find: what it is for (first the targets.csv id
    it serves, or ``coherence`` for a clinical fix that leaves every verdict as it is), the cells it
    expects (the search's result) and the cells it writes."""
    why: str
    patient_id: str
    week: int
    expect: dict
    write: dict


def _deeper_cytopenia(target: str, patient_id: str, item: str, was: float, now: float, note: str = "") -> Repair:
    """A baseline cytopenia made deeper (or milder) in a patient who has it: the laboratory value
    moves from ``was`` to ``now``, both beyond the SLEDAI-2K threshold, so SLEDAI-2K stays and
    SLE-DAS's continuous term moves."""
    col = SLEDAI_LAB_THRESHOLDS[item][0]
    name = col.split("_")[0]
    return Repair(f"{target}: {name} {now:g} rather than {was:g} x10^9/L at baseline ({item.removeprefix('sledai_')} "
                  f"either way{note})", patient_id, 0, {item: 1, col: was}, {col: now})


#: Stage (e). Found by hand or by small searches on the searched cohort, each checked with the
#: book's scorecard. Each repair's ``why`` starts with the targets.csv id it serves (or
#: ``coherence``); data/synthetic/CALIBRATION.md, "Stage (e)", gives the reasoning and what each
#: costs, and tests/test_synthetic.py pins exactly which verdicts the repairs improve and which they
#: worsen. Every change keeps the coherence rules that test_visit_courses_are_clinically_coherent
#: checks (no descriptor returns once resolved, arthritis exactly when two or more joints are
#: tender, CLASI-A within what the active skin, hair and mucosal descriptors allow, no rise in PGA
#: or glucocorticoid outside the four flares, among others).
REPAIRS = (
    # The Flare Index's severe organ items (nephritis among them) are severe only when they require
    # more treatment; the Results say what hers required: induction with cyclophosphamide.
    Repair("res_flares_severe_count: cyclophosphamide induction started at week 24 for the class IV "
           "nephritis found on biopsy (Results), so her flare is severe by the Flare Index's treatment "
           "criteria, not by the new renal descriptor alone", "SYNTH-08", 24,
           {"new_immunosuppressant": 0, "sledai_proteinuria": 1}, {"new_immunosuppressant": 1}),
    Repair("res_lldas_w24_n: alopecia, ulcers and anti-dsDNA resolve by week 24, leaving arthritis alone "
           "(SLEDAI-2K 4, so LLDAS); PGA 1.0 and prednisone 7.5 mg", "SYNTH-18", 24,
           {"sledai_alopecia": 1, "sledai_mucosal_ulcers": 1, "sledai_increased_dna_binding": 1, "clasi_activity": 5,
            "pga": 2.0, "gc_drug": "prednisone", "gc_dose_mg": 10.0},
           {"sledai_alopecia": 0, "sledai_mucosal_ulcers": 0, "sledai_increased_dna_binding": 0, "clasi_activity": 0,
            "pga": 1.0, "gc_dose_mg": 7.5}),
    Repair("t2_clasi_activity_w36_q3: ulcers and anti-dsDNA resolved at week 24, so not back at week 36",
           "SYNTH-18", 36, {"sledai_mucosal_ulcers": 1, "sledai_increased_dna_binding": 1, "clasi_activity": 1},
           {"sledai_mucosal_ulcers": 0, "sledai_increased_dna_binding": 0, "clasi_activity": 0}),
    Repair("res_active_serology_w24_pct: anti-dsDNA turns positive at week 24 (SLEDAI-2K 4, still LLDAS), "
           "in place of SYNTH-18's", "SYNTH-21", 24,
           {"sledai_increased_dna_binding": 0, "sledai_low_complement": 0}, {"sledai_increased_dna_binding": 1}),
    Repair("t2_sle_das_w36_q3: ulcers healed by week 36 (CLASI-A 0) and complement low there (anti-dsDNA "
           "was positive at week 24): SLE-DAS 1.12, serology still active; PGA 0.45 with nothing clinically "
           "active (Table 2's week-36 PGA quartiles unchanged)", "SYNTH-21", 36,
           {"sledai_increased_dna_binding": 0, "sledai_low_complement": 0, "sledai_mucosal_ulcers": 1,
            "clasi_activity": 1, "pga": 1.0},
           {"sledai_low_complement": 1, "sledai_mucosal_ulcers": 0, "clasi_activity": 0, "pga": 0.45}),
    Repair("res_remission_failed_gc_w48_n: tapers from prednisone 7.5 mg to 5 mg on five days and 7.5 mg "
           "on two (mean 5.71 mg/day, recorded as such: codebook) at week 36", "SYNTH-23", 36,
           {"gc_drug": "prednisone", "gc_dose_mg": 3.75}, {"gc_dose_mg": 5.71}),
    Repair("res_remission_failed_gc_w48_n: in clinical remission at week 48 but still on 5.71 mg/day: "
           "out of DORIS remission only for glucocorticoids", "SYNTH-23", 48,
           {"gc_drug": "prednisone", "gc_dose_mg": 2.5}, {"gc_dose_mg": 5.71}),
    Repair("t2_prednisone_mg_w36_q3: the same weekly schedule (5.71 mg/day) at week 36 rather than "
           "methylprednisolone 5 mg (6.25 mg prednisone), so the 10th and 11th of the 13 doses average 5.71",
           "SYNTH-18", 36,
           {"gc_drug": "methylprednisolone", "gc_dose_mg": 5.0}, {"gc_drug": "prednisone", "gc_dose_mg": 5.71}),
    Repair("res_remission_w48_n: PGA 0.45 at week 48, so in DORIS remission in place of SYNTH-23", "SYNTH-21", 48,
           {"pga": 0.65}, {"pga": 0.45}),
    Repair("t2_sle_das_w0_vs_w12_p: her cytopenias have not yet responded at week 12 (platelets 60 and "
           "leukocytes 1.1 x10^9/L, against 66 and 1.2 at baseline; platelets recover by week 24, the leukopenia "
           "persists), so her SLE-DAS is "
           "higher at week 12 than at baseline and the p-value clears its rounding threshold (by a narrow "
           "margin: CALIBRATION.md); PGA 1.8 rather than 0.55 for that unchanged activity (Table 2's week-12 "
           "PGA quartiles and p-value unchanged)",
           "SYNTH-16", 12, {"sledai_thrombocytopenia": 1, "platelets_10e9_l": 87.0, "sledai_leukopenia": 1,
                            "leukocytes_10e9_l": 1.4, "pga": 0.55},
           {"platelets_10e9_l": 60.0, "leukocytes_10e9_l": 1.1, "pga": 1.8}),
    Repair("t1_swollen_joints_q3: 4 swollen joints rather than 5 at baseline (the 10th of the 12 "
           "articular patients' values, which the q3 weighs by 0.75)", "SYNTH-26", 0, {"swollen_joints": 5, "tender_joints": 5},
           {"swollen_joints": 4}),
    Repair("t1_sle_das_median: platelets 80 rather than 87 x10^9/L at baseline (still thrombocytopenia); "
           "her SLE-DAS rises by what SYNTH-26's lost swollen joint took, keeping the median", "SYNTH-11", 0,
           {"sledai_thrombocytopenia": 1, "platelets_10e9_l": 87.0}, {"platelets_10e9_l": 80.0}),
    # Serology at week 12. Table 2's SLEDAI-2K p-value for week 0 vs 12 (t2_sledai2k_w0_vs_w12_p) is
    # larger than the week 0 vs 36 one although the week-12 median is higher: some scores cannot
    # have fallen by week 12. Serology is the one part of the score that can move without touching the clinical
    # picture, the remission and LLDAS counts or Table 2's week-12 quartiles; five week-12 visits
    # carry it (CALIBRATION.md, "Stage (e)").
    Repair("t2_sledai2k_w0_vs_w12_p: anti-dsDNA turns positive at week 12 with the rash unchanged "
           "(SLEDAI-2K 4, still LLDAS)", "SYNTH-05", 12,
           {"sledai_increased_dna_binding": 0, "sledai_low_complement": 0, "sledai_rash": 1},
           {"sledai_increased_dna_binding": 1}),
    Repair("t2_sledai2k_w0_vs_w12_p: complement still low at week 12 (low at weeks 0 and 4; normal "
           "from week 24)", "SYNTH-09", 12, {"sledai_low_complement": 0, "sledai_increased_dna_binding": 1},
           {"sledai_low_complement": 1}),
    Repair("t2_sledai2k_w0_vs_w12_p: complement falls at week 12 beside the anti-dsDNA (SLEDAI-2K 4, as "
           "at baseline; still in remission, where serology does not count)", "SYNTH-12", 12,
           {"sledai_low_complement": 0, "sledai_increased_dna_binding": 1}, {"sledai_low_complement": 1}),
    Repair("t2_sledai2k_w0_vs_w12_p: complement falls at week 12 beside the alopecia that persists there "
           "(below; SLEDAI-2K 4, as at baseline, still LLDAS); normal again from week 24", "SYNTH-13", 12,
           {"sledai_low_complement": 0, "sledai_increased_dna_binding": 0}, {"sledai_low_complement": 1}),
    Repair("t2_sledai2k_w0_vs_w12_p: complement falls at week 12 (SLEDAI-2K 12, up 2 from week 4: "
           "not a flare by the SELENA-SLEDAI Flare Index)", "SYNTH-16", 12,
           {"sledai_low_complement": 0, "sledai_increased_dna_binding": 1}, {"sledai_low_complement": 1}),
    # Week 12, CLASI-A q1 (t2_clasi_activity_w12_q1). At most four of the 18 mucocutaneous patients
    # may be at CLASI-A 0, but the searched cohort has seven, six of them in the week-12 remission
    # whose count the text gives (res_remission_w12_n). Remission is therefore moved: two articular
    # patients without skin disease (SYNTH-19, -22) are in remission at week 12 in place of SYNTH-03
    # and -09, whose ulcers persist from week 4 (CLASI-A 1 each), and SYNTH-13's alopecia persists.
    # Their tender joints go to the two articular patients whose arthritis (14 tender joints at
    # week 4) persists instead, and the other repairs of this block keep Table 2's week-12 SLEDAI-2K,
    # SLE-DAS and swollen-joint quartiles and p-values, LLDAS (res_lldas_w12_n), the share on 5 mg or less
    # and the share whose serology normalised (CALIBRATION.md, "Stage (e)").
    Repair("t2_clasi_activity_w12_q1: arthritis (12 tender joints) and oral ulcers persist from week 4 "
           "(CLASI-A 1; out of remission); PGA 1.0, as at week 4 (a coherence repair below), rather than "
           "the searched 0; anti-dsDNA negative at this last visit",
           "SYNTH-03", 12,
           {"sledai_arthritis": 0, "sledai_mucosal_ulcers": 0, "sledai_increased_dna_binding": 0,
            "tender_joints": 0, "swollen_joints": 0, "pga": 0.0, "clasi_activity": 0},
           {"sledai_arthritis": 1, "sledai_mucosal_ulcers": 1, "tender_joints": 12, "pga": 1.0,
            "clasi_activity": 1}),
    Repair("t2_pga_w12_median: PGA 0.45 at week 12 for alopecia with serology; her 1.0 goes to SYNTH-03, "
           "whose arthritis persists there, so the week's set of PGA values keeps its median", "SYNTH-11", 12,
           {"pga": 1.0}, {"pga": 0.45}),
    Repair("t2_clasi_activity_w12_q1: oral ulcers persist from weeks 0 and 4 (CLASI-A 1; SLEDAI-2K 6, out of "
           "remission and LLDAS)", "SYNTH-09", 12, {"sledai_mucosal_ulcers": 0, "clasi_activity": 0},
           {"sledai_mucosal_ulcers": 1, "clasi_activity": 1}),
    Repair("t2_clasi_activity_w12_q1: alopecia persists from week 4 (CLASI-A 4, as at week 4) and to "
           "week 24 (below)", "SYNTH-13", 12, {"sledai_alopecia": 0, "clasi_activity": 0},
           {"sledai_alopecia": 1, "clasi_activity": 4}),
    Repair("res_remission_w12_n: arthritis settled by week 12 (no tender or swollen joint): in DORIS "
           "remission with low complement alone", "SYNTH-19", 12,
           {"sledai_arthritis": 1, "tender_joints": 8, "swollen_joints": 1}, {"sledai_arthritis": 0, "tender_joints": 0,
                                                                              "swollen_joints": 0}),
    Repair("res_remission_w12_n: arthritis settled by week 12 and prednisone 5 mg (the searched "
           "methylprednisolone 5 mg is 6.25 mg prednisone; 7.5 mg at week 4, 5 mg at week 24): in DORIS "
           "remission; anti-dsDNA positive beside the low complement (SLEDAI-2K 4, as the p-value needs)",
           "SYNTH-22", 12,
           {"sledai_arthritis": 1, "tender_joints": 13, "swollen_joints": 2, "sledai_increased_dna_binding": 0,
            "gc_drug": "methylprednisolone", "gc_dose_mg": 5.0},
           {"sledai_arthritis": 0, "tender_joints": 0, "swollen_joints": 0, "sledai_increased_dna_binding": 1,
            "gc_drug": "prednisone"}),
    Repair("t2_tender_joints_w12_q3: arthritis (8 tender joints, 14 at week 4) and the rash of weeks 0 and 4 "
           "persist (SLEDAI-2K 14, no lower than at baseline, as the week 0 vs 12 SLEDAI-2K p-value needs) "
           "while anifrolumab is suspended for her pulmonary embolism (Table 3, week 12); PGA 1.0 as at week 4",
           "SYNTH-17", 12,
           {"sledai_arthritis": 0, "tender_joints": 0, "sledai_rash": 0, "rash_extent": "none", "pga": 0.45},
           {"sledai_arthritis": 1, "tender_joints": 8, "sledai_rash": 1, "rash_extent": "localized", "pga": 1.0}),
    Repair("t2_sledai2k_w12_q3: anti-dsDNA negative at her last visit, complement still low (SLEDAI-2K 6)",
           "SYNTH-04", 12, {"sledai_increased_dna_binding": 1, "sledai_low_complement": 1},
           {"sledai_increased_dna_binding": 0}),
    Repair("res_serology_normalised_last_pct: anti-dsDNA positive at her last visit (in remission, where "
           "serology does not count), in place of SYNTH-03, whose serology has normalised there",
           "SYNTH-06", 12, {"sledai_increased_dna_binding": 0, "sledai_low_complement": 0},
           {"sledai_increased_dna_binding": 1}),
    Repair("disc_prednisone_le_5mg_w12_pct: prednisone 6.25 mg at week 12 (10 mg at week 4), in place of "
           "SYNTH-22, who is on 5 mg", "SYNTH-07", 12, {"gc_drug": "prednisone", "gc_dose_mg": 5.0},
           {"gc_dose_mg": 6.25}),
    Repair("t2_swollen_joints_w12_q3: one of her 12 tender joints swollen, and complement low at week 12 "
           "(SLEDAI-2K 8; SLE-DAS 5.66, the 18th of 24 values)", "SYNTH-08", 12, {"swollen_joints": 0, "sledai_low_complement": 0, "tender_joints": 12},
           {"swollen_joints": 1, "sledai_low_complement": 1}),
    Repair("t2_swollen_joints_w0_vs_w12_p: 3 of her 6 tender joints swollen at week 12 (1 at week 4)",
           "SYNTH-10", 12, {"swollen_joints": 1, "tender_joints": 6}, {"swollen_joints": 3}),
    Repair("t2_sle_das_w12_q3: the rash is localized at week 12 (generalized at week 4) and leukocytes "
           "2.6 rather than 1.4 x10^9/L (2.9 at week 4, 4.6 at week 24; still leukopenia): SLE-DAS 5.75, "
           "the 19th of 24 values, beside SYNTH-08's 5.66 (the q3 weighs the two)", "SYNTH-25", 12,
           {"rash_extent": "generalized", "leukocytes_10e9_l": 1.4, "sledai_leukopenia": 1},
           {"rash_extent": "localized", "leukocytes_10e9_l": 2.6}),
    # Week 24, CLASI-A q3 (t2_clasi_activity_w24_q3, n = 14) needs four patients at CLASI-A 4 or
    # more. Since SYNTH-13's alopecia persists at week 12 (above), it can persist to week 24 without
    # returning; she is out of remission there (alopecia, prednisone 7.5 mg) and stays in LLDAS. The
    # rest keep Table 2's week-24 SLEDAI-2K q1 (five patients at 0 or 1), the serology share and the
    # CLASI-A week 0 vs 24 p-value (CALIBRATION.md, "Stage (e)").
    Repair("t2_clasi_activity_w24_q3: alopecia persists at week 24 (CLASI-A 4, as at weeks 4 and 12; gone "
           "by week 36); SLEDAI-2K 2, still LLDAS", "SYNTH-13", 24, {"sledai_alopecia": 0, "clasi_activity": 0},
           {"sledai_alopecia": 1, "clasi_activity": 4}),
    Repair("t2_sledai2k_w24_q1: anti-dsDNA negative at her last visit (week 24), so SLEDAI-2K 0 there in "
           "place of SYNTH-13", "SYNTH-11", 24, {"sledai_increased_dna_binding": 1, "sledai_low_complement": 0},
           {"sledai_increased_dna_binding": 0}),
    Repair("res_active_serology_w24_pct: anti-dsDNA still positive at week 24, her last visit (positive "
           "since baseline), in place of SYNTH-11", "SYNTH-10", 24,
           {"sledai_increased_dna_binding": 0, "sledai_low_complement": 0}, {"sledai_increased_dna_binding": 1}),
    # The baseline SLEDAI-2K SD (res_sledai2k_w0_sd; 3.77 searched) within one printed unit, with
    # the SLE-DAS mean and SD, all three sets of baseline quartiles, the SLEDAI-2K mean and the
    # serology counts held: fever at baseline in three of the patients at SLEDAI-2K 14 widens the
    # spread at the top and, since SLE-DAS does not score fever, moves SLEDAI-2K alone; SYNTH-13
    # (SLEDAI-2K 2) and SYNTH-25 (6) lose descriptors and SYNTH-22 (8) gains anti-dsDNA, which
    # keeps the sum and the quartiles; deeper cytopenias in three patients already cytopenic
    # (SYNTH-07, -25, -01) carry the SLE-DAS mean. The lower counts are recorded at anifrolumab's
    # start and recover by week 4. Found by data/synthetic/search/baseline_sd.py --silent
    # --normalised --no-new-flare --sle-das-moments tolerance (CALIBRATION.md, "Reached: silent
    # descriptors and the SLE-DAS moments").
    *(Repair("res_sledai2k_w0_sd: fever at baseline (SLEDAI-2K 15; gone by week 4)", pid, 0,
             {"sledai_fever": 0}, {"sledai_fever": 1}) for pid in ("SYNTH-15", "SYNTH-17", "SYNTH-18")),
    Repair("res_sledai2k_w0_sd: anti-dsDNA raised beside the low complement at baseline (SLEDAI-2K 8, "
           "SLE-DAS 2.08)", "SYNTH-22", 0, {"sledai_increased_dna_binding": 0, "sledai_low_complement": 1},
           {"sledai_increased_dna_binding": 1}),
    Repair("res_sledai2k_w0_sd: anti-dsDNA still raised at week 4 (so not back at week 12 after "
           "resolving)", "SYNTH-22", 4, {"sledai_increased_dna_binding": 0}, {"sledai_increased_dna_binding": 1}),
    Repair("res_sledai2k_w0_sd: no alopecia or oral ulcers at baseline (neither at week 4; SLEDAI-2K 6)",
           "SYNTH-25", 0, {"sledai_alopecia": 1, "sledai_mucosal_ulcers": 1},
           {"sledai_alopecia": 0, "sledai_mucosal_ulcers": 0}),
    _deeper_cytopenia("res_sle_das_w0_mean", "SYNTH-07", "sledai_leukopenia", 1.6, 0.9, "; 2.8 at week 4"),
    _deeper_cytopenia("res_sle_das_w0_mean", "SYNTH-01", "sledai_thrombocytopenia", 83.0, 76.0, "; 69 at week 4"),
    # Earlier repairs for the baseline SLE-DAS mean (CALIBRATION.md, "Stage (e)"), kept beside the
    # ones above.
    Repair("res_sle_das_w0_mean: anti-dsDNA not yet raised at baseline (positive from week 4; low "
           "complement keeps her serology active), 2 SLEDAI-2K points for SYNTH-22's",
           "SYNTH-09", 0, {"sledai_increased_dna_binding": 1, "sledai_low_complement": 1},
           {"sledai_increased_dna_binding": 0}),
    _deeper_cytopenia("res_sle_das_w0_mean", "SYNTH-25", "sledai_thrombocytopenia", 61.0, 33.0),
    _deeper_cytopenia("res_sle_das_w0_mean", "SYNTH-06", "sledai_leukopenia", 1.4, 1.2),
    # Week 36, SLE-DAS quartiles (n = 13). Table 2's SLEDAI-2K q1 there is 0 (at least four patients
    # at 0) while the SLE-DAS q1 (t2_sle_das_w36_q1) needs the 3rd and 4th values to sum to
    # 1.1-1.3 (mean of ranks 3 and 4 of 13, SPSS HAVERAGE), so only three
    # patients may sit at the SLE-DAS floor (0.366) and the 4th lies in [0.73, 0.93), which only a
    # lone thrombocytopenia at platelets 98-99 gives. The fourth SLEDAI-2K zero therefore has
    # something SLE-DAS counts and SLEDAI-2K does not: a single swollen joint. The q3 needs the
    # 10th and 11th values to sum to 4.5-4.7: 1.12 (low complement alone) and 3.51 (leukopenia alone
    # at 1.8 x10^9/L). The median (7th value) then needs the 5th to 10th all at 1.12. Serology moves
    # accordingly at weeks 36 and 48, never returning once normal (CALIBRATION.md, "Stage (e)").
    Repair("t2_sle_das_w36_q1: a mild thrombocytopenia at week 36 (platelets 98 x10^9/L; haematological "
           "involvement at baseline) with complement normal again: SLE-DAS 0.90, the 4th-lowest value",
           "SYNTH-23", 36, {"sledai_low_complement": 1, "sledai_thrombocytopenia": 0, "platelets_10e9_l": 202.0},
           {"sledai_low_complement": 0, "sledai_thrombocytopenia": 1, "platelets_10e9_l": 98.0}),
    Repair("t2_sle_das_w36_q1: complement still normal at week 48", "SYNTH-23", 48,
           {"sledai_low_complement": 1}, {"sledai_low_complement": 0}),
    Repair("t2_sle_das_w36_q1: one swollen, tender joint at week 36, below the SLEDAI-2K arthritis "
           "threshold of two joints: SLEDAI-2K 0 (the fourth zero Table 2 needs), SLE-DAS 3.95",
           "SYNTH-22", 36, {"swollen_joints": 0, "tender_joints": 1, "sledai_arthritis": 0}, {"swollen_joints": 1}),
    Repair("t2_sle_das_w36_q3: leukopenia persists at week 36 (leukocytes 1.8 x10^9/L; 2.0 at week 24): "
           "SLE-DAS 3.51, the 11th value; PGA 0.3 for it (SYNTH-15 takes her 0)", "SYNTH-16", 36,
           {"sledai_leukopenia": 0, "leukocytes_10e9_l": 4.6, "pga": 0.0},
           {"sledai_leukopenia": 1, "leukocytes_10e9_l": 1.8, "pga": 0.3}),
    Repair("t2_sle_das_w36_q3: anti-dsDNA negative at her last visit (week 36): SLE-DAS 0.366, and PGA 0 "
           "with nothing active (Table 2's week-36 PGA values unchanged as a set)",
           "SYNTH-15", 36, {"sledai_increased_dna_binding": 1, "sledai_low_complement": 0, "pga": 0.3},
           {"sledai_increased_dna_binding": 0, "pga": 0.0}),
    Repair("t2_sle_das_w36_q3: complement still low at week 36 (low since baseline): SLE-DAS 1.12",
           "SYNTH-19", 36, {"sledai_low_complement": 0, "sledai_increased_dna_binding": 0},
           {"sledai_low_complement": 1}),
    Repair("t2_sle_das_w36_q3: anti-dsDNA negative, complement low from week 36: SLE-DAS 1.12 rather "
           "than 1.32", "SYNTH-25", 36, {"sledai_increased_dna_binding": 1, "sledai_low_complement": 0},
           {"sledai_increased_dna_binding": 0, "sledai_low_complement": 1}),
    Repair("t2_sle_das_w36_q3: complement still low at week 48 and anti-dsDNA still negative",
           "SYNTH-25", 48, {"sledai_increased_dna_binding": 1, "sledai_low_complement": 0},
           {"sledai_increased_dna_binding": 0, "sledai_low_complement": 1}),
    Repair("t2_sle_das_w36_q3: anti-dsDNA negative, complement low from week 36: SLE-DAS 1.12 rather "
           "than 1.32", "SYNTH-26", 36, {"sledai_increased_dna_binding": 1, "sledai_low_complement": 0},
           {"sledai_increased_dna_binding": 0, "sledai_low_complement": 1}),
    Repair("t2_sle_das_w36_q3: complement still low at week 48", "SYNTH-26", 48,
           {"sledai_increased_dna_binding": 0, "sledai_low_complement": 0}, {"sledai_low_complement": 1}),
    Repair("res_serology_normalised_last_pct: complement still low at her last visit (week 72), so her "
           "serology has not normalised, as in the searched cohort; SYNTH-15's has instead",
           "SYNTH-26", 72, {"sledai_increased_dna_binding": 0, "sledai_low_complement": 0},
           {"sledai_low_complement": 1}),
    # PGA against activity. The search places PGA values by Table 2's quartiles, not by each
    # patient's activity, and left three visits with high activity and a low PGA (SLEDAI-2K 14 with
    # PGA 0.9, SLEDAI-2K 10 and SLE-DAS 16-17 with 0.7, SLEDAI-2K 14 with 0.5 at week 4), and the
    # week-12 repairs above keep arthritis going in two patients whose searched PGA was low
    # (SYNTH-03 at weeks 4 and 12, SYNTH-08 at week 12). These pass the values round among patients,
    # so each visit's set of PGA values, and every published PGA median, quartile, mean and SD, stays
    # as it was (the Wilcoxon p-values move a little and stay matches); no PGA rises from one visit
    # to the next outside a flare. One more fixes a rash extent the search left generalized at a
    # CLASI-A of 2.
    Repair("coherence: PGA 1.9 at baseline for SLEDAI-2K 14 (the searched 0.9 goes to SYNTH-05)",
           "SYNTH-03", 0, {"pga": 0.9}, {"pga": 1.9}),
    Repair("coherence: PGA 1.0 at baseline (her 1.9 goes to SYNTH-03, SYNTH-25's 1.0 comes to her; 0.95 at "
           "week 4)", "SYNTH-19", 0, {"pga": 1.9}, {"pga": 1.0}),
    Repair("coherence: PGA 1.35 at baseline for platelets 33 x10^9/L and SLE-DAS 15.6 (her 1.0 goes to "
           "SYNTH-19; 0.65 at week 4)", "SYNTH-25", 0, {"pga": 1.0}, {"pga": 1.35}),
    Repair("coherence: PGA 2.1 at baseline for fever with arthritis in 19 tender joints (SLEDAI-2K 15, "
           "SLE-DAS 18.3; the searched 1.0 goes to SYNTH-21; 1.0 at week 4)", "SYNTH-17", 0,
           {"pga": 1.0}, {"pga": 2.1}),
    Repair("coherence: PGA 1.0 at baseline (SLEDAI-2K 10; her 2.1 goes to SYNTH-17; 1.0 at week 4)",
           "SYNTH-21", 0, {"pga": 2.1}, {"pga": 1.0}),
    Repair("coherence: PGA 1.4 at baseline for fever with arthritis, rash and serology (SLEDAI-2K 15; the "
           "searched 1.0 goes to SYNTH-11; 1.0 at week 4)", "SYNTH-15", 0, {"pga": 1.0}, {"pga": 1.4}),
    Repair("coherence: PGA 1.0 at baseline (SLEDAI-2K 8; her 1.4 goes to SYNTH-15; 1.0 at week 4)",
           "SYNTH-11", 0, {"pga": 1.4}, {"pga": 1.0}),
    Repair("coherence: PGA 0.9 at baseline for a rash alone (SLEDAI-2K 2; 0.55 at week 4)",
           "SYNTH-05", 0, {"pga": 1.35}, {"pga": 0.9}),
    Repair("coherence: PGA 1.5 at baseline for SLEDAI-2K 10 with SLE-DAS 16-17 (the searched 0.7 goes to "
           "SYNTH-09)", "SYNTH-06", 0, {"pga": 0.7}, {"pga": 1.5}),
    Repair("coherence: PGA 1.2 at baseline (her 1.5 goes to SYNTH-06; 1.0 at week 4)",
           "SYNTH-13", 0, {"pga": 1.5}, {"pga": 1.2}),
    Repair("coherence: PGA 0.7 at baseline (SLEDAI-2K 4, SLE-DAS 3.9; 0.35 at week 4)",
           "SYNTH-09", 0, {"pga": 1.2}, {"pga": 0.7}),
    Repair("coherence: PGA 1.0 at week 4 for arthritis in 14 tender and 10 swollen joints with oral ulcers "
           "(SLEDAI-2K 8; the searched 0.45 goes to SYNTH-12)", "SYNTH-03", 4, {"pga": 0.45}, {"pga": 1.0}),
    Repair("coherence: PGA 0.45 at week 4 for a rash with anti-dsDNA (SLEDAI-2K 4; her 1.0 goes to SYNTH-03; "
           "0.3 at week 12)", "SYNTH-12", 4, {"pga": 1.0}, {"pga": 0.45}),
    Repair("coherence: PGA 0.75 at week 12 for 12 tender joints (0.95 at week 4; the searched 0.5 goes to "
           "SYNTH-04)", "SYNTH-08", 12, {"pga": 0.5}, {"pga": 0.75}),
    Repair("coherence: PGA 0.5 at week 12 for two tender joints with serology (her 0.75 goes to SYNTH-08)",
           "SYNTH-04", 12, {"pga": 0.75}, {"pga": 0.5}),
    Repair("coherence: the rash is localized at week 12 (CLASI-A 2; generalized at weeks 0 and 4)",
           "SYNTH-07", 12, {"rash_extent": "generalized", "clasi_activity": 2}, {"rash_extent": "localized"}),
    Repair("coherence: PGA 1.0 at week 4 for SLEDAI-2K 14 (as at baseline; the searched 0.5 goes to "
           "SYNTH-26)", "SYNTH-17", 4, {"pga": 0.5}, {"pga": 1.0}),
    Repair("coherence: PGA 0.5 at week 4 with no clinical activity (her 1.0 goes to SYNTH-17)",
           "SYNTH-26", 4, {"pga": 1.0}, {"pga": 0.5}),
)


def apply_repairs(visits: pd.DataFrame, repairs=REPAIRS) -> pd.DataFrame:
    """``visits`` with the stage (e) repairs written. Raises, listing every problem, when a repaired
    cell does not hold what the repair expects (the search changed and the repairs must be found
    again: a stale repair could break the coherence rules), when a repair names a column the visits
    do not have, writes a cell it does not state the expected value of (it could not be undone or
    checked), or writes a cell another repair writes too (the second would hide the first)."""
    out = visits.copy()
    problems = []
    written: dict = {}
    for k, r in enumerate(repairs):
        where = f"{r.patient_id} week {r.week}"
        unknown = sorted((set(r.expect) | set(r.write)) - set(out.columns))
        problems += [f"{where}: no visit column {c!r}" for c in unknown]
        problems += [f"{where} {c}: written without an expected value" for c in r.write if c not in r.expect]
        for c in r.write:
            first = written.setdefault((r.patient_id, r.week, c), k)
            if first != k:
                problems.append(f"{where} {c}: written by two repairs ({repairs[first].why.split(':')[0]}; "
                                f"{r.why.split(':')[0]})")
        at = (out["patient_id"] == r.patient_id) & (out["week"] == r.week)
        if at.sum() != 1:
            problems.append(f"{where}: {int(at.sum())} visits, expected 1")
            continue
        if unknown:
            continue
        row = out.loc[at].iloc[0]
        for col, value in r.expect.items():
            if row[col] != value:
                problems.append(f"{where} {col}: {row[col]!r}, the repair expects {value!r}")
        for col, value in r.write.items():
            out.loc[at, col] = value
    if problems:
        raise AssertionError("stage (e) repairs no longer fit the searched cohort:\n" + "\n".join(problems))
    return out


# ----------------------------------------------------------------------------- assembly
def assemble_visits(cohort: Cohort, s1: Stage1, tj: np.ndarray, clasi: np.ndarray, s4: Stage4,
                    events: pd.DataFrame, rng) -> pd.DataFrame:
    st = s1.state
    act, sled, csled, das, sj = s1.scores(st)
    p = cohort.patients
    r = cohort.roles
    muco = np.flatnonzero(p["mucocutaneous_active"].to_numpy() == 1)
    damage_muco = _published_vector(VECTOR_TARGETS["clasi_damage"], len(muco), lo=0, hi=CLASI_DAMAGE_MAX)
    damage = np.zeros(N, int)
    damage[muco] = rng.permutation(damage_muco)
    others = np.flatnonzero(p["mucocutaneous_active"].to_numpy() == 0)
    damage[others] = rng.choice([0, 0, 1, 3], len(others))
    suspended = {(pid, wk) for pid, wk in events.loc[events["action"] == "temporary_suspension", ["patient_id", "week"]].itertuples(index=False)}
    rows = []
    visit_columns = columns("visits")
    for i in range(N):
        pid = p["patient_id"].iloc[i]
        for w in np.flatnonzero(cohort.attend[i]):
            week = int(WEEKS[w])
            a = act[i, w]
            status = "on"
            if not cohort.efficacy[i, w]:
                status = "discontinued"
            elif (pid, week) in suspended:
                status = "suspended"
            gc = GC_MENU[s4.state["gc"][i, w]]
            row = dict.fromkeys(visit_columns, 0)
            row.update({
                "patient_id": pid, "week": week, "treatment_status": status,
                "sledai_arthritis": int(a[3]), "sledai_proteinuria": int(a[6]), "sledai_rash": int(a[0]),
                "sledai_alopecia": int(a[1]), "sledai_mucosal_ulcers": int(a[2]),
                "sledai_pericarditis": int(s1.pericarditis[i, w]),
                "sledai_low_complement": int(a[7]), "sledai_increased_dna_binding": int(a[8]),
                "sledai_thrombocytopenia": int(a[5]), "sledai_leukopenia": int(a[4]),
                "rash_extent": ("localized", "generalized")[st["extent"][i] - 1] if a[0] else "none",
                "vasculitis_type": "none",
                "proteinuria_g_24h": float(st["prot"][i, w]) if a[6] else round(float(rng.uniform(0.05, 0.3)), 2),
                "platelets_10e9_l": float(st["plt"][i, w]) if a[5] else float(rng.integers(150, 380)),
                "leukocytes_10e9_l": float(st["wbc"][i, w]) if a[4] else round(float(rng.uniform(3.5, 9.5)), 1),
                "haemoglobin_g_l": float(rng.integers(108, 142)),
                "tender_joints": int(tj[i, w]), "swollen_joints": int(sj[i, w]),
                "pga": float(s4.state["pga"][i, w]),
                "clasi_activity": int(clasi[i, w]), "clasi_damage": int(damage[i]),
                "gc_drug": gc[1], "gc_dose_mg": gc[2],
            })
            rows.append(row)
    v = pd.DataFrame(rows, columns=visit_columns)
    ai, aw = r["arthritis"], FLARE_WEEKS["arthritis"]
    sel = (v["patient_id"] == p["patient_id"].iloc[ai]) & (v["week"] == aw)
    v.loc[sel, ["tender_joints", "swollen_joints"]] = [4, 2]
    return v


@dataclass
class Calibration:
    """The losses each stage ended with (0 = every scored statistic on target)."""
    descriptors: float
    tender_joints: float
    clasi: float
    pga_gc: float


#: Seeds of the four search stages (stage a's was chosen as the best of the few tried; any seed
#: gives a valid, coherent cohort, they differ only in how close they come to the targets).
STAGE_SEEDS = (5, 11, 12, 14)
ITERATIONS = (150_000, 20_000, 20_000, 200_000)


def generate(seed: int = SEED, iterations: tuple[int, int, int, int] = ITERATIONS):
    """The three tables of the synthetic cohort and the calibration losses."""
    _CACHE.clear()
    cohort = build_patients(np.random.default_rng(seed))
    rngs = [np.random.default_rng(s) for s in STAGE_SEEDS]
    s1 = Stage1(cohort, rngs[0])
    l1 = _anneal(s1.state, s1.loss, s1.propose, rngs[0], iterations[0], t0=2.0, t1=0.02)
    act, sled, csled, das, sj = s1.scores(s1.state)
    s2 = Stage2(cohort, act, sj, rngs[1])
    l2 = _anneal(s2.state, s2.loss, s2.propose, rngs[1], iterations[1], t0=2.0, t1=0.02)
    s3 = Stage3(cohort, act, rngs[2])
    l3 = _anneal(s3.state, s3.loss, s3.propose, rngs[2], iterations[2], t0=2.0, t1=0.02)
    s4 = Stage4(cohort, act, sled, csled, rngs[3])
    l4 = _anneal(s4.state, s4.loss, s4.propose, rngs[3], iterations[3], t0=1.0, t1=0.01)
    rng = np.random.default_rng(seed + 1)
    events = build_adverse_events(cohort, rng, act)
    visits = assemble_visits(cohort, s1, s2.state["tj"], s3.state["clasi"], s4, events, rng)
    visits = apply_repairs(visits)
    tables = {"patients": cohort.patients[columns("patients")], "visits": visits, "adverse_events": events}
    return tables, Calibration(float(l1), float(l2), float(l3), float(l4))


def write_tables(tables: dict, out: Path) -> None:
    """Write the tables as CSV, byte for byte the same on every run."""
    out.mkdir(parents=True, exist_ok=True)
    for name, frame in tables.items():
        frame.to_csv(out / f"{name}.csv", index=False, float_format="%.6g", lineterminator="\n")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="Write the SYNTHETIC cohort (not real patients).")
    ap.add_argument("--out", type=Path, default=SYNTHETIC_DIR)
    args = ap.parse_args(argv)
    tables, cal = generate()
    write_tables(tables, args.out)
    print(f"wrote SYNTHETIC cohort to {args.out}: " + ", ".join(f"{k} {len(v)} rows" for k, v in tables.items()))
    print(f"calibration losses (0 = on target): {cal}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
