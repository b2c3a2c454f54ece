"""Benchmark: score 1,000,000 synthetic visits with every instrument and outcome state, and the
same work row by row (on a sample, extrapolated as a rate), in one run.

    python benchmarks/bench_instruments.py [--visits 1000000] [--rowwise-sample 20000]    # make bench

The visits flow one way, as in the book (``results.derive_visits``): the scores first (SLEDAI-2K,
clinical SLEDAI from it, the ranks of the rash and vasculitis text, SLE-DAS, the prednisone
equivalent), then the states, which take those and one shared visit order (one pass over patient
and week: each visit's previous one and each patient's rows) instead of recomputing them. The
derived visits share the data of the visits (no copy); the bench checks the visits' columns are
unchanged.
The row-by-row reference runs twice: over pandas rows (``iterrows``, the straightforward way an
analyst would loop) and over plain dicts (the fastest pure-Python loop). Prints each function's
time, the rates and ratios, checks that vectorised and row-wise results agree on the sample, then
PASS or FAIL against the targets of issue 19 (:data:`TARGETS`), all measured in this one run; the
exit status is 1 when any target fails.
"""
from __future__ import annotations

import argparse
import os
import sys
import time

import pandas as pd

import lupus_utils as lu
from rowwise_reference import score_rows
from synthetic_visits import random_visits


#: Issue 19's targets: every instrument and state over 1,000,000 visits in at most this many
#: seconds, and at least these speed-ups over the row-wise references.
TARGETS = {"seconds_per_million": 0.5, "vs_iterrows": 400, "vs_plain_dicts": 30}


def score_all(v: pd.DataFrame, patients: pd.DataFrame, times: dict | None = None) -> dict:
    """Every instrument and state, the scores first and the states from them (one way); with
    ``times``, each step's seconds are recorded there."""
    from lupus_utils.science.instruments import extent_ranks
    from lupus_utils.science.visit_order import visit_order

    times = {} if times is None else times
    out = {}

    def step(name, fn):
        t = time.perf_counter()
        out[name] = fn()
        times[name] = time.perf_counter() - t
        return out[name]

    columns = list(v.columns)
    # the derived visits share v's data (no copy); the columns added to them never reach v
    d = step("visits, not copied (harness)", lambda: v.copy(deep=False))
    d["sledai2k"] = step("sledai2k", lambda: lu.sledai2k(v))
    d["clinical_sledai"] = step("clinical_sledai", lambda: lu.clinical_sledai(d, use_derived=True))
    for name, ranks in step("rash, vasculitis ranks", lambda: extent_ranks(v)).items():
        d[name] = ranks  # the text coded once, read by SLE-DAS, LLDAS and the Flare Index
    step("sle_das", lambda: lu.sle_das(d, use_derived=True))
    d["prednisone_mg"] = step("prednisone_mg", lambda: lu.prednisone_equivalent(v))
    order = step("visit order (shared)", lambda: visit_order(d))
    d["lldas"] = step("lldas", lambda: lu.lldas(d, order, use_derived=True))
    d["doris_remission"] = step("doris_remission", lambda: lu.doris_remission(d, use_derived=True))
    step("sfi_flare", lambda: lu.sfi_flare(d, None, order, use_derived=True))
    step("clasi_a_response", lambda: lu.clasi_a_response(d, order))
    step("non_responder", lambda: lu.non_responder(patients, d, use_derived=True, order=order))
    assert list(v.columns) == columns, "scoring changed the visits' columns"
    for harness in ("visits, not copied (harness)", "rash, vasculitis ranks", "visit order (shared)"):
        out.pop(harness)
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--visits", type=int, default=1_000_000)
    ap.add_argument("--rowwise-sample", type=int, default=20_000)
    ap.add_argument("--pandas-sample", type=int, default=5_000)
    args = ap.parse_args(argv)
    v = random_visits(args.visits)
    last = v.groupby("patient_id", sort=False)["week"].max()
    patients = pd.DataFrame({"patient_id": last.index, "follow_up_weeks": last.to_numpy(),
                             "anifrolumab_stop_reason": pd.NA})

    times: dict = {}
    t = time.perf_counter()
    score_all(v, patients, times)
    vec_s = time.perf_counter() - t

    sample = v.iloc[: args.rowwise_sample]
    rows = sample.to_dict("records")
    t = time.perf_counter()
    ref = pd.DataFrame(score_rows(rows))
    row_s = time.perf_counter() - t

    pd_sample = v.iloc[: args.pandas_sample]
    t = time.perf_counter()
    score_rows([row for _, row in pd_sample.iterrows()])
    pd_row_s = time.perf_counter() - t

    vec_sample = score_all(sample, patients[patients.patient_id.isin(sample.patient_id)])
    for name in ref.columns:
        a = vec_sample[name].astype(object).where(vec_sample[name].notna(), None).tolist()
        b = ref[name].tolist()
        same = all((x is None and y is None) or (x is not None and y is not None and
                   (x == y or (isinstance(x, float) and abs(x - y) < 1e-6))) for x, y in zip(a, b))
        if not same:
            print(f"MISMATCH between vectorised and row-wise {name}", file=sys.stderr)
            return 1

    vec_rate = args.visits / vec_s
    row_rate = args.rowwise_sample / row_s
    print(f"cores available: {os.cpu_count()} (numpy/pandas run single-threaded here)")
    print(f"vectorised lupus_utils: {args.visits:,} visits in {vec_s:.2f} s = {vec_rate:,.0f} visits/s")
    pd_rate = args.pandas_sample / pd_row_s
    print(f"row-by-row reference, pandas rows (iterrows): {args.pandas_sample:,} visits in {pd_row_s:.2f} s = {pd_rate:,.0f} visits/s")
    print(f"row-by-row reference, plain dicts:            {args.rowwise_sample:,} visits in {row_s:.2f} s = {row_rate:,.0f} visits/s")
    print(f"speed-up vs pandas rows: {vec_rate / pd_rate:,.0f}x; vs plain dicts: {vec_rate / row_rate:,.0f}x")
    print("vectorised and row-wise results agree on the sample: yes")
    print(f"each step over {args.visits:,} visits:")
    for name, s in times.items():
        print(f"  {name:<26} {s:6.3f} s")
    per_million = vec_s * 1_000_000 / args.visits
    checks = [(f"every instrument and state over 1,000,000 visits <= {TARGETS['seconds_per_million']} s",
               per_million <= TARGETS["seconds_per_million"], f"{per_million:.2f} s"),
              (f">= {TARGETS['vs_iterrows']}x the iterrows loop", vec_rate / pd_rate >= TARGETS["vs_iterrows"],
               f"{vec_rate / pd_rate:,.0f}x"),
              (f">= {TARGETS['vs_plain_dicts']}x the plain-dict loop", vec_rate / row_rate >= TARGETS["vs_plain_dicts"],
               f"{vec_rate / row_rate:,.0f}x")]
    for what, ok, got in checks:
        print(f"{'PASS' if ok else 'FAIL'}  {what}: {got}")
    return 0 if all(ok for _, ok, _ in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
