"""The library installs anywhere (issue 18): the wheel holds lupus_utils and its data and
nothing else; installed into a fresh virtual environment outside the repository, with no
constraints (pip picks the newest releases its ranges allow), it validates the synthetic CSV
files against its own copy of the codebook and scores them as this checkout does.

The install takes about a minute, mostly pip: ``make test`` starts this check in the background
before the book builds (``python tests/test_wheel.py <folder>``, writing ``result.json``); the
test reads that result when it was started from the current sources, and otherwise runs the
check itself."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.slow

SCORE = """
import json, sys
import lupus_utils as lu
t = lu.read_cohort(sys.argv[1])
v = t["visits"]
print(json.dumps({"file": lu.__file__, "codebook": str(lu.paths.CODEBOOK_FILE), "rows": {k: len(f) for k, f in t.items()},
                  "sledai2k": int(lu.sledai2k(v).sum()), "sle_das": round(float(lu.sle_das(v).sum()), 6),
                  "lldas": int(lu.lldas(v).sum()), "doris": int(lu.doris_remission(v).sum())}))
"""


OUT = ROOT / "build" / "wheel_check"


def sources_digest() -> str:
    """What the wheel is built from: the library, its data and pyproject.toml."""
    import hashlib

    h = hashlib.sha256()
    for f in sorted([*(ROOT / "lupus_utils").rglob("*.py"), *(ROOT / "data").glob("*.csv"),
                     *(ROOT / "data" / "synthetic").glob("*.csv"), ROOT / "pyproject.toml"]):
        h.update(f.name.encode())
        h.update(f.read_bytes())
    return h.hexdigest()


def check(work: Path) -> dict:
    """Build the wheel, install it into a fresh venv under ``work`` (outside the repository), and
    score the synthetic cohort from there; returns what the wheel holds and what it computed."""
    wheels = work / "wheel"
    res = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w",
                          str(wheels), str(ROOT)], capture_output=True, text=True, cwd=work)
    if res.returncode:
        return {"error": "pip wheel: " + res.stderr[-3000:]}
    (whl,) = wheels.glob("lupus_utils-*.whl")
    env_dir = work / "venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_CONSTRAINT", "PYTHONPATH", "VIRTUAL_ENV"))}
    res = subprocess.run([str(python), "-m", "pip", "install", "-q", str(whl)], capture_output=True, text=True,
                         cwd=work, env=env, timeout=900)
    if res.returncode:
        return {"error": "pip install: " + res.stderr[-3000:]}
    res = subprocess.run([str(python), "-c", SCORE, str(ROOT / "data" / "synthetic")], capture_output=True, text=True,
                         cwd=work, env=env, timeout=300)
    if res.returncode:
        return {"error": "scoring: " + res.stderr[-3000:]}
    return {"wheel": whl.name, "names": zipfile.ZipFile(whl).namelist(), "venv": str(env_dir), **json.loads(res.stdout)}


def test_the_wheel_installs_outside_the_repository_and_scores_the_synthetic_cohort(tmp_path):
    import time

    stamp = OUT / "sources.sha256"
    if stamp.exists() and stamp.read_text() == sources_digest():
        deadline = time.monotonic() + 900
        while not (OUT / "result.json").exists():
            assert time.monotonic() < deadline, "the background wheel check did not finish within 15 minutes"
            time.sleep(0.5)
        there = json.loads((OUT / "result.json").read_text())
    else:
        there = check(tmp_path)
    assert "error" not in there, there.get("error")
    names, whl = there["names"], there["wheel"]
    assert {n.split("/")[0] for n in names} == {"lupus_utils", f"{whl.split('-py3')[0]}.dist-info"}
    # the library's parts, not the generator of the synthetic cohort (a tool of this repository)
    parts = {n.split("/")[1] for n in names if n.startswith("lupus_utils/") and n.endswith(".py") and n.count("/") == 2}
    assert parts == {"science", "data", "presentation"}
    assert not any(n.startswith("lupus_utils/generator/") for n in names)
    for f in ("codebook.csv", "targets.csv", "paper_readings.csv", "synthetic/visits.csv"):
        assert f"lupus_utils/_data/{f}" in names, f
    assert there["file"].startswith(there["venv"]) and there["codebook"].startswith(there["venv"])
    assert not there["venv"].startswith(str(ROOT))
    import lupus_utils as lu
    t = lu.read_cohort(ROOT / "data" / "synthetic")
    v = t["visits"]
    here = {"rows": {k: len(f) for k, f in t.items()}, "sledai2k": int(lu.sledai2k(v).sum()),
            "sle_das": round(float(lu.sle_das(v).sum()), 6), "lldas": int(lu.lldas(v).sum()),
            "doris": int(lu.doris_remission(v).sum())}
    assert {k: there[k] for k in here} == here


if __name__ == "__main__":  # make test: python tests/test_wheel.py (runs in the background)
    import shutil
    import tempfile

    if os.fork():
        sys.exit(0)  # the parent returns at once; the child does the work
    os.setsid()
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):  # let make's output close: the check reports through result.json
        os.dup2(null, fd)
    shutil.rmtree(OUT, ignore_errors=True)
    OUT.mkdir(parents=True)
    (OUT / "sources.sha256").write_text(sources_digest())
    with tempfile.TemporaryDirectory(prefix="lupus-wheel-") as work:
        result = check(Path(work))
    (OUT / "result.tmp").write_text(json.dumps(result))
    (OUT / "result.tmp").rename(OUT / "result.json")
