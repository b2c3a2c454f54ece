"""Stage one: the patients table (Table 1 exactly) and who plays which role.

Table 1 fixes counts exactly (sex, ethnicity, organ involvement, therapies, reason for
prescription, SDI > 0); continuous variables are built by :func:`quartile_vector` as sorted vectors
whose median, quartiles (SPSS HAVERAGE), minimum and maximum are the published ones, then dealt to
patients by a seeded shuffle. Every count and statistic is read from the :class:`Published`
targets; the roles the Results text describes, and who has which ongoing involvement, come from
the :class:`Scenario` (data/synthetic/scenario.toml)."""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..science.stats import quartiles
from .items import NW, WEEKS, W
from .scenario import Scenario, patient_ids
from .targets import Published, last_visit_weeks

# ----------------------------------------------------------------------------- patients
def _deal(values, rng, n):
    values = list(values)
    assert len(values) == n
    return list(rng.permutation(values))


def _on_grid(x: float, resolution: float) -> float:
    """``x`` snapped to the nearest point of a grid of ``resolution`` (0.05, 0.25, 1; a half-way
    value, to floating-point error, goes up): where a designed value lies, not how a table prints
    it, which is ``numbers.half_up``."""
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
    got = quartiles(out)
    if not np.allclose(got, [median, q1, q3]) or out[0] != lo or out[-1] != hi:
        raise AssertionError(f"quartile_vector missed its targets: {out}")
    return out


def published_vector(pub: Published, ids: dict, n: int, resolution: float = 1.0, include: float | None = None,
                      **design) -> list:
    """quartile_vector with each statistic read from targets.csv by id; ``design`` gives the
    statistics the paper does not publish (say which in the caller)."""
    stats = {k: pub.value(v) for k, v in ids.items()} | design
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
    attend: np.ndarray      # (patients, visits) bool: visit exists
    efficacy: np.ndarray    # (patients, visits) bool: assessed on treatment
    roles: dict = field(default_factory=dict)
    scenario: Scenario | None = None

    @property
    def n(self) -> int:
        return len(self.patients)


def build_patients(rng, pub: Published, scenario: Scenario) -> Cohort:
    """Table 1 exactly, with the roles the Results text describes (``scenario``)."""
    N = pub.n
    idx = np.arange(N)
    # Follow-up: last visit week per patient, from Table 3's patients in follow-up.
    last_week = last_visit_weeks(pub)
    roles = {r: i for r, i in scenario.roles.items() if r != "pulmonary_embolism"}
    attend = np.zeros((N, NW), bool)
    for i in idx:
        attend[i, : list(WEEKS).index(last_week[i]) + 1] = True
    attend[:, W[48]] &= last_week >= 48
    attend[roles["long"], W[72]] = True
    # the week-72 patient has no week-60 visit in the schedule; week 48 attended.
    efficacy = attend.copy()
    efficacy[roles["infections"], W[36]] = False  # seen off treatment at week 36

    # Organ involvement (cumulative / ongoing) — Table 1. The arthritis-flare patient is not
    # articular-active at baseline, the cytopenia-flare patient not haematologically active; the
    # short-follow-up patient is one of the haematologically active (one fewer is seen at week 12).
    def flags(members):
        out = np.zeros(N, bool)
        out[list(members)] = True
        return out

    involved = scenario.involvement
    muco_active = ~flags(involved["mucocutaneous_inactive"])
    artic_active = flags(involved["articular_active"])
    haem_active = flags(involved["haematological_active"])
    renal_active = flags(involved["renal_active"])
    for flag, tid in ((muco_active, "t1_mucocutaneous_active_n"), (artic_active, "t1_articular_active_n"),
                      (haem_active, "t1_haematological_active_n"), (renal_active, "t1_renal_active_n")):
        if flag.sum() != pub.count(tid):
            raise AssertionError(f"{tid}: the generator's patients give {flag.sum()}, targets.csv {pub.count(tid)}")
    assert (muco_active | artic_active | haem_active | renal_active).all()
    assert not artic_active[roles["arthritis"]] and not haem_active[roles["cytopenia"]]

    def ever(active, target_id, exclude=()):
        total = pub.count(target_id)
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
    biopsy[renal_idx[rng.permutation(len(renal_idx))[:pub.count("res_lupus_nephritis_proteinuria_n")]]] = 0.0

    roles["pulmonary_embolism"] = scenario.roles["pulmonary_embolism"]
    pe_age = pub.value("res_pulmonary_embolism_patient_age")
    age = _deal(published_vector(pub, VECTOR_TARGETS["age_years"], N, include=pe_age), rng, N)
    j = age.index(pe_age)
    age[j], age[roles["pulmonary_embolism"]] = age[roles["pulmonary_embolism"]], pe_age

    def first(members: list, k: int, what: str) -> list:
        if k > len(members):
            raise AssertionError(f"{what}: targets.csv asks for {k}, the generator names only {len(members)}")
        return members[:k]

    # The men: the pulmonary embolism case (the text says he is a man), then others by index.
    sex = np.array(["F"] * N, dtype=object)
    sex[first(scenario.characteristics["men"], N - pub.count("t1_female_n"), "men")] = "M"
    ethnicity = np.array(["Caucasian"] * N, dtype=object)
    ethnicity[first(scenario.characteristics["non_caucasian"], pub.count("t1_non_caucasian_n"), "non-Caucasian patients")] = "non-Caucasian"
    n_prev = np.array(published_vector(pub, VECTOR_TARGETS["n_previous_immunosuppressants"], N))[rng.permutation(N)]
    # Therapies at baseline: one immunosuppressant each, or none (antimalarials or GC only).
    immuno = np.array(sum(([drug] * pub.count(f"t1_concomitant_{drug}_n") for drug in ("mtx", "aza", "mmf", "cyclosporin")),
                          []) + ["none"] * pub.count("t1_antimalarial_or_gc_only_n"), dtype=object)
    immuno = immuno[rng.permutation(N)]
    hcq = np.zeros(N, int)
    hcq[rng.permutation(N)[: pub.count("t1_concomitant_hcq_n")]] = 1
    # Belimumab and rituximab failures go to those with most previous drugs (the rituximab
    # failures had also failed belimumab).
    order = np.argsort(-n_prev, kind="stable")
    belim = np.zeros(N, int)
    belim[order[: pub.count("res_belimumab_failure_n")]] = 1
    ritux = np.zeros(N, int)
    ritux[order[: pub.count("res_rituximab_failure_n")]] = 1
    reason = np.array(["persistently_active"] * N, dtype=object)
    flare_reason = scenario.characteristics["started_for_flare"]
    if len(flare_reason) != pub.count("t1_reason_flare_n"):
        raise AssertionError("t1_reason_flare_n: the generator's list of patients started for a flare disagrees")
    reason[flare_reason] = "flare"
    sdi_positive = published_vector(pub, VECTOR_TARGETS["sdi_positive"], pub.count("t1_sdi_positive_n"))
    sdi = np.array([0] * (N - len(sdi_positive)) + sdi_positive)[rng.permutation(N)]
    hz_vacc = np.zeros(N, int)
    hz_vacc[some(pub.count("res_hz_vaccinated_n"), exclude=(roles["infections"],))] = 1
    doses = published_vector(pub, VECTOR_TARGETS["sars_cov2_vaccine_doses"], N, hi=VACCINE_DOSES_MAX)
    # Nine centres (Methods); how many patients each enrolled is not published.
    centers = ["Pisa"] * 6 + ["Padova"] * 4 + ["Milano"] * 3 + ["Roma"] * 3 + ["Cagliari"] * 3 + ["Napoli"] * 2 + ["Udine"] * 2 + ["Firenze"] * 2 + ["Bari"]
    if len(set(centers)) != pub.count("meth_centers"):
        raise AssertionError("meth_centers: the generator's centre list disagrees with targets.csv")
    cutoff = pd.Timestamp("2023-12-15")
    start = [cutoff - pd.Timedelta(weeks=int(last_week[i]) + int(rng.integers(1, 8))) for i in idx]
    stop_week = np.full(N, np.nan)
    stop_reason = np.array([None] * N, dtype=object)
    for role, wk, why in scenario.discontinuations:
        stop_week[roles[role]] = wk
        stop_reason[roles[role]] = why

    p = pd.DataFrame({
        "patient_id": patient_ids(N),
        "center": _deal(centers, rng, N),
        "sex": sex, "age_years": age, "ethnicity": ethnicity,
        "disease_duration_years": _deal(published_vector(pub, VECTOR_TARGETS["disease_duration_years"], N), rng, N),
        "weight_kg": rng.integers(48, 86, N),
        "mucocutaneous_ever": muco_ever.astype(int), "mucocutaneous_active": muco_active.astype(int),
        "articular_ever": artic_ever.astype(int), "articular_active": artic_active.astype(int),
        "haematological_ever": haem_ever.astype(int), "haematological_active": haem_active.astype(int),
        "renal_ever": renal_ever.astype(int), "renal_active": renal_active.astype(int),
        "serositis_ever": serositis_ever.astype(int), "serositis_active": 0,
        "neuropsychiatric_ever": np_ever.astype(int), "neuropsychiatric_active": 0,
        "lupus_nephritis_biopsy_proven": biopsy,
        "secondary_aps": 0, "secondary_sjogren": 0,
        "cumulative_gc_g": _deal(published_vector(pub, VECTOR_TARGETS["cumulative_gc_g"], N, resolution=0.1), rng, N),
        "n_previous_immunosuppressants": n_prev,
        "previous_belimumab_failure": belim, "previous_rituximab_failure": ritux,
        "concomitant_hcq": hcq,
        "concomitant_mtx": (immuno == "mtx").astype(int), "concomitant_aza": (immuno == "aza").astype(int),
        "concomitant_mmf": (immuno == "mmf").astype(int), "concomitant_cyclosporin": (immuno == "cyclosporin").astype(int),
        "reason_for_anifrolumab": reason, "sdi": sdi, "hz_vaccinated": hz_vacc,
        "sars_cov2_vaccine_doses": _deal(doses, rng, N),
        "anifrolumab_start": [d.strftime("%Y-%m-%d") for d in start],
        "follow_up_weeks": last_week,
        "anifrolumab_stop_week": stop_week, "anifrolumab_stop_reason": stop_reason,
    })
    p.loc[rng.permutation(N)[: pub.count("t1_secondary_aps_n")], "secondary_aps"] = 1
    p.loc[rng.permutation(N)[: pub.count("t1_secondary_sjogren_n")], "secondary_sjogren"] = 1
    return Cohort(p, attend, efficacy, roles, scenario)

