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
import os
import platform
import shutil
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

#: jsonschema (which nbformat, papermill and Jupyter Book import) compiles 38 grammars, about 2 s of
#: CPU, when ``rfc3987_syntax`` is installed, to check the "iri" string formats; no schema read here
#: uses them, so this build (and the Jupyter Book step it starts) imports jsonschema without it.
NO_IRI_FORMATS = 'import sys; sys.modules["rfc3987_syntax"] = None'
sys.modules["rfc3987_syntax"] = None  # type: ignore[assignment]  # the same, in this process

from lupus_utils.codebook import load_codebook
from lupus_utils.data.cohort import CohortValidationError, read_cohort
from lupus_utils.paths import BOOK_DIR, BUILD_DIR, NOTEBOOKS_DIR, SYNTHETIC_DIR, TABLES
from lupus_utils.presentation.report import COMPUTED_COHORT_ENV, data_checksum, write_computed_cohort

BOOK_PACKAGES = ("jupyter-book", "myst-nb", "sphinx", "papermill", "ipywidgets", "numpy", "pandas", "scipy",
                 "matplotlib", "seaborn", "openpyxl")
STARTED = time.perf_counter()


def step(message: str) -> None:
    print(f"==> [{time.perf_counter() - STARTED:5.1f} s] {message}", flush=True)


def inputs_digest(data: Path, extra: str) -> str:
    """Hash of everything that goes into the book: code, pages, notebooks, config, data."""
    h = hashlib.sha256(extra.encode())
    files = sorted([*BOOK_DIR.rglob("*"), *NOTEBOOKS_DIR.glob("*.ipynb"), *(ROOT / "lupus_utils").rglob("*.py"),
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
        lines += [f"## `{table}`", "", "| Column | Type | Unit | Allowed | Required (why) | Description | Source |",
                  "|---|---|---|---|---|---|---|"]
        for r in rows.itertuples():
            allowed = ", ".join(r.allowed) if r.allowed else (
                f"{'' if r.min != r.min else f'{r.min:g}'}–{'' if r.max != r.max else f'{r.max:g}'}" if (r.min == r.min or r.max == r.max) else "")
            cells = [f"`{r.column}`", r.type, r.unit, allowed, f"yes: {r.required_because}" if r.required else "no", r.description, r.source]
            lines.append("| " + " | ".join(str(c).replace("|", "/") for c in cells) + " |")
        lines.append("")
    return "\n".join(lines)


def reproducibility_page(data: Path, name: str) -> str:
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    except OSError:
        commit = ""
    lines = ["# Reproducibility", "",
             f"- Built: {datetime.now(timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}",
             f"- Source commit: `{commit or 'not a git checkout'}`",
             f"- Python {platform.python_version()} on {platform.system()} {platform.machine()}",
             f"- Cohort: {name}{' (synthetic data, data/synthetic)' if data.resolve() == SYNTHETIC_DIR.resolve() else ''}",
             f"- Data checksum (SHA-256 of patients.csv, visits.csv, adverse_events.csv in that order): `{data_checksum(data)}`",
             "", "| Package | Version |", "|---|---|"]
    for p in BOOK_PACKAGES:
        try:
            lines.append(f"| {p} | {md.version(p)} |")
        except md.PackageNotFoundError:
            lines.append(f"| {p} | not installed |")
    lines += ["", "To rebuild this book: `make book`. To run every test: `make test`."]
    return "\n".join(lines) + "\n"


def readme_section(title: str) -> str:
    """One '## ' section of the README, without its heading: the README stays the one source."""
    text = (ROOT / "README.md").read_text()
    start = text.index(f"\n## {title}\n") + len(f"\n## {title}\n")
    end = text.find("\n## ", start)
    return text[start:end if end != -1 else None].strip() + "\n"


def own_data_page() -> str:
    """'Use your own data': the README's section of that name, with a pointer to the dictionary."""
    return ("# Use your own data\n\n" + readme_section("Use your own data")
            + "\nEvery column, its unit, range and allowed values: {doc}`data_dictionary`.\n")


def cite_page() -> str:
    """'How to cite': the book (from CITATION.cff, the one source) and the study it reproduces."""
    import yaml

    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text())
    authors = ", ".join(a.get("name") or f"{a.get('family-names')} {a.get('given-names', '')}".strip()
                        for a in cff["authors"])
    year = datetime.now(timezone.utc).year
    ref = cff["references"][0]
    study_authors = ", ".join(a.get("name") or f"{a['family-names']} {a['given-names'][0]}" for a in ref["authors"]).rstrip(".")
    key = "anifrolumab_sle_book"
    return "\n".join([
        "# How to cite", "",
        "Cite the book (the code, the synthetic cohort and the analysis) and, for any finding, the study it",
        "reproduces. The book's metadata is in `CITATION.cff`, which GitHub and reference managers read.", "",
        "## The book", "",
        f"{authors}. *{cff['title']}*. Version {cff['version']}, {year}. Licence {cff['license']}.", "",
        "```bibtex",
        f"@software{{{key},",
        f"  author  = {{{{{authors}}}}},",
        f"  title   = {{{cff['title']}}},",
        f"  version = {{{cff['version']}}},",
        f"  year    = {{{year}}},",
        f"  license = {{{cff['license']}}}",
        "}", "```", "",
        "## The study", "",
        f"{study_authors}. {ref['title']}. *{ref['journal']}* {ref['year']}. doi:{ref['doi']}", "",
        "Its figures are quoted in this book only as the published side of a comparison: the patients",
        "analysed here are synthetic (see the *Plain-language summary*).", ""])


def own_cohort_intro(name: str) -> str:
    """The front page of a book built from a centre's own cohort (not the synthetic one)."""
    return f"""# {name}: anifrolumab in SLE

This book applies the analysis of a 2024 multicentre Italian real-world study of anifrolumab in
refractory systemic lupus erythematosus {{cite}}`tani2024` to the cohort **{name}**. Every table,
figure and number is computed from that cohort's data when the book is built; patient
identifiers were replaced by pseudonyms before the analysis. The study's published values are
set beside this cohort's tables and scored only when the book is built with `PUBLISHED=1`; the
chapters that describe the study itself (context, consistency) cite its figures in every book.

The instruments and outcome states are defined on the methods page, every data column in the
data dictionary, and the software and data checksum on the reproducibility page.
"""


def repository_url() -> str | None:
    """The book's GitHub repository: ``BOOK_REPOSITORY_URL``, else GitHub Actions'
    ``GITHUB_REPOSITORY``, else the ``origin`` remote when it is on GitHub; None when unknown (the
    launch buttons are then left out rather than pointed at a guess)."""
    import os
    import re

    if os.environ.get("BOOK_REPOSITORY_URL"):
        return os.environ["BOOK_REPOSITORY_URL"].rstrip("/")
    if os.environ.get("GITHUB_REPOSITORY"):
        return f"https://github.com/{os.environ['GITHUB_REPOSITORY']}"
    try:
        remote = subprocess.run(["git", "remote", "get-url", "origin"], cwd=ROOT, capture_output=True,
                                text=True).stdout.strip()
    except OSError:
        return None
    m = re.match(r"(?:https://github\.com/|git@github\.com:)([\w.-]+/[\w.-]+?)(?:\.git)?$", remote)
    return f"https://github.com/{m.group(1)}" if m else None


def book_config(name: str, synthetic: bool, repository: str | None = None) -> str:
    """The project's _config.yml with the cohort's name in the title and footer of every page, and,
    when the ``repository`` is known (:func:`repository_url`), Binder and Colab launch buttons on
    the chapters: plain links to the repository's notebooks (``environment.yml`` sets up
    Binder), which load nothing while the book is read offline."""
    import yaml

    cfg = yaml.safe_load((ROOT / "_config.yml").read_text())
    theme = cfg["sphinx"]["config"]["html_theme_options"]
    if synthetic:
        theme["extra_footer"] = "Synthetic data: the patients in this book are simulated. Not for clinical decisions."
    else:
        cfg["title"] = f"{name}: anifrolumab in SLE, an executable analysis"
        theme["extra_footer"] = f"Cohort: {name}. Patient identifiers are pseudonyms. Not for clinical decisions."
    if repository:
        launch = {"binderhub_url": "https://mybinder.org", "colab_url": "https://colab.research.google.com",
                  "notebook_interface": "classic", "thebe": False, "jupyterhub_url": ""}
        cfg["launch_buttons"] = launch
        cfg["repository"] = {"url": repository, "path_to_book": "notebooks", "branch": "main"}
        theme.update({"launch_buttons": launch, "repository_url": repository, "repository_branch": "main",
                      "path_to_docs": "notebooks", "use_repository_button": True})
    return yaml.safe_dump(cfg, sort_keys=False, allow_unicode=True)


def _run_chapter(nb: str, out: str, params: dict, timeout: int) -> str | None:
    """Run one chapter with papermill (in a worker process of :func:`execute_all`); None, or the
    failing cell."""
    import papermill as pm

    try:
        pm.execute_notebook(nb, out, parameters=params, kernel_name="python3", progress_bar=False,
                            cwd=str(NOTEBOOKS_DIR), shutdown_kernel="immediate", execution_timeout=timeout)
    except pm.PapermillExecutionError as err:
        return f"cell {err.exec_count}: {err.ename}: {err.evalue}"
    except Exception as err:  # a kernel that died or a cell over the timeout
        return f"{type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}"
    return None


def _start_worker(log: str) -> None:
    """In a worker: send stderr (and so the kernels' start-up warnings) to ``log``, then import
    what the chapters import, once, for the kernels forked from this worker (``warm_kernels``)."""
    fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(fd, 2)
    os.close(fd)
    import warm_kernels  # book/warm_kernels.py, beside this script

    warm_kernels.warm()


def chapter_seconds(src: Path) -> dict[str, float]:
    """How long each chapter of the previous build ran (papermill's record), by file name."""
    import json

    out = {}
    for nb in src.glob("[0-9][0-9]_*.ipynb"):
        try:
            out[nb.name] = float(json.loads(nb.read_text())["metadata"]["papermill"]["duration"] or 0)
        except (ValueError, KeyError, TypeError):
            continue
    return out


def execute_all(notebooks: list[Path], src: Path, params: dict, timeout: int = 300,
                seconds: dict[str, float] | None = None) -> list[tuple[Path, str | None]]:
    """Run the chapters two at a time, each in its own kernel, from two worker processes that
    import papermill and what the chapters import once and fork each chapter's kernel
    (``warm_kernels``), the longest first by ``seconds`` (the last build's times; without them, the
    largest notebook first) so that the two workers finish together; a cell running
    longer than ``timeout`` seconds fails its chapter. Returns (notebook, error or None) in order;
    papermill's injected parameters (local paths) are kept out of the book."""
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor

    import nbformat

    log = src.parent / "chapter_kernels.log"  # the kernels' own chatter, out of the terminal
    with ProcessPoolExecutor(max_workers=2, mp_context=mp.get_context("fork"), initializer=_start_worker,
                             initargs=(str(log),)) as pool:
        seconds = seconds or {}
        futures = {nb: pool.submit(_run_chapter, str(nb), str(src / nb.name), params, timeout)
                   for nb in sorted(notebooks, key=lambda nb: (-seconds.get(nb.name, float("inf")), -nb.stat().st_size))}
        results = []
        for nb in notebooks:
            fut = futures[nb]
            error = fut.result()
            if error:
                results.append((nb, f"{nb.name}: {error}"))
                continue
            done = nbformat.read(src / nb.name, as_version=4)
            for cell in done.cells:
                tags = cell.metadata.get("tags", [])
                if "injected-parameters" in tags and "remove-cell" not in tags:
                    cell.metadata["tags"] = [*tags, "remove-cell"]
            nbformat.write(done, src / nb.name)
            results.append((nb, None))
    return results


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=SYNTHETIC_DIR, help="folder with the three CSV tables")
    ap.add_argument("--out", type=Path, default=None,
                    help="output folder (default: build/ for the synthetic cohort, build/cohorts/<name>/ otherwise)")
    ap.add_argument("--name", default=None, help="the cohort's name, shown on every page")
    ap.add_argument("--published", action=argparse.BooleanOptionalAction, default=None,
                    help="set the paper's published values beside the computed ones (default: only for the synthetic cohort)")
    ap.add_argument("--force", action="store_true", help="rebuild even if nothing changed")
    args = ap.parse_args(argv)
    data = args.data.resolve()
    synthetic = data == SYNTHETIC_DIR.resolve()
    name = args.name or ("Synthetic cohort" if synthetic else data.name)
    slug = "".join(c if c.isalnum() else "-" for c in name.lower()).strip("-") or "cohort"
    out = (args.out or (BUILD_DIR if synthetic else BUILD_DIR / "cohorts" / slug)).resolve()
    if not synthetic and out == BUILD_DIR.resolve():
        print("a centre's cohort is never built over the synthetic book: choose another --out", file=sys.stderr)
        return 2
    src, html = out / "src", out / "_build" / "html"
    stamp = out / ".inputs.sha256"
    show_published = synthetic if args.published is None else args.published
    args.name = name

    digest = inputs_digest(data, f"{name}|{show_published}|{repository_url()}")
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

    seconds = chapter_seconds(src)
    for stale in (src, html, stamp):
        if stale.is_dir():
            shutil.rmtree(stale)
        elif stale.exists():
            stale.unlink()
    shutil.copytree(BOOK_DIR, src, ignore=shutil.ignore_patterns("*.py", "__pycache__", "_build"))
    exports = src / "_extra" / "exports"
    exports.mkdir(parents=True)
    if not synthetic:
        (src / "intro.md").write_text(own_cohort_intro(name))
    dictionary = data_dictionary_page()
    if synthetic:  # the synthetic patient-level tables, downloadable beside their dictionary
        for t in TABLES:
            shutil.copyfile(data / f"{t}.csv", exports / f"synthetic_{t}.csv")
        links = " · ".join(f'<a href="exports/synthetic_{t}.csv" download>{t}.csv</a>' for t in TABLES)
        dictionary += ("\n## Download the synthetic cohort\n\nThe three tables of the synthetic cohort, patient by "
                       "patient (simulated patients, not the study's), as the chapters read them:\n\n" + links + "\n")
    (src / "data_dictionary.md").write_text(dictionary)
    (src / "reproducibility.md").write_text(reproducibility_page(data, name))
    (src / "own_data.md").write_text(own_data_page())
    (src / "cite.md").write_text(cite_page())

    notebooks = sorted(NOTEBOOKS_DIR.glob("[0-9][0-9]_*.ipynb"))
    # the cohort computed once for every chapter's kernel (they inherit the variable)
    os.environ[COMPUTED_COHORT_ENV] = str(write_computed_cohort(data, out / "computed_cohort.pickle"))
    params = {"data_dir": str(data), "output_dir": str(exports), "cohort_name": name,
              "show_published": show_published}
    step(f"executing {len(notebooks)} chapters with papermill, two at a time")
    failures = []
    for nb, error in execute_all(notebooks, src, params, seconds=seconds):
        print(f"    {'FAILED' if error else 'ok    '} {nb.name}", flush=True)
        if error:
            failures.append(error)
    if failures:
        print("chapters failed; no book was built:\n  " + "\n  ".join(failures), file=sys.stderr)
        return 1

    step("building the HTML with Jupyter Book (warnings are errors)")
    config = out / "_config.yml"
    config.write_text(book_config(name, synthetic, repository_url()))
    jupyter_book = f'{NO_IRI_FORMATS}; sys.argv[0] = "jupyter-book"; from jupyter_book.cli.main import main; main()'
    cmd = [sys.executable, "-c", jupyter_book, "build", str(src), "--config", str(config),
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
