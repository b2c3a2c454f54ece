"""Build the own-data book both ways from copies of the synthetic cohort handed over as a centre
would, through the documented command (``make book DATA=... NAME=... [PUBLISHED=1]``), with paths
that hold spaces and accents:

- without published values: the three CSVs with 10% of the PGA and of each laboratory column
  blanked (a fixed draw), so that the book shows the gaps it counts and still builds;
- with published values: the cohort as a REDCap records export (raw values), one CSV file.

``make test`` runs this before pytest; the test finds the books built (each build is skipped
while nothing that goes into it has changed).

    python tests/own_data_book.py
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
CENTRE = ROOT / "build" / "own data test" / "Centro Prova Pisà"  # a space and an accent, as centres name folders
REDCAP_EXPORT = ROOT / "build" / "own data test" / "Registro Pisà" / "export REDCap.csv"
NAMES = {False: "Centro Prova Pisà", True: "Centro Prova Pisà confronto"}
TABLES = ("patients", "visits", "adverse_events")
#: The columns blanked in 10% of the visits (each its own draw, seed 18).
BLANKED = ("pga", "proteinuria_g_24h", "platelets_10e9_l", "leukocytes_10e9_l", "haemoglobin_g_l")
BLANKED_SHARE = 0.10


def html_dir(published: bool) -> Path:
    slug = "".join(c if c.isalnum() else "-" for c in NAMES[published].lower()).strip("-")
    return ROOT / "build" / "cohorts" / slug / "_build" / "html"


def synthetic() -> dict[str, pd.DataFrame]:
    return {t: pd.read_csv(ROOT / "data" / "synthetic" / f"{t}.csv", dtype=str, keep_default_na=False) for t in TABLES}


def with_gaps(tables: dict[str, pd.DataFrame]) -> tuple[dict[str, pd.DataFrame], dict[str, list[int]]]:
    """The tables with :data:`BLANKED_SHARE` of each :data:`BLANKED` visits column emptied; returns
    them and the positions blanked per column."""
    rng = np.random.default_rng(18)
    v = tables["visits"].copy()
    blanked = {}
    for col in BLANKED:
        idx = sorted(rng.choice(len(v), size=round(BLANKED_SHARE * len(v)), replace=False).tolist())
        v.loc[idx, col] = ""
        blanked[col] = idx
    return {**tables, "visits": v}, blanked


def _write_if_changed(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")


def build(published: bool) -> subprocess.CompletedProcess:
    """Write the centre's input (the CSVs with gaps, or the REDCap export) and run ``make book``
    on it; returns the finished process."""
    if published:
        from lupus_utils.data.redcap import records_export

        _write_if_changed(REDCAP_EXPORT, records_export(synthetic()).to_csv(index=False, lineterminator="\n"))
        data = REDCAP_EXPORT
    else:
        for t, frame in with_gaps(synthetic())[0].items():
            _write_if_changed(CENTRE / f"{t}.csv", frame.to_csv(index=False, lineterminator="\n"))
        data = CENTRE
    cmd = ["make", "-s", "book", f"DATA={data}", f"NAME={NAMES[published]}"] + (["PUBLISHED=1"] if published else [])
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=900)


def main() -> int:
    for published in (False, True):
        res = build(published)
        print(f"==> own-data book {'with' if published else 'without'} published values: "
              f"{'ok' if res.returncode == 0 else 'FAILED'} ({html_dir(published)})", flush=True)
        if res.returncode:
            print(res.stdout[-3000:], res.stderr[-3000:], sep="\n", file=sys.stderr)
            return res.returncode
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
