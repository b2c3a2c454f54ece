"""Build the book: validate the data, execute the notebooks with papermill, render with Jupyter
Book 1.x. Run by ``make book``; prints where the book is.

Steps (each stops the run with a clear message when it fails; no book is published from a
partial run):
1. validate the cohort in the data folder against the codebook;
2. execute every ``notebooks/NN_*.ipynb`` in order with papermill into ``build/src``;
3. assemble the book sources (pages from ``book/`` and the executed notebooks) and build the HTML
   with warnings as errors.
"""
from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from lupus_utils.data import CohortValidationError, read_cohort  # noqa: E402
from lupus_utils.paths import BOOK_DIR, BUILD_DIR, NOTEBOOKS_DIR, SYNTHETIC_DIR  # noqa: E402


def step(message: str) -> None:
    print(f"==> {message}", flush=True)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=SYNTHETIC_DIR, help="folder with the three CSV tables")
    ap.add_argument("--out", type=Path, default=BUILD_DIR, help="output folder")
    args = ap.parse_args(argv)
    started = time.perf_counter()
    out = args.out.resolve()
    src = out / "src"

    if args.data.exists():
        step(f"validating {args.data}")
        try:
            tables = read_cohort(args.data)
        except CohortValidationError as err:
            print(err, file=sys.stderr)
            return 1
        print(f"    {', '.join(f'{t}: {len(f)} rows' for t, f in tables.items())}")
    else:
        step(f"no data folder at {args.data}: building the pages that need no data")

    if src.exists():
        shutil.rmtree(src)
    shutil.copytree(BOOK_DIR, src, ignore=shutil.ignore_patterns("build.py", "__pycache__", "_build"))
    notebooks = sorted(NOTEBOOKS_DIR.glob("[0-9][0-9]_*.ipynb"))
    if notebooks:
        import papermill as pm
        for i, nb in enumerate(notebooks, 1):
            step(f"executing {nb.name} ({i}/{len(notebooks)})")
            try:
                pm.execute_notebook(str(nb), str(src / nb.name), parameters={"data_dir": str(args.data.resolve())},
                                    kernel_name="python3", progress_bar=False, cwd=str(NOTEBOOKS_DIR))
            except pm.PapermillExecutionError as err:
                print(f"notebook {nb.name} failed at cell {err.exec_count}: {err.ename}: {err.evalue}", file=sys.stderr)
                return 1

    step("building the HTML with Jupyter Book (warnings are errors)")
    cmd = [str(Path(sys.executable).with_name("jupyter-book")), "build", str(src), "--config", str(ROOT / "_config.yml"),
           "--toc", str(src / "_toc.yml"), "--path-output", str(out), "-W", "--keep-going", "-n", "--quiet"]
    res = subprocess.run(cmd, cwd=ROOT)
    if res.returncode != 0:
        print("the Jupyter Book build failed (see the messages above); no book was published", file=sys.stderr)
        return res.returncode
    index = out / "_build" / "html" / "index.html"
    step(f"done in {time.perf_counter() - started:.1f} s: open {index}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
