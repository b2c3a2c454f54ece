"""Use your own data: read a centre's workbook, CSV folder or REDCap export, refuse direct
identifiers, normalise the usual variation, validate against the codebook, warn about unusual
values, pseudonymise; write the report; the command line.

The steps, in order (:func:`load_own_cohort` runs them all; each lives in its own module):

1. **read** (:func:`read_center`, :func:`read_centers`; :mod:`lupus_utils.data.readers`,
   :mod:`lupus_utils.data.centres`): one ``.xlsx`` workbook (sheets ``patients``, ``visits``,
   ``adverse_events``; the template's units row 2 is recognised and skipped) or one folder of
   ``patients.csv``, ``visits.csv``, ``adverse_events.csv`` (``,``/``;``/tab delimiter detected;
   UTF-8 with or without BOM, never a guessed encoding), or one REDCap records export (``.csv``,
   see :func:`lupus_utils.data.redcap.split_records`). Every cell stays text. Each frame is indexed by
   the spreadsheet row number of its rows (index name ``"row"``, header = row 1), so every
   problem names the row the user sees, units row or not (:mod:`lupus_utils.data.provenance`).
2. **identifier guard** (:func:`identifier_guard`; :mod:`lupus_utils.data.identifiers`): columns named
   like names, birth dates, contact details, record numbers or tax codes, and cells shaped like a
   codice fiscale, an e-mail address or a phone number stop the import before anything else.
3. **normalise** (:func:`normalise`; :mod:`lupus_utils.data.normalisation`): only conversions that are
   certain (Yes/No for 0/1, decimal comma, ``W12`` for a week, category capitals and spaces,
   DD/MM/YYYY dates when the order is certain). Everything else is left as typed so that
   validation reports it.
4. **validate** (:func:`lupus_utils.data.cohort.validate_cohort`), every problem at once, with row
   numbers translated back to the source file and row. A REDCap export's rows and fields that
   cannot be mapped are listed with them (a record with a row that cannot be placed is not
   validated: its findings would be that row's consequences).
5. **warnings** (:func:`plausibility_warnings`; :mod:`lupus_utils.data.plausibility`): plausible but
   unusual values, listed, never errors.
6. **pseudonymise** (:func:`pseudonymise`; :mod:`lupus_utils.data.pseudonyms`): ``P001``... and
   ``E001``...; the key is returned to the caller only.

``python -m lupus_utils.data.ingest PATH [PATH ...] --out DIR`` does all of it and writes
``DIR/validation_report.{csv,html}`` and, when there is no error, ``DIR/data/*.csv`` for the book.
"""
from __future__ import annotations

import argparse
import html
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from .centres import read_all_centres, same_patients, make_ids_unique, read_centers
from .cohort import (PROBLEM_COLUMNS, SHOWN_LINES, CohortValidationError, problem_record, flag_cells, format_problems,
                     rule_counts, validate_cohort)
from .identifiers import (input_patient_ids, free_text_identifiers, identifier_guard, name_like_id,
                          personal_data_name)
from .normalisation import ambiguous_separators, normalise
from ..paths import BUILD_DIR, TABLES
from .plausibility import plausibility_warnings
from .provenance import cached_codebook, problems_frame, name_records, renumber
from .pseudonyms import mapping_frame, pseudonymise
from .readers import read_center

__all__ = [  # the own-data path's public names, importable from here as before the split
    "DEFAULT_OUT", "HTML_ROWS", "ambiguous_separators", "free_text_identifiers", "identifier_guard",
    "load_own_cohort", "main", "mapping_frame", "name_like_id", "name_records", "normalise", "personal_data_name",
    "plausibility_warnings", "pseudonymise", "read_back_differences", "read_center", "read_centers", "renumber",
    "resolve_inputs", "write_report", "write_tables",
]

DEFAULT_OUT = BUILD_DIR / "own_data"
REPORT_COLUMNS = ("severity", *PROBLEM_COLUMNS)


# --------------------------------------------------------------------------------------------
# the whole pipeline
# --------------------------------------------------------------------------------------------

class _Stage:
    """Run one check of one input; an unexpected exception becomes a problem naming the input and
    the check (the report is still written), never a crash."""

    def __init__(self, problems: list):
        self.problems = problems

    def __call__(self, name: str, label: str, fn, *args, default=None):
        try:
            return fn(*args)
        except CohortValidationError:
            raise
        except Exception as err:  # noqa: BLE001 - a bug or an input no rule foresaw: report, do not crash
            self.problems.append(problems_frame([problem_record(label, None, "", "", f"internal error: the check '{name}' failed on this "
                                                                        f"input ({type(err).__name__}: {err}); the data could "
                                                                        "not be judged. Please report it with this line")]))
            return default


def _without_records(raw: dict[str, pd.DataFrame], records: set) -> dict[str, pd.DataFrame]:
    """The tables without the rows of ``records``: a REDCap export's records with a patients or
    visit row that could not be placed, which are not validated (their findings would be that
    row's consequences, such as a visit without its patient); the rest is."""
    if not records:
        return raw
    return {t: f[~f["patient_id"].isin(records).to_numpy()] if "patient_id" in f else f for t, f in raw.items()}


def _raise_if_any(problems: list[pd.DataFrame]) -> None:
    found = [f for f in problems if len(f)]
    if found:
        raise CohortValidationError(pd.concat(found, ignore_index=True))


def load_own_cohort(paths, codebook: pd.DataFrame | None = None):
    """Read one or several centres, refuse identifiers, normalise, validate, warn, pseudonymise.

    ``paths``: one path or a list (each an ``.xlsx`` workbook, a folder of the three CSVs or a
    REDCap records export). Raises :class:`CohortValidationError` listing every problem
    (unreadable input and direct identifiers stop before validation; a REDCap export's rows or
    fields that cannot be mapped are listed with the validation problems of the rest; a check
    that fails unexpectedly is a problem naming the input and the check). Returns
    ``(tables, report)``: the typed, pseudonymised tables, and ``report`` with ``rows_in`` and
    ``rows_analysed`` per table, ``rows_excluded`` (per table: count and reasons; nothing is
    dropped, so 0), ``warnings`` (a frame like the problems), ``notes`` (what was recognised or
    converted) and ``mapping`` (the pseudonym key: keep it with the source data, never in the
    book)."""
    cb = cached_codebook() if codebook is None else codebook
    centres = read_all_centres(paths, unique_ids=False, keep_unmapped=True)  # ids as the centre wrote them
    unmapped = [problems_frame(c.unmapped.problems) for c in centres]  # a REDCap export's rows that cannot be mapped
    problems: list[pd.DataFrame] = []
    stage = _Stage(problems)
    ids = input_patient_ids({t: f for c in centres for t, f in c.raw.items()}) if centres else frozenset()
    for c in centres:
        found = stage("identifier guard", c.files["patients"], identifier_guard, c.raw, c.files, ids, default=problems_frame([]))
        problems.append(name_records(found, c.raw, c.files))
    problems.append(problems_frame(same_patients(centres)))
    if any(len(f) for f in problems):  # identifiers stop before validation, listed with what could not be mapped
        _raise_if_any(unmapped + problems)
    problems[:0] = unmapped  # listed with the validation problems of the rest
    checked = []
    for c in centres:
        label = c.files["patients"]
        rows = _without_records(c.raw, c.unmapped.records)
        if c.unmapped.records and not any(len(f) for f in rows.values()):
            continue  # no record could be placed whole: nothing to validate
        semicolons = any("delimiter semicolon" in n for n in c.notes)
        problems.append(stage("number separators", label, ambiguous_separators, rows, c.files, semicolons,
                              default=problems_frame([])))
        raw, notes = stage("normalisation", label, normalise, rows, c.files, default=(None, []))
        if raw is None:
            continue
        c.notes += notes
        typed, found = stage("validation", label, validate_cohort, raw, c.files, cb, default=(None, problems_frame([])))
        if typed is None:
            continue
        found = name_records(stage("row numbers", label, renumber, found, raw, c.files, default=found), c.raw, c.files)
        extra = [problem_record(c.files[t], None, "", "", f"empty table: {t} has a header row but no data rows")
                 for t in ("patients", "visits") if t in raw and len(raw[t]) == 0]
        problems += [found, problems_frame(extra)]
        c.typed = typed
        checked.append((c, raw, typed))
    _raise_if_any(problems)
    warnings = [name_records(stage("plausibility warnings", c.files["patients"], plausibility_warnings, typed, raw, c.files,
                                   default=problems_frame([])), c.raw, c.files) for c, raw, typed in checked]
    _raise_if_any(problems)
    make_ids_unique(centres, "typed")
    merged = {t: pd.concat([c.typed[t] for c in centres], ignore_index=True) for t in TABLES}
    tables, mapping = pseudonymise(merged)
    rows_in = {t: int(sum(len(r[t]) for _, r, _ in checked if t in r)) for t in TABLES}
    report = {
        "rows_in": rows_in,
        "rows_analysed": {t: len(tables[t]) for t in TABLES},
        "rows_excluded": {t: {"count": rows_in[t] - len(tables[t]), "reasons": []} for t in TABLES},
        "warnings": pd.concat(warnings, ignore_index=True),
        "notes": [n for c in centres for n in c.notes],
        "mapping": mapping,
        "files": {c.tag: c.files for c in centres},
    }
    return tables, report


# --------------------------------------------------------------------------------------------
# report and command line
# --------------------------------------------------------------------------------------------

def _report_frame(problems: pd.DataFrame | None, warnings: pd.DataFrame | None, notes=None) -> pd.DataFrame:
    parts = []
    for severity, frame in (("error", problems), ("warning", warnings)):
        if frame is not None and len(frame):
            parts.append(frame.assign(severity=severity))
    if notes:
        parts.append(pd.DataFrame({"severity": "note", "file": "", "row": pd.NA, "column": "", "value": "", "rule": list(notes)}))
    if not parts:
        return pd.DataFrame(columns=list(REPORT_COLUMNS))
    out = pd.concat(parts, ignore_index=True)[list(REPORT_COLUMNS)]
    out["row"] = out["row"].astype("Int64")
    return out


_CSS = """body{font-family:system-ui,sans-serif;margin:2em;color:#222}
table{border-collapse:collapse;font-size:14px}th,td{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#e8eef5}tr.error td:first-child{color:#a00;font-weight:bold}tr.warning td:first-child{color:#a60}
tr.note td:first-child{color:#555}
.scroll{overflow-x:auto;max-width:100%}.scroll table{width:100%;min-width:60em}"""


HTML_ROWS = 5000  # the HTML lists this many lines at most; the CSV lists every one
SHOWN_NOTES = 10


def write_report(problems: pd.DataFrame | None, warnings: pd.DataFrame | None, out_dir, notes=None) -> dict:
    """Write ``validation_report.csv`` (every line) and ``validation_report.html`` (a
    self-contained page, no external resources: the count of each rule, then the first
    :data:`HTML_ROWS` lines) to ``out_dir``; returns ``{"csv": path, "html": path}``."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    frame = _report_frame(problems, warnings, notes)
    csv_path, html_path = out_dir / "validation_report.csv", out_dir / "validation_report.html"
    frame.to_csv(csv_path, index=False)
    by_rule, total = [], {}
    for severity in ("error", "warning"):
        counts = rule_counts(frame[frame["severity"] == severity])
        total[severity] = int(counts["count"].sum()) if len(counts) else 0
        for r in counts.itertuples(index=False):
            by_rule.append(f"<tr class=\"{severity}\"><td>{severity}</td><td>{html.escape(str(r.rule))}</td><td>{r.count:,}</td></tr>")
    n_err, n_warn = total["error"], total["warning"]
    verdict = (f"{n_err:,} error(s): the data cannot be analysed until they are fixed." if n_err
               else "No errors: the data are ready for the book.")
    # every rule gets its share of the page: at most a tenth of it each, in report order
    prefix = frame["rule"].astype(str).str.split(":").str[0]
    shown = frame[(prefix.groupby(prefix).cumcount() < HTML_ROWS // 10).to_numpy()].iloc[:HTML_ROWS]
    rows = []
    for r in shown.itertuples(index=False):
        cells = [r.severity, r.file, "" if pd.isna(r.row) else int(r.row), r.column, r.value, r.rule]
        rows.append(f'<tr class="{html.escape(str(r.severity))}">' + "".join(f"<td>{html.escape(str(c))}</td>" for c in cells) + "</tr>")
    head = "".join(f"<th>{html.escape(c)}</th>" for c in REPORT_COLUMNS)
    more = (f"<p>{len(shown):,} of {len(frame):,} lines are shown (the first {HTML_ROWS // 10:,} of each rule); "
            f"{csv_path.name} lists every one.</p>\n" if len(shown) < len(frame) else "")
    page = (f"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>Validation report</title>"
            f"<style>{_CSS}</style></head><body>\n<h1>Validation report</h1>\n"
            f"<p>{html.escape(verdict)} {n_warn} warning(s) (unusual values to check; not errors). "
            f"Rows are numbered as the spreadsheet shows them (header = row 1).</p>\n"
            + ("<h2>By rule</h2>\n<table><thead><tr><th>severity</th><th>rule</th><th>count</th></tr></thead><tbody>\n"
               + "\n".join(by_rule) + "\n</tbody></table>\n<h2>Every problem</h2>\n" if by_rule else "")
            + more + f"<div class=\"scroll\"><table><thead><tr>{head}</tr></thead><tbody>\n" + "\n".join(rows)
            + "\n</tbody></table></div>\n</body></html>\n")
    html_path.write_text(page, encoding="utf-8")
    return {"csv": csv_path, "html": html_path}


def write_tables(tables: dict[str, pd.DataFrame], folder) -> dict:
    """Write the typed tables as the CSVs :func:`lupus_utils.data.cohort.read_cohort` reads."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = {}
    for t in TABLES:
        paths[t] = folder / f"{t}.csv"
        tables[t].to_csv(paths[t], index=False, date_format="%Y-%m-%d", encoding="utf-8")
    return paths


def read_back_differences(tables: dict[str, pd.DataFrame], folder) -> pd.DataFrame:
    """Read the written tables back (as the book does) and compare them cell by cell with what
    was meant to be written; every differing cell is a problem (an empty frame when they agree)."""
    from .cohort import read_csv_table, coerce_table

    # read as the book reads (typed by the codebook); the rules were judged before writing
    back = {t: coerce_table(read_csv_table(Path(folder) / f"{t}.csv", t, None), t, f"{t}.csv")[0] for t in TABLES}
    out: list[dict] = []
    for t in TABLES:
        a, b = tables[t].reset_index(drop=True), back[t].reset_index(drop=True)
        if list(a.columns) != list(b.columns) or len(a) != len(b):
            out.append(problem_record(f"{t}.csv", None, "", "", f"read back: the written table has {len(b)} rows and columns "
                                                         f"{list(b.columns)[:3]}..., not {len(a)} rows as meant"))
            continue
        for col in a.columns:
            x, y = a[col], b[col]
            if pd.api.types.is_numeric_dtype(x) and pd.api.types.is_numeric_dtype(y):
                same = np.isclose(x.astype("float64"), y.astype("float64"), rtol=0, atol=1e-9, equal_nan=True)
            else:
                same = (x.astype("string").fillna("\0") == y.astype("string").fillna("\0")).to_numpy(dtype=bool)
            out += flag_cells(f"{t}.csv", ~same, col, y, f"read back: the written value differs from {x[~same].iloc[0]!r}"
                              if (~same).any() else "")
    return problems_frame(out)


def resolve_inputs(paths) -> list[Path]:
    """The inputs as paths. ``make book DATA=...`` passes its whole value as one argument: a path
    that exists (spaces and accents included) is one input; otherwise, when every space-separated
    part exists, the parts are the inputs (several centres); otherwise the value stays one path
    (and is reported as not found)."""
    out = []
    for p in paths:
        p = str(p)
        if Path(p).exists() or " " not in p.strip():
            out.append(Path(p))
            continue
        parts = p.split()
        out += [Path(q) for q in parts] if all(Path(q).exists() for q in parts) else [Path(p)]
    return out


def _print_summary(kind: str, frame: pd.DataFrame) -> None:
    text = format_problems(frame, limit=SHOWN_LINES)
    if kind == "warning":
        text = text.replace("problem", "warning", 1).replace("found in the cohort data", "to check (not errors)")
    print(text)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m lupus_utils.data.ingest",
        description="Check a centre's own cohort (an .xlsx workbook, a folder of patients.csv, visits.csv, "
                    "adverse_events.csv, or a REDCap records export .csv; several for several centres), write the validation report and, when "
                    "there is no error, the pseudonymised tables for the book.")
    ap.add_argument("paths", nargs="+", help="workbook(s) or folder(s), one per centre")
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"output folder (default {DEFAULT_OUT})")
    ap.add_argument("--key", type=Path, default=None,
                    help="also write the pseudonym key (original id -> pseudonym) to this CSV; keep it with the "
                         "source data, never in the book (not written unless asked)")
    args = ap.parse_args(argv)
    data_dir = args.out / "data"
    # before anything is read: a failed run must never leave an earlier run's tables for the book
    for t in TABLES:
        (data_dir / f"{t}.csv").unlink(missing_ok=True)
    for old in ("validation_report.csv", "validation_report.html"):
        (args.out / old).unlink(missing_ok=True)
    paths = resolve_inputs(args.paths)
    try:
        tables, report = load_own_cohort(paths)
    except CohortValidationError as err:
        written = write_report(err.problems, None, args.out)
        _print_summary("error", err.problems)
        print(f"\nNothing was written for the book. Full report: {written['html']} (and {written['csv'].name})")
        return 1
    except Exception as err:  # noqa: BLE001 - a bug, not the user's data: say so, still write a report
        problem = problems_frame([problem_record(" + ".join(p.name for p in paths), None, "", "",
                                   f"internal error: reading the input failed ({type(err).__name__}: {err}); "
                                   "please report it with this line")])
        written = write_report(problem, None, args.out)
        print(f"internal error while reading the data ({type(err).__name__}: {err}); please report it. "
              f"Report: {written['html']}", file=sys.stderr)
        return 2
    written = write_tables(tables, data_dir)
    differences = read_back_differences(tables, data_dir)
    if len(differences):
        for t in TABLES:
            (data_dir / f"{t}.csv").unlink(missing_ok=True)
        report_paths = write_report(differences, None, args.out)
        _print_summary("error", differences)
        print(f"\nThe tables read back differ from what was meant to be written; nothing is left for the book. "
              f"Report: {report_paths['html']}")
        return 2
    report_paths = write_report(None, report["warnings"], args.out, report["notes"])
    if args.key:
        args.key.parent.mkdir(parents=True, exist_ok=True)
        mapping_frame(report["mapping"]).to_csv(args.key, index=False)
    print("No errors. Rows: " + ", ".join(f"{t} {report['rows_analysed'][t]} of {report['rows_in'][t]}" for t in TABLES)
          + " (nothing excluded); every cell read back as written.")
    notes = report["notes"]
    for n in notes[:SHOWN_NOTES]:
        print(f"  note: {n}")
    if len(notes) > SHOWN_NOTES:
        print(f"  ... and {len(notes) - SHOWN_NOTES} more note(s) in the report")
    w = report["warnings"]
    if len(w):
        _print_summary("warning", w)
    print(f"Pseudonymised tables: {written['patients'].parent}/ ; report: {report_paths['html']}")
    print(f"Build the book from them: make book DATA={written['patients'].parent}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
