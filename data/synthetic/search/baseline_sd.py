"""Can the shipped SYNTHETIC cohort's baseline visits alone reach a SLEDAI-2K SD of 4.0?

A research script for data/synthetic/CALIBRATION.md, not part of the book or of ``make test``.
It needs OR-Tools CP-SAT, which the book does not install:

    .venv/bin/python -m pip install -c constraints.txt ortools==9.15.6755
    .venv/bin/python data/synthetic/search/baseline_sd.py --sd 4.0

Model. Each patient's baseline visit may take any set of SLEDAI-2K descriptors that her Table 1
involvement allows (anti-dsDNA and low complement for anyone; thrombocytopenia and leukopenia
when haematologically active; rash of either extent, alopecia and ulcers when mucocutaneous
active, at least one descriptor of each active involvement) and that keeps every clinical
descriptor she still has at her next visit (otherwise it would be new there: a flare). Arthritis
and proteinuria stay as they are (articular and renal involvement). Later visits are not changed.
CP-SAT then looks, for every arrangement of the order statistics SPSS uses (6th/7th, 13th/14th,
20th/21st of 26 values) and every sum that prints a mean of 8.0, for a choice of baseline sets that
holds the published SLEDAI-2K quartiles and mean, 21 of 26 with active serology and an SD of at
least ``--sd``, with the fewest changed descriptors. Options add:

- ``--normalised``: 9 of the 21 with active serology at baseline have none at their last visit
  (res_serology_normalised_last_pct, 43%);
- ``--no-new-flare``: no week-4 SLEDAI-2K rise of 3 or more (an SFI flare) outside the pericarditis
  flare (a rash that is worse at week 4 than at baseline is not checked);
- ``--sle-das``: necessary conditions of the SLE-DAS q1 (5.3) and median (6.7): at most six
  baseline scores below 5.25 and at least six below 5.35; at least 13 below 6.75 and at most 13
  below 6.65. Each count is taken over the range a cytopenia's laboratory values allow (the rash
  extent is part of the option), in the direction that makes it easiest to meet;
- ``--keep-sle-das-places``: instead, a sufficient condition for the shipped SLE-DAS q1 and median:
  SYNTH-12, -08, -26 and -11 keep their baselines (laboratory values too) and stay 6th, 7th, 13th
  and 14th: five others below SYNTH-12's score, five between SYNTH-08's and SYNTH-26's, twelve
  above SYNTH-11's (a cytopenia's laboratory value may be set anywhere in its range).

- ``--sle-das-exact``: the SLE-DAS q1 and median themselves. Any patient may take the 6th, 7th, 13th
  and 14th places, at a score her laboratory range allows; every other patient sits in one band
  between them. Exact once each cytopenia's laboratory value is chosen in its range (about 5 min).

``--sle-das`` is a relaxation: a feasible answer does not mean the SLE-DAS quartiles are reached.
An infeasible answer under a set of options is a proof for these menus. None of the options holds
the SLE-DAS mean and SD or the p-values against baseline: check a candidate with the scorecard.
"""
from __future__ import annotations

import argparse
import itertools
import math
import sys
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))

from lupus_utils import read_cohort  # noqa: E402
from lupus_utils.instruments import SLEDAI2K_WEIGHTS, sle_das  # noqa: E402
from lupus_utils.outcomes import SFI_LEVELS  # noqa: E402
from lupus_utils.paths import SYNTHETIC_DIR  # noqa: E402
from lupus_utils.results import derive_visits  # noqa: E402

SEROLOGY = ("sledai_low_complement", "sledai_increased_dna_binding")
HAEM = ("sledai_thrombocytopenia", "sledai_leukopenia")
MUCO = ("sledai_rash", "sledai_alopecia", "sledai_mucosal_ulcers")
FIXED = ("sledai_arthritis", "sledai_proteinuria")
#: the shipped cohort's 6th, 7th, 13th and 14th baseline SLE-DAS scores (``--keep-sle-das-places``)
KEPT_PLACES = ("SYNTH-12", "SYNTH-08", "SYNTH-26", "SYNTH-11")
#: the least and the most a cytopenia adds to SLE-DAS within its SLEDAI-2K threshold
LAB_RANGE = ((99.0, 2.9), (10.0, 0.5))


def menus(tables: dict[str, pd.DataFrame]) -> tuple[list[str], dict[str, list[dict]]]:
    d = derive_visits(tables)
    vis = tables["visits"]
    flags = tables["patients"].set_index("patient_id")
    base = d[d["week"] == 0].set_index("patient_id").sort_index()
    out = {}
    for pid, r0 in base.iterrows():
        f = flags.loc[pid]
        cur = {c for c in SEROLOGY + HAEM + MUCO + FIXED if r0[c] == 1}
        later = d[(d["patient_id"] == pid) & (d["week"] > 0)].sort_values("week")
        keep = {c for c in cur - set(SEROLOGY) if len(later) and later.iloc[0][c] == 1}
        free = list(SEROLOGY) + (list(HAEM) if f["haematological_active"] else []) + (
            list(MUCO) if f["mucocutaneous_active"] else [])
        rows = []
        for bits in itertools.product((0, 1), repeat=len(free)):
            s = (cur & set(FIXED)) | {c for c, b in zip(free, bits) if b}
            if not keep <= s or (f["haematological_active"] and not s & set(HAEM)) or (
                    f["mucocutaneous_active"] and not s & set(MUCO)):
                continue
            for extent in (("localized", "generalized") if "sledai_rash" in s else ("none",)):
                das = []
                for platelets, leukocytes in LAB_RANGE:
                    row = vis[(vis["patient_id"] == pid) & (vis["week"] == 0)].copy()
                    for c in free:
                        row[c] = int(c in s)
                    row["rash_extent"] = extent
                    row["platelets_10e9_l"] = platelets if "sledai_thrombocytopenia" in s else 200.0
                    row["leukocytes_10e9_l"] = leukocytes if "sledai_leukopenia" in s else 6.0
                    das.append(float(sle_das(row).iloc[0]))
                other = int(r0["sledai2k"]) - sum(SLEDAI2K_WEIGHTS[c] for c in cur)
                extent_changed = "sledai_rash" in s and "sledai_rash" in cur and extent != r0["rash_extent"]
                changed = len(s ^ cur) + int(extent_changed)
                rows.append({"set": sorted(s), "extent": extent, "changed": changed, "das_now": float(r0["sle_das"]),
                             "sledai2k": other + sum(SLEDAI2K_WEIGHTS[c] for c in s),
                             "serology": int(bool(s & set(SEROLOGY))), "das_min": min(das), "das_max": max(das)})
        out[pid] = rows
    return list(base.index), out


def patient_facts(tables):
    d = derive_visits(tables)
    eff = d[d["on_treatment"]]
    week4 = eff[eff["week"] == 4].set_index("patient_id")["sledai2k"].to_dict()
    flare4 = set(d.loc[(d["week"] == 4) & d["sfi_flare"].isin(SFI_LEVELS[1:]), "patient_id"])
    last = d.sort_values("week").groupby("patient_id").tail(1).set_index("patient_id")
    return week4, flare4, (~last["active_serology"]).astype(int).to_dict()


def solve(pids, opts, facts, sd, normalised, no_new_flare, sle_das, keep_places=False, sle_das_exact=False,
          seconds=60.0):
    from ortools.sat.python import cp_model

    week4, flare4, negative_last = facts

    def q(a, b, f):
        return a + f * (b - a)

    pairs = [(a, b) for a in range(21) for b in range(a, 21)]
    p1 = [p for p in pairs if 5.5 <= q(*p, .75) < 6.5]
    p2 = [p for p in pairs if 7.45 <= q(*p, .5) < 7.55]
    p3 = [p for p in pairs if 9.5 <= q(*p, .25) < 10.5]
    found = []
    for total, a, b, c in itertools.product((207, 208, 209), p1, p2, p3):
        if b[0] < a[1] or c[0] < b[1]:
            continue
        m = cp_model.CpModel()
        cells = [(p, i, o) for p in pids for i, o in enumerate(opts[p])
                 if not no_new_flare or p in flare4 or p not in week4 or week4[p] - o["sledai2k"] < 3]
        x = {(p, i): m.NewBoolVar(f"{p}_{i}") for p, i, _ in cells}
        for p in pids:
            m.AddExactlyOne(x[p, i] for q_, i, _ in cells if q_ == p)

        def at_most(v):
            return sum(x[p, i] for p, i, o in cells if o["sledai2k"] <= v)

        for k, v in ((6, a[0]), (7, a[1]), (13, b[0]), (14, b[1]), (20, c[0]), (21, c[1])):
            m.Add(at_most(v - 1) <= k - 1)
            m.Add(at_most(v) >= k)
        m.Add(sum(o["sledai2k"] * x[p, i] for p, i, o in cells) == total)
        m.Add(sum(o["serology"] * x[p, i] for p, i, o in cells) == 21)
        least_squares = math.ceil(total ** 2 / 26 + 25 * sd ** 2 - 1e-9)   # 25 SD^2 = sum x^2 - (sum x)^2 / 26
        m.Add(sum(o["sledai2k"] ** 2 * x[p, i] for p, i, o in cells) >= least_squares)
        if normalised:
            m.Add(sum(o["serology"] * negative_last[p] * x[p, i] for p, i, o in cells) == 9)
        if sle_das:
            for low, high, k in ((5.25, 5.35, 6), (6.65, 6.75, 13)):   # q1: 6th/7th; median: 13th/14th
                m.Add(sum(x[p, i] for p, i, o in cells if o["das_max"] < low) <= k)
                m.Add(sum(x[p, i] for p, i, o in cells if o["das_min"] < high) >= k)
        if sle_das_exact:
            # Any option may take the 6th, 7th, 13th or 14th place; its score there (in thousandths) is
            # free within its laboratory range. Every other patient sits in one band: below the 6th,
            # between the 7th and 13th, above the 14th. Exact for the SLE-DAS q1 and median once each
            # cytopenia's laboratory value is chosen within its range.
            SC = 1000
            fixed = cells
            place = {k: {(p, i): m.NewBoolVar("") for p, i, o in fixed} for k in (6, 7, 13, 14)}
            S = {k: m.NewIntVar(0, 40 * SC, f"S{k}") for k in place}
            for k in place:
                m.AddExactlyOne(place[k].values())
                for (p, i), bp in place[k].items():
                    m.AddImplication(bp, x[p, i])
            for p, i, o in fixed:
                lo_, hi_ = int(round(o["das_min"] * SC)), int(round(o["das_max"] * SC))
                for k in place:
                    m.Add(S[k] >= lo_).OnlyEnforceIf(place[k][p, i])
                    m.Add(S[k] <= hi_).OnlyEnforceIf(place[k][p, i])
            for (p, i), b6 in place[6].items():   # one patient, one place
                m.Add(b6 + place[7][p, i] + place[13][p, i] + place[14][p, i] <= 1)
            m.Add(S[6] + 3 * S[7] >= 4 * 5250); m.Add(S[6] + 3 * S[7] < 4 * 5350)
            m.Add(S[13] + S[14] >= 2 * 6650); m.Add(S[13] + S[14] < 2 * 6750)
            m.Add(S[6] <= S[7]); m.Add(S[7] <= S[13]); m.Add(S[13] <= S[14])
            members = [[] for _ in range(3)]
            for p, i, o in cells:
                anchored = sum(place[k][p, i] for k in place) if (p, i) in place[6] else 0
                lo_, hi_ = int(round(o["das_min"] * SC)), int(round(o["das_max"] * SC))
                fits = [m.NewBoolVar("") for _ in range(3)]
                m.Add(sum(fits) + anchored == x[p, i])
                m.Add(lo_ < S[6]).OnlyEnforceIf(fits[0])
                m.Add(hi_ > S[7]).OnlyEnforceIf(fits[1]); m.Add(lo_ < S[13]).OnlyEnforceIf(fits[1])
                m.Add(hi_ > S[14]).OnlyEnforceIf(fits[2])
                for k in range(3):
                    members[k].append(fits[k])
            m.Add(sum(members[0]) == 5); m.Add(sum(members[1]) == 5); m.Add(sum(members[2]) == 12)
        if keep_places:
            anchors = dict(zip(KEPT_PLACES, (6, 7, 13, 14)))
            for p in anchors:
                m.Add(sum(x[p, i] for q_, i, o in cells if q_ == p and o["changed"] == 0) == 1)
            score = {p: opts[p][0]["das_now"] for p in anchors}   # shipped scores, laboratory values as shipped
            rest = [(p, i, o) for p, i, o in cells if p not in anchors]
            s6, s7, s13, s14 = (score[p] for p in KEPT_PLACES)
            # each other patient sits in one band; a cytopenia's laboratory value may be set anywhere
            # in its range, so an option fits a band its range meets
            bands = ((-1.0, s6, 5), (s7, s13, 5), (s14, 1e9, 12))
            members = [[] for _ in bands]
            for p, i, o in rest:
                fits = [m.NewBoolVar("") if o["das_min"] < hi and o["das_max"] > lo else None for lo, hi, _ in bands]
                m.Add(sum(f for f in fits if f is not None) == x[p, i])
                for k, f in enumerate(fits):
                    if f is not None:
                        members[k].append(f)
            for (_, _, n), mem in zip(bands, members):
                m.Add(sum(mem) == n)
        m.Minimize(sum(o["changed"] * x[p, i] for p, i, o in cells))
        solver = cp_model.CpSolver()
        solver.parameters.max_time_in_seconds = seconds
        solver.parameters.num_workers = 2
        status = solver.Solve(m)
        if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            chosen = {p: o for p, i, o in cells if solver.Value(x[p, i])}
            found.append({"sum": total, "q1": a, "median": b, "q3": c, "changed": int(solver.ObjectiveValue()),
                          "proved": status == cp_model.OPTIMAL,
                          "changes": {p: o for p, o in chosen.items() if o["changed"]}})
        elif status != cp_model.INFEASIBLE:
            found.append({"sum": total, "q1": a, "median": b, "q3": c, "undecided": solver.StatusName(status)})
    return found


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sd", type=float, default=4.0)
    ap.add_argument("--normalised", action="store_true")
    ap.add_argument("--no-new-flare", action="store_true")
    ap.add_argument("--sle-das", action="store_true")
    ap.add_argument("--keep-sle-das-places", action="store_true")
    ap.add_argument("--sle-das-exact", action="store_true")
    args = ap.parse_args(argv)
    tables = read_cohort(SYNTHETIC_DIR)
    pids, opts = menus(tables)
    found = solve(pids, opts, patient_facts(tables), args.sd, args.normalised, args.no_new_flare, args.sle_das,
                  args.keep_sle_das_places, args.sle_das_exact)
    print(f"{sum(len(v) for v in opts.values())} baseline options for {len(pids)} patients; "
          f"{sum('changes' in f for f in found)} arrangements feasible, "
          f"{sum('undecided' in f for f in found)} undecided")
    for f in sorted((f for f in found if "changes" in f), key=lambda f: f["changed"]):
        print(f"sum {f['sum']}, positions 6/7 {f['q1']}, 13/14 {f['median']}, 20/21 {f['q3']}: "
              f"{f['changed']} descriptor changes{'' if f['proved'] else ' (not proved least)'}")
        for p, o in f["changes"].items():
            print(f"    {p}: {', '.join(c.removeprefix('sledai_') for c in o['set'])}"
                  f"{' (' + o['extent'] + ')' if o['extent'] != 'none' else ''} -> SLEDAI-2K {o['sledai2k']}, "
                  f"SLE-DAS {o['das_min']:.2f}" + (f"-{o['das_max']:.2f}" if o['das_max'] > o['das_min'] else ""))


if __name__ == "__main__":
    main()
