"""Use your own data: read a centre's workbook or CSV folder, refuse direct identifiers, normalise
the usual variation, validate against the codebook, warn about unusual values, pseudonymise.

The steps, in order (:func:`load_own_cohort` runs them all):

1. **read** (:func:`read_center`, :func:`read_centers`): one ``.xlsx`` workbook (sheets
   ``patients``, ``visits``, ``adverse_events``; the template's units row 2 is recognised and
   skipped) or one folder of ``patients.csv``, ``visits.csv``, ``adverse_events.csv`` (``,``/``;``
   /tab delimiter detected; UTF-8 with or without BOM, never a guessed encoding), or one REDCap
   records export (``.csv``, see :func:`lupus_utils.redcap.split_records`). Every cell stays
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
from functools import lru_cache
from datetime import date, datetime, time, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from .codebook import load_codebook
from .codebook import table_spec as _table_spec
from .instruments import CLINICAL_SLEDAI_WEIGHTS, SLEDAI_LAB_THRESHOLDS, beyond_lab_threshold
from .data import (GAP_INPUTS, PROBLEM_COLUMNS, SHOWN_LINES, CohortValidationError, _problem, capped, flag_cells,
                   format_problems, rule_counts, validate_cohort)
from .paths import BUILD_DIR, TABLES
from . import redcap
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
#: Reading problems and identifiers listed one by one per rule (or column) before the rest are counted.
VALUE_HITS_LISTED = 20
REPORT_COLUMNS = ("severity", *PROBLEM_COLUMNS)


# --------------------------------------------------------------------------------------------
# problems and provenance
# --------------------------------------------------------------------------------------------

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
    out = problems.copy()
    out["row"] = out["row"].astype("Int64")
    file_col = out["file"].to_numpy(dtype=object).copy()
    row_col = out["row"].to_numpy(dtype="float64", na_value=np.nan).copy()
    for label, t in table_of.items():
        if t not in raw:
            continue
        origins = _origins(raw[t], files[t])
        here = np.flatnonzero((out["file"] == label).to_numpy() & ~np.isnan(row_col))
        pos = row_col[here].astype("int64") - 2
        ok = (pos >= 0) & (pos < len(origins))
        for i, k in zip(here[ok], pos[ok]):
            file_col[i], row_col[i] = origins[k]
    out["file"] = file_col
    out["row"] = pd.array(np.where(np.isnan(row_col), 0, row_col).astype("int64"), dtype="Int64")
    out.loc[np.isnan(row_col), "row"] = pd.NA
    # the lines that count the unlisted cells name their first and last row: translate those too
    span = re.compile(r"\(rows (\d+)-(\d+);")
    cached: dict = {}
    for i in np.flatnonzero(out["rule"].astype(str).str.contains("more cells", regex=False).to_numpy()):
        t = table_of.get(problems["file"].iloc[i])
        m = span.search(str(out["rule"].iloc[i]))
        if t in raw and m:
            origins = cached[t] if t in cached else cached.setdefault(t, _origins(raw[t], files[t]))
            a, b = int(m.group(1)) - 2, int(m.group(2)) - 2
            if 0 <= a < len(origins) and 0 <= b < len(origins):
                out.iloc[i, out.columns.get_loc("rule")] = span.sub(f"(rows {origins[a][1]}-{origins[b][1]};",
                                                                    str(out["rule"].iloc[i]), count=1)
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


#: What Excel writes in a cell whose formula failed: an error, never a value.
EXCEL_ERRORS = frozenset({"#N/A", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#NULL!", "#SPILL!", "#CALC!",
                          "#GETTING_DATA", "#FIELD!", "#BLOCKED!", "#CONNECT!", "#BUSY!", "#UNKNOWN!"})

#: Words of a file or sheet name that say it holds people's identities (a register of persons,
#: contact lists, a pseudonym key): such input is refused, never ignored.
_PERSONAL_WORDS = {"anagrafica", "anagrafiche", "anagrafe", "anagrafico", "nomi", "names", "nominativi", "contatti",
                   "contacts", "contact", "rubrica", "recapiti", "indirizzi", "addresses", "identita", "identity",
                   "identities", "chiave", "chiavi", "key", "keys", "mapping", "linkage", "decodifica", "persons",
                   "persone", "people"}
_PERSONAL_PARTS = ("anagraf", "nominativ", "contatt", "recapit", "rubrica", "identit")


def personal_data_name(name: str, by_column_words: bool = True) -> str | None:
    """Why a file or sheet called ``name`` looks like it holds personal data, or None. With
    ``by_column_words`` the words that make a column an identifier (name, e-mail, phone...) count
    too; a centre's own workbook or folder is judged by the register words alone."""
    tokens, compact = _tokens(Path(str(name)).stem if "." in str(name) else str(name))
    hit = sorted(tokens & _PERSONAL_WORDS) or [p for p in _PERSONAL_PARTS if p in compact]
    if not hit and by_column_words and _column_kind(str(name)) in ("name", "birth", "email", "phone", "address", "tax"):
        hit = [str(name)]
    if not hit:
        return None
    return (f"personal data: '{name}' is named like a register of persons or a key to identities ('{hit[0]}'); "
            "identifying data must never be given to this tool: remove it from the input")


def _drop_empty_leading_columns(grid: list[list[str]], label: str, notes: list) -> None:
    """An empty first column (no name, no value: some exports write one) is read as absent."""
    dropped = 0
    while grid and len(grid[0]) > 1 and not grid[0][0].strip() and all(not r or not r[0].strip() for r in grid):
        for r in grid:
            if r:
                del r[0]
        dropped += 1
    if dropped:
        notes.append(f"{label}: {dropped} empty leading column(s) without a name or a value skipped")


def _grid_to_frame(grid: list[list[str]], table: str, label: str, problems: list, notes: list,
                   ragged: bool = False, reported: set = frozenset()) -> pd.DataFrame | None:
    """Rows of text cells (row 1 = header) to a frame indexed by spreadsheet row number.

    With ``ragged`` (CSV), a record with fewer or more fields than the header is an error (never
    padded), except the rows in ``reported`` (already wrong as a whole); in any input, a cell
    holding an Excel error value (``#N/A``...) is an error."""
    while grid and not any(c.strip() for c in grid[-1]):
        grid.pop()
    _drop_empty_leading_columns(grid, label, notes)
    if not grid or not any(c.strip() for c in grid[0]):
        problems.append(_problem(label, None, "", "", "empty: no header row (row 1 must hold the column names)"))
        return None
    fields = len(grid[0])
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
    short, long_, extra = [], [], []
    for n, cells in enumerate(grid[first:], start=first + 1):
        if not any(c.strip() for c in cells):
            empty += 1
            continue
        if n in reported:
            pass
        elif len(cells) > width and any(c.strip() for c in cells[width:]):
            extra.append(n)
        elif ragged and len(cells) != fields:
            (short if len(cells) < fields else long_).append((n, len(cells)))
        rows.append((list(cells[:width]) + [""] * (width - len(cells)))[:width])
        numbers.append(n)
    problems += capped([(label, n, "", "") for n in extra], "extra cells: the row has values beyond the last named column",
                       VALUE_HITS_LISTED)
    for kind, found in (("fewer", short), ("more", long_)):
        problems += capped([(label, n, "", f"{k} fields; the header has {fields}") for n, k in found],
                           f"ragged row: {kind} fields than the header; a value or a delimiter is missing or extra "
                           "(nothing is padded or cut)", VALUE_HITS_LISTED)
    if empty:
        notes.append(f"{label}: {empty} empty row(s) skipped")
    if not rows:
        notes.append(f"{label}: header only, no data rows")
    cols = [h if h else f"column {j + 1}" for j, h in enumerate(header)]
    if len(set(cols)) != len(cols):  # reported above; keep the frame readable
        cols = [f"{c} ({j + 1})" if cols.count(c) > 1 else c for j, c in enumerate(cols)]
    frame = pd.DataFrame(rows, columns=cols, index=pd.Index(numbers, name="row"), dtype=object)
    for col in frame.columns:
        codes, distinct = pd.factorize(frame[col].to_numpy(dtype=object), use_na_sentinel=True)
        is_error = np.array([isinstance(v, str) and v.strip() in EXCEL_ERRORS for v in distinct], dtype=bool)
        errors = is_error[codes] & (codes >= 0) if len(is_error) else np.zeros(len(frame), dtype=bool)
        if errors.any():
            problems.extend(flag_cells(label, errors, col, frame[col],
                                       "Excel error value: the cell holds a formula's error, not data; correct the formula "
                                       "or type the value", rows=frame.index.to_numpy()))
    return frame


def _read_csv_text(path: Path, label: str, problems: list, notes: list | None = None) -> str | None:
    """The file's text: UTF-8 (with or without BOM) or UTF-16 with its byte-order mark, which
    states the encoding. Anything else is refused with one message, never guessed."""
    data = path.read_bytes()
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError:
            problems.append(_problem(label, None, "", "", "not UTF-16: the file starts with a UTF-16 byte-order mark but "
                                                          "is not valid UTF-16 text; save the file as 'CSV UTF-8'"))
            return None
        if notes is not None:
            notes.append(f"{label}: UTF-16 text (stated by its byte-order mark) read")
        return text
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    if b"\x00" in data:
        head = data[:4096]
        zeros = max(head[0::2].count(0), head[1::2].count(0))
        wide = zeros >= len(head) // 4
        problems.append(_problem(label, None, "", "",
                                 "wide text: the file looks like UTF-16 (two bytes per character) without a byte-order "
                                 "mark; save it as 'CSV UTF-8'" if wide else
                                 "not text: the file holds NUL bytes, so it is not a CSV; export the table as 'CSV UTF-8'"))
        return None
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


_SEP_LINE = re.compile(r'^"?sep=(.)"?[,;\t]*\r?$', re.IGNORECASE)


def _csv_grid(text: str, label: str, problems: list, notes: list) -> tuple[list[list[str]], set] | tuple[None, set]:
    """Parse CSV text to rows of cells. Excel's ``sep=;`` first line sets the delimiter (and is
    not a row). A quoted field that runs over line ends (an unbalanced quote swallows the rows
    after it) is an error naming the line where it starts. Returns the rows and the spreadsheet
    rows of such records (their field count is not judged again)."""
    first, _, rest = text.partition("\n")
    m = _SEP_LINE.match(first)
    if m:
        delim, text = m.group(1), rest
        notes.append(f"{label}: Excel's 'sep={delim}' line read as the delimiter")
    else:
        delim = _sniff_delimiter(text)
    if delim != ",":
        named = {";": "semicolon", "\t": "tab"}.get(delim, repr(delim))
        notes.append(f"{label}: delimiter {named} detected")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delim)
    grid, spans, prev, off = [], [], 0, 1 if m else 0
    try:
        for rec in reader:
            start, prev = prev + 1, reader.line_num
            if prev > start and any("\n" in c or "\r" in c for c in rec):
                spans.append((len(grid) + 1, start + off, prev + off))
            grid.append(rec)
    except csv.Error as err:
        problems.append(_problem(label, None, "", "", f"unreadable CSV: {err} (near line {reader.line_num})"))
        return None, set()
    problems += capped([(label, row, "", f"lines {start}-{end}") for row, start, end in spans],
                       "quoted field over several lines: a quote opened on the first of these lines closes only on the "
                       "last, swallowing the lines between; close the quote, or remove the line break inside the cell",
                       VALUE_HITS_LISTED)
    return grid, {row for row, _, _ in spans}  # spreadsheet rows already reported as a whole


def _read_csv_folder(folder: Path, problems: list, notes: list):
    raw, files = {}, {}
    present: dict = {}
    for p in sorted(folder.iterdir()):
        if p.is_file():
            key = p.name.strip().lower()
            if key in present:
                problems.append(_problem(f"{folder.name}/{p.name}", None, "", "", f"two files for one table: '{p.name}' and "
                                         f"'{present[key].name}' differ only by capitals or spaces; keep one"))
            present.setdefault(key, p)
    for name, path in sorted(present.items()):
        why = personal_data_name(path.name)
        if why:
            problems.append(_problem(f"{folder.name}/{path.name}", None, "", "", why))
    for t in TABLES:
        files[t] = f"{folder.name}/{t}.csv"
        path = present.get(f"{t}.csv")
        if path is None:
            continue
        if path.name != f"{t}.csv":
            notes.append(f"{folder.name}/{path.name}: read as {t}.csv")
        files[t] = f"{folder.name}/{path.name}"
        text = _read_csv_text(path, files[t], problems, notes)
        if text is None:
            continue
        if not text.strip():
            problems.append(_problem(files[t], None, "", "", "empty: the file has no header row"))
            continue
        grid, spanned = _csv_grid(text, files[t], problems, notes)
        if grid is None:
            continue
        frame = _grid_to_frame(grid, t, files[t], problems, notes, ragged=True, reported=spanned)
        if frame is not None:
            raw[t] = frame
    others = sorted(n for n in present if n.endswith(".csv") and n[:-4] not in TABLES and not personal_data_name(n))
    if others:
        notes.append(f"{folder.name}: ignored file(s) {', '.join(others)} (only {', '.join(t + '.csv' for t in TABLES)} are read)")
    return raw, files


def _read_redcap(path: Path, problems: list, notes: list):
    """A REDCap records export (one CSV file): read as any CSV (encoding, delimiter, ragged rows),
    then mapped onto the three tables by :func:`lupus_utils.redcap.split_records`."""
    label = f"{path.name} (REDCap)"
    text = _read_csv_text(path, label, problems, notes)
    if text is None:
        return {}, {}
    grid, spanned = _csv_grid(text, label, problems, notes) if text.strip() else ([], set())
    header = [c.strip() for c in grid[0]] if grid else []
    if not redcap.is_records_export(header):
        problems.append(_problem(path.name, None, "", "", "not a REDCap records export: a single CSV file is read as one "
                                 "(its header has redcap_event_name), and this one is not; give the folder holding "
                                 "patients.csv, visits.csv and adverse_events.csv, or export the records from REDCap"))
        return {}, {}
    grid[0], label_headers = redcap.raw_headers(header, _codebook())  # label headers repeat "Complete?"
    frame = _grid_to_frame(grid, "redcap", label, problems, notes, ragged=True, reported=spanned)
    if frame is None:
        return {}, {}
    raw, files, more_notes, found = redcap.split_records(frame, label, _codebook(), label_headers)
    notes += more_notes
    problems += found
    return raw, files


def name_records(problems: pd.DataFrame, raw: dict[str, pd.DataFrame], files: dict[str, str]) -> pd.DataFrame:
    """Problems in a REDCap export's tables name the record and the event of their line too."""
    if problems is None or not len(problems):
        return problems
    out = problems.copy()
    for t, frame in raw.items():
        lines = frame.attrs.get("records")
        if not lines or t not in files:
            continue
        label = files[t]
        for i in np.flatnonzero((out["file"] == label).to_numpy()):
            line = out["row"].iloc[i]
            if pd.notna(line) and int(line) in lines:
                out.iloc[i, out.columns.get_loc("file")] = redcap.where(label, *lines[int(line)])
    return out


_MERGE = re.compile(rb'<(?:\w+:)?mergeCell[^>]*\bref="([A-Z]+[0-9]+:[A-Z]+[0-9]+)"')
_FORMULA = re.compile(rb"<(?:\w+:)?f[ >/]")


def _sheet_xml_findings(zf, member: str) -> tuple[list[str], list[str]]:
    """Merged ranges and formula cells without a cached value in one sheet's XML (streamed)."""
    import xml.etree.ElementTree as ET

    merged: list[str] = []
    has_formula = False
    tail = b""
    with zf.open(member) as fh:
        while chunk := fh.read(1 << 20):
            buf = tail + chunk
            has_formula = has_formula or bool(_FORMULA.search(buf))
            merged += [r.decode() for r in _MERGE.findall(buf)]
            tail = buf[-200:]
    merged = list(dict.fromkeys(merged))
    uncalculated: list[str] = []
    if has_formula:
        def local(tag):  # the element name whatever its namespace prefix
            return tag.rsplit("}", 1)[-1]

        with zf.open(member) as fh:
            for _, el in ET.iterparse(fh):
                if local(el.tag) == "c":
                    kids = {local(k.tag): k for k in el}
                    v = kids.get("v")
                    if "f" in kids and (v is None or v.text is None) and "is" not in kids:
                        uncalculated.append(el.get("r", "?"))
                    el.clear()
    return merged, uncalculated


def _read_workbook(path: Path, problems: list, notes: list):
    import zipfile

    from openpyxl import load_workbook

    raw, files = {}, {t: f"{path.name}, sheet {t}" for t in TABLES}
    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception as err:  # zipfile.BadZipFile, InvalidFileException, KeyError, ...
        problems.append(_problem(path.name, None, "", "", f"unreadable workbook: not a valid .xlsx file ({type(err).__name__})"))
        return raw, files
    try:
        zf = zipfile.ZipFile(path)
        sheets = {}
        for ws in wb.worksheets:
            key = ws.title.strip().lower()
            if key in sheets:
                problems.append(_problem(f"{path.name}, sheet {ws.title}", None, "", "",
                                         f"two sheets for one table: '{ws.title}' and '{sheets[key].title}' differ only by "
                                         "capitals or spaces; keep one"))
                continue
            sheets[key] = ws
        for key, ws in sheets.items():
            label = f"{path.name}, sheet {ws.title}"
            why = personal_data_name(ws.title)
            if why:
                problems.append(_problem(label, None, "", "", why))
            if ws.sheet_state != "visible":
                try:
                    ws.reset_dimensions()
                    holds = any(v not in (None, "") for row in ws.iter_rows(values_only=True) for v in row)
                except Exception:  # noqa: BLE001 - a damaged hidden sheet is reported as one
                    holds = True
                if holds:
                    problems.append(_problem(label, None, "", "", f"hidden sheet: '{ws.title}' is {ws.sheet_state} and holds "
                                                                "data; unhide it and move what belongs to the cohort into the "
                                                                "named sheets, or delete it"))
                else:
                    notes.append(f"{label}: hidden ({ws.sheet_state}) and empty; ignored")
        for t in TABLES:
            ws = sheets.get(t)
            if ws is None or ws.sheet_state != "visible":
                continue
            label = files[t] = f"{path.name}, sheet {ws.title}"
            try:
                stored = ws.max_row if ws.max_row is not None else None
                ws.reset_dimensions()  # the stored dimension may be stale: read every row there is
                grid = [[_cell_text(v) for v in row] for row in ws.iter_rows(values_only=True)]
                merged, uncalculated = _sheet_xml_findings(zf, ws._worksheet_path.lstrip("/"))
            except Exception as err:  # noqa: BLE001 - damaged XML in one sheet is the user's file, not a bug
                problems.append(_problem(label, None, "", "", f"unreadable sheet: the sheet's content is damaged "
                                                              f"({type(err).__name__}); open the workbook in Excel, save it "
                                                              "again, and retry"))
                continue
            width = max((len(r) for r in grid), default=0)
            grid = [list(r) + [""] * (width - len(r)) for r in grid]
            if stored is not None and len(grid) > stored:
                notes.append(f"{label}: the workbook's stored size says {stored} rows but the sheet has {len(grid)}; "
                             "every row was read")
            header = [c.strip() for c in grid[0]] if grid else []
            problems += capped([(label, _ref_row(ref), _ref_column(ref, header), ref) for ref in merged],
                               "merged cells: the range is merged, so it holds one value for several cells; unmerge it "
                               "and type the value in every cell", VALUE_HITS_LISTED)
            problems += capped([(label, _ref_row(ref), _ref_column(ref, header), ref) for ref in uncalculated],
                               "formula not calculated: the cell holds a formula saved without its value; open and save "
                               "the workbook in Excel", VALUE_HITS_LISTED)
            frame = _grid_to_frame(grid, t, label, problems, notes)
            if frame is not None:
                raw[t] = frame
        ignored = [ws.title for key, ws in sheets.items()
                   if key not in TABLES and key != "readme" and ws.sheet_state == "visible" and not personal_data_name(ws.title)]
        if ignored:
            notes.append(f"{path.name}: ignored sheet(s) {', '.join(ignored)}")
    finally:
        wb.close()
    return raw, files


def _ref_column(ref: str, header: list[str]) -> str:
    """The column name (row 1) of a cell reference such as ``E4`` or ``E4:E9``, else the letters."""
    letters = re.match(r"[A-Z]*", ref).group(0)
    j = 0
    for ch in letters:
        j = j * 26 + ord(ch) - 64
    return header[j - 1] if 0 < j <= len(header) and header[j - 1] else letters


def _ref_row(ref: str) -> int | None:
    m = re.match(r"[A-Z]+([0-9]+)", ref)
    return int(m.group(1)) if m else None


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
    """Read one centre: an ``.xlsx`` workbook, a folder of the three CSV files, or a folder holding
    one workbook (read as that workbook; a folder with a workbook and CSV tables is an error).

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
    if path.exists() and personal_data_name(path.name, by_column_words=False):
        problems.append(_problem(path.name, None, "", "", personal_data_name(path.name, by_column_words=False)))
    if not path.exists():
        problems.append(_problem(str(path), None, "", "", "not found: no such file or folder"))
    elif path.is_dir():
        books = sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in WORKBOOK_SUFFIXES
                       and not p.name.startswith("~$"))  # Excel's lock files are not workbooks
        tables_csv = sorted(p.name for p in path.iterdir() if p.is_file() and p.name.strip().lower() in
                            {f"{t}.csv" for t in TABLES})
        if books and tables_csv:
            problems.append(_problem(path.name, None, "", "", f"the folder holds both a workbook ({', '.join(b.name for b in books)}) "
                                     f"and CSV tables ({', '.join(tables_csv)}): keep one form of the data, or give the "
                                     "workbook itself"))
        elif len(books) > 1:
            problems.append(_problem(path.name, None, "", "", f"the folder holds {len(books)} workbooks "
                                     f"({', '.join(b.name for b in books)}): give one workbook per centre"))
        elif books:
            notes.append(f"{path.name}: a folder holding one workbook, read as {books[0].name}")
            raw, files = _read_workbook(books[0], problems, notes)
        else:
            raw, files = _read_csv_folder(path, problems, notes)
    elif path.suffix.lower() in WORKBOOK_SUFFIXES:
        raw, files = _read_workbook(path, problems, notes)
    elif path.suffix.lower() == ".csv":
        raw, files = _read_redcap(path, problems, notes)
    else:
        problems.append(_problem(path.name, None, "", "", "unsupported input: give one .xlsx workbook, one folder holding "
                                 "patients.csv, visits.csv and adverse_events.csv, or one REDCap records export (.csv) "
                                 "(.xls/.ods: save as .xlsx)"))
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
    problems.append(_frame(_same_inputs(paths)))
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
    problems = [f for f in problems if len(f)]
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


def _content_digest(path: Path) -> str | None:
    """SHA-256 of what is read from an input: the workbook's bytes, or the folder's table files."""
    import hashlib

    h = hashlib.sha256()
    if path.is_file():
        with open(path, "rb") as fh:
            while chunk := fh.read(1 << 20):
                h.update(chunk)
        return h.hexdigest()
    if path.is_dir():
        present = {q.name.lower(): q for q in path.iterdir() if q.is_file()}
        for t in TABLES:
            q = present.get(f"{t}.csv")
            h.update(t.encode() + b"\0" + (q.read_bytes() if q else b"(absent)") + b"\0")
        return h.hexdigest()
    return None


def _same_inputs(paths: list[Path]) -> list[dict]:
    """The same file or folder given twice, or two inputs with identical content: an error each
    (the cohort would otherwise hold every patient twice)."""
    out, by_path, by_digest = [], {}, {}
    for p in paths:
        key = p.resolve()
        if key in by_path:
            out.append(_problem(p.name, None, "", "", f"given twice: '{p}' is the same input as '{by_path[key]}'; "
                                                       "give each centre once"))
            continue
        by_path[key] = p
        digest = _content_digest(p) if p.exists() else None
        if digest and digest in by_digest:
            out.append(_problem(p.name, None, "", "", f"identical content: '{p}' holds exactly the same data as "
                                                       f"'{by_digest[digest]}' (the same centre given twice?); give each "
                                                       "centre once"))
        elif digest:
            by_digest[digest] = p
    return out


def _same_patients(centres: list[_Centre]) -> list[dict]:
    """Two centres whose patients tables hold the same rows (the same centre exported twice, say
    as a workbook and as CSVs): an error."""
    out, seen = [], {}
    for c in centres:
        p = c.raw.get("patients")
        if p is None or not len(p):
            continue
        body = p.drop(columns=[x for x in ("center",) if x in p]).reset_index(drop=True)
        body = body.reindex(sorted(body.columns), axis=1).astype(str)
        key = (tuple(body.columns), pd.util.hash_pandas_object(body, index=False).sum())
        if key in seen:
            out.append(_problem(c.files["patients"], None, "", "",
                                f"the same patients: this table holds exactly the rows of {seen[key]} (the same centre "
                                "given twice?); give each centre once"))
        else:
            seen[key] = c.files["patients"]
    return out


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
_EMAIL = re.compile(r"[^@\s,;<>()\[\]]{1,64}@[^@\s,;<>()\[\]]{1,255}\.[A-Za-z]{2,}")
_PHONE_INTL = re.compile(r"(?:\+|\b00)\s?39[\s./-]?\d(?:[\s./-]?\d){5,10}\b")
_PHONE_MOBILE = re.compile(r"^\s*3\d{2}[\s./-]?\d{3}[\s./-]?\d{3,4}\s*$")
#: inside a sentence: a run of digits, spaces and ./-() that holds 9-11 digits and starts like an
#: Italian mobile (3..) or landline (0..), e.g. "333 12 34 567", "(06) 4997 1234", "050 992111"
_PHONE_RUN = re.compile(r"(?<![\w.,/])\(?[03]\d*\)?(?:[\s./-]{0,2}\(?\d+\)?)+")
_MONTHS = (r"gen(?:naio)?|feb(?:braio)?|mar(?:zo)?|apr(?:ile)?|mag(?:gio)?|giu(?:gno)?|lug(?:lio)?|ago(?:sto)?|"
           r"set(?:tembre)?|ott(?:obre)?|nov(?:embre)?|dic(?:embre)?|jan(?:uary)?|february|march|april|may|june?|"
           r"july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|december|dec")
_DATE_IN_TEXT = re.compile(rf"(?<!\d)(?:(\d{{1,2}})[/.-](\d{{1,2}})[/.-](\d{{4}}|\d{{2}})|(\d{{4}})-(\d{{1,2}})-(\d{{1,2}})"
                           rf"|(\d{{1,2}})\s+(?:{_MONTHS})\.?\s+(\d{{4}}))(?!\d)", re.IGNORECASE)
_MONTH_YEAR = re.compile(r"(?<![\d/.-])(?:0?[1-9]|1[0-2])[\s/.-](?:19|20)\d\d(?![\d/.-])")
_BIRTH_WORDS = re.compile(r"\b(?:nat[oa]|nascita|born|birth|dob|d\.o\.b|ddn)\b", re.IGNORECASE)
_NAME_WORD = r"(?:[A-ZÀ-Ý][a-zà-ÿ']+|[A-ZÀ-Ý']{2,})"
_HONORIFIC = re.compile(rf"\b(?:(?i:sig|sig\.ra|sigra|signora|signor|dott|dott\.ssa|dottssa|prof|prof\.ssa)|Mr|Mrs|Ms|Miss|Dr)"
                        rf"\.?\s+{_NAME_WORD}")
#: common first names (Italian registry top names, and English ones): a first name beside a
#: capitalised word reads as a person's name in free text
FIRST_NAMES = frozenset("""
maria anna giuseppe giovanni antonio mario luigi francesco angela giovanna rosa angelo pietro salvatore carlo franco
domenico bruno paolo michele giorgio aldo sergio giuliana luciano teresa lucia carmela vincenzo roberto stefano andrea
marco alessandro luca giulia francesca chiara sara laura elena paola silvia federica valentina martina alessandra
simona barbara monica cristina elisa roberta daniela patrizia antonella rita grazia caterina elisabetta lorenza
claudia raffaella gabriella emanuela sofia aurora ginevra alice giorgia beatrice ludovica matteo lorenzo leonardo
riccardo davide gabriele tommaso edoardo federico filippo simone nicola fabio massimo enrico alberto emanuele
daniele gianluca claudio alessio cristian manuela loredana nadia tiziana carla serena ilaria veronica erika eleonora
ciro gennaro pasquale concetta assunta giacomo marta irene mattia raffaele gaetano rocco carmine nunzia immacolata
annunziata filomena vittoria agnese noemi viola greta camilla bianca arianna rebecca asia anita margherita adele
emma olga ida lina pina rina gina tina nicoletta ornella mirella rossella donatella gabriele dario diego samuele
christian jacopo pietro ettore umberto renato vittorio alfredo arturo guido enzo elio ugo silvio walter ivan
emilio giulio cesare ottavio fausto flavio marcello maurizio fabrizio massimiliano gianni gianfranco piero
john james robert michael william david richard joseph thomas charles mary patricia jennifer linda elizabeth susan
jessica sarah karen nancy lisa margaret emily olivia sophia
""".split())
#: name-like words that are places or institutions in clinical text ("Ospedale Luigi Sacco")
_INSTITUTION_CONTEXT = re.compile(r"\b(?:ospedale|hospital|policlinico|presidio|istituto|clinica|fondazione|asl|asst|"
                                  r"irccs|aou|ao|santa|santo|san|via|piazza|viale)\b", re.IGNORECASE)


def _name_pairs(text: str) -> list[str]:
    """A first name beside a capitalised or all-capitals word, either way round ("Maria Rossi",
    "ROSSI MARIA", "Rossi Maria", "Anna BIANCHI"), outside a hospital's or street's name."""
    words = list(re.finditer(r"[A-Za-zÀ-ÿ']+", text))
    out = []
    for x, y in zip(words, words[1:]):
        a, b = x.group(0), y.group(0)
        if not text[x.end():y.start()].strip() in ("", ","):
            continue
        for first, other in ((a, b), (b, a)):
            if (first.lower() in FIRST_NAMES and first[:1].isupper() and re.fullmatch(_NAME_WORD, other)
                    and other.lower() not in FIRST_NAMES | {"de", "di", "da", "del", "della"} | _MEDICAL_CAPITALS):
                if not _INSTITUTION_CONTEXT.search(text[max(0, x.start() - 25): y.end()]):
                    out.append(f"{a} {b}")
                break
    return out


#: capitalised or upper-case words of clinical text that are never a surname beside a first name
_MEDICAL_CAPITALS = frozenset({"covid", "sle", "les", "aps", "hcq", "mmf", "aza", "mtx", "ivu", "uti", "tvp", "dvt", "ep",
                               "pe", "sars", "cov", "zoster", "herpes", "lupus", "nephritis", "nefrite", "virus"})


def _birth_dates(text: str) -> list[str]:
    """Full dates in free text that may be a date of birth: after a birth word, or before 1980
    (earlier than any event of anifrolumab's treatment could be dated in an adverse-event term)."""
    out = []
    this_year = date.today().year
    for m in _DATE_IN_TEXT.finditer(text):
        year = int(m.group(3) or m.group(4) or m.group(8))
        if year < 100:
            year += 1900 if year > this_year % 100 else 2000
        near = _BIRTH_WORDS.search(text[max(0, m.start() - 25): m.start()])
        if near or 1900 <= year < 1980:
            out.append(m.group(0))
    return out


def _phones(text: str) -> list[str]:
    """Phone numbers inside a sentence: a run of 9-11 digits (6-11 for a landline starting 0) with
    spaces, dots, dashes or brackets, that is not a date or a month and year."""
    skip = [m.span() for m in _DATE_IN_TEXT.finditer(text)] + [m.span() for m in _MONTH_YEAR.finditer(text)]
    out = []
    for m in _PHONE_RUN.finditer(text):
        run = m.group(0).rstrip(" ./-")
        digits = sum(ch.isdigit() for ch in run)
        first = next((ch for ch in run if ch.isdigit()), "")
        if any(a <= m.start() < b for a, b in skip):
            continue
        if (first == "3" and 9 <= digits <= 11) or (first == "0" and 6 <= digits <= 11 and len(run) > digits - 1
                                                    and not re.fullmatch(r"0[.,]\d+", run)):
            out.append(run)
    return out


def free_text_identifiers(text: str, patient_ids: frozenset = frozenset()) -> list[tuple[str, str]]:
    """What in a free-text cell identifies a person: ``(kind, hit)`` pairs for a codice fiscale,
    an e-mail address, a phone number (mobile, landline or +39), a date of birth, a person's
    name (honorific and name, or a first name beside a surname, either way round) and a patient
    id of the input (which pseudonymisation would otherwise leak)."""
    if not isinstance(text, str) or len(text) < 3:
        return []
    found = []
    found += [("a codice fiscale", m.group(0)) for m in _CF.finditer(text)]
    found += [("an e-mail address", m.group(0)) for m in _EMAIL.finditer(text)] if "@" in text else []
    found += [("a phone number", m.group(0)) for m in _PHONE_INTL.finditer(text)]
    found += [("a phone number", p) for p in _phones(text)]
    found += [("a date of birth", d) for d in _birth_dates(text)]
    found += [("a person's name", m.group(0)) for m in _HONORIFIC.finditer(text)]
    found += [("a person's name", n) for n in _name_pairs(text)]
    if patient_ids:
        found += [("a patient id of the input", tok) for tok in re.findall(r"[A-Za-z0-9][A-Za-z0-9_./-]*[A-Za-z0-9]", text)
                  if tok in patient_ids]
    return found


_ID_WITH_TEXT = re.compile(r"[\s@/()]")


def name_like_id(value) -> bool:
    """A patient_id that reads as a person's name or initials: two or more words of 3+ letters
    with a first name among them, or with no digit in the id (``Maria Rossi``, ``ROSSI MARIA
    1985``, ``rossi.maria``); one word of 4+ letters and nothing else (``Rossi``); a first name
    alone; initials with dots (``M.R.``)."""
    if not isinstance(value, str):
        return False
    v = value.strip()
    if re.fullmatch(r"[A-ZÀ-Ý]\.\s?[A-ZÀ-Ý]\.?|[A-ZÀ-Ý]\s[A-ZÀ-Ý]", v):
        return True
    words = re.findall(r"[A-Za-zÀ-ÿ']+", v)
    long_words = [w for w in words if len(w) >= 3]
    has_digit = any(ch.isdigit() for ch in v)
    separated = bool(re.search(r"[A-Za-zÀ-ÿ'][\s.,_-]+[A-Za-zÀ-ÿ']", v))  # words apart, not glued by digits
    if len(long_words) >= 2 and separated:
        return any(w.lower() in FIRST_NAMES for w in long_words) or not has_digit
    if len(words) == 1 and not has_digit and re.fullmatch(r"[A-Za-zÀ-ÿ']+", v):
        if v.lower() in ("null", "none", "true", "false", "missing", "unknown", "test"):
            return False  # a placeholder, not a name (reported as what it is by validation)
        return v.lower() in FIRST_NAMES or len(v) >= 4
    # a surname with initials ("Rossi, M.", "M. Rossi")
    return (not has_digit and len(long_words) == 1 and len(words) >= 2 and all(len(w) == 1 for w in words if w not in long_words)
            and bool(re.fullmatch(_NAME_WORD, long_words[0])))


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


def _input_patient_ids(raw: dict[str, pd.DataFrame]) -> frozenset:
    """The patient ids written in the input, as long and specific as an id must be to be
    recognised inside a sentence (3+ characters, with a letter or 4+ characters)."""
    ids = set()
    for t in TABLES:
        f = raw.get(t)
        if f is not None and "patient_id" in f:
            ids |= {str(x).strip() for x in pd.unique(f["patient_id"].to_numpy(dtype=object)) if isinstance(x, str)}
    return frozenset(i for i in ids if len(i) >= 3 and (len(i) >= 4 or any(ch.isalpha() for ch in i)))


def _free_text_columns(table: str, columns) -> list[str]:
    """Free-text columns: codebook string columns that are not identifiers, and every column
    the codebook does not know (a 'note' column may hold anything)."""
    spec = table_spec(table) if table in TABLES else pd.DataFrame(columns=["type"])
    known = set(spec.index)
    return [c for c in columns if c not in known
            or (spec.loc[c, "type"] == "string" and c not in ("patient_id", "event_id"))]


def identifier_guard(raw: dict[str, pd.DataFrame], files: dict[str, str] | None = None,
                     patient_ids: frozenset | None = None) -> pd.DataFrame:
    """Direct identifiers in the input, as problems (file, row, column, value, rule).

    - Column names that look like names, birth dates, contact details, record numbers or tax
      codes are reported once per column (codebook columns are never flagged by name).
    - Cells anywhere that look like a codice fiscale (omocodia included), an e-mail address or a
      phone number are reported one by one.
    - Free-text cells (terms, and any column the codebook does not know) are searched inside
      their sentences for those, for landline numbers, dates of birth, people's names and the
      input's own patient ids (``patient_ids``; by default those of ``raw``).
    - A ``patient_id`` that reads as a person's name is refused.

    The first 20 hits of each column are listed, then a count; values are masked so that the
    report does not repeat the identifier. Each column's distinct values are judged once."""
    files = files or {t: f"{t}.csv" for t in raw}
    ids = _input_patient_ids(raw) if patient_ids is None else patient_ids
    out: list[dict] = []
    for t, frame in raw.items():
        label = files.get(t, t)
        known = set(table_spec(t).index) if t in TABLES else set()
        origins = None
        free = set(_free_text_columns(t, frame.columns))
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
                continue  # the whole column is refused: its cells are not listed one by one
            values = frame[col].to_numpy(dtype=object)
            verdict: dict = {}
            distinct = pd.unique(values)
            if col not in free and col != "patient_id":
                # a whole-cell identifier has 16+ characters (codice fiscale), an '@' or a 3 (phones):
                # only such distinct cells are looked at
                distinct = [v for v in distinct if type(v) is str and (len(v) >= 16 or "@" in v or "3" in v)]
            for v in distinct:
                if not isinstance(v, str) or not v.strip():
                    continue
                rule = _value_kind(v)
                masked = None
                if rule is None and col in free:
                    hits = free_text_identifiers(v, ids)
                    if hits:
                        kinds = list(dict.fromkeys(k for k, _ in hits))
                        masked = "; ".join(dict.fromkeys(_mask(h) for _, h in hits))
                        where = "a column the codebook does not know" if col not in known else "free text"
                        rule = (f"direct identifier: the text holds {' and '.join(kinds)} ({where}); "
                                "remove it: free text must not identify anyone")
                if rule is None and col == "patient_id":
                    # a date, phone or name inside an id needs a space or a separator ("Bianchi A. 12/03/1970")
                    hits = ([(k, h) for k, h in free_text_identifiers(v) if k != "a patient id of the input"]
                            if _ID_WITH_TEXT.search(v) else [])
                    if name_like_id(v) or hits:
                        kinds = list(dict.fromkeys(k for k, _ in hits)) or ["a person's name or initials"]
                        rule = (f"direct identifier: the patient_id reads as {' and '.join(kinds)}; replace it with a "
                                "pseudonymous patient_id (e.g. P001) and keep the key outside the file")
                if rule:
                    verdict[v] = (masked or _mask(v), rule)
            if not verdict:
                continue
            hit = pd.Series(values).isin(list(verdict)).to_numpy()
            pos = np.flatnonzero(hit)
            origins = origins or _origins(frame, label)
            for i in pos[:VALUE_HITS_LISTED]:
                src, row = origins[i]
                masked, rule = verdict[values[i]]
                out.append(_problem(src, row, col, masked, rule))
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


@lru_cache(maxsize=1 << 16)
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


def _convertible(distinct: np.ndarray, kind: str, unit: str, allowed: tuple) -> np.ndarray:
    """The distinct cells :func:`_convert` may change, picked by vectorised tests (a registry
    column of junk has hundreds of thousands of distinct cells; most cannot be converted)."""
    text = pd.Series(distinct, dtype=object)
    text = text[text.map(type) == str]
    if kind == "binary":
        keep = text.str.lower().isin(list(_BINARY)) & ~text.isin(["0", "1"])
    elif kind == "number":
        keep = text.str.contains(",", regex=False)
    elif kind == "integer" and unit == "weeks":
        keep = ~text.str.fullmatch(r"\d+")
    elif kind == "category":
        keep = ~text.isin(list(allowed))
    elif kind == "date":
        keep = ~text.str.fullmatch(r"\d{4}-\d{2}-\d{2}")
    else:
        return text.iloc[0:0].to_numpy()
    return text[keep.fillna(False).to_numpy(dtype=bool)].to_numpy()


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
            codes, distinct = pd.factorize(frame[col].to_numpy(dtype=object), use_na_sentinel=True)
            stripped = np.array([v.strip() if isinstance(v, str) else v for v in distinct], dtype=object)
            if len(stripped) and (stripped != distinct).any():  # each distinct cell stripped once
                values = stripped[np.where(codes >= 0, codes, 0)] if len(stripped) else stripped
                values[codes < 0] = None
                frame[col] = pd.Series(values, index=frame.index, dtype=object)
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
            values = frame[col].to_numpy(dtype=object)
            # each distinct cell is judged once (per source file for dates, whose order is per file)
            groups = [(sources == src, order.get(src, "")) for src in sources.unique()] if s["type"] == "date" \
                else [(np.ones(len(values), dtype=bool), "")]
            new_values = values.copy()
            changed: dict[str, list] = {}
            for where, file_order in groups:
                part = values[where]
                conversion = {}
                kind, unit, allowed = s["type"], s["unit"], s["allowed"]
                for v in _convertible(pd.unique(part), kind, unit, allowed):
                    if isinstance(v, str) and v:
                        new, why = _convert(kind, col, unit, allowed, v, file_order)
                        if why:
                            conversion[v] = (new, why)
                if not conversion:
                    continue
                hit = pd.Series(part).isin(list(conversion)).to_numpy()
                idx = np.flatnonzero(where)[hit]
                olds = values[idx]
                new_values[idx] = [conversion[v][0] for v in olds]
                for why, group in pd.Series(olds).groupby([conversion[v][1] for v in olds], sort=False):
                    changed.setdefault(why, []).extend(group.tolist())
            if changed:
                frame[col] = pd.Series(new_values, index=frame.index, dtype=object)
                for why, olds in changed.items():
                    shown = ", ".join(repr(o) for o in list(dict.fromkeys(olds))[:3])
                    notes.append(f"{files.get(t, t)}, column '{col}': {len(olds)} cell(s) normalised ({why}; e.g. {shown})")
        out[t] = frame
    return out, notes


_THOUSANDS_POINT = re.compile(r"^-?\d{1,3}(?:\.\d{3})+$")


def ambiguous_separators(raw: dict[str, pd.DataFrame], files: dict[str, str] | None = None,
                         decimal_comma: bool = False) -> pd.DataFrame:
    """Numbers whose reading depends on a guess, as problems: in a centre that writes decimals
    with a comma (one of its number cells, in any of its tables, has a decimal comma; or the
    caller says so, e.g. for semicolon-delimited files), ``1.250`` may be 1.25 or 1250. The
    message shows both readings; nothing is chosen. Run on the cells as the centre wrote them."""
    files = files or {t: t for t in raw}
    out: list[dict] = []
    numeric = {}
    for t, frame in raw.items():
        if t in TABLES:
            spec = table_spec(t)
            numeric[t] = [c for c in frame.columns if c in spec.index and spec.loc[c, "type"] in ("number", "integer")]

    def matches(frame, c, pattern):  # each distinct cell matched once
        codes, distinct = pd.factorize(frame[c].to_numpy(dtype=object), use_na_sentinel=True)
        hit = np.array([isinstance(v, str) and bool(pattern.fullmatch(v.strip())) for v in distinct], dtype=bool)
        return hit[codes] & (codes >= 0) if len(hit) else np.zeros(len(codes), dtype=bool)

    if not decimal_comma:
        decimal_comma = any(matches(raw[t], c, _COMMA_DECIMAL).any() for t, cols in numeric.items() for c in cols)
    if not decimal_comma:
        return _frame(out)
    for t, cols in numeric.items():
        frame = raw[t]
        origins = _origins(frame, files.get(t, t))
        for c in cols:
            hits = []
            for i in np.flatnonzero(matches(frame, c, _THOUSANDS_POINT)):
                v = str(frame[c].iloc[i]).strip()
                point = f"{float(v):g}" if v.count(".") == 1 else "no number"
                hits.append((*origins[i], c, f"{v}: {point} with a decimal point, {v.replace('.', '')} with a thousands point"))
            out += capped(hits, "ambiguous number: the two readings differ (the value shows both), and this centre "
                                "writes decimals with a comma; write it without a thousands mark or with a decimal "
                                "comma", VALUE_HITS_LISTED)
    return _frame(out)


# --------------------------------------------------------------------------------------------
# warnings
# --------------------------------------------------------------------------------------------

CLINICAL_SLEDAI = tuple(CLINICAL_SLEDAI_WEIGHTS)  # the descriptors a physician scores at the visit
EARLIEST_PLAUSIBLE_START = pd.Timestamp("2019-01-01")  # before approval (FDA 2021, EMA 2022) and early access


def plausibility_warnings(tables: dict[str, pd.DataFrame], raw: dict[str, pd.DataFrame] | None = None,
                          files: dict[str, str] | None = None) -> pd.DataFrame:
    """Plausible but unusual values of a valid cohort, and gaps, as a frame like the problems (the
    rule starts with ``unusual:`` or ``missing input:``). They are listed for the centre to check,
    never errors."""
    from .instruments import prednisone_equivalent

    files = files or {t: f"{t}.csv" for t in TABLES}
    raw = raw or {}
    out: list[dict] = []

    def add(t, mask, column, value, rule):
        frame = tables[t]
        origins = _origins(raw[t], files[t]) if t in raw and len(raw[t]) == len(frame) else _origins(frame.reset_index(drop=True), files[t])
        mask = pd.Series(mask, index=frame.index).astype("boolean").fillna(False).to_numpy(dtype=bool)
        vals = value if isinstance(value, pd.Series) else frame[value]
        for src in dict.fromkeys(o[0] for o in origins):  # each source file with its own rows
            here = mask & np.array([o[0] == src for o in origins], dtype=bool) if len({o[0] for o in origins}) > 1 else mask
            out.extend(flag_cells(src, here, column, vals, rule, rows=[o[1] for o in origins]))

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
    present = v[items].eq(1).fillna(False)
    odd = present.any(axis=1) & (v["pga"] == 0)
    names = pd.Series("", index=v.index, dtype=object)
    flagged = present[odd.fillna(False)]
    names[flagged.index] = [", ".join(c for c, on in zip(items, r) if on) for r in flagged.to_numpy(dtype=bool)]
    add("visits", odd, "pga", "pga" if not len(v) else v["pga"].astype(str) + " with " + names,
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
    at = order.index[jump.fillna(False).to_numpy()]
    rise.iloc[at] = True
    rise_text.iloc[at] = [f"{a:g} at week {int(b)} -> {c:g} at week {int(d)}" for a, b, c, d in
                          zip(prev[at], prev_week[at], order.loc[at, "pga"], order.loc[at, "week"])]
    add("visits", rise.to_numpy(), "pga", rise_text, "unusual: PGA rose by 2 or more points since the previous visit; check it")
    for item, (col, _, _, _) in SLEDAI_LAB_THRESHOLDS.items():
        add("visits", beyond_lab_threshold(v[col], item) & (v[item] == 0), col, col,
            f"unusual: {col} is beyond the SLEDAI-2K threshold but {item} is 0, so it is read as not due to "
            "lupus (a drug, an infection) and neither SLEDAI-2K nor SLE-DAS counts it; check the attribution")
    add("visits", (v["sledai_arthritis"] == 1) & (v["tender_joints"] == 0) & (v["swollen_joints"] == 0), "sledai_arthritis",
        "sledai_arthritis", "unusual: SLEDAI arthritis recorded with 0 tender and 0 swollen joints; check the joint counts")
    assessed = v["treatment_status"] != "discontinued"  # a visit off the drug is never assessed for efficacy
    for col, (_, unknown) in GAP_INPUTS.items():
        if col in v:
            add("visits", v[col].isna() & assessed, col, col, f"missing input: {col} is not recorded; unknown at this visit: {unknown} "
                                                   "(counted as missing, never as 0)")
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
            self.problems.append(_frame([_problem(label, None, "", "", f"internal error: the check '{name}' failed on this "
                                                                        f"input ({type(err).__name__}: {err}); the data could "
                                                                        "not be judged. Please report it with this line")]))
            return default


def _raise_if_any(problems: list[pd.DataFrame]) -> None:
    found = [f for f in problems if len(f)]
    if found:
        raise CohortValidationError(pd.concat(found, ignore_index=True))


def load_own_cohort(paths, codebook: pd.DataFrame | None = None):
    """Read one or several centres, refuse identifiers, normalise, validate, warn, pseudonymise.

    ``paths``: one path or a list (each an ``.xlsx`` workbook or a folder of the three CSVs).
    Raises :class:`CohortValidationError` listing every problem (unreadable input and direct
    identifiers stop before validation; a check that fails unexpectedly is a problem naming the
    input and the check). Returns ``(tables, report)``: the typed, pseudonymised tables, and
    ``report`` with ``rows_in`` and ``rows_analysed`` per table, ``rows_excluded`` (per table:
    count and reasons; nothing is dropped, so 0), ``warnings`` (a frame like the problems),
    ``notes`` (what was recognised or converted) and ``mapping`` (the pseudonym key: keep it with
    the source data, never in the book)."""
    cb = _codebook() if codebook is None else codebook
    centres = _read_all(paths, unique_ids=False)  # problems name the ids as the centre wrote them
    problems: list[pd.DataFrame] = []
    stage = _Stage(problems)
    ids = _input_patient_ids({t: f for c in centres for t, f in c.raw.items()}) if centres else frozenset()
    for c in centres:
        found = stage("identifier guard", c.files["patients"], identifier_guard, c.raw, c.files, ids, default=_frame([]))
        problems.append(name_records(found, c.raw, c.files))
    problems.append(_frame(_same_patients(centres)))
    _raise_if_any(problems)
    checked = []
    for c in centres:
        label = c.files["patients"]
        semicolons = any("delimiter semicolon" in n for n in c.notes)
        problems.append(stage("number separators", label, ambiguous_separators, c.raw, c.files, semicolons,
                              default=_frame([])))
        raw, notes = stage("normalisation", label, normalise, c.raw, c.files, default=(None, []))
        if raw is None:
            continue
        c.notes += notes
        typed, found = stage("validation", label, validate_cohort, raw, c.files, cb, default=(None, _frame([])))
        if typed is None:
            continue
        found = name_records(stage("row numbers", label, renumber, found, raw, c.files, default=found), c.raw, c.files)
        extra = [_problem(c.files[t], None, "", "", f"empty table: {t} has a header row but no data rows")
                 for t in ("patients", "visits") if t in raw and len(raw[t]) == 0]
        problems += [found, _frame(extra)]
        c.typed = typed
        checked.append((c, raw, typed))
    _raise_if_any(problems)
    warnings = [name_records(stage("plausibility warnings", c.files["patients"], plausibility_warnings, typed, raw, c.files,
                                   default=_frame([])), c.raw, c.files) for c, raw, typed in checked]
    _raise_if_any(problems)
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
    """Write the typed tables as the CSVs :func:`lupus_utils.data.read_cohort` reads."""
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
    from .data import _read_csv, coerce_table

    # read as the book reads (typed by the codebook); the rules were judged before writing
    back = {t: coerce_table(_read_csv(Path(folder) / f"{t}.csv", t, None), t, f"{t}.csv")[0] for t in TABLES}
    out: list[dict] = []
    for t in TABLES:
        a, b = tables[t].reset_index(drop=True), back[t].reset_index(drop=True)
        if list(a.columns) != list(b.columns) or len(a) != len(b):
            out.append(_problem(f"{t}.csv", None, "", "", f"read back: the written table has {len(b)} rows and columns "
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
    return _frame(out)


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
        prog="python -m lupus_utils.ingest",
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
        problem = _frame([_problem(" + ".join(p.name for p in paths), None, "", "",
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
