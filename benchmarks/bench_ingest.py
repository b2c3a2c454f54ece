"""Benchmark the own-data path (``python -m lupus_utils.data.ingest``) on registry-sized input: a
300,000-row visits file of junk and a 300,000-row valid extract, each judged by the command line
in its own process. Prints wall time, the process's peak memory (max RSS) and the report's size
against the limits (<= 60 s and < 2 GB each; a terminal summary of at most about 50 lines).

    python benchmarks/bench_ingest.py [--rows 300000]

The junk file is the synthetic cohort's patients with visits whose every cell is, at random, a
valid value (40 %), empty (20 %), a junk token from a small pool (n/a, ?, -1, 999, 1,5 ...)
(20 %) or a random string of 1-12 characters (20 %; in patient_id letters and digits only, ending in a digit,
since an id that reads as a name stops ingest at the identifier guard, before the costlier
validation this measures). The valid extract is the registry benchmark's
(benchmarks/bench_registry.py): scheduled visits of N/7 synthetic patients.
"""
from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

import numpy as np
import pandas as pd

from lupus_utils.paths import SYNTHETIC_DIR, VISIT_WEEKS

LIMIT_S, LIMIT_GB, LIMIT_LINES = 60, 2.0, 50
JUNK_TOKENS = ["n/a", "?", "-1", "999", "1,5", "1.250", "abc", "x y z", "NULL", "0.5.1", "--", "TRUE", "W99",
               "31/02/2023", "sì", "  ", "1e400", "nd", "<5"]


def write_junk(folder: Path, rows: int, seed: int = 20) -> dict[str, int]:
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    p = pd.read_csv(SYNTHETIC_DIR / "patients.csv", dtype=str, keep_default_na=False)
    ae = pd.read_csv(SYNTHETIC_DIR / "adverse_events.csv", dtype=str, keep_default_na=False)
    valid = pd.read_csv(SYNTHETIC_DIR / "visits.csv", dtype=str, keep_default_na=False)
    letters = np.array(list("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,-"))
    out = {}
    for col in valid.columns:
        kind = rng.choice(4, rows, p=[0.4, 0.2, 0.2, 0.2])
        cells = rng.choice(valid[col].to_numpy(), rows).astype(object)
        cells[kind == 1] = ""
        cells[kind == 2] = rng.choice(JUNK_TOKENS, int((kind == 2).sum()))
        n_random = int((kind == 3).sum())
        lengths = rng.integers(1, 13, n_random)
        pool = letters[:-4] if col == "patient_id" else letters  # ids without separators: a code, not a name
        chars = rng.choice(pool, (n_random, 12))
        cells[kind == 3] = ["".join(r[:k]) + ("7" if col == "patient_id" else "") for r, k in zip(chars, lengths)]
        out[col] = cells
    pd.DataFrame(out).to_csv(folder / "visits.csv", index=False)
    p.to_csv(folder / "patients.csv", index=False)
    ae.to_csv(folder / "adverse_events.csv", index=False)
    return {"patients": len(p), "visits": rows, "adverse_events": len(ae)}


def write_valid(folder: Path, rows: int) -> dict[str, int]:
    from bench_registry import write_extract

    return write_extract(folder, max(1, rows // len(VISIT_WEEKS)))


def judge(folder: Path, out: Path) -> dict:
    """Run the command line on ``folder`` in a child process: seconds, peak memory, exit code,
    terminal lines, report size."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    t = time.perf_counter()
    res = subprocess.run([sys.executable, "-m", "lupus_utils.data.ingest", str(folder), "--out", str(out)], cwd=ROOT,
                         capture_output=True, text=True)
    seconds = time.perf_counter() - t
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    report = out / "validation_report.html"
    return {"seconds": seconds, "peak_gb": max(peak, before) / 1024 ** 2, "code": res.returncode,
            "lines": len((res.stdout + res.stderr).splitlines()), "first": (res.stdout + res.stderr).splitlines()[:3],
            "html_mb": report.stat().st_size / 1e6 if report.exists() else 0.0,
            "csv_rows": sum(1 for _ in open(out / "validation_report.csv", encoding="utf-8")) - 1
            if (out / "validation_report.csv").exists() else 0}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=300_000)
    args = ap.parse_args(argv)
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        for name, writer in (("junk", write_junk), ("valid", write_valid)):
            folder = Path(tmp) / name
            with ProcessPoolExecutor(max_workers=1) as pool:  # written apart: the peak below is the judging's own
                sizes = pool.submit(writer, folder, args.rows).result()
            r = judge(folder, Path(tmp) / f"{name}_out")
            within = r["seconds"] <= LIMIT_S and r["peak_gb"] < LIMIT_GB and r["lines"] <= LIMIT_LINES
            ok &= within
            print(f"{name:<6} {sizes['visits']:>9,} visit rows: {r['seconds']:6.1f} s (limit {LIMIT_S}), "
                  f"peak {r['peak_gb']:.2f} GB (limit {LIMIT_GB}), exit {r['code']}, {r['lines']} terminal lines "
                  f"(limit {LIMIT_LINES}), report {r['csv_rows']:,} lines, HTML {r['html_mb']:.1f} MB "
                  f"{'within limits' if within else 'OVER A LIMIT'}", flush=True)
            print("       " + " | ".join(r["first"])[:300], flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
