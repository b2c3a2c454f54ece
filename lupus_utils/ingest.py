"""Use your own data: read a centre's workbook or CSV folder, refuse direct identifiers, normalise
the usual variation, validate against the codebook, warn about unusual values, pseudonymise.

The steps, in order (:func:`load_own_cohort` runs them all):

1. **read** (:func:`read_center`, :func:`read_centers`): one ``.xlsx`` workbook (sheets
   ``patients``, ``visits``, ``adverse_events``; the template's units row 2 is recognised and
   skipped) or one folder of ``patients.csv``, ``visits.csv``, ``adverse_events.csv`` (``,``/``;``
   /tab delimiter detected; UTF-8 with or without BOM, never a guessed encoding). Every cell stays
   text. Each frame is indexed by the spreadsheet row number of its rows (index name ``"row"``,
   header = row 1), so every problem names the row the user sees, units row or not.
2. **identifier guard** (:func:`identifier_guard`): columns named like names, birth dates,
   contact details, record numbers or tax codes, and cells shaped like a codice fiscale, an e-mail
   address or a phone number stop the import before anything else.
3. **normalise** (:func:`normalise`): only conversions that are certain (Yes/No for 0/1, decimal
   comma, ``W12`` for a week, category capitals and spaces, DD/MM/YYYY dates when the order is
   certain). Everything else is left as typed so that validation reports it.
4. **validate** (:func:`lupus_utils.data.validate_cohort`), every problem at once, with row
   numbers translated back to the source file and row.
5. **warnings** (:func:`plausibility_warnings`): plausible but unusual values, listed, never errors.
6. **pseudonymise** (:func:`pseudonymise`): ``P001``... and ``E001``...; the key is returned to
   the caller only.

``python -m lupus_utils.ingest PATH [PATH ...] --out DIR`` does all of it and writes
``DIR/validation_report.{csv,html}`` and, when there is no error, ``DIR/data/*.csv`` for the book.
"""
from __future__ import annotations

import argparse
import csv
import html
import io
import re
import sys
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from .codebook import load_codebook
from .codebook import table_spec as _table_spec
from .instruments import SLEDAI_LAB_THRESHOLDS, beyond_lab_threshold
from .data import PROBLEM_COLUMNS, CohortValidationError, format_problems, validate_cohort
from .paths import BUILD_DIR, TABLES
from .template import units_row

DEFAULT_OUT = BUILD_DIR / "own_data"
_CODEBOOK: dict = {}


def _codebook() -> pd.DataFrame:
    """The codebook, read once per process (and again when the file changes)."""
    from .paths import CODEBOOK_FILE

    stamp = CODEBOOK_FILE.stat().st_mtime_ns
    if _CODEBOOK.get("stamp") != stamp:
        _CODEBOOK.update(stamp=stamp, frame=load_codebook(CODEBOOK_FILE))
    return _CODEBOOK["frame"]


def table_spec(table: str) -> pd.DataFrame:
    return _table_spec(table, _codebook())
WORKBOOK_SUFFIXES = (".xlsx", ".xlsm")
REPORT_COLUMNS = ("severity", *PROBLEM_COLUMNS)


# --------------------------------------------------------------------------------------------
# problems and provenance
# --------------------------------------------------------------------------------------------

def _problem(file, row, column, value, rule) -> dict:
    return {"file": file, "row": row, "column": column, "value": value, "rule": rule}


def _frame(problems: list[dict]) -> pd.DataFrame:
    out = pd.DataFrame(problems, columns=list(PROBLEM_COLUMNS))
    out["row"] = out["row"].astype("Int64")
    return out


def _origins(frame: pd.DataFrame, label: str) -> list[tuple[str, int]]:
    """(file label, spreadsheet row) of every row of ``frame``.

    Frames from the readers are indexed by spreadsheet row (index name ``"row"``), merged frames
    by ``(file label, row)``; any other frame is taken as positional (first record = row 2)."""
    idx = frame.index
    if isinstance(idx, pd.MultiIndex):
        return [(str(a), int(b)) for a, b in idx]
    if idx.name == "row":
        return [(label, int(r)) for r in idx]
    return [(label, i + 2) for i in range(len(frame))]


def renumber(problems: pd.DataFrame, raw: dict[str, pd.DataFrame], files: dict[str, str]) -> pd.DataFrame:
    """Translate the positional row numbers of :func:`lupus_utils.data.validate_cohort`
    (row = position + 2) into the source file and spreadsheet row carried by ``raw``'s index."""
    if problems.empty:
        return problems
    table_of = {label: t for t, label in files.items()}
    origins = {t: _origins(raw[t], files[t]) for t in raw}
    out = problems.copy().astype({"row": "object"})
    for i, p in out.iterrows():
        t = table_of.get(p["file"])
        if t is None or t not in origins or pd.isna(p["row"]):
            continue
        pos = int(p["row"]) - 2
        if 0 <= pos < len(origins[t]):
            out.at[i, "file"], out.at[i, "row"] = origins[t][pos]
    out["row"] = out["row"].astype("Int64")
    return out


# --------------------------------------------------------------------------------------------
# reading
# --------------------------------------------------------------------------------------------

def _cell_text(v) -> str:
    """An Excel cell as the text a user typed."""
    if v is None:
        return ""
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, datetime):
        return v.strftime("%Y-%m-%d") if v.time() == time(0) else v.isoformat(sep=" ")
    if isinstance(v, date):
        return v.isoformat()
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if v.is_integer() and abs(v) < 1e15:
            return str(int(v))
        return repr(v)
    if isinstance(v, (time, timedelta)):
        return str(v)
    return str(v)


def _is_units_row(table: str, header: list[str], cells: list[str]) -> bool:
    """Row 2 is the template's units row when every non-empty cell under a codebook column
    equals that column's unit hint, and at least one does."""
    try:
        units = units_row(table, _codebook())
    except KeyError:
        return False
    hits = 0
    for col, cell in zip(header, cells):
        cell = cell.strip()
        if not cell:
            continue
        if units.get(col) != cell:
            return False
        hits += 1
    return hits > 0


def _grid_to_frame(grid: list[list[str]], table: str, label: str, problems: list, notes: list) -> pd.DataFrame | None:
    """Rows of text cells (row 1 = header) to a frame indexed by spreadsheet row number."""
    while grid and not any(c.strip() for c in grid[-1]):
        grid.pop()
    if not grid or not any(c.strip() for c in grid[0]):
        problems.append(_problem(label, None, "", "", "empty: no header row (row 1 must hold the column names)"))
        return None
    header = [c.strip() for c in grid[0]]
    width = len(header)
    while width and not header[width - 1] and not any(len(r) >= width and r[width - 1].strip() for r in grid[1:]):
        width -= 1
    header = header[:width]
    for j, name in enumerate(header):
        if not name:
            problems.append(_problem(label, 1, f"column {j + 1}", "", "column without a name: row 1 must name every column that holds values"))
    seen: dict[str, int] = {}
    for name in header:
        seen[name] = seen.get(name, 0) + 1
    for name, n in seen.items():
        if name and n > 1:
            problems.append(_problem(label, 1, name, "", f"duplicate column: '{name}' appears {n} times in row 1"))
    first = 1
    if len(grid) > 1 and _is_units_row(table, header, grid[1]):
        first = 2
        notes.append(f"{label}: row 2 is the template's units row; data are read from row 3")
    rows, numbers, empty = [], [], 0
    for n, cells in enumerate(grid[first:], start=first + 1):
        if not any(c.strip() for c in cells):
            empty += 1
            continue
        if len(cells) > width and any(c.strip() for c in cells[width:]):
            problems.append(_problem(label, n, "", "", f"extra cells: row {n} has values beyond the last named column"))
        rows.append((list(cells[:width]) + [""] * (width - len(cells)))[:width])
        numbers.append(n)
    if empty:
        notes.append(f"{label}: {empty} empty row(s) skipped")
    if not rows:
        notes.append(f"{label}: header only, no data rows")
    cols = [h if h else f"column {j + 1}" for j, h in enumerate(header)]
    if len(set(cols)) != len(cols):  # reported above; keep the frame readable
        cols = [f"{c} ({j + 1})" if cols.count(c) > 1 else c for j, c in enumerate(cols)]
    return pd.DataFrame(rows, columns=cols, index=pd.Index(numbers, name="row"), dtype=object)


def _read_csv_text(path: Path, label: str, problems: list) -> str | None:
    data = path.read_bytes()
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        problems.append(_problem(label, None, "", "",
                                 f"not UTF-8: byte 0x{data[err.start]:02x} on line {line} is not valid UTF-8 text; "
                                 "save the file as 'CSV UTF-8' (the encoding is never guessed)"))
        return None


def _sniff_delimiter(text: str) -> str:
    header = text.split("\n", 1)[0]
    counts = {d: header.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: (counts[d], d == ","))
    return best if counts[best] else ","


def _read_csv_folder(folder: Path, problems: list, notes: list):
    raw, files = {}, {}
    present = {p.name.lower(): p for p in folder.iterdir() if p.is_file()}
    for t in TABLES:
        files[t] = f"{folder.name}/{t}.csv"
        path = present.get(f"{t}.csv")
        if path is None:
            continue
        if path.name != f"{t}.csv":
            notes.append(f"{folder.name}/{path.name}: read as {t}.csv")
        files[t] = f"{folder.name}/{path.name}"
        text = _read_csv_text(path, files[t], problems)
        if text is None:
            continue
        if not text.strip():
            problems.append(_problem(files[t], None, "", "", "empty: the file has no header row"))
            continue
        delim = _sniff_delimiter(text)
        if delim != ",":
            notes.append(f"{files[t]}: delimiter {'semicolon' if delim == ';' else 'tab'} detected")
        grid = [list(r) for r in csv.reader(io.StringIO(text, newline=""), delimiter=delim)]
        frame = _grid_to_frame(grid, t, files[t], problems, notes)
        if frame is not None:
            raw[t] = frame
    others = sorted(n for n in present if n.endswith(".csv") and n[:-4] not in TABLES)
    if others:
        notes.append(f"{folder.name}: ignored file(s) {', '.join(others)} (only {', '.join(t + '.csv' for t in TABLES)} are read)")
    return raw, files


def _read_workbook(path: Path, problems: list, notes: list):
    from openpyxl import load_workbook

    raw, files = {}, {t: f"{path.name}, sheet {t}" for t in TABLES}
    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception as err:  # zipfile.BadZipFile, InvalidFileException, KeyError, ...
        problems.append(_problem(path.name, None, "", "", f"unreadable workbook: not a valid .xlsx file ({type(err).__name__})"))
        return raw, files
    try:
        sheets = {ws.title.strip().lower(): ws for ws in wb.worksheets}
        for t in TABLES:
            ws = sheets.get(t)
            if ws is None:
                continue
            files[t] = f"{path.name}, sheet {ws.title}"
            grid = [[_cell_text(v) for v in row] for row in ws.iter_rows(values_only=True)]
            frame = _grid_to_frame(grid, t, files[t], problems, notes)
            if frame is not None:
                raw[t] = frame
        ignored = [ws.title for key, ws in sheets.items() if key not in TABLES and key != "readme"]
        if ignored:
            notes.append(f"{path.name}: ignored sheet(s) {', '.join(ignored)}")
    finally:
        wb.close()
    return raw, files


def _canonical_center(name: str) -> str | None:
    allowed = table_spec("patients").loc["center", "allowed"]
    key = _key(name)
    hits = [a for a in allowed if _key(a) == key]
    return hits[0] if len(hits) == 1 else None


def _fill_center(raw: dict, files: dict, tag: str, notes: list) -> None:
    p = raw.get("patients")
    if p is None or "center" in p.columns:
        return
    value = _canonical_center(tag)
    if value is None:
        value = "other"
        why = f"'other' ('{tag}' is not one of the codebook's centres; add a center column to say which)"
    else:
        why = f"'{value}' (from the name '{tag}')"
    at = list(p.columns).index("patient_id") + 1 if "patient_id" in p.columns else 0
    p.insert(at, "center", value)
    notes.append(f"{files['patients']}: no center column; filled with {why}")


def read_center(path, center: str | None = None):
    """Read one centre: an ``.xlsx`` workbook or a folder of the three CSV files.

    Returns ``(raw, files, notes)``: ``raw`` maps each table found to a frame of text cells indexed
    by spreadsheet row number (index name ``"row"``); ``files`` maps every table to the label that
    problems name (``"centre_a.xlsx, sheet visits"``, ``"site/visits.csv"``); ``notes`` lists what
    was recognised or filled in. When ``patients`` has no ``center`` column it is filled from
    ``center`` or the file/folder name. Unreadable input (not UTF-8, not a workbook, empty file,
    unnamed or duplicate columns) raises :class:`CohortValidationError` listing every such problem.
    """
    path = Path(path)
    problems: list[dict] = []
    notes: list[str] = []
    raw: dict[str, pd.DataFrame] = {}
    files = {t: f"{path.name}/{t}.csv" for t in TABLES}
    if not path.exists():
        problems.append(_problem(str(path), None, "", "", "not found: no such file or folder"))
    elif path.is_dir():
        raw, files = _read_csv_folder(path, problems, notes)
    elif path.suffix.lower() in WORKBOOK_SUFFIXES:
        raw, files = _read_workbook(path, problems, notes)
    else:
        problems.append(_problem(path.name, None, "", "", "unsupported input: give one .xlsx workbook or one folder holding "
                                 "patients.csv, visits.csv and adverse_events.csv (.xls/.ods: save as .xlsx)"))
    if problems:
        raise CohortValidationError(_frame(problems))
    _fill_center(raw, files, center or (path.stem if path.is_file() else path.name), notes)
    return raw, files, notes


@dataclass
class _Centre:
    path: Path
    tag: str
    raw: dict
    files: dict
    notes: list = field(default_factory=list)
    typed: dict = field(default_factory=dict)


def _ids(frame: pd.DataFrame | None, col: str) -> set:
    if frame is None or col not in frame:
        return set()
    s = frame[col].dropna().astype(str).str.strip()
    return set(s[s != ""])


def _read_all(paths, unique_ids: bool = True) -> list[_Centre]:
    """Read every centre (collecting every reading problem); with ``unique_ids``, prefix ids
    that clash across centres (see :func:`_prefix_clashes`)."""
    if isinstance(paths, (str, Path)):
        paths = [paths]
    paths = [Path(p) for p in paths]
    if not paths:
        raise CohortValidationError(_frame([_problem("(no input)", None, "", "", "no input: give at least one workbook or folder")]))
    centres, problems = [], []
    tags: list[str] = []
    for p in paths:
        tag = re.sub(r"[^A-Za-z0-9]+", "_", p.stem if p.suffix.lower() in WORKBOOK_SUFFIXES else p.name).strip("_") or "centre"
        while tag in tags:
            tag += f"_{len(tags) + 1}"
        tags.append(tag)
        try:
            raw, files, notes = read_center(p, center=tag)
        except CohortValidationError as err:
            problems.append(err.problems)
            continue
        centres.append(_Centre(p, tag, raw, files, notes))
    if problems:
        raise CohortValidationError(pd.concat(problems, ignore_index=True))
    if len(centres) > 1:
        labels = [c.files for c in centres]
        for t in TABLES:  # the same folder name twice: make labels unique with the given path
            if len({lab[t] for lab in labels}) < len(labels):
                for c in centres:
                    c.files = {k: f"{c.path} | {v}" for k, v in c.files.items()}
                break
    if unique_ids:
        _unique_ids(centres, "raw")
    return centres


def _unique_ids(centres: list[_Centre], attr: str) -> None:
    if len(centres) > 1:
        _prefix_clashes(centres, "patient_id", ("patients", "visits", "adverse_events"), "patients", attr)
        _prefix_clashes(centres, "event_id", ("adverse_events",), "adverse_events", attr)


def _prefix_clashes(centres: list[_Centre], col: str, tables: tuple, owner: str, attr: str = "raw") -> None:
    """When a ``col`` value of the ``owner`` table is used by two centres, prefix every value of
    ``col`` in ``tables`` of every centre with the centre's tag (``centre_a-P01``), and say so."""
    seen: dict[str, str] = {}
    clashes: dict[str, list[str]] = {}
    for c in centres:
        for i in _ids(getattr(c, attr).get(owner), col):
            if i in seen and seen[i] != c.tag:
                clashes.setdefault(i, [seen[i]]).append(c.tag)
            seen.setdefault(i, c.tag)
    if not clashes:
        return
    example = sorted(clashes)[0]
    for c in centres:
        for t in tables:
            f = getattr(c, attr).get(t)
            if f is not None and col in f:
                s = f[col]
                given = (s.notna() & (s.astype("string").str.strip() != "")).fillna(False).to_numpy(dtype=bool)
                f.loc[given, col] = c.tag + "-" + s[given].astype(str).str.strip()
    centres[0].notes.append(
        f"{col}: {len(clashes)} value(s) used by more than one centre (e.g. '{example}' in {' and '.join(clashes[example])}); "
        f"every {col} is prefixed with its centre ({', '.join(repr(c.tag + '-') for c in centres)})")


def read_centers(paths):
    """Read several centres and concatenate their tables.

    Returns ``(raw, files, notes)`` like :func:`read_center`, but each frame is indexed by
    ``(file label, row)`` so that every row keeps its source; ``files`` maps each table to the
    labels joined with ``" + "``. ``center`` is filled from the file/folder name when absent;
    when two centres use the same patient_id (or event_id) every id is prefixed with its centre
    (``centre_a-P01``), which the notes say."""
    centres = _read_all(paths)
    raw, files, notes = {}, {}, []
    for c in centres:
        notes += c.notes
    for t in TABLES:
        parts = []
        for c in centres:
            f = c.raw.get(t)
            if f is None:
                continue
            f = f.copy()
            f.index = pd.MultiIndex.from_arrays([[c.files[t]] * len(f), f.index], names=["file", "row"])
            parts.append(f)
        files[t] = " + ".join(c.files[t] for c in centres)
        if parts:
            raw[t] = pd.concat(parts)
    return raw, files, notes


# --------------------------------------------------------------------------------------------
# identifier guard
# --------------------------------------------------------------------------------------------

#: Column-name tokens and compact substrings that reveal a direct identifier.
_NAME_KINDS = {
    "name": ({"nome", "cognome", "name", "surname", "firstname", "lastname", "forename", "givenname", "nominativo",
              "initials", "iniziali"}, ("cognome", "surname", "firstname", "lastname", "patientname", "nominativo"),
             "looks like a person's name: remove the column and identify patients only by a pseudonymous patient_id"),
    "birth": ({"dob", "birth", "birthdate", "birthday", "nascita", "born", "nato", "nata", "ddn"},
              ("birth", "nascita", "datanascita"),
              "looks like a date of birth: remove the column (age at anifrolumab start goes in age_years)"),
    "email": ({"email", "mail", "pec"}, ("email",), "looks like an e-mail address: remove the column"),
    "phone": ({"phone", "telephone", "telefono", "tel", "mobile", "cellulare", "cell", "fax"},
              ("phone", "telefono", "cellulare"), "looks like a phone number: remove the column"),
    "address": ({"address", "indirizzo", "via", "residenza", "domicilio", "street", "zip", "postcode"},
                ("address", "indirizzo", "residenza", "domicilio"), "looks like a postal address: remove the column"),
    "record": ({"mrn", "record", "cartella", "nosologico", "nosografico", "chart", "sdo"},
               ("medicalrecord", "cartella", "nosologic", "hospitalid", "hospitalnumber", "recordnumber"),
               "looks like a hospital record number: remove the column; use a pseudonymous patient_id that cannot be "
               "looked up in the hospital's systems"),
    "tax": ({"cf", "fiscale", "fiscal", "tax", "ssn", "tessera", "nin", "passport", "passaporto"},
            ("codicefiscale", "fiscal", "taxcode", "taxid", "socialsecurity", "tesserasanitaria"),
            "looks like a tax code or national identity number (codice fiscale): remove the column"),
}

_OMO = "[0-9LMNPQRSTUV]"
_CF = re.compile(rf"\b[A-Z]{{6}}{_OMO}{{2}}[A-EHLMPR-T]{_OMO}{{2}}[A-Z]{_OMO}{{3}}[A-Z]\b", re.IGNORECASE)
_EMAIL = re.compile(r"[^@\s,;<>()\[\]]+@[^@\s,;<>()\[\]]+\.[A-Za-z]{2,}")
_PHONE_INTL = re.compile(r"(?:\+|\b00)\s?39[\s./-]?\d(?:[\s./-]?\d){5,10}\b")
_PHONE_MOBILE = re.compile(r"^\s*3\d{2}[\s./-]?\d{3}[\s./-]?\d{3,4}\s*$")
_VALUE_KINDS = (
    ("an Italian codice fiscale", lambda v: len(v) >= 16 and _CF.search(v),
     "replace it with a pseudonymous patient_id (e.g. P001) and keep the key outside the file"),
    ("an e-mail address", lambda v: "@" in v and _EMAIL.search(v), "remove it"),
    ("a phone number", lambda v: ("39" in v and _PHONE_INTL.search(v)) or (v.lstrip()[:1] == "3" and _PHONE_MOBILE.match(v)),
     "remove it"),
)


def _value_kind(value) -> str | None:
    """The rule for a cell that looks like a direct identifier, or None."""
    if not isinstance(value, str) or len(value) < 6:
        return None
    for desc, test, fix in _VALUE_KINDS:
        if test(value):
            return f"direct identifier: the cell looks like {desc}; {fix}"
    return None
VALUE_HITS_LISTED = 20


def _tokens(name: str) -> tuple[set, str]:
    spaced = re.sub(r"([a-z])([A-Z])", r"\1 \2", str(name))
    words = [w for w in re.split(r"[^0-9a-z]+", spaced.lower()) if w]
    return set(words), "".join(words)


def _column_kind(name: str) -> str | None:
    tokens, compact = _tokens(name)
    if "hospital" in tokens and tokens & {"id", "no", "number", "nr", "n"}:
        return "record"
    for kind, (words, parts, _) in _NAME_KINDS.items():
        if tokens & words or any(p in compact for p in parts):
            return kind
    return None


def _mask(value: str) -> str:
    value = str(value).strip()
    return value[:2] + "…" if len(value) > 2 else "…"


def identifier_guard(raw: dict[str, pd.DataFrame], files: dict[str, str] | None = None) -> pd.DataFrame:
    """Direct identifiers in the input, as problems (file, row, column, value, rule).

    Column names that look like names, birth dates, contact details, record numbers or tax codes
    are reported once per column (codebook columns are never flagged by name); cells anywhere that
    look like a codice fiscale (omocodia included), an e-mail address or a phone number are
    reported one by one (the first 20 of each column, then a count), with the value masked so the
    report does not repeat the identifier."""
    files = files or {t: f"{t}.csv" for t in raw}
    out: list[dict] = []
    for t, frame in raw.items():
        label = files.get(t, t)
        known = set(table_spec(t).index) if t in TABLES else set()
        origins = _origins(frame, label)
        for col in frame.columns:
            kind = None if col in known else _column_kind(col)
            if kind:
                if isinstance(frame.index, pd.MultiIndex):  # the sources that have the column
                    where = frame.index.get_level_values(0)[frame[col].notna().to_numpy()].unique()
                    srcs = list(where) or [label]
                else:
                    srcs = [label]
                for src in srcs:
                    out.append(_problem(src, None, col, "", f"direct identifier: column '{col}' {_NAME_KINDS[kind][2]}"))
            pos = []
            for i, v in enumerate(frame[col].tolist()):
                what = _value_kind(v)
                if what:
                    pos.append(i)
                    if len(pos) <= VALUE_HITS_LISTED:
                        src, row = origins[i]
                        out.append(_problem(src, row, col, _mask(v), what))
            if len(pos) > VALUE_HITS_LISTED:
                out.append(_problem(label, None, col, "", f"direct identifier: {len(pos) - VALUE_HITS_LISTED} more cells of "
                                                         f"column '{col}' look like identifiers (only the first "
                                                         f"{VALUE_HITS_LISTED} are listed)"))
    return _frame(out)


# --------------------------------------------------------------------------------------------
# normalisation
# --------------------------------------------------------------------------------------------

_BINARY = {"1": "1", "0": "0", "1.0": "1", "0.0": "0", "yes": "1", "no": "0", "y": "1", "n": "0",
           "true": "1", "false": "0", "sì": "1", "si": "1", "sí": "1"}
_COMMA_DECIMAL = re.compile(r"^-?\d+,\d+$")
_THOUSANDS_LIKE = re.compile(r"^-?[1-9]\d{0,2},\d{3}$")
_WEEK = re.compile(r"^(?:(?:w|wk|week|settimana|sett)\.?\s*)?(\d+)(?:\.0+)?$", re.IGNORECASE)
_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]00:00(?::00(?:\.0+)?)?)?$")
_DMY_DATE = re.compile(r"^(\d{1,2})([/.-])(\d{1,2})\2(\d{4})$")


def _key(value: str) -> str:
    return re.sub(r"[\s_\-]+", "_", str(value).strip().lower()).strip("_")


def _iso(y: int, m: int, d: int) -> str | None:
    try:
        return date(y, m, d).isoformat()
    except ValueError:
        return None


def _date_order(cells: list[str]) -> str:
    """'dmy' when the cells prove day-first order, 'mdy' when they prove month-first, else ''."""
    dm = md = False
    for c in cells:
        m = _DMY_DATE.match(c)
        if m:
            a, b = int(m.group(1)), int(m.group(3))
            dm |= a > 12 >= b
            md |= b > 12 >= a
    return "mdy" if md else ("dmy" if dm else "")


def _convert(kind: str, col: str, unit: str, allowed: tuple, cell: str, order: str):
    """The normalised text of one cell and a short reason, or (cell, None) when left as is."""
    if kind == "binary":
        new = _BINARY.get(cell.lower())
        return (new, "yes/no words and 1.0/0.0 read as 1/0") if new is not None and new != cell else (cell, None)
    if kind == "number":
        if _COMMA_DECIMAL.match(cell):
            if _THOUSANDS_LIKE.match(cell):
                return cell, None  # 1,234 could be one thousand: left for validation to report
            return cell.replace(",", "."), "decimal comma read as a decimal point"
        return cell, None
    if kind == "integer" and unit == "weeks":
        m = _WEEK.match(cell)
        if m and m.group(1) != cell:
            return str(int(m.group(1))), "week written as text (e.g. W12) read as a number"
        return cell, None
    if kind == "category":
        hits = [a for a in allowed if _key(a) == _key(cell)]
        if len(hits) == 1 and hits[0] != cell:
            return hits[0], "capitals/spaces matched to the allowed value"
        return cell, None
    if kind == "date":
        m = _ISO_DATE.match(cell)
        if m:
            new = _iso(int(m.group(1)), int(m.group(2)), int(m.group(3)))
            return (new, "date written as YYYY-MM-DD") if new and new != cell else (cell, None)
        m = _DMY_DATE.match(cell)
        if m:
            a, b, y = int(m.group(1)), int(m.group(3)), int(m.group(4))
            certain = a > 12 or a == b or (order == "dmy" and b <= 12)
            if order != "mdy" and certain:
                new = _iso(y, b, a)
                if new:
                    return new, "DD/MM/YYYY date converted to YYYY-MM-DD (order certain in this file)"
        return cell, None
    return cell, None


def normalise(raw: dict[str, pd.DataFrame], files: dict[str, str] | None = None):
    """Accept the usual variation, with certainty only; returns ``(raw, notes)`` (new frames,
    same index). Every cell is stripped of surrounding spaces; then, by codebook type:

    - binary: Yes/No, Y/N, True/False, Sì/Si/No (any capitals), 1.0/0.0 -> 1/0;
    - number: a decimal comma ``7,5`` -> ``7.5`` (cells matching ``-?digits,digits``), except
      ``1,234``-shaped cells (could be a thousands separator); ``1,234.5``, ``1.234,5`` are left;
    - weeks (integer columns in weeks): ``W12``, ``week 12``, ``settimana 12``, ``12.0`` -> ``12``;
    - category: capitals, spaces, hyphens and underscores ignored when exactly one allowed value
      matches (``Persistently active`` -> ``persistently_active``);
    - date: ``YYYY-M-D`` (and a midnight time) -> ``YYYY-MM-DD``; ``DD/MM/YYYY`` (also ``.``/``-``)
      -> ``YYYY-MM-DD`` only when the order is certain: the day is above 12, day equals month, or
      the same file has another such date with a day above 12 and none with a month position above
      12 (then the file is day-first). American-looking files are left for validation to report.

    Anything else stays as typed, so validation reports it."""
    files = files or {t: t for t in raw}
    out, notes = {}, []
    for t, frame in raw.items():
        frame = frame.copy()
        for col in frame.columns:
            frame[col] = frame[col].map(lambda v: v.strip() if isinstance(v, str) else v)
        spec = table_spec(t) if t in TABLES else pd.DataFrame()
        sources = (frame.index.get_level_values(0) if isinstance(frame.index, pd.MultiIndex)
                   else pd.Index([files.get(t, t)] * len(frame)))
        date_cols = [c for c in frame.columns if c in spec.index and spec.loc[c, "type"] == "date"]
        order = {}
        for src in sources.unique():
            cells = [v for c in date_cols for v in frame.loc[(sources == src), c] if isinstance(v, str)]
            order[src] = _date_order(cells)
            if order[src] == "mdy":
                notes.append(f"{src}: dates look month-first (MM/DD/YYYY); they are not converted: write them as YYYY-MM-DD")
        for col in frame.columns:
            if col not in spec.index:
                continue
            s = spec.loc[col]
            values = frame[col].tolist()
            changed: dict[str, list] = {}
            for i, v in enumerate(values):
                if not isinstance(v, str) or not v:
                    continue
                new, why = _convert(s["type"], col, s["unit"], s["allowed"], v, order.get(sources[i], ""))
                if why:
                    values[i] = new
                    changed.setdefault(why, []).append(v)
            if changed:
                frame[col] = pd.Series(values, index=frame.index, dtype=object)
                for why, olds in changed.items():
                    shown = ", ".join(repr(o) for o in list(dict.fromkeys(olds))[:3])
                    notes.append(f"{files.get(t, t)}, column '{col}': {len(olds)} cell(s) normalised ({why}; e.g. {shown})")
        out[t] = frame
    return out, notes


# --------------------------------------------------------------------------------------------
# warnings
# --------------------------------------------------------------------------------------------

CLINICAL_SLEDAI = (
    "sledai_seizure", "sledai_psychosis", "sledai_organic_brain_syndrome", "sledai_visual_disturbance",
    "sledai_cranial_nerve_disorder", "sledai_lupus_headache", "sledai_cerebrovascular_accident", "sledai_vasculitis",
    "sledai_arthritis", "sledai_myositis", "sledai_urinary_casts", "sledai_haematuria", "sledai_proteinuria",
    "sledai_pyuria", "sledai_rash", "sledai_alopecia", "sledai_mucosal_ulcers", "sledai_pleurisy",
    "sledai_pericarditis", "sledai_fever", "sledai_thrombocytopenia", "sledai_leukopenia",
)
EARLIEST_PLAUSIBLE_START = pd.Timestamp("2019-01-01")  # before approval (FDA 2021, EMA 2022) and early access


def plausibility_warnings(tables: dict[str, pd.DataFrame], raw: dict[str, pd.DataFrame] | None = None,
                          files: dict[str, str] | None = None) -> pd.DataFrame:
    """Plausible but unusual values of a valid cohort, as a frame like the problems (the rule
    starts with ``unusual:``). They are listed for the centre to check, never errors."""
    from .instruments import prednisone_equivalent

    files = files or {t: f"{t}.csv" for t in TABLES}
    raw = raw or {}
    out: list[dict] = []

    def add(t, mask, column, value, rule):
        frame = tables[t]
        origins = _origins(raw[t], files[t]) if t in raw and len(raw[t]) == len(frame) else _origins(frame.reset_index(drop=True), files[t])
        mask = pd.Series(mask, index=frame.index).fillna(False).to_numpy(dtype=bool)
        vals = value if isinstance(value, pd.Series) else frame[value]
        for i in np.flatnonzero(mask):
            src, row = origins[i]
            v = vals.iloc[i]
            out.append(_problem(src, row, column, "" if pd.isna(v) else str(v), rule))

    p, v, ae = tables["patients"], tables["visits"], tables["adverse_events"]
    add("patients", p["age_years"] > 90, "age_years", "age_years", "unusual: age above 90 years at anifrolumab start; check it")
    add("patients", p["disease_duration_years"] > p["age_years"], "disease_duration_years", "disease_duration_years",
        "unusual: disease duration longer than the patient's age; check both")
    add("patients", (p["weight_kg"] < 35) | (p["weight_kg"] > 150), "weight_kg", "weight_kg",
        "unusual: body weight below 35 or above 150 kg; check it (kg, not lb)")
    start = p["anifrolumab_start"]
    add("patients", (start < EARLIEST_PLAUSIBLE_START) | (start > pd.Timestamp.today()), "anifrolumab_start",
        start.dt.strftime("%Y-%m-%d"), "unusual: anifrolumab start before 2019 or in the future; check the date")

    items = [c for c in CLINICAL_SLEDAI if c in v]
    active = v[items].eq(1).any(axis=1)
    names = v[items].eq(1).apply(lambda r: ", ".join(c for c in items if r[c]), axis=1) if len(v) else pd.Series(dtype=object)
    add("visits", active & (v["pga"] == 0), "pga", "pga" if not len(v) else v["pga"].astype(str) + " with " + names,
        "unusual: a clinical SLEDAI-2K descriptor is present but PGA is 0; check PGA or the descriptor")
    try:
        pred = prednisone_equivalent(v) if len(v) else pd.Series(dtype=float)
    except ValueError:
        pred = pd.Series(np.nan, index=v.index)
    add("visits", pred > 60, "gc_dose_mg", v["gc_drug"].astype(str) + " " + v["gc_dose_mg"].astype(str) + " mg",
        "unusual: more than 60 mg/day prednisone equivalent; check drug and dose (mg per day)")
    order = v.reset_index(drop=True).sort_values(["patient_id", "week"], kind="stable")
    prev = order.groupby("patient_id")["pga"].shift()
    prev_week = order.groupby("patient_id")["week"].shift()
    rise = pd.Series(False, index=v.index)
    rise_text = pd.Series("", index=v.index, dtype=object)
    jump = (order["pga"] - prev) >= 2
    rise.iloc[order.index[jump.fillna(False).to_numpy()]] = True
    for i in order.index[jump.fillna(False).to_numpy()]:
        rise_text.iloc[i] = f"{prev[i]:g} at week {int(prev_week[i])} -> {order.loc[i, 'pga']:g} at week {int(order.loc[i, 'week'])}"
    add("visits", rise.to_numpy(), "pga", rise_text, "unusual: PGA rose by 2 or more points since the previous visit; check it")
    for item, (col, _, _, _) in SLEDAI_LAB_THRESHOLDS.items():
        add("visits", beyond_lab_threshold(v[col], item) & (v[item] == 0), col, col,
            f"unusual: {col} is beyond the SLEDAI-2K threshold but {item} is 0, so it is read as not due to "
            "lupus (a drug, an infection) and neither SLEDAI-2K nor SLE-DAS counts it; check the attribution")
    add("visits", (v["sledai_arthritis"] == 1) & (v["tender_joints"] == 0) & (v["swollen_joints"] == 0), "sledai_arthritis",
        "sledai_arthritis", "unusual: SLEDAI arthritis recorded with 0 tender and 0 swollen joints; check the joint counts")
    add("adverse_events", (ae["hospitalised"] == 1) & (ae["serious"] == 0), "serious", "serious",
        "unusual: an event that led to hospitalisation is serious by the ICH E2A definition; check 'serious'")
    ae_stop = ae["patient_id"].map(p.drop_duplicates("patient_id").set_index("patient_id")["anifrolumab_stop_week"])
    add("adverse_events", (ae["action"] == "discontinuation") & ae_stop.isna(), "action", "action",
        "unusual: the event led to discontinuation but the patient has no anifrolumab_stop_week; check both")
    return _frame(out)


# --------------------------------------------------------------------------------------------
# pseudonymisation
# --------------------------------------------------------------------------------------------

def pseudonymise(tables: dict[str, pd.DataFrame]):
    """Replace ``patient_id`` by ``P001``, ``P002``... in order of first appearance in the
    patients table (then visits and adverse events, for ids only found there) in all three tables,
    and ``event_id`` by ``E001``... in table order. Returns ``(tables, mapping)`` with
    ``mapping = {"patient_id": {original: pseudonym}, "event_id": {...}}``; the mapping is for
    the caller to keep with the source data, never to publish."""
    out = {t: f.copy() for t, f in tables.items()}

    def codes(prefix, values):
        uniq = list(dict.fromkeys(x for x in values if pd.notna(x)))
        width = max(3, len(str(len(uniq))))
        return {old: f"{prefix}{i:0{width}d}" for i, old in enumerate(uniq, start=1)}

    order = [x for t in TABLES if t in out and "patient_id" in out[t] for x in out[t]["patient_id"]]
    pmap = codes("P", order)
    for t in TABLES:
        if t in out and "patient_id" in out[t]:
            out[t]["patient_id"] = out[t]["patient_id"].map(pmap).astype(out[t]["patient_id"].dtype)
    emap = {}
    if "adverse_events" in out and "event_id" in out["adverse_events"]:
        emap = codes("E", out["adverse_events"]["event_id"])
        out["adverse_events"]["event_id"] = out["adverse_events"]["event_id"].map(emap).astype(out["adverse_events"]["event_id"].dtype)
    return out, {"patient_id": pmap, "event_id": emap}


def mapping_frame(mapping: dict) -> pd.DataFrame:
    """The pseudonym key as a table (column, original, pseudonym)."""
    rows = [(col, old, new) for col, m in mapping.items() for old, new in m.items()]
    return pd.DataFrame(rows, columns=["column", "original", "pseudonym"])


# --------------------------------------------------------------------------------------------
# the whole pipeline
# --------------------------------------------------------------------------------------------

def load_own_cohort(paths, codebook: pd.DataFrame | None = None):
    """Read one or several centres, refuse identifiers, normalise, validate, warn, pseudonymise.

    ``paths``: one path or a list (each an ``.xlsx`` workbook or a folder of the three CSVs).
    Raises :class:`CohortValidationError` listing every problem (unreadable input and direct
    identifiers stop before validation). Returns ``(tables, report)``: the typed, pseudonymised
    tables, and ``report`` with ``rows_in`` and ``rows_analysed`` per table, ``rows_excluded``
    (per table: count and reasons; nothing is dropped, so 0), ``warnings`` (a frame like the
    problems), ``notes`` (what was recognised or converted) and ``mapping`` (the pseudonym key:
    keep it with the source data, never in the book)."""
    cb = _codebook() if codebook is None else codebook
    centres = _read_all(paths, unique_ids=False)  # problems name the ids as the centre wrote them
    ids = [identifier_guard(c.raw, c.files) for c in centres]
    ids = pd.concat(ids, ignore_index=True) if ids else _frame([])
    if len(ids):
        raise CohortValidationError(ids)
    problems, checked = [], []
    for c in centres:
        raw, notes = normalise(c.raw, c.files)
        c.notes += notes
        typed, found = validate_cohort(raw, c.files, cb)
        found = renumber(found, raw, c.files)
        extra = [_problem(c.files[t], None, "", "", f"empty table: {t} has a header row but no data rows")
                 for t in ("patients", "visits") if t in raw and len(raw[t]) == 0]
        problems += [found, _frame(extra)]
        c.typed = typed
        checked.append((c, raw, typed))
    problems = pd.concat(problems, ignore_index=True)
    if len(problems):
        raise CohortValidationError(problems)
    warnings = [plausibility_warnings(typed, raw, c.files) for c, raw, typed in checked]
    _unique_ids(centres, "typed")
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
tr.note td:first-child{color:#555}"""


def write_report(problems: pd.DataFrame | None, warnings: pd.DataFrame | None, out_dir, notes=None) -> dict:
    """Write ``validation_report.csv`` and ``validation_report.html`` (a self-contained table: no
    external resources) to ``out_dir``; returns ``{"csv": path, "html": path}``."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    frame = _report_frame(problems, warnings, notes)
    csv_path, html_path = out_dir / "validation_report.csv", out_dir / "validation_report.html"
    frame.to_csv(csv_path, index=False)
    counts = frame["severity"].value_counts()
    n_err, n_warn = int(counts.get("error", 0)), int(counts.get("warning", 0))
    verdict = (f"{n_err} error(s): the data cannot be analysed until they are fixed." if n_err
               else "No errors: the data are ready for the book.")
    rows = []
    for r in frame.itertuples(index=False):
        cells = [r.severity, r.file, "" if pd.isna(r.row) else int(r.row), r.column, r.value, r.rule]
        rows.append(f'<tr class="{html.escape(str(r.severity))}">' + "".join(f"<td>{html.escape(str(c))}</td>" for c in cells) + "</tr>")
    head = "".join(f"<th>{html.escape(c)}</th>" for c in REPORT_COLUMNS)
    page = (f"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Validation report</title>"
            f"<style>{_CSS}</style></head><body>\n<h1>Validation report</h1>\n"
            f"<p>{html.escape(verdict)} {n_warn} warning(s) (unusual values to check; not errors). "
            f"Rows are numbered as the spreadsheet shows them (header = row 1).</p>\n"
            f"<table><thead><tr>{head}</tr></thead><tbody>\n" + "\n".join(rows) + "\n</tbody></table>\n</body></html>\n")
    html_path.write_text(page, encoding="utf-8")
    return {"csv": csv_path, "html": html_path}


def write_tables(tables: dict[str, pd.DataFrame], folder) -> dict:
    """Write the typed tables as the CSVs :func:`lupus_utils.data.read_cohort` reads."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = {}
    for t in TABLES:
        paths[t] = folder / f"{t}.csv"
        tables[t].to_csv(paths[t], index=False, date_format="%Y-%m-%d", encoding="utf-8")
    return paths


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m lupus_utils.ingest",
        description="Check a centre's own cohort (an .xlsx workbook or a folder of patients.csv, visits.csv, "
                    "adverse_events.csv; several for several centres), write the validation report and, when "
                    "there is no error, the pseudonymised tables for the book.")
    ap.add_argument("paths", nargs="+", type=Path, help="workbook(s) or folder(s), one per centre")
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"output folder (default {DEFAULT_OUT})")
    ap.add_argument("--key", type=Path, default=None,
                    help="also write the pseudonym key (original id -> pseudonym) to this CSV; keep it with the "
                         "source data, never in the book (not written unless asked)")
    args = ap.parse_args(argv)
    data_dir = args.out / "data"
    try:
        tables, report = load_own_cohort(args.paths)
    except CohortValidationError as err:
        for t in TABLES:  # never leave a previous run's tables for the book to pick up
            (data_dir / f"{t}.csv").unlink(missing_ok=True)
        paths = write_report(err.problems, None, args.out)
        print(format_problems(err.problems))
        print(f"\nNothing was written for the book. Full report: {paths['html']} (and {paths['csv'].name})")
        return 1
    except Exception as err:  # a bug, not the user's data: say so without a traceback
        print(f"internal error while reading the data ({type(err).__name__}: {err}); please report it", file=sys.stderr)
        return 2
    paths = write_report(None, report["warnings"], args.out, report["notes"])
    written = write_tables(tables, data_dir)
    if args.key:
        args.key.parent.mkdir(parents=True, exist_ok=True)
        mapping_frame(report["mapping"]).to_csv(args.key, index=False)
    print("No errors. Rows: " + ", ".join(f"{t} {report['rows_analysed'][t]} of {report['rows_in'][t]}" for t in TABLES)
          + " (nothing excluded).")
    for n in report["notes"]:
        print(f"  note: {n}")
    w = report["warnings"]
    if len(w):
        print(format_problems(w).replace("problem", "warning", 1).replace("found in the cohort data", "to check (not errors)"))
    print(f"Pseudonymised tables: {written['patients'].parent}/ ; report: {paths['html']}")
    print(f"Build the book from them: make book DATA={written['patients'].parent}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
