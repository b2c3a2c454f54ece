"""Can the shipped SYNTHETIC cohort's baseline visits alone reach the published SLEDAI-2K SD?

A research script for data/synthetic/CALIBRATION.md, not part of the book; make test checks its
menus and windows (tests/test_baseline_sd_search.py) but not the solver, OR-Tools CP-SAT, which
the book does not install:

    .venv/bin/python -m pip install -c constraints.txt ortools==9.15.6755
    .venv/bin/python data/synthetic/search/baseline_sd.py

Model. Each patient's baseline visit may take any set of SLEDAI-2K descriptors that her Table 1
involvement allows (anti-dsDNA and low complement for anyone; thrombocytopenia and leukopenia
when haematologically active; rash of either extent, alopecia and ulcers when mucocutaneous
active, at least one descriptor of each active involvement) and that keeps every clinical
descriptor she still has at her next visit (otherwise it would be new there: a flare). Arthritis
and proteinuria stay as they are (articular and renal involvement). Later visits are not changed.
A shipped baseline outside its own menu is an error that names every such patient.

CP-SAT then looks, for every arrangement of the order statistics behind SPSS's quartiles (HAVERAGE)
and every sum that prints the published mean, for a choice of baseline sets that holds the
published SLEDAI-2K quartiles and mean (t2_sledai2k_w0_*, res_sledai2k_w0_mean), the count with
active serology (t1_active_serology_n) and an SD of at least ``--sd`` (by default the published SD
less one printed unit, the scorecard's tolerance), with the fewest changed descriptors. Every
published figure is read from data/targets.csv and turned into the values that print like it.
Options add:

- ``--normalised``: the count, of those with active serology at baseline, without it at their last
  visit that prints res_serology_normalised_last_pct;
- ``--no-new-flare``: no week-4 SLEDAI-2K rise that is an SFI flare (outcomes.SFI_MILD_SLEDAI_RISE)
  outside the week-4 flare (a rash worse at week 4 than at baseline is not checked);
- ``--sle-das``: necessary conditions of the SLE-DAS q1 and median (t2_sle_das_w0_q1, _median):
  no more than k scores below the lower end of the printed window and at least k below the upper
  end, k the lower of the quantile's two places. Each count is taken over the range a cytopenia's
  laboratory values allow (the rash extent is part of the option), in the direction that makes
  it easiest to meet;
- ``--sle-das-exact``: the SLE-DAS q1 and median themselves. Any patient may take the quantiles'
  four places, at a score her laboratory range allows; every other patient sits in one band below,
  between or above them. Exact once each cytopenia's laboratory value is chosen in its range
  (about 5 min);
- ``--keep-sle-das-places``: instead, the shipped cohort's patients at those four places keep
  their baselines, laboratory values included, and their places; the rest as above. Sufficient
  for the two quantiles.

- ``--sle-das-moments tolerance|match``: each patient's baseline SLE-DAS is a variable within her
  option's laboratory range (in thousandths, as if the laboratory value were continuous); all
  three SLE-DAS quartiles are held on these scores, and the SLE-DAS mean and SD within one printed
  unit (``tolerance``) or as printed (``match``). A laboratory value changed without a descriptor
  change counts as one change. Rounding a laboratory value to what a laboratory reports moves the
  score (by about 0.55 for 0.1 x10^9/L of leukocytes near 0.9), so check what is applied;
- ``--silent``: the menus also offer, at baseline only, fever (anyone) and the urinary sediment
  (renal involvement): SLEDAI-2K descriptors that SLE-DAS does not score (``SILENT``);
- ``--only SUM:A,B:C,D:E,F`` solves only the named arrangements; ``--seconds`` is each solve's
  time limit. Progress goes to stderr, one line per arrangement.

``--sle-das`` is a relaxation: a feasible answer does not mean the SLE-DAS quartiles are reached.
An infeasible answer under a set of options is a proof for these menus. No option holds the
p-values against baseline: check a candidate with the scorecard. The shipped cohort's baseline SD
repairs came from ``--silent --normalised --no-new-flare --sle-das-moments tolerance``
(CALIBRATION.md).
"""
from __future__ import annotations

import argparse
import itertools
import math
import sys
from fractions import Fraction
from functools import lru_cache

import pandas as pd


from lupus_utils import read_cohort
from lupus_utils.instruments import SEROLOGY_ITEMS, SLEDAI2K_WEIGHTS, beyond_lab_threshold, sle_das
from lupus_utils.outcomes import SFI_LEVELS, SFI_MILD_SLEDAI_RISE
from lupus_utils.paths import SYNTHETIC_DIR
from lupus_utils.results import derive_visits
from lupus_utils.scorecard import load_targets, round_half_up
from lupus_utils.synth import GROUP, GROUP_FLAG, ITEM_COLUMNS, ITEMS

#: the generator's involvement groups (lupus_utils.synth.GROUP, GROUP_FLAG): serology ("all") is
#: open to anyone; mucocutaneous and haematological descriptors may change, articular and renal
#: ones stay as shipped
CHANGEABLE = ("all", "muco", "haem")
GROUP_OF = {col: GROUP[item] for item, col in zip(ITEMS, ITEM_COLUMNS)}
CYTOPENIAS = tuple(c for c in ITEM_COLUMNS if GROUP_OF[c] == "haem")
#: SLEDAI-2K descriptors that SLE-DAS does not score, outside the generator's items: fever (anyone)
#: and the urinary sediment (renal involvement); offered at baseline only with ``silent=True``
SILENT = {"sledai_fever": "all", "sledai_haematuria": "renal", "sledai_pyuria": "renal",
          "sledai_urinary_casts": "renal"}
#: a cytopenia's laboratory value just past its SLEDAI-2K threshold and the deepest considered:
#: the least and the most it adds to SLE-DAS
LAB_COLUMN = {"sledai_thrombocytopenia": "platelets_10e9_l", "sledai_leukopenia": "leukocytes_10e9_l"}
LAB_RANGE = {"sledai_thrombocytopenia": (99.0, 10.0), "sledai_leukopenia": (2.9, 0.5)}
assert all(beyond_lab_threshold(pd.Series(v), c).all() for c, v in LAB_RANGE.items())
SCALE = 1000   # SLE-DAS in thousandths, as sle_das rounds it


@lru_cache(maxsize=None)
def published(target_id: str) -> tuple[float, int]:
    """A target's published value and printed decimals (data/targets.csv, the one source)."""
    t = load_targets().set_index("target_id").loc[target_id]
    return float(t["value"]), int(t["decimals"])


def prints_as(x: float, target_id: str) -> bool:
    """Whether ``x`` prints as the published value (rounded half up, as the scorecard's match)."""
    value, decimals = published(target_id)
    return round_half_up(x, decimals) == value


def window(target_id: str) -> tuple[float, float]:
    """The half-open interval of values that print as the published one."""
    value, decimals = published(target_id)
    half = 0.5 * 10 ** -decimals
    # rounded so that float error does not put an end a hair outside (13.2 - 0.05 = 13.149999...)
    return round(value - half, decimals + 3), round(value + half, decimals + 3)


def haverage(p: float, n: int) -> tuple[int, Fraction]:
    """SPSS HAVERAGE: the p-quantile of n sorted values is x[k] + f (x[k+1] - x[k]), 1-based."""
    pos = Fraction(p).limit_denominator(100) * (n + 1)
    return int(pos), pos - int(pos)


def menus(tables: dict[str, pd.DataFrame], silent: bool = False) -> tuple[list[str], dict[str, list[dict]]]:
    """Every baseline option of each patient (module docstring). Raises ``ValueError`` naming every
    patient whose shipped baseline lies outside her own menu (the model would silently miss it)."""
    d = derive_visits(tables)
    vis = tables["visits"]
    flags = tables["patients"].set_index("patient_id")
    base = d[d["week"] == 0].set_index("patient_id").sort_index()
    out, outside = {}, []
    for pid, r0 in base.iterrows():
        f = flags.loc[pid]
        cur = {c for c in (*ITEM_COLUMNS, *SILENT) if r0[c] == 1}
        later = d[(d["patient_id"] == pid) & (d["week"] > 0)].sort_values("week")
        keep = {c for c in cur - set(SEROLOGY_ITEMS) if len(later) and later.iloc[0][c] == 1}
        active = {g for g, flag in GROUP_FLAG.items() if f[flag] == 1}
        group_of = {**GROUP_OF, **SILENT}
        beyond = sorted(c for c in cur if group_of[c] != "all" and group_of[c] not in active)
        if beyond:
            outside += [f"visits {pid} week 0, {c}: outside her involvement ({GROUP_FLAG[group_of[c]]} = 0)" for c in beyond]
            continue
        open_groups = active & set(CHANGEABLE)
        free = [c for c in ITEM_COLUMNS if GROUP_OF[c] == "all" or GROUP_OF[c] in open_groups]
        if silent:
            free += [c for c, g in SILENT.items() if g == "all" or g in active]
        row0 = vis[(vis["patient_id"] == pid) & (vis["week"] == 0)]
        rows = []
        for bits in itertools.product((0, 1), repeat=len(free)):
            s = (cur - set(free)) | {c for c, b in zip(free, bits) if b}
            if not keep <= s or any(not any(GROUP_OF.get(c) == g for c in s) for g in open_groups):
                continue
            for extent in (("localized", "generalized") if "sledai_rash" in s else ("none",)):
                das = []
                for end in (0, 1):
                    row = row0.copy()
                    for c in free:
                        row[c] = int(c in s)
                    row["rash_extent"] = extent
                    for c in CYTOPENIAS:
                        if c in s:
                            row[LAB_COLUMN[c]] = LAB_RANGE[c][end]
                    das.append(float(sle_das(row).iloc[0]))
                other = int(r0["sledai2k"]) - sum(SLEDAI2K_WEIGHTS[c] for c in cur)
                extent_changed = "sledai_rash" in s and "sledai_rash" in cur and extent != r0["rash_extent"]
                rows.append({"set": sorted(s), "extent": extent, "changed": len(s ^ cur) + int(extent_changed),
                             "das_now": float(r0["sle_das"]), "sledai2k": other + sum(SLEDAI2K_WEIGHTS[c] for c in s),
                             "serology": int(bool(s & set(SEROLOGY_ITEMS))), "das_min": min(das), "das_max": max(das)})
        if not any(o["changed"] == 0 for o in rows):
            outside.append(f"visits {pid} week 0 ({', '.join(sorted(cur)) or 'no descriptor'}): not in her menu "
                           "(an active involvement without its descriptor)")
        out[pid] = rows
    if outside:
        raise ValueError(f"{len(outside)} baseline problem(s): " + "; ".join(outside))
    return list(base.index), out


def patient_facts(tables):
    d = derive_visits(tables)
    eff = d[d["on_treatment"]]
    week4 = eff[eff["week"] == 4].set_index("patient_id")["sledai2k"].to_dict()
    flare4 = set(d.loc[(d["week"] == 4) & d["sfi_flare"].isin(SFI_LEVELS[1:]), "patient_id"])
    last = d.sort_values("week").groupby("patient_id").tail(1).set_index("patient_id")
    return week4, flare4, (~last["active_serology"]).astype(int).to_dict()


def published_constraints(n: int) -> dict:
    """The published figures the model holds, as the windows that print like them."""
    c = {"serology": int(published("t1_active_serology_n")[0])}
    c["totals"] = [t for t in range(0, 20 * n + 1) if prints_as(t / n, "res_sledai2k_w0_mean")]
    normalised = [k for k in range(c["serology"] + 1)
                  if prints_as(100 * k / c["serology"], "res_serology_normalised_last_pct")]
    if len(normalised) != 1:
        raise ValueError(f"res_serology_normalised_last_pct: {len(normalised)} counts of {c['serology']} "
                         "print as published, not one")
    c["normalised"] = normalised[0]
    sd, decimals = published("res_sledai2k_w0_sd")
    c["sd_tolerance"] = sd - 10 ** -decimals          # the scorecard's within-tolerance bound
    c["quartiles"] = {p: haverage(p, n) for p in (.25, .5, .75)}
    return c


def sledai2k_patterns(n: int, top: int, tid: str, p: float):
    """Pairs (x[k], x[k+1]) of integer scores whose SPSS quantile prints as target ``tid``."""
    k, f = haverage(p, n)
    return [(a, b) for a in range(top + 1) for b in range(a, top + 1) if prints_as(float(a + f * (b - a)), tid)]


QUANTILES = ((.25, "t2_sle_das_w0_q1"), (.5, "t2_sle_das_w0_median"), (.75, "t2_sle_das_w0_q3"))


def place_scores(m, x, cells, candidates, n: int, y=None, quantiles=QUANTILES[:2]):
    """SLE-DAS quartiles held exactly. ``candidates`` gives, for each place behind a quantile of
    ``quantiles`` (the two places behind each), the options that may take it and the score range
    (thousandths) they may have there; every other chosen option sits in one band: below the first
    place, between two quantiles' places, above the last. With ``y`` (each patient's score, see
    :func:`sle_das_moments`) a placed or banded patient's own score is the one that counts; without
    it an option fits where its range reaches. Returns nothing; adds the constraints to ``m``."""
    spec = [(haverage(p, n), tid) for p, tid in quantiles]
    places = [kk for (k, _), _ in spec for kk in (k, k + 1)]
    place = {k: {(p, i): m.NewBoolVar("") for (p, i) in candidates} for k in places}
    top = max(hi for _, hi in candidates.values())
    score = {k: m.NewIntVar(0, top, f"S{k}") for k in places}
    for k in places:
        m.AddExactlyOne(place[k].values())
        for (p, i), b in place[k].items():
            m.AddImplication(b, x[p, i])
            lo, hi = candidates[p, i]
            m.Add(score[k] >= lo).OnlyEnforceIf(b)
            m.Add(score[k] <= hi).OnlyEnforceIf(b)
            if y is not None:
                m.Add(y[p] == score[k]).OnlyEnforceIf(b)
    for key in candidates:   # one option, one place
        m.Add(sum(place[k][key] for k in places) <= 1)
    for ((k, f), tid) in spec:
        low, high = window(tid)   # (1 - f) x[k] + f x[k+1] in [low, high), times f's denominator
        den = f.denominator
        expr = (den - f.numerator) * score[k] + f.numerator * score[k + 1]
        m.Add(expr >= math.ceil(den * low * SCALE - 1e-9))
        m.Add(expr < math.ceil(den * high * SCALE - 1e-9))
    for ka, kb in zip(places, places[1:]):
        m.Add(score[ka] <= score[kb])
    # band j lies between places[2j - 1] and places[2j] (open at the two ends)
    edges = [None] + places[1::2]
    tops = places[0::2] + [None]
    bands = [[] for _ in edges]
    for p, i, o in cells:
        lo, hi = round(o["das_min"] * SCALE), round(o["das_max"] * SCALE)
        fits = [m.NewBoolVar("") for _ in bands]
        placed = sum(place[k][p, i] for k in places) if (p, i) in candidates else 0
        m.Add(sum(fits) + placed == x[p, i])
        for fit, below, above in zip(fits, edges, tops):
            if below is not None:
                m.Add((hi if y is None else y[p]) >= score[below]).OnlyEnforceIf(fit)
            if above is not None:
                m.Add((lo if y is None else y[p]) <= score[above]).OnlyEnforceIf(fit)
        for band, fit in zip(bands, fits):
            band.append(fit)
    sizes = [b - a - 1 for a, b in zip([0] + places[1::2], places[0::2] + [n + 1])]
    for band, size in zip(bands, sizes):
        m.Add(sum(band) == size)


def moment_windows(tolerance: bool) -> dict[str, tuple[float, float]]:
    """The SLE-DAS mean and SD windows sought: those that print as published (a match) or, with
    ``tolerance``, within one printed unit of it (the scorecard's within tolerance)."""
    out = {}
    for stat in ("mean", "sd"):
        tid = f"res_sle_das_w0_{stat}"
        if tolerance:
            value, decimals = published(tid)
            out[stat] = (value - 10 ** -decimals, value + 10 ** -decimals)
        else:
            out[stat] = window(tid)
    return out


def sle_das_moments(m, x, cells, pids, n: int, tolerance: bool):
    """Each patient's baseline SLE-DAS as a variable ``y`` (thousandths) within her chosen option's
    laboratory range, and its mean and SD held in :func:`moment_windows`. The SD's square is
    bounded through the sum of squares: an upper bound using the tangent of S^2 at the lowest
    sum, a lower bound using its chord across the sum's window (both sufficient, never relaxing).
    Returns ``(y, moved)``: ``moved[p]`` is true when a patient keeps her descriptors but her
    laboratory values, and so her score, change (the caller may count it as a change)."""
    s_lo, s_hi, upper, lower = moment_limits(n, tolerance)
    y, moved, squares = {}, {}, []
    for p in pids:
        mine = [(i, o) for q_, i, o in cells if q_ == p]
        if all(o["das_min"] == o["das_max"] for _, o in mine):   # no laboratory range: y is linear in x
            y[p] = sum(round(o["das_min"] * SCALE) * x[p, i] for i, o in mine)
            squares.append(sum(round(o["das_min"] * SCALE) ** 2 * x[p, i] for i, o in mine))
            continue
        lo = min(round(o["das_min"] * SCALE) for _, o in mine)
        hi = max(round(o["das_max"] * SCALE) for _, o in mine)
        y[p] = m.NewIntVar(lo, hi, f"y_{p}")
        sq = m.NewIntVar(lo * lo, hi * hi, f"sq_{p}")
        m.AddMultiplicationEquality(sq, [y[p], y[p]])
        squares.append(sq)
        moved[p] = m.NewBoolVar(f"moved_{p}")
        for i, o in mine:
            m.Add(y[p] >= round(o["das_min"] * SCALE)).OnlyEnforceIf(x[p, i])
            m.Add(y[p] <= round(o["das_max"] * SCALE)).OnlyEnforceIf(x[p, i])
            if o["changed"] == 0:
                m.Add(y[p] == round(o["das_now"] * SCALE)).OnlyEnforceIf([x[p, i], moved[p].Not()])
    total, ss = sum(y.values()), sum(squares)
    m.Add(total >= s_lo)
    m.Add(total <= s_hi)
    m.Add(n * ss <= upper + 2 * s_lo * total)
    m.Add(n * ss >= lower + (s_lo + s_hi) * total)
    return y, moved


def moment_limits(n: int, tolerance: bool) -> tuple[int, int, int, int]:
    """The integer limits :func:`sle_das_moments` puts on the sum S and the sum of squares SS of
    n baseline SLE-DAS scores in thousandths: ``s_lo <= S <= s_hi``,
    ``n SS <= upper + 2 s_lo S`` and ``n SS >= lower + (s_lo + s_hi) S``. Since
    (n - 1) SD^2 = SS - S^2 / n, the second uses the tangent of S^2 at s_lo (S^2 >= 2 s_lo S - s_lo^2)
    and the third its chord across [s_lo, s_hi] (S^2 <= (s_lo + s_hi) S - s_lo s_hi): both are
    sufficient for the SD window, never looser."""
    w = moment_windows(tolerance)
    strict = 0 if tolerance else 1   # a printed window is open at the top
    s_lo = math.ceil(n * w["mean"][0] * SCALE - 1e-9)
    s_hi = math.floor(n * w["mean"][1] * SCALE + 1e-9) - strict
    (sd_lo, sd_hi) = w["sd"]
    upper = math.floor(n * (n - 1) * (sd_hi * SCALE) ** 2) - strict - s_lo * s_lo
    lower = math.ceil(n * (n - 1) * (sd_lo * SCALE) ** 2) - s_lo * s_hi
    return s_lo, s_hi, upper, lower


def moments_admitted(scores, tolerance: bool) -> bool:
    """Whether concrete baseline SLE-DAS scores meet :func:`moment_limits` (the model's test)."""
    y = [round(v * SCALE) for v in scores]
    s_lo, s_hi, upper, lower = moment_limits(len(y), tolerance)
    total, ss = sum(y), sum(v * v for v in y)
    return s_lo <= total <= s_hi and lower + (s_lo + s_hi) * total <= len(y) * ss <= upper + 2 * s_lo * total


def shipped_places(opts: dict, n: int) -> list[str]:
    """The patients at the shipped cohort's baseline SLE-DAS places behind its q1 and median."""
    order = sorted(opts, key=lambda p: opts[p][0]["das_now"])
    (k1, _), (k2, _) = haverage(.25, n), haverage(.5, n)
    return [order[k - 1] for k in (k1, k1 + 1, k2, k2 + 1)]


def arrangements(n: int, opts: dict, only=None) -> list[tuple]:
    """Every (SLEDAI-2K sum, pairs at the places behind q1, median and q3) that prints the published
    mean and quartiles, within the scores the menus reach; with ``only``, just those, after checking
    that each is one (``ValueError`` naming every one that is not)."""
    pub = published_constraints(n)
    top = max(o["sledai2k"] for rows in opts.values() for o in rows)
    patterns = [sledai2k_patterns(n, top, tid, p) for tid, p in
                (("t2_sledai2k_w0_q1", .25), ("t2_sledai2k_w0_median", .5), ("t2_sledai2k_w0_q3", .75))]
    out = [(total, a, b, c) for total, a, b, c in itertools.product(pub["totals"], *patterns)
           if b[0] >= a[1] and c[0] >= b[1]]
    unknown = sorted(set(only or ()) - set(out))
    if unknown:
        raise ValueError(f"{len(unknown)} arrangement(s) given to --only do not print the published SLEDAI-2K "
                         f"mean and quartiles: {', '.join(map(str, unknown))}")
    return [x for x in out if not only or x in only]


def solve(pids, opts, facts, sd, normalised, no_new_flare, sle_das, keep_places=False, sle_das_exact=False,
          moments=None, seconds=60.0, only=None):
    from ortools.sat.python import cp_model

    week4, flare4, negative_last = facts
    n = len(pids)
    pub = published_constraints(n)
    positions = [pub["quartiles"][p][0] for p in (.25, .5, .75)]
    found = []
    for total, a, b, c in arrangements(n, opts, only):
        m = cp_model.CpModel()
        cells = [(p, i, o) for p in pids for i, o in enumerate(opts[p])
                 if not no_new_flare or p in flare4 or p not in week4
                 or week4[p] - o["sledai2k"] < SFI_MILD_SLEDAI_RISE]
        x = {(p, i): m.NewBoolVar(f"{p}_{i}") for p, i, _ in cells}
        for p in pids:
            m.AddExactlyOne(x[p, i] for q_, i, _ in cells if q_ == p)

        def at_most(v):
            return sum(x[p, i] for p, i, o in cells if o["sledai2k"] <= v)

        for k, pair in zip(positions, (a, b, c)):
            for kk, v in ((k, pair[0]), (k + 1, pair[1])):
                m.Add(at_most(v - 1) <= kk - 1)
                m.Add(at_most(v) >= kk)
        m.Add(sum(o["sledai2k"] * x[p, i] for p, i, o in cells) == total)
        m.Add(sum(o["serology"] * x[p, i] for p, i, o in cells) == pub["serology"])
        least_squares = math.ceil(total ** 2 / n + (n - 1) * sd ** 2 - 1e-9)   # (n-1) SD^2 = sum x^2 - (sum x)^2 / n
        m.Add(sum(o["sledai2k"] ** 2 * x[p, i] for p, i, o in cells) >= least_squares)
        if normalised:
            m.Add(sum(o["serology"] * negative_last[p] * x[p, i] for p, i, o in cells) == pub["normalised"])
        if sle_das:
            for tid, p in (("t2_sle_das_w0_q1", .25), ("t2_sle_das_w0_median", .5)):
                (low, high), k = window(tid), pub["quartiles"][p][0]
                m.Add(sum(x[q_, i] for q_, i, o in cells if o["das_max"] < low) <= k)
                m.Add(sum(x[q_, i] for q_, i, o in cells if o["das_min"] < high) >= k)
        y = moved = None
        if moments:
            y, moved = sle_das_moments(m, x, cells, pids, n, tolerance=moments == "tolerance")
        if sle_das_exact or moments:
            place_scores(m, x, cells, {(p, i): (round(o["das_min"] * SCALE), round(o["das_max"] * SCALE))
                                       for p, i, o in cells}, n, y=y, quantiles=QUANTILES if moments else QUANTILES[:2])
        if keep_places:
            kept = shipped_places(opts, n)
            for p in kept:
                m.Add(sum(x[p, i] for q_, i, o in cells if q_ == p and o["changed"] == 0) == 1)
            # the kept patients hold their places with their shipped laboratory values
            place_scores(m, x, cells, {(p, i): (round(o["das_now"] * SCALE),) * 2 for p, i, o in cells
                                       if p in kept and o["changed"] == 0}, n)
        m.Minimize(sum(o["changed"] * x[p, i] for p, i, o in cells) + (sum(moved.values()) if moved else 0))
        solver = cp_model.CpSolver()
        solver.parameters.max_time_in_seconds = seconds
        solver.parameters.num_workers = 2
        status = solver.Solve(m)
        print(f"sum {total}, {a} {b} {c}: {solver.StatusName(status)} in {solver.WallTime():.0f} s", file=sys.stderr)
        if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            chosen = {p: dict(o) for p, i, o in cells if solver.Value(x[p, i])}
            for p, o in chosen.items():
                o["das"] = solver.Value(y[p]) / SCALE if y else None
            found.append({"sum": total, "q1": a, "median": b, "q3": c, "changed": int(solver.ObjectiveValue()),
                          "proved": status == cp_model.OPTIMAL,
                          "changes": {p: o for p, o in chosen.items()
                                      if o["changed"] or (moved and p in moved and solver.Value(moved[p]))}})
        elif status != cp_model.INFEASIBLE:
            found.append({"sum": total, "q1": a, "median": b, "q3": c, "undecided": solver.StatusName(status)})
    return found


def arrangement(text: str) -> tuple:
    """``SUM:A,B:C,D:E,F`` as ``(SUM, (A, B), (C, D), (E, F))``: the SLEDAI-2K sum and the score
    pairs at the places behind q1, the median and q3 (as the output prints them)."""
    parts = text.split(":")
    try:
        pairs = [tuple(int(v) for v in pair.split(",")) for pair in parts[1:]]
        ok = len(parts) == 4 and all(len(pair) == 2 for pair in pairs)
        if ok:
            return (int(parts[0]), *pairs)
    except ValueError:
        pass
    raise argparse.ArgumentTypeError(f"{text!r}: expected SUM:A,B:C,D:E,F with whole numbers, e.g. 208:4,6:7,8:10,11")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sd", type=float, default=None,
                    help="least SD sought (default: the published SD less one printed unit, the scorecard's tolerance)")
    ap.add_argument("--normalised", action="store_true")
    ap.add_argument("--no-new-flare", action="store_true")
    ap.add_argument("--sle-das", action="store_true")
    ap.add_argument("--keep-sle-das-places", action="store_true")
    ap.add_argument("--sle-das-exact", action="store_true")
    ap.add_argument("--sle-das-moments", choices=("tolerance", "match"), default=None)
    ap.add_argument("--seconds", type=float, default=60.0, help="time limit of each arrangement's solve")
    ap.add_argument("--silent", action="store_true",
                    help="also offer fever and the urinary sediment at baseline (SILENT: SLE-DAS does not score them)")
    ap.add_argument("--only", action="append", default=None, metavar="SUM:A,B:C,D:E,F", type=arrangement,
                    help="solve only this arrangement (sum, then the pairs at the three quartiles); repeatable")
    args = ap.parse_args(argv)
    only = set(args.only) if args.only else None
    tables = read_cohort(SYNTHETIC_DIR)
    pids, opts = menus(tables, silent=args.silent)
    sd = published_constraints(len(pids))["sd_tolerance"] if args.sd is None else args.sd
    try:
        arrangements(len(pids), opts, only)   # names every --only arrangement that is not one
    except ValueError as err:
        ap.error(str(err))
    found = solve(pids, opts, patient_facts(tables), sd, args.normalised, args.no_new_flare, args.sle_das,
                  args.keep_sle_das_places, args.sle_das_exact, args.sle_das_moments, args.seconds, only)
    (k1, _), (k2, _), (k3, _) = (haverage(p, len(pids)) for p in (.25, .5, .75))
    print(f"SD at least {sd:g}: {sum(len(v) for v in opts.values())} baseline options for {len(pids)} patients; "
          f"{sum('changes' in f for f in found)} arrangements feasible, "
          f"{sum('undecided' in f for f in found)} undecided")
    for f in sorted((f for f in found if "changes" in f), key=lambda f: f["changed"]):
        print(f"sum {f['sum']}, positions {k1}/{k1 + 1} {f['q1']}, {k2}/{k2 + 1} {f['median']}, "
              f"{k3}/{k3 + 1} {f['q3']}: {f['changed']} descriptor changes"
              f"{'' if f['proved'] else ' (not proved least)'}")
        for p, o in f["changes"].items():
            print(f"    {p}: {', '.join(c.removeprefix('sledai_') for c in o['set'])}"
                  f"{' (' + o['extent'] + ')' if o['extent'] != 'none' else ''} -> SLEDAI-2K {o['sledai2k']}, "
                  f"SLE-DAS {o['das_min']:.2f}" + (f"-{o['das_max']:.2f}" if o['das_max'] > o['das_min'] else "")
                  + (f" (at {o['das']:.3f})" if o.get("das") is not None else ""))


if __name__ == "__main__":
    main()
