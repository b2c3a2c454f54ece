"""Build the own-data book both ways from a copy of the synthetic cohort renamed as a centre,
through the documented command (``make book DATA=... NAME=... [PUBLISHED=1]``), with a path that
holds spaces and accents. ``make test`` runs this before pytest; the test finds the books built
(each build is skipped while nothing that goes into it has changed).

    python tests/own_data_book.py
"""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CENTRE = ROOT / "build" / "own data test" / "Centro Prova Pisà"  # a space and an accent, as centres name folders
NAMES = {False: "Centro Prova Pisà", True: "Centro Prova Pisà confronto"}
TABLES = ("patients", "visits", "adverse_events")


def html_dir(published: bool) -> Path:
    slug = "".join(c if c.isalnum() else "-" for c in NAMES[published].lower()).strip("-")
    return ROOT / "build" / "cohorts" / slug / "_build" / "html"


def build(published: bool) -> subprocess.CompletedProcess:
    """Copy the synthetic tables into the centre's folder (as a centre would hand them over) and
    run ``make book`` on it; returns the finished process."""
    CENTRE.mkdir(parents=True, exist_ok=True)
    for t in TABLES:
        src, dst = ROOT / "data" / "synthetic" / f"{t}.csv", CENTRE / f"{t}.csv"
        if not dst.exists() or dst.read_bytes() != src.read_bytes():
            shutil.copyfile(src, dst)
    cmd = ["make", "-s", "book", f"DATA={CENTRE}", f"NAME={NAMES[published]}"] + (["PUBLISHED=1"] if published else [])
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
