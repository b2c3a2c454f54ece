"""Reading a centre's own cohort: one Excel workbook, one folder of three CSV files, or one
REDCap records export, each to frames of text cells.

Every cell stays text (validation types it), and each frame is indexed by the spreadsheet row
of its rows (index name ``"row"``, header = row 1), so that every problem names the row the user
sees, units row or not. What makes a file unreadable as data is a problem naming the file (and
the row, the column or the cell where it can): not UTF-8, a ragged row, a merged range, a formula
without its value, a hidden sheet holding data, two sheets or files for one table. The encoding
is never guessed; the delimiter is detected from the header (``,``, ``;``, tab, or Excel's
``sep=`` line); the template's units row is recognised and skipped.
"""
from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from .cohort import CohortValidationError, problem_record, capped, flag_cells
from .identifiers import personal_data_name
from .normalisation import normalised_key
from ..paths import TABLES
from .provenance import VALUE_HITS_LISTED, cached_codebook, problems_frame, table_spec
from . import redcap
from .template import units_row

WORKBOOK_SUFFIXES = (".xlsx", ".xlsm")


@dataclass
class Unmapped:
    """What of a REDCap records export could not be mapped onto the tables while the rest could:
    the ``problems`` (an unknown field, a row at an unknown event, a repeating row without its
    instance number...), reported together with the validation of the rest, and the ``records``
    with a patients or visit row that could not be placed, whose other rows are not validated
    (their findings would be the missing row's consequences)."""
    problems: list = field(default_factory=list)
    records: set = field(default_factory=set)


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
        units = units_row(table, cached_codebook())
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
        problems.append(problem_record(label, None, "", "", "empty: no header row (row 1 must hold the column names)"))
        return None
    fields = len(grid[0])
    header = [c.strip() for c in grid[0]]
    width = len(header)
    while width and not header[width - 1] and not any(len(r) >= width and r[width - 1].strip() for r in grid[1:]):
        width -= 1
    header = header[:width]
    for j, name in enumerate(header):
        if not name:
            problems.append(problem_record(label, 1, f"column {j + 1}", "", "column without a name: row 1 must name every column that holds values"))
    seen: dict[str, int] = {}
    for name in header:
        seen[name] = seen.get(name, 0) + 1
    for name, n in seen.items():
        if name and n > 1:
            problems.append(problem_record(label, 1, name, "", f"duplicate column: '{name}' appears {n} times in row 1"))
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
            problems.append(problem_record(label, None, "", "", "not UTF-16: the file starts with a UTF-16 byte-order mark but "
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
        problems.append(problem_record(label, None, "", "",
                                 "wide text: the file looks like UTF-16 (two bytes per character) without a byte-order "
                                 "mark; save it as 'CSV UTF-8'" if wide else
                                 "not text: the file holds NUL bytes, so it is not a CSV; export the table as 'CSV UTF-8'"))
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        problems.append(problem_record(label, None, "", "",
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
        problems.append(problem_record(label, None, "", "", f"unreadable CSV: {err} (near line {reader.line_num})"))
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
                problems.append(problem_record(f"{folder.name}/{p.name}", None, "", "", f"two files for one table: '{p.name}' and "
                                         f"'{present[key].name}' differ only by capitals or spaces; keep one"))
            present.setdefault(key, p)
    for name, path in sorted(present.items()):
        why = personal_data_name(path.name)
        if why:
            problems.append(problem_record(f"{folder.name}/{path.name}", None, "", "", why))
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
            problems.append(problem_record(files[t], None, "", "", "empty: the file has no header row"))
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
    then mapped onto the three tables by :func:`lupus_utils.data.redcap.split_records`. Returns
    ``(raw, files, unmapped)``: the export's rows and fields that cannot be mapped while the rest
    can are in ``unmapped``, not in ``problems`` (see :class:`Unmapped`)."""
    label = f"{path.name} (REDCap)"
    text = _read_csv_text(path, label, problems, notes)
    if text is None:
        return {}, {}, Unmapped()
    grid, spanned = _csv_grid(text, label, problems, notes) if text.strip() else ([], set())
    header = [c.strip() for c in grid[0]] if grid else []
    if not redcap.is_records_export(header):
        problems.append(problem_record(path.name, None, "", "", "not a REDCap records export: a single CSV file is read as one "
                                 "(its header has redcap_event_name), and this one is not; give the folder holding "
                                 "patients.csv, visits.csv and adverse_events.csv, or export the records from REDCap"))
        return {}, {}, Unmapped()
    grid[0], label_headers = redcap.raw_headers(header, cached_codebook())  # label headers repeat "Complete?"
    frame = _grid_to_frame(grid, "redcap", label, problems, notes, ragged=True, reported=spanned)
    if frame is None:
        return {}, {}, Unmapped()
    raw, files, more_notes, found, unplaced = redcap.split_records(frame, label, cached_codebook(), label_headers)
    notes += more_notes
    if not raw:  # nothing could be mapped: the export's problems are reading problems
        problems += found
        return raw, files, Unmapped()
    return raw, files, Unmapped(found, unplaced)



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
        problems.append(problem_record(path.name, None, "", "", f"unreadable workbook: not a valid .xlsx file ({type(err).__name__})"))
        return raw, files
    try:
        zf = zipfile.ZipFile(path)
        sheets = {}
        for ws in wb.worksheets:
            key = ws.title.strip().lower()
            if key in sheets:
                problems.append(problem_record(f"{path.name}, sheet {ws.title}", None, "", "",
                                         f"two sheets for one table: '{ws.title}' and '{sheets[key].title}' differ only by "
                                         "capitals or spaces; keep one"))
                continue
            sheets[key] = ws
        for key, ws in sheets.items():
            label = f"{path.name}, sheet {ws.title}"
            why = personal_data_name(ws.title)
            if why:
                problems.append(problem_record(label, None, "", "", why))
            if ws.sheet_state != "visible":
                try:
                    ws.reset_dimensions()
                    holds = any(v not in (None, "") for row in ws.iter_rows(values_only=True) for v in row)
                except Exception:  # noqa: BLE001 - a damaged hidden sheet is reported as one
                    holds = True
                if holds:
                    problems.append(problem_record(label, None, "", "", f"hidden sheet: '{ws.title}' is {ws.sheet_state} and holds "
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
                problems.append(problem_record(label, None, "", "", f"unreadable sheet: the sheet's content is damaged "
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
    key = normalised_key(name)
    hits = [a for a in allowed if normalised_key(a) == key]
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
    """Read one centre: an ``.xlsx`` workbook, a folder of the three CSV files, a folder holding
    one workbook (read as that workbook; a folder with a workbook and CSV tables is an error), or
    a REDCap records export (``.csv``).

    Returns ``(raw, files, notes)``: ``raw`` maps each table found to a frame of text cells indexed
    by spreadsheet row number (index name ``"row"``); ``files`` maps every table to the label that
    problems name (``"centre_a.xlsx, sheet visits"``, ``"site/visits.csv"``); ``notes`` lists what
    was recognised or filled in. When ``patients`` has no ``center`` column it is filled from
    ``center`` or the file/folder name. Unreadable input (not UTF-8, not a workbook, empty file,
    unnamed or duplicate columns, a REDCap row or field that cannot be mapped) raises
    :class:`CohortValidationError` listing every such problem.
    """
    raw, files, notes, unmapped = read_input(path, center)
    if unmapped.problems:
        raise CohortValidationError(problems_frame(unmapped.problems))
    return raw, files, notes


def read_input(path, center: str | None = None):
    """Read one centre as :func:`read_center` does, but hand back what of a REDCap export could
    not be mapped while the rest could: returns ``(raw, files, notes, unmapped)`` (an
    :class:`Unmapped`), so that the caller reports it together with the validation of the rest.
    A problem that leaves nothing to validate raises :class:`CohortValidationError`, with the
    unmapped rows' problems in the same list."""
    path = Path(path)
    problems: list[dict] = []
    notes: list[str] = []
    raw: dict[str, pd.DataFrame] = {}
    files = {t: f"{path.name}/{t}.csv" for t in TABLES}
    unmapped = Unmapped()
    if path.exists() and personal_data_name(path.name, by_column_words=False):
        problems.append(problem_record(path.name, None, "", "", personal_data_name(path.name, by_column_words=False)))
    if not path.exists():
        problems.append(problem_record(str(path), None, "", "", "not found: no such file or folder"))
    elif path.is_dir():
        books = sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in WORKBOOK_SUFFIXES
                       and not p.name.startswith("~$"))  # Excel's lock files are not workbooks
        tables_csv = sorted(p.name for p in path.iterdir() if p.is_file() and p.name.strip().lower() in
                            {f"{t}.csv" for t in TABLES})
        if books and tables_csv:
            problems.append(problem_record(path.name, None, "", "", f"the folder holds both a workbook ({', '.join(b.name for b in books)}) "
                                     f"and CSV tables ({', '.join(tables_csv)}): keep one form of the data, or give the "
                                     "workbook itself"))
        elif len(books) > 1:
            problems.append(problem_record(path.name, None, "", "", f"the folder holds {len(books)} workbooks "
                                     f"({', '.join(b.name for b in books)}): give one workbook per centre"))
        elif books:
            notes.append(f"{path.name}: a folder holding one workbook, read as {books[0].name}")
            raw, files = _read_workbook(books[0], problems, notes)
        else:
            raw, files = _read_csv_folder(path, problems, notes)
    elif path.suffix.lower() in WORKBOOK_SUFFIXES:
        raw, files = _read_workbook(path, problems, notes)
    elif path.suffix.lower() == ".csv":
        raw, files, unmapped = _read_redcap(path, problems, notes)
    else:
        problems.append(problem_record(path.name, None, "", "", "unsupported input: give one .xlsx workbook, one folder holding "
                                 "patients.csv, visits.csv and adverse_events.csv, or one REDCap records export (.csv) "
                                 "(.xls/.ods: save as .xlsx)"))
    if problems:
        raise CohortValidationError(problems_frame(problems + unmapped.problems))
    _fill_center(raw, files, center or (path.stem if path.is_file() else path.name), notes)
    return raw, files, notes, unmapped
