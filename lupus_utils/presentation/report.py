"""What every chapter needs to start: load and validate the cohort, derive scores, compute the
results, and show tables and figures with their downloads. Keeps the notebooks thin."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from IPython.display import HTML, Markdown, display

from ..data.cohort import load_targets, read_cohort
from ..paths import BUILD_DIR, SYNTHETIC_DIR, TABLES
from .plots import as_image, export_figure
from ..science.results import compute_results, derive_visits, result_index, result_key, result_value
from ..science.subgroups import add_groupings
from .journal import download_links, export_table, journal_html
from .tables import keyed_values, n_of_text


#: The first column of every table downloaded from the synthetic book.
SYNTHETIC_LABEL = "synthetic (simulated patients, not the study's)"


@dataclass
class Chapter:
    """The cohort as a chapter sees it."""
    tables: dict
    visits: pd.DataFrame
    results: pd.DataFrame
    targets: pd.DataFrame | None
    exports: Path
    cohort_name: str
    data_dir: Path
    name: str = "chapter"
    shown: list = field(default_factory=list)

    @property
    def synthetic(self) -> bool:
        return self.data_dir.resolve() == SYNTHETIC_DIR.resolve()

    def value(self, measure, population="all", week=None, statistic="n") -> float:
        return result_value(self.results, measure, population, week, statistic)

    def n_of(self, measure, population, week=None) -> str:
        """'8/24 (33.3%)' from the results (raises ``KeyError`` for a misspelt key); recorded in the
        chapter's ledger of values shown (:meth:`record`)."""
        text = n_of_text(self.results, measure, population, week)
        self.record(keyed_values(self.results, [(measure, population, week, s) for s in ("n", "denominator", "pct")]))
        return text

    def stat(self, measure, population="all", week=None, statistic="n") -> str:
        """One computed statistic as every page shows it (:func:`lupus_utils.numbers.stat_text`),
        recorded in the chapter's ledger of values shown."""
        row = keyed_values(self.results, [(measure, population, week, statistic)])
        self.record(row)
        return row["shown"].iloc[0]

    def record(self, values: pd.DataFrame) -> None:
        """Add values the chapter shows (columns measure, population, week, statistic, value,
        shown) to its ledger, ``values/<chapter>.csv`` among the exports: the cross-chapter test
        reads every ledger and fails when one statistic reads two ways."""
        self.shown.append(values[["measure", "population", "week", "statistic", "value", "shown"]])
        ledger = pd.concat(self.shown, ignore_index=True).drop_duplicates()
        if self.synthetic:
            ledger.insert(0, "cohort", SYNTHETIC_LABEL)
        out = self.exports / "values"
        out.mkdir(parents=True, exist_ok=True)
        ledger.to_csv(out / f"{self.name}.csv", index=False, lineterminator="\n")

    def export(self, table: pd.DataFrame, name: str) -> dict:
        """Write ``table`` as CSV and XLSX for download; from the synthetic book, with a first
        column ``cohort`` that says so (a downloaded file travels without the page around it)."""
        if self.synthetic:
            table = table.copy()
            table.insert(0, "cohort", SYNTHETIC_LABEL)
        return export_table(table, name, self.exports)

    def show_table(self, table: pd.DataFrame, name: str, caption: str = "", export: pd.DataFrame | None = None,
                   values: pd.DataFrame | None = None, notes=(), published: pd.DataFrame | None = None,
                   published_header: dict | None = None, group: str | None = None, links: dict | None = None) -> None:
        """Show ``table`` as the book prints tables (:func:`lupus_utils.presentation.journal.journal_table`:
        ``caption`` above, ``notes`` below, ``published`` values as a grey second line in their
        cells) with its download links; the downloads hold ``export`` when given (a tidy frame, one
        value per cell, behind a compact display). ``values``
        (:func:`lupus_utils.presentation.tables.keyed_values`) are the statistics the table shows, recorded in
        the chapter's ledger (:meth:`record`)."""
        if values is not None:
            self.record(values)
        paths = self.export(table if export is None else export, name)
        if published is not None:
            notes = (*notes, "Second line, in grey: the value as printed in the paper.")
        display(HTML(journal_html(table, name.replace("_", "-"), caption, notes, published, published_header,
                                  group, links)))
        display(HTML(download_links(paths)))

    def show_figure(self, fig, name: str) -> None:
        paths = export_figure(fig, name, self.exports)
        display(as_image(fig, dpi=110))
        display(HTML(download_links(paths)))


#: The environment variable naming a computed cohort (:func:`write_computed_cohort`) that the
#: chapters of one book build share.
COMPUTED_COHORT_ENV = "LUPUS_COMPUTED_COHORT"


def _library_digest() -> str:
    """SHA-256 of the library's source files: a computed cohort is reused only by the code that
    computed it."""
    from ..paths import CODEBOOK_FILE

    h = hashlib.sha256()
    for f in [*sorted(Path(__file__).parent.parent.rglob("*.py")), CODEBOOK_FILE]:  # the codebook types the tables
        h.update(f.name.encode() + b"\0" + f.read_bytes())
    return h.hexdigest()


def compute_cohort(data_dir: Path) -> dict:
    """Read and validate the cohort, derive the visit scores and compute every result:
    ``{'tables', 'derived', 'results'}``."""
    tables = read_cohort(data_dir)
    derived = derive_visits(tables)
    return {"tables": tables, "derived": derived, "results": compute_results(tables, derived)}


def write_computed_cohort(data_dir: Path, path: Path) -> Path:
    """Compute the cohort once (:func:`compute_cohort`) and store it at ``path`` with the data's
    and the library's checksums, for every chapter of a build to load instead of recomputing it
    (the book's build sets :data:`COMPUTED_COHORT_ENV`; about 1 s of CPU saved per chapter)."""
    import pickle

    bundle = compute_cohort(data_dir) | {"data_dir": str(Path(data_dir).resolve()), "data": data_checksum(data_dir),
                                          "library": _library_digest()}
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as fh:
        pickle.dump(bundle, fh, protocol=pickle.HIGHEST_PROTOCOL)
    return path


def _computed_cohort(data_dir: Path) -> dict | None:
    """The build's computed cohort when it is of these data and this library, else None."""
    import os
    import pickle

    path = os.environ.get(COMPUTED_COHORT_ENV)
    if not path or not Path(path).is_file():
        return None
    with open(path, "rb") as fh:  # written by this project's build, never by a user
        bundle = pickle.load(fh)
    if (bundle.get("data_dir") != str(Path(data_dir).resolve()) or bundle.get("data") != data_checksum(data_dir)
            or bundle.get("library") != _library_digest()):
        return None
    return bundle


def open_chapter(data_dir=None, output_dir=None, cohort_name: str = "Synthetic cohort",
                 show_published: bool = True, name: str = "chapter") -> Chapter:
    """Read and validate the cohort (raises one error listing every problem), derive the visit
    scores and compute every result (or load them, computed once for the whole build, when they
    are of the same data and library: :func:`write_computed_cohort`). ``output_dir`` receives the
    CSV/XLSX/PNG/SVG exports; ``name`` (the notebook's, e.g. ``01_cohort``) names the chapter's
    ledger of values shown."""
    data_dir = Path(data_dir) if data_dir else SYNTHETIC_DIR
    exports = Path(output_dir) if output_dir else BUILD_DIR / "exports-interactive"
    cohort = _computed_cohort(data_dir) or compute_cohort(data_dir)
    tables, derived, results = cohort["tables"], cohort["derived"], cohort["results"]
    visits = add_groupings(derived, tables["patients"])
    targets = load_targets() if show_published else None
    return Chapter(tables, visits, results, targets, exports, cohort_name, data_dir, name)


def banner(ch: Chapter) -> HTML:
    """The notice every chapter shows above its first result."""
    if ch.synthetic:
        text = (f"<strong>Synthetic data.</strong> The {len(ch.tables['patients'])} patients analysed here are simulated "
                "(identifiers start with SYNTH-); they were generated to reproduce the published "
                "aggregates of Tani et al. 2024 and are not the study's patients.")
    else:
        text = f"<strong>Cohort: {ch.cohort_name}.</strong> Analysed with the same code as the synthetic book."
        if ch.targets is None:
            text += (" The study's published values are not set beside this cohort's results (the book was built "
                     "without <code>PUBLISHED=1</code>), so nothing here is compared with the paper.")
        else:
            text += " The study's published values are set beside this cohort's results for comparison."
    return HTML(f"<div class='admonition note'><p>{text}</p></div>")


def data_checksum(data_dir: Path) -> str:
    """SHA-256 over the three tables' bytes, in table order."""
    h = hashlib.sha256()
    for t in TABLES:
        h.update((Path(data_dir) / f"{t}.csv").read_bytes())
    return h.hexdigest()


def golden(results: pd.DataFrame, keys: list[tuple]) -> str:
    """Fixed-format lines of key results for nbval golden cells: one line per
    (measure, population, week, statistic)."""
    lines = []
    index = result_index(results)
    for measure, population, week, statistic in keys:
        v = index.get(result_key(measure, population, week, statistic))
        value = "missing" if v is None else (f"{v:.4g}" if statistic in ("p", "p_exact") else f"{v:.3f}")
        wk = "-" if week is None else f"w{int(week)}"
        lines.append(f"{measure:<32} {population:<32} {wk:>4} {statistic:<11} {value}")
    return "\n".join(lines)


def counted(n, noun: str, plural: str | None = None) -> str:
    """A count with its noun in the right number: ``no patients``, ``1 patient``, ``3 patients``
    (a missing count reads as none)."""
    n = 0 if n is None or n != n else int(n)
    word = noun if n == 1 else (plural or noun + "s")
    return f"{'no' if n == 0 else n} {word}"


#: The mime prefix of a value glued but not displayed (``myst_nb.ext.glue.GLUE_PREFIX``).
GLUE_PREFIX = "application/papermill.record/"


def glue(key: str, value, display: bool = False) -> None:
    """Glue a computed value for the prose (``{glue:md}`key```), shown as plain text.

    The output is exactly what ``myst_nb.glue`` writes (its display bundle, with the
    ``scrapbook`` metadata the book's glue roles read); it is written here because importing
    ``myst_nb.glue`` imports nbformat and jsonschema, whose format checker compiles 38 grammars
    at import: about 2 s in every chapter's kernel for nothing (tests/test_report.py checks the
    two outputs are the same)."""
    from IPython.core.formatters import format_display_data
    from IPython.display import display as show

    bundle, metadata = format_display_data(Markdown(str(value)))
    prefix = "" if display else GLUE_PREFIX
    metadata["scrapbook"] = {"name": key, "mime_prefix": prefix}
    show({prefix + k: v for k, v in bundle.items()}, raw=True, metadata=metadata)
