"""Where each cell of a centre's input came from, and the problems that name it.

Every check of the own-data path (:mod:`lupus_utils.data.ingest`) reports a problem as file, row,
column, value and rule, with the row the user sees in the spreadsheet (header = row 1). The
readers index each frame by that row (index name ``"row"``; several centres: ``(file, row)``);
this module turns such an index back into (file, row) pairs, translates the positional rows of
:func:`lupus_utils.data.cohort.validate_cohort` into them, and names the REDCap record and event of a
line. It also holds the codebook as the checks read it: once per process, again when the file
changes.
"""
from __future__ import annotations

import re

import numpy as np
import pandas as pd

from ..codebook import load_codebook
from ..codebook import table_spec as _table_spec
from .cohort import PROBLEM_COLUMNS
from . import redcap

_CODEBOOK: dict = {}


def cached_codebook() -> pd.DataFrame:
    """The codebook, read once per process (and again when the file changes)."""
    from ..paths import CODEBOOK_FILE

    stamp = CODEBOOK_FILE.stat().st_mtime_ns
    if _CODEBOOK.get("stamp") != stamp:
        _CODEBOOK.update(stamp=stamp, frame=load_codebook(CODEBOOK_FILE))
    return _CODEBOOK["frame"]


def table_spec(table: str) -> pd.DataFrame:
    """One table's columns in the codebook as read now (see :func:`cached_codebook`)."""
    return _table_spec(table, cached_codebook())


#: Reading problems and identifiers listed one by one per rule (or column) before the rest are counted.
VALUE_HITS_LISTED = 20


def problems_frame(problems: list[dict]) -> pd.DataFrame:
    out = pd.DataFrame(problems, columns=list(PROBLEM_COLUMNS))
    out["row"] = out["row"].astype("Int64")
    return out


def row_origins(frame: pd.DataFrame, label: str) -> list[tuple[str, int]]:
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
    """Translate the positional row numbers of :func:`lupus_utils.data.cohort.validate_cohort`
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
        origins = row_origins(raw[t], files[t])
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
            origins = cached[t] if t in cached else cached.setdefault(t, row_origins(raw[t], files[t]))
            a, b = int(m.group(1)) - 2, int(m.group(2)) - 2
            if 0 <= a < len(origins) and 0 <= b < len(origins):
                out.iloc[i, out.columns.get_loc("rule")] = span.sub(f"(rows {origins[a][1]}-{origins[b][1]};",
                                                                    str(out["rule"].iloc[i]), count=1)
    return out


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

