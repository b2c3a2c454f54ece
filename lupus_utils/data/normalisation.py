"""Normalisation of a centre's cells: only the conversions that are certain, so that everything
else reaches validation as typed and is reported there.

:func:`normalise` reads Yes/No as 1/0, a decimal comma as a point, ``W12`` as week 12, a
category's capitals and spaces, and DD/MM/YYYY dates when the file proves the order; each
conversion is said in a note. :func:`ambiguous_separators` reports the numbers whose reading
would be a guess (``1.250`` in a centre that writes decimals with a comma).
"""
from __future__ import annotations

import re
from datetime import date
from functools import lru_cache

import numpy as np
import pandas as pd

from .cohort import capped
from ..paths import TABLES
from .provenance import VALUE_HITS_LISTED, problems_frame, row_origins, table_spec

_BINARY = {"1": "1", "0": "0", "1.0": "1", "0.0": "0", "yes": "1", "no": "0", "y": "1", "n": "0",
           "true": "1", "false": "0", "sì": "1", "si": "1", "sí": "1"}
_COMMA_DECIMAL = re.compile(r"^-?\d+,\d+$")
_THOUSANDS_LIKE = re.compile(r"^-?[1-9]\d{0,2},\d{3}$")
_WEEK = re.compile(r"^(?:(?:w|wk|week|settimana|sett)\.?\s*)?(\d+)(?:\.0+)?$", re.IGNORECASE)
_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]00:00(?::00(?:\.0+)?)?)?$")
_DMY_DATE = re.compile(r"^(\d{1,2})([/.-])(\d{1,2})\2(\d{4})$")


@lru_cache(maxsize=1 << 16)
def normalised_key(value: str) -> str:
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
        hits = [a for a in allowed if normalised_key(a) == normalised_key(cell)]
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
        return problems_frame(out)
    for t, cols in numeric.items():
        frame = raw[t]
        origins = row_origins(frame, files.get(t, t))
        for c in cols:
            hits = []
            for i in np.flatnonzero(matches(frame, c, _THOUSANDS_POINT)):
                v = str(frame[c].iloc[i]).strip()
                point = f"{float(v):g}" if v.count(".") == 1 else "no number"
                hits.append((*origins[i], c, f"{v}: {point} with a decimal point, {v.replace('.', '')} with a thousands point"))
            out += capped(hits, "ambiguous number: the two readings differ (the value shows both), and this centre "
                                "writes decimals with a comma; write it without a thousands mark or with a decimal "
                                "comma", VALUE_HITS_LISTED)
    return problems_frame(out)
