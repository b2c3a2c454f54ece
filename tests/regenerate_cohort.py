"""Start the synthetic generator in the background, so that its two minutes of one core overlap
the book builds of ``make test`` instead of the test run:

    python tests/regenerate_cohort.py        # returns at once

It writes ``build/regenerated_cohort/``: ``inputs.sha256`` (what it was started from),
``tables/`` (the three CSV files), ``generator.log`` and, when it ends, ``exit_code``. The
byte-for-byte test (tests/test_synthetic.py, fixture ``regenerated_cohort`` in conftest.py)
waits for that run when it was started from the current sources, and otherwise runs the
generator itself. The process ends by itself when the generator does; nothing keeps running.
"""
from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "build" / "regenerated_cohort"


def inputs_digest() -> str:
    """SHA-256 of what the generator reads: the library's sources with the generator package
    (recursively), the data folder's CSVs, and the generator's scenario and repairs."""
    h = hashlib.sha256()
    sources = [*(ROOT / "lupus_utils").rglob("*.py"), *(ROOT / "data").glob("*.csv"),
               ROOT / "data" / "synthetic" / "scenario.toml", ROOT / "data" / "synthetic" / "repairs.csv"]
    for f in sorted(sources):
        h.update(str(f.relative_to(ROOT)).encode())
        h.update(f.read_bytes())
    return h.hexdigest()


def start(out: Path = OUT) -> subprocess.Popen:
    """Start ``python -m lupus_utils.generator --out <out>/tables`` in its own session; the shell
    around it writes the exit code when it ends."""
    shutil.rmtree(out, ignore_errors=True)
    (out / "tables").mkdir(parents=True)
    (out / "inputs.sha256").write_text(inputs_digest())
    cmd = (f'"{sys.executable}" -m lupus_utils.generator --out "{out / "tables"}" > "{out / "generator.log"}" 2>&1; '
           f'echo $? > "{out / "exit_code.tmp"}" && mv "{out / "exit_code.tmp"}" "{out / "exit_code"}"')
    return subprocess.Popen(["sh", "-c", cmd], cwd=ROOT, start_new_session=True,
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


if __name__ == "__main__":
    proc = start()
    print(f"==> regenerating the synthetic cohort in the background (pid {proc.pid}) into {OUT}", flush=True)
