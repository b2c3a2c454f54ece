"""Reading and validating the three tables of the data model against the codebook.

Validation never stops at the first problem: it collects every one (file, row, column, value,
rule) and raises a single :class:`CohortValidationError` that lists them all. Rows are numbered
as a spreadsheet shows them (the header is row 1, the first record row 2).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..codebook import load_codebook, table_spec
from ..science.instruments import SLEDAI_LAB_THRESHOLDS, beyond_lab_threshold
from ..paths import DATA_DIR, TABLES, TARGETS_FILE

PROBLEM_COLUMNS = ("file", "row", "column", "value", "rule")

#: How many cells breaking one rule in one column of one file are listed one by one; the rest
#: are counted in one more line (so registry-sized junk gives a report one can read and store).
LISTED_PER_RULE = 1000
#: How many problem lines the terminal summary and the exception message show at most.
SHOWN_LINES = 30


class CohortValidationError(ValueError):
    """Raised when cohort data break the codebook's rules; ``problems`` holds every one of them
    as a data frame with columns file, row, column, value, rule."""

    def __init__(self, problems: pd.DataFrame):
        self.problems = problems.reset_index(drop=True)
        super().__init__(format_problems(self.problems, limit=SHOWN_LINES))


def rule_counts(problems: pd.DataFrame) -> pd.DataFrame:
    """Problems counted by rule (the text before the first colon), most frequent first; a line
    that stands for more cells ("N more cells ...") counts for all of them."""
    if problems.empty:
        return pd.DataFrame({"rule": pd.Series(dtype=object), "count": pd.Series(dtype="int64")})
    rule = problems["rule"].astype(str)
    more = rule.str.extract(r"^(.*?): (\d+) more (?:cells|rows) ", expand=True)
    name = more[0].fillna(rule.str.split(":").str[0])
    weight = pd.to_numeric(more[1], errors="coerce").fillna(1).astype("int64")
    out = weight.groupby(name.to_numpy(), sort=False).sum().rename_axis("rule").reset_index(name="count")
    return out.sort_values("count", ascending=False, kind="stable").reset_index(drop=True)


def format_problems(problems: pd.DataFrame, limit: int | None = None) -> str:
    """One readable line per problem, with a count on top. With ``limit``, at most that many
    lines are shown, preceded by the count of each rule, and the rest are counted."""
    n = len(problems)
    counts = rule_counts(problems)
    total = int(counts["count"].sum()) if len(counts) else 0
    lines = [f"{n} problem{'s' if n != 1 else ''} found in the cohort data:"]
    if total != n:
        lines[0] = f"{n} problem{'s' if n != 1 else ''} found in the cohort data ({total} cells or rows in all):"
    shown = problems
    if limit is not None and n > limit:
        lines.append("  by rule: " + "; ".join(f"{r.rule} {r.count}" for r in counts.itertuples(index=False)))
        shown = problems.iloc[:limit]
    for p in shown.itertuples(index=False):
        where = [str(p.file)]
        if pd.notna(p.row):
            where.append(f"row {int(p.row)}")
        if p.column:
            where.append(f"column '{p.column}'")
        value = "" if pd.isna(p.value) or p.value == "" else f" (value {p.value!r})"
        lines.append(f"  - {', '.join(where)}{value}: {p.rule}")
    if len(shown) < n:
        lines.append(f"  ... and {n - len(shown)} more line(s): see the full report")
    return "\n".join(lines)


def problem_record(file, row, column, value, rule) -> dict:
    return {"file": file, "row": row, "column": column, "value": value, "rule": rule}


def _rows(index) -> np.ndarray:
    """Spreadsheet row numbers for positional indices (header = row 1)."""
    return np.asarray(index, dtype="int64") + 2


def _true(mask, index=None) -> np.ndarray:
    """A mask as plain booleans: missing (NA) is not a hit, whatever the dtype."""
    if not isinstance(mask, pd.Series):
        mask = pd.Series(mask, index=index)
    return mask.astype("boolean").fillna(False).to_numpy(dtype=bool)


def flag_cells(file, mask, column, values, rule, rows=None) -> list[dict]:
    """Problems for the hits of ``mask`` (NA is no hit): one per row for the first
    :data:`LISTED_PER_RULE`, then one line counting the rest (with their first and last row).
    ``values`` gives each row's value (a Series, an array, or one text for all); ``rows`` the
    spreadsheet row of each position (default position + 2)."""
    pos = np.flatnonzero(_true(mask))
    if not len(pos):
        return []
    listed = pos[:LISTED_PER_RULE]
    if isinstance(values, str):
        vals = [values] * len(listed)
    else:
        arr = values.to_numpy(dtype=object) if isinstance(values, pd.Series) else np.asarray(values, dtype=object)
        vals = ["" if v is None or (not isinstance(v, str) and pd.isna(v)) else str(v) for v in arr[listed]]
    row_of = (lambda i: int(i) + 2) if rows is None else (lambda i: rows[i])
    out = [problem_record(file, row_of(i), column, v, rule) for i, v in zip(listed, vals)]
    if len(pos) > len(listed):
        rest = pos[len(listed):]
        out.append(_more_line(file, column, rule, len(rest), row_of(rest[0]), row_of(rest[-1]), len(listed)))
    return out


def capped(hits: list[tuple], rule: str, limit: int) -> list[dict]:
    """Problems for a short list of ``(file, row, column, value)`` hits of one rule: the first
    ``limit`` one by one, then one line counting the rest (as :func:`flag_cells` does for a mask)."""
    out = [problem_record(f, r, c, v, rule) for f, r, c, v in hits[:limit]]
    if len(hits) > limit:
        rest = hits[limit:]
        rows = [r for _, r, _, _ in rest if r is not None]
        columns = {c for _, _, c, _ in rest}
        out.append(_more_line(rest[0][0], columns.pop() if len(columns) == 1 else "", rule, len(rest),
                              min(rows, default=None), max(rows, default=None), limit))
    return out


def _more_line(file, column, rule, n_more, first_row, last_row, n_listed) -> dict:
    """The line that counts the cells of a rule beyond those listed (:func:`rule_counts` reads it)."""
    prefix, _, detail = rule.partition(":")
    what = f"cells of column '{column}'" if column else "rows"
    rows = f"rows {first_row}-{last_row}; " if first_row is not None else ""
    return problem_record(file, None, column, "", f"{prefix}: {n_more} more {what} break this rule "
                                            f"({rows}only the first {n_listed} are listed):{detail}")


def _by_distinct(cells: pd.Series, parse) -> tuple[pd.Series, pd.Series]:
    """Parse a column of text cells, each distinct cell once (registry columns repeat a few
    values): ``(parsed, unreadable)``. Blank cells are missing, never unreadable."""
    codes, distinct = pd.factorize(cells.to_numpy(dtype=object), use_na_sentinel=True)
    text = pd.Series(distinct, dtype=object).astype(str).str.strip()
    blank = (text == "").to_numpy()
    parsed = pd.Series(parse(text.mask(blank)))
    unreadable = ~blank & parsed.isna().to_numpy()
    given = codes >= 0
    out = parsed.iloc[np.where(given, codes, 0)].reset_index(drop=True) if len(parsed) else \
        pd.Series(np.nan, index=range(len(codes)), dtype=parsed.dtype)
    out[~given] = None
    bad = np.zeros(len(codes), dtype=bool)
    bad[given] = unreadable[codes[given]]
    out.index = cells.index
    return out, pd.Series(bad, index=cells.index)


def coerce_table(raw: pd.DataFrame, table: str, file: str, codebook: pd.DataFrame | None = None):
    """Turn a table of text cells into typed columns as the codebook defines them.

    Returns ``(typed, problems)``: cells that cannot be read as their type become missing in
    ``typed`` and are listed in ``problems``; missing and unknown columns are listed too.
    """
    spec = table_spec(table, codebook)
    raw = raw.reset_index(drop=True)
    problems: list[dict] = []
    for col in raw.columns:
        if col not in spec.index:
            problems.append(problem_record(file, None, col, "", f"unknown column: the codebook has no column '{col}' in table {table}"))
    typed = pd.DataFrame(index=raw.index)
    for col, s in spec.iterrows():
        if col not in raw.columns:
            rule = "missing column: required by the codebook" if s["required"] else "missing column: defined by the codebook (it may be left empty, but must be present)"
            problems.append(problem_record(file, None, col, "", rule))
            continue
        kind = s["type"]
        if kind in ("integer", "binary", "number"):
            if pd.api.types.is_numeric_dtype(raw[col]):
                # already read as numbers (the fast path of read_cohort): every cell is readable
                num = raw[col].astype("float64")
                bad = pd.Series(False, index=raw.index)
            else:
                num, bad = _by_distinct(raw[col], lambda u: pd.to_numeric(u, errors="coerce").astype("float64"))
            bad |= num.notna() & ~np.isfinite(num.fillna(0))  # 'inf', 'nan', '1e400' are not values
            if kind != "number":
                bad |= num.notna() & ((num % 1 != 0) | (num.abs() > 2 ** 53))
                rule = "wrong type: must be a whole number"
            else:
                rule = "wrong type: must be a number (use a point as the decimal mark)"
            num = num.mask(bad)
            typed[col] = num.astype("Int64") if kind != "number" else num
            problems += flag_cells(file, bad, col, raw[col], rule)
            continue
        if kind == "date":
            when, bad = _by_distinct(raw[col], lambda u: pd.to_datetime(u, format="%Y-%m-%d", errors="coerce"))
            rule = "wrong type: must be a date written YYYY-MM-DD"
            typed[col] = when
        else:
            text = raw[col].astype("string").str.strip()
            text = text.mask(text == "")
            bad = pd.Series(False, index=raw.index)
            rule = ""
            typed[col] = text
        problems += flag_cells(file, bad, col, raw[col], rule)
    return typed, problems


def check_table(typed: pd.DataFrame, table: str, file: str, codebook: pd.DataFrame | None = None) -> list[dict]:
    """Required, allowed-value, range and uniqueness checks of one typed table, each a vectorised
    comparison over the whole column (registry-sized tables are judged in seconds)."""
    spec = table_spec(table, codebook)
    out: list[dict] = []
    for col, s in spec.iterrows():
        if col not in typed.columns:
            continue  # missing columns are reported by coerce_table
        x = typed[col]
        given = x.notna()
        if s["required"]:
            out += flag_cells(file, ~given, col, "", f"required: must not be empty ({s['required_because']})")
        if s["allowed"]:
            allowed = [int(a) for a in s["allowed"]] if s["type"] in ("integer", "binary") else list(s["allowed"])
            out += flag_cells(file, given & ~x.isin(allowed), col, x, f"not allowed: must be one of {', '.join(s['allowed'])}")
        lo, hi = s["min"], s["max"]
        if not np.isnan(lo) or not np.isnan(hi):
            outside = (x < lo) if not np.isnan(lo) else pd.Series(False, index=x.index)
            if not np.isnan(hi):
                outside = outside | (x > hi)
            lo_s = f"{lo:g}" if not np.isnan(lo) else "-inf"
            hi_s = f"{hi:g}" if not np.isnan(hi) else "inf"
            out += flag_cells(file, given & outside, col, x,
                              f"out of range: must be between {lo_s} and {hi_s} {s['unit']}".rstrip())
        if (table, col) in (("patients", "patient_id"), ("adverse_events", "event_id")):
            out += flag_cells(file, given & x.duplicated(keep=False), col, x, "duplicate: must be unique in the table")
    return out


def _consistency_visits(v: pd.DataFrame, file: str) -> list[dict]:
    """Rules that tie SLEDAI-2K descriptors to the SLE-DAS inputs and the glucocorticoid fields."""
    out: list[dict] = []

    def flag(mask, column, rule):
        out.extend(flag_cells(file, _true(mask, v.index), column, v[column], rule))

    def present(c):
        return v[c] == 1 if c in v else pd.Series(False, index=v.index)

    if {"sledai_rash", "rash_extent"} <= set(v.columns):
        flag((v["rash_extent"] != "none") != present("sledai_rash"), "rash_extent",
             "inconsistent: rash_extent must be 'none' exactly when sledai_rash is 0")
    if {"sledai_vasculitis", "vasculitis_type"} <= set(v.columns):
        flag((v["vasculitis_type"] != "none") != present("sledai_vasculitis"), "vasculitis_type",
             "inconsistent: vasculitis_type must be 'none' exactly when sledai_vasculitis is 0")
    for item, (col, op, thr, unit) in SLEDAI_LAB_THRESHOLDS.items():
        if {item, col} <= set(v.columns):
            val = v[col]
            beyond = beyond_lab_threshold(val, item)
            # a missing value with the item at 1 is a gap, not an error: SLE-DAS is unknown there
            # (``science.gaps.input_gaps`` counts it and ingest warns)
            # the other way round is allowed: a value beyond the threshold with the item at 0 is
            # a finding not attributed to lupus (a drug, an infection); ingest notes it
            flag(val.notna() & present(item) & ~beyond, col,
                 f"inconsistent: {item} is 1 but {col} is not {op} {thr:g} {unit}")
    if {"gc_drug", "gc_dose_mg"} <= set(v.columns):
        flag((v["gc_drug"] == "none") & (v["gc_dose_mg"] > 0), "gc_dose_mg",
             "inconsistent: gc_dose_mg must be 0 when gc_drug is 'none'")
        flag((v["gc_drug"] != "none") & v["gc_drug"].notna() & (v["gc_dose_mg"] == 0), "gc_dose_mg",
             "inconsistent: gc_dose_mg must be above 0 when a gc_drug is named (use 'none' otherwise)")
    return out


def check_relations(tables: dict[str, pd.DataFrame], files: dict[str, str]) -> list[dict]:
    """Rules across rows and tables: duplicate visits, unknown patients, the visit schedule,
    follow-up limits, a baseline visit per patient, discontinuation fields. Missing values never
    break a rule they cannot be judged by (they are reported as missing elsewhere)."""
    out: list[dict] = []
    p, v, ae = (tables.get(t) for t in TABLES)
    fp, fv, fa = (files[t] for t in TABLES)
    if p is None or v is None or "patient_id" not in p or "patient_id" not in v:
        return out
    known = set(p["patient_id"].dropna())
    first = p.dropna(subset=["patient_id"]).drop_duplicates("patient_id").set_index("patient_id")
    follow = first["follow_up_weeks"] if "follow_up_weeks" in p else None

    if "week" in v:
        dup = v.duplicated(["patient_id", "week"], keep="first") & v["patient_id"].notna() & v["week"].notna()
        out += flag_cells(fv, dup, "week", v["patient_id"].astype(str) + " week " + v["week"].astype(str),
                          "duplicate visit: this patient already has a row for this week")
    for frame, file in ((v, fv), (ae, fa)):
        if frame is None or "patient_id" not in frame:
            continue
        unknown = frame["patient_id"].notna() & ~frame["patient_id"].isin(known)
        out += flag_cells(file, unknown, "patient_id", frame["patient_id"], f"unknown patient: not in the patients table ({fp})")
        if follow is not None and "week" in frame:
            limit = frame["patient_id"].map(follow)
            late = _true(frame["week"] > limit)
            for fu in pd.unique(limit[late]):
                out += flag_cells(file, late & _true(limit == fu), "week", frame["week"],
                                  f"after the end of follow-up: the patient's follow_up_weeks is {int(fu)}")
    if "week" in v:
        with_baseline = set(v.loc[_true(v["week"] == 0), "patient_id"])
        pid = p["patient_id"]
        out += flag_cells(fp, pid.notna() & ~pid.isin(with_baseline), "patient_id", pid,
                          "no baseline: the patient has no week-0 visit")
        if follow is not None:
            last = v.dropna(subset=["patient_id", "week"]).groupby("patient_id")["week"].max()
            lv = pid.map(last)
            off = _true(lv.notna() & p["follow_up_weeks"].notna() & (lv != p["follow_up_weeks"]))
            for wk in pd.unique(lv[off]):
                out += flag_cells(fp, off & _true(lv == wk), "follow_up_weeks", p["follow_up_weeks"],
                                  f"inconsistent: the patient's last visit is at week {int(wk)}")
    if {"anifrolumab_stop_week"} <= set(p.columns) and {"treatment_status", "week"} <= set(v.columns):
        stop = v["patient_id"].map(first["anifrolumab_stop_week"])
        after = _true(v["week"] > stop)
        status = v["treatment_status"]
        off = _true(status == "discontinued")
        given = _true(status.notna())
        out += flag_cells(fv, off & ~after, "treatment_status", status,
                          "inconsistent: 'discontinued' needs an anifrolumab_stop_week before this visit's week")
        late = after & ~off & given  # an empty status is reported as missing, not as inconsistent
        for wk in pd.unique(stop[late]):
            out += flag_cells(fv, late & _true(stop == wk), "treatment_status", status,
                              f"inconsistent: anifrolumab was stopped at week {int(wk)}, so this later visit is 'discontinued'")
    if {"anifrolumab_stop_week", "anifrolumab_stop_reason"} <= set(p.columns):
        mismatch = p["anifrolumab_stop_week"].isna() != p["anifrolumab_stop_reason"].isna()
        out += flag_cells(fp, mismatch, "anifrolumab_stop_reason", p["anifrolumab_stop_reason"],
                          "inconsistent: anifrolumab_stop_week and anifrolumab_stop_reason are given together or not at all")
        if "follow_up_weeks" in p:
            out += flag_cells(fp, p["anifrolumab_stop_week"] > p["follow_up_weeks"], "anifrolumab_stop_week",
                              p["anifrolumab_stop_week"], "after the end of follow-up: must not exceed follow_up_weeks")
    return out


def validate_cohort(raw: dict[str, pd.DataFrame], files: dict[str, str] | None = None,
                    codebook: pd.DataFrame | None = None) -> tuple[dict[str, pd.DataFrame], pd.DataFrame]:
    """Type and check the three tables. ``raw`` maps table name to a frame of text cells.

    Returns ``(tables, problems)``; ``problems`` is empty when the cohort is valid.
    """
    cb = load_codebook() if codebook is None else codebook
    files = files or {t: f"{t}.csv" for t in TABLES}
    problems: list[dict] = []
    tables: dict[str, pd.DataFrame] = {}
    for t in TABLES:
        if t not in raw:
            problems.append(problem_record(files[t], None, "", "", f"missing table: {t} is required"))
            continue
        typed, found = coerce_table(raw[t], t, files[t], cb)
        problems += found
        unreadable = {(p["row"], p["column"]) for p in found}
        problems += [p for p in check_table(typed, t, files[t], cb)
                     if not (p["rule"].startswith("required") and (p["row"], p["column"]) in unreadable)]
        if t == "visits":
            problems += _consistency_visits(typed, files[t])
        tables[t] = typed
    problems += check_relations(tables, files)
    frame = pd.DataFrame(problems, columns=list(PROBLEM_COLUMNS))
    frame["row"] = frame["row"].astype("Int64")
    return tables, frame


def read_csv_table(path: Path, table: str, codebook: pd.DataFrame | None) -> pd.DataFrame:
    """Read a table, numeric columns as numbers when every cell parses (fast and light at
    registry scale); otherwise every cell as text, so that validation can name each bad cell."""
    spec = table_spec(table, codebook)
    header = pd.read_csv(path, nrows=0, encoding="utf-8").columns
    numeric = [c for c in header if c in spec.index and spec.loc[c, "type"] in ("integer", "binary", "number")]
    try:
        return pd.read_csv(path, dtype={c: "float64" for c in numeric} | {c: str for c in header if c not in numeric},
                           keep_default_na=False, na_values={c: [""] for c in numeric}, encoding="utf-8")
    except (ValueError, TypeError):
        return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")


def read_cohort(folder: Path | str, codebook: pd.DataFrame | None = None) -> dict[str, pd.DataFrame]:
    """Read ``patients.csv``, ``visits.csv`` and ``adverse_events.csv`` from ``folder``, type them
    by the codebook and validate them. Raises :class:`CohortValidationError` listing every
    problem; returns the typed tables otherwise."""
    folder = Path(folder)
    raw, files = {}, {}
    for t in TABLES:
        path = folder / f"{t}.csv"
        files[t] = str(path)
        if path.exists():
            raw[t] = read_csv_table(path, t, codebook)
    tables, problems = validate_cohort(raw, files, codebook)
    if len(problems):
        raise CohortValidationError(problems)
    return tables


# --------------------------------------------------------------------------------------------
# the paper's published numbers and their audit (read by the scorecard, the tables, the generator)
# --------------------------------------------------------------------------------------------

INCONSISTENCIES_FILE = DATA_DIR / "paper_inconsistencies.csv"
READINGS_FILE = DATA_DIR / "paper_readings.csv"


def load_targets(path=TARGETS_FILE) -> pd.DataFrame:
    """The published numbers, one row each, with their place in the paper."""
    t = pd.read_csv(path, dtype={"display": str, "note": str})
    if t["target_id"].duplicated().any():
        raise ValueError(f"{path}: duplicate target_id {t.loc[t['target_id'].duplicated(), 'target_id'].tolist()}")
    return t


def load_inconsistencies(path=INCONSISTENCIES_FILE) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def load_readings(path=READINGS_FILE) -> pd.DataFrame:
    """The paper's other reading of each target an inconsistency names: target_id, issue_id, the
    value (``low`` = ``high``) or range the target takes under it, and its basis in words."""
    return pd.read_csv(path, dtype={"target_id": str, "issue_id": str, "low": float, "high": float, "basis": str})
