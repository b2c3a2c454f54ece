"""Build the book: validate the data, execute the chapters with papermill, render with Jupyter
Book 1.x. Run by ``make book`` (``make book DATA=path`` for a centre's own cohort); prints where
the book is.

1. validate the cohort against the codebook (one error listing every problem);
2. generate the data-dictionary and reproducibility pages;
3. execute every ``notebooks/NN_*.ipynb`` with papermill (two at a time), parameters: the data
   folder, the export folder, the cohort's name, whether to show published values;
4. build the HTML with warnings as errors.

A failing cell stops the run, naming the notebook and the cell, and no book is left behind from a
partial run. When nothing that goes into the book has changed since the last successful build,
the build is skipped.
"""
from __future__ import annotations

import argparse
import hashlib
import importlib.metadata as md
import platform
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from lupus_utils.codebook import load_codebook  # noqa: E402
from lupus_utils.data import CohortValidationError, read_cohort  # noqa: E402
from lupus_utils.paths import BOOK_DIR, BUILD_DIR, NOTEBOOKS_DIR, SYNTHETIC_DIR, TABLES  # noqa: E402
from lupus_utils.report import data_checksum  # noqa: E402

BOOK_PACKAGES = ("jupyter-book", "myst-nb", "sphinx", "papermill", "ipywidgets", "numpy", "pandas", "scipy",
                 "pandera", "matplotlib", "seaborn", "openpyxl")
STARTED = time.perf_counter()


def step(message: str) -> None:
    print(f"==> [{time.perf_counter() - STARTED:5.1f} s] {message}", flush=True)


def inputs_digest(data: Path, extra: str) -> str:
    """Hash of everything that goes into the book: code, pages, notebooks, config, data."""
    h = hashlib.sha256(extra.encode())
    files = sorted([*BOOK_DIR.rglob("*"), *NOTEBOOKS_DIR.glob("*.ipynb"), *(ROOT / "lupus_utils").glob("*.py"),
                    ROOT / "_config.yml", ROOT / "pyproject.toml", ROOT / "data" / "codebook.csv",
                    ROOT / "data" / "targets.csv", ROOT / "data" / "paper_inconsistencies.csv",
                    *(data / f"{t}.csv" for t in TABLES)])
    for f in files:
        if f.is_file() and "__pycache__" not in f.parts:
            h.update(str(f.relative_to(ROOT) if f.is_relative_to(ROOT) else f).encode())
            h.update(f.read_bytes())
    return h.hexdigest()


def data_dictionary_page() -> str:
    cb = load_codebook()
    lines = ["# Data dictionary", "",
             "Every column of the three tables, generated from `data/codebook.csv` when the book is built.",
             "Validation (`lupus_utils.read_cohort`) applies exactly these types, ranges and allowed values.", ""]
    for table, rows in cb.groupby("table", sort=False):
        lines += [f"## `{table}`", "", "| Column | Type | Unit | Allowed | Required | Description | Source |",
                  "|---|---|---|---|---|---|---|"]
        for r in rows.itertuples():
            allowed = ", ".join(r.allowed) if r.allowed else (
                f"{'' if r.min != r.min else f'{r.min:g}'}–{'' if r.max != r.max else f'{r.max:g}'}" if (r.min == r.min or r.max == r.max) else "")
            cells = [f"`{r.column}`", r.type, r.unit, allowed, "yes" if r.required else "no", r.description, r.source]
            lines.append("| " + " | ".join(str(c).replace("|", "/") for c in cells) + " |")
        lines.append("")
    return "\n".join(lines)


def reproducibility_page(data: Path) -> str:
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    except OSError:
        commit = ""
    lines = ["# Reproducibility", "",
             f"- Built: {datetime.now(timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}",
             f"- Source commit: `{commit or 'not a git checkout'}`",
             f"- Python {platform.python_version()} on {platform.system()} {platform.machine()}",
             f"- Data folder: `{data.name}`{' (synthetic cohort)' if data.resolve() == SYNTHETIC_DIR.resolve() else ''}",
             f"- Data checksum (SHA-256 of patients.csv, visits.csv, adverse_events.csv in that order): `{data_checksum(data)}`",
             "", "| Package | Version |", "|---|---|"]
    for p in BOOK_PACKAGES:
        try:
            lines.append(f"| {p} | {md.version(p)} |")
        except md.PackageNotFoundError:
            lines.append(f"| {p} | not installed |")
    lines += ["", "To rebuild this book: `make book`. To run every test: `make test`."]
    return "\n".join(lines) + "\n"


def execute(nb: Path, src: Path, params: dict) -> str | None:
    import papermill as pm
    try:
        pm.execute_notebook(str(nb), str(src / nb.name), parameters=params, kernel_name="python3",
                            progress_bar=False, cwd=str(NOTEBOOKS_DIR), log_output=False)
    except pm.PapermillExecutionError as err:
        return f"{nb.name}, cell {err.exec_count}: {err.ename}: {err.evalue}"
    except Exception as err:  # kernel died, missing notebook, ...
        return f"{nb.name}: {type(err).__name__}: {err}"
    # papermill's injected parameters hold local paths: keep them out of the book
    import nbformat
    done = nbformat.read(src / nb.name, as_version=4)
    for cell in done.cells:
        tags = cell.metadata.get("tags", [])
        if "injected-parameters" in tags and "remove-cell" not in tags:
            cell.metadata["tags"] = [*tags, "remove-cell"]
    nbformat.write(done, src / nb.name)
    return None


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=SYNTHETIC_DIR, help="folder with the three CSV tables")
    ap.add_argument("--out", type=Path, default=BUILD_DIR, help="output folder")
    ap.add_argument("--name", default="Synthetic cohort", help="the cohort's name, shown on every page")
    ap.add_argument("--no-published", action="store_true", help="leave out the paper's published values")
    ap.add_argument("--force", action="store_true", help="rebuild even if nothing changed")
    args = ap.parse_args(argv)
    data, out = args.data.resolve(), args.out.resolve()
    src, html = out / "src", out / "_build" / "html"
    stamp = out / ".inputs.sha256"
    show_published = not args.no_published

    digest = inputs_digest(data, f"{args.name}|{show_published}")
    if not args.force and html.joinpath("index.html").exists() and stamp.exists() and stamp.read_text() == digest:
        step(f"nothing changed since the last build: {html / 'index.html'}")
        return 0

    step(f"validating {data}")
    try:
        tables = read_cohort(data)
    except CohortValidationError as err:
        print(err, file=sys.stderr)
        return 1
    print("    " + ", ".join(f"{t}: {len(f)} rows" for t, f in tables.items()), flush=True)

    for stale in (src, html, stamp):
        if stale.is_dir():
            shutil.rmtree(stale)
        elif stale.exists():
            stale.unlink()
    shutil.copytree(BOOK_DIR, src, ignore=shutil.ignore_patterns("build.py", "vendor_assets.py", "__pycache__", "_build"))
    exports = src / "_extra" / "exports"
    exports.mkdir(parents=True)
    (src / "data_dictionary.md").write_text(data_dictionary_page())
    (src / "reproducibility.md").write_text(reproducibility_page(data))

    notebooks = sorted(NOTEBOOKS_DIR.glob("[0-9][0-9]_*.ipynb"))
    params = {"data_dir": str(data), "output_dir": str(exports), "cohort_name": args.name,
              "show_published": show_published}
    step(f"executing {len(notebooks)} chapters with papermill, two at a time")
    failures = []
    with ThreadPoolExecutor(max_workers=2) as pool:
        for nb, error in zip(notebooks, pool.map(lambda nb: execute(nb, src, params), notebooks)):
            print(f"    {'FAILED' if error else 'ok    '} {nb.name}", flush=True)
            if error:
                failures.append(error)
    if failures:
        print("chapters failed; no book was built:\n  " + "\n  ".join(failures), file=sys.stderr)
        return 1

    step("building the HTML with Jupyter Book (warnings are errors)")
    cmd = [str(Path(sys.executable).with_name("jupyter-book")), "build", str(src), "--config", str(ROOT / "_config.yml"),
           "--toc", str(src / "_toc.yml"), "--path-output", str(out), "-W", "--keep-going", "-n", "--quiet"]
    res = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    if res.returncode != 0:
        print(res.stdout[-4000:], res.stderr[-4000:], sep="\n", file=sys.stderr)
        if html.exists():
            shutil.rmtree(html)
        print("the Jupyter Book build failed; no book was published", file=sys.stderr)
        return res.returncode
    stamp.write_text(digest)
    step(f"done: open {html / 'index.html'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
