"""Benchmark a registry-sized extract: write N synthetic patients with their scheduled visits
and adverse events as CSV (not timed), then time validation (read_cohort), scoring
(derive_visits) and tabulation (compute_results), and report peak memory.

    python benchmarks/bench_registry.py [--patients 100000]

Targets (issue: own data at scale): <= 60 s and <= 4 GB. Each patient gets one visit per scheduled
week (lupus_utils.paths.VISIT_WEEKS), so 100,000 patients give 700,000 visits.
"""
from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path


import numpy as np
import pandas as pd

from lupus_utils import read_cohort
from lupus_utils.codebook import columns
from lupus_utils.paths import SAFETY_WEEKS, VISIT_WEEKS
from lupus_utils.science.results import compute_results, derive_visits
from synthetic_visits import random_visits


def write_extract(folder: Path, n_patients: int, seed: int = 3) -> dict[str, int]:
    rng = np.random.default_rng(seed)
    v = random_visits(len(VISIT_WEEKS) * n_patients, seed=seed)
    v["tender_joints"] = np.maximum(v["tender_joints"], np.where(v["sledai_arthritis"] == 1, 2, 0))
    v["tender_joints"] = np.where(v["sledai_arthritis"] == 1, v["tender_joints"], np.minimum(v["tender_joints"], 1))
    v["swollen_joints"] = np.minimum(v["swollen_joints"], v["tender_joints"])
    ids = v["patient_id"].unique()
    n = len(ids)
    p = pd.DataFrame({c: 0 for c in columns("patients")}, index=range(n))
    p = p.assign(patient_id=ids, center=rng.choice(["Pisa", "Padova", "Milano", "Roma", "other"], n),
                 sex=rng.choice(["F", "M"], n, p=[0.9, 0.1]), age_years=rng.integers(18, 80, n),
                 ethnicity="Caucasian", disease_duration_years=rng.integers(1, 30, n), weight_kg=rng.integers(45, 95, n),
                 cumulative_gc_g=rng.uniform(1, 60, n).round(1), n_previous_immunosuppressants=rng.integers(0, 6, n),
                 reason_for_anifrolumab=rng.choice(["flare", "persistently_active"], n), sdi=rng.integers(0, 5, n),
                 sars_cov2_vaccine_doses=rng.integers(0, 5, n), anifrolumab_start="2022-03-01", follow_up_weeks=max(VISIT_WEEKS),
                 anifrolumab_stop_week=np.nan, anifrolumab_stop_reason=None, lupus_nephritis_biopsy_proven=np.nan)
    for organ in ("mucocutaneous", "articular", "haematological"):
        p[f"{organ}_active"] = (rng.random(n) < 0.4).astype(int)
        p[f"{organ}_ever"] = p[f"{organ}_active"]
    n_ae = n // 2
    ae = pd.DataFrame({"event_id": [f"E{i}" for i in range(n_ae)], "patient_id": rng.choice(ids, n_ae),
                       "week": rng.choice(SAFETY_WEEKS, n_ae), "category": rng.choice(["infection", "cardiovascular", "other"], n_ae),
                       "term": "upper respiratory tract infection", "serious": 0, "hospitalised": 0, "action": "none"})
    folder.mkdir(parents=True, exist_ok=True)
    p[columns("patients")].to_csv(folder / "patients.csv", index=False)
    v.to_csv(folder / "visits.csv", index=False)
    ae.to_csv(folder / "adverse_events.csv", index=False)
    return {"patients": n, "visits": len(v), "adverse_events": n_ae}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--patients", type=int, default=100_000)
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "registry"
        t = time.perf_counter()
        # written by a child process, so that the peak memory below is the analysis's own
        with ProcessPoolExecutor(max_workers=1) as pool:
            sizes = pool.submit(write_extract, folder, args.patients).result()
        print(f"extract written in {time.perf_counter() - t:.1f} s: " + ", ".join(f"{k} {v:,}" for k, v in sizes.items()), flush=True)
        timings = {}
        t = time.perf_counter()
        tables = read_cohort(folder)
        timings["read and validate"] = time.perf_counter() - t
        t = time.perf_counter()
        visits = derive_visits(tables)
        timings["score (every instrument and state)"] = time.perf_counter() - t
        t = time.perf_counter()
        results = compute_results(tables, visits)
        timings["tabulate (every published statistic)"] = time.perf_counter() - t
    total = sum(timings.values())
    peak_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 ** 2
    for k, v in timings.items():
        print(f"{k:<40} {v:7.1f} s")
    print(f"{'total':<40} {total:7.1f} s   (target <= 60 s)")
    print(f"peak memory (max RSS)                    {peak_gb:7.2f} GB (target <= 4 GB)")
    print(f"{len(visits):,} visits scored, {len(results):,} statistics")
    return 0


if __name__ == "__main__":
    sys.exit(main())
