"""Benchmark: score 1,000,000 synthetic visits with every instrument and outcome state, and the
same work row by row (on a sample, extrapolated as a rate), in one run.

    python benchmarks/bench_instruments.py [--visits 1000000] [--rowwise-sample 20000]

The row-by-row reference runs twice: over pandas rows (``iterrows``, the straightforward way an
analyst would loop) and over plain dicts (the fastest pure-Python loop). Prints visits per second
for each and the ratios, and checks that the two agree on the sample.
Targets: all of it in <= 2 s on one core and >= 100x the row-wise reference.
"""
from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np
import pandas as pd

import lupus_utils as lu
from rowwise_reference import score_rows
from synthetic_visits import random_visits


def score_all(v: pd.DataFrame, patients: pd.DataFrame) -> dict:
    return {
        "sledai2k": lu.sledai2k(v), "clinical_sledai": lu.clinical_sledai(v), "sle_das": lu.sle_das(v),
        "prednisone_mg": lu.prednisone_equivalent(v), "lldas": lu.lldas(v),
        "doris_remission": lu.doris_remission(v), "sfi_flare": lu.sfi_flare(v),
        "clasi_a_response": lu.clasi_a_response(v), "non_responder": lu.non_responder(patients, v),
    }


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

    t = time.perf_counter()
    vec = score_all(v, patients)
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
    print(f"speed-up vs pandas rows: {vec_rate / pd_rate:,.0f}x; vs plain dicts: {vec_rate / row_rate:,.0f}x"
          f"  (targets: <= 2 s for {args.visits:,} visits, >= 100x)")
    print("vectorised and row-wise results agree on the sample: yes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
