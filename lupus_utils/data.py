"""Reading and validating the three tables of the data model against the codebook.

Validation never stops at the first problem: it collects every one (file, row, column, value,
rule) and raises a single :class:`CohortValidationError` that lists them all. Rows are numbered
as a spreadsheet shows them (the header is row 1, the first record row 2).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pandera.pandas as pa

from .codebook import load_codebook, table_spec
from .instruments import SLEDAI_LAB_THRESHOLDS, beyond_lab_threshold
from .paths import TABLES, VISIT_WEEKS

PROBLEM_COLUMNS = ("file", "row", "column", "value", "rule")


class CohortValidationError(ValueError):
    """Raised when cohort data break the codebook's rules; ``problems`` holds every one of them
    as a data frame with columns file, row, column, value, rule."""

    def __init__(self, problems: pd.DataFrame):
        self.problems = problems.reset_index(drop=True)
        super().__init__(format_problems(self.problems))


def format_problems(problems: pd.DataFrame) -> str:
    """One readable line per problem, with a count on top."""
    n = len(problems)
    lines = [f"{n} problem{'s' if n != 1 else ''} found in the cohort data:"]
    for p in problems.itertuples(index=False):
        where = [str(p.file)]
        if pd.notna(p.row):
            where.append(f"row {int(p.row)}")
        if p.column:
            where.append(f"column '{p.column}'")
        value = "" if pd.isna(p.value) or p.value == "" else f" (value {p.value!r})"
        lines.append(f"  - {', '.join(where)}{value}: {p.rule}")
    return "\n".join(lines)


def _problem(file, row, column, value, rule) -> dict:
    return {"file": file, "row": row, "column": column, "value": value, "rule": rule}


def _rows(index) -> np.ndarray:
    """Spreadsheet row numbers for positional indices (header = row 1)."""
    return np.asarray(index, dtype="int64") + 2


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
            problems.append(_problem(file, None, col, "", f"unknown column: the codebook has no column '{col}' in table {table}"))
    typed = pd.DataFrame(index=raw.index)
    for col, s in spec.iterrows():
        if col not in raw.columns:
            rule = "missing column: required by the codebook" if s["required"] else "missing column: defined by the codebook (it may be left empty, but must be present)"
            problems.append(_problem(file, None, col, "", rule))
            continue
        kind = s["type"]
        if kind in ("integer", "binary", "number"):
            if pd.api.types.is_numeric_dtype(raw[col]):
                # already read as numbers (the fast path of read_cohort): every cell is readable
                num = raw[col].astype("float64")
                bad = pd.Series(False, index=raw.index)
            else:
                text = raw[col].astype("string").str.strip()
                text = text.mask(text == "")
                num = pd.to_numeric(text, errors="coerce").astype("float64")
                bad = text.notna() & num.isna()
            if kind != "number":
                bad |= num.notna() & (num % 1 != 0)
                rule = "wrong type: must be a whole number"
            else:
                rule = "wrong type: must be a number (use a point as the decimal mark)"
            num = num.mask(bad)
            typed[col] = num.astype("Int64") if kind != "number" else num
            for i in np.flatnonzero(bad.to_numpy()):
                problems.append(_problem(file, i + 2, col, raw[col].iloc[i], rule))
            continue
        text = raw[col].astype("string").str.strip()
        text = text.mask(text == "")
        if kind == "date":
            when = pd.to_datetime(text, format="%Y-%m-%d", errors="coerce")
            bad = text.notna() & when.isna()
            rule = "wrong type: must be a date written YYYY-MM-DD"
            typed[col] = when
        else:
            bad = pd.Series(False, index=raw.index)
            typed[col] = text
        for i in np.flatnonzero(bad.to_numpy()):
            problems.append(_problem(file, i + 2, col, raw[col].iloc[i], rule))
    return typed, problems


def _schema(table: str, codebook: pd.DataFrame | None) -> pa.DataFrameSchema:
    spec = table_spec(table, codebook)
    cols = {}
    for col, s in spec.iterrows():
        checks = []
        if s["allowed"]:
            allowed = [int(a) for a in s["allowed"]] if s["type"] in ("integer", "binary") else list(s["allowed"])
            checks.append(pa.Check.isin(allowed, error=f"not allowed: must be one of {', '.join(s['allowed'])}"))
        if not np.isnan(s["min"]) or not np.isnan(s["max"]):
            lo, hi = s["min"], s["max"]
            lo_s = f"{lo:g}" if not np.isnan(lo) else "-inf"
            hi_s = f"{hi:g}" if not np.isnan(hi) else "inf"
            checks.append(pa.Check.in_range(None if np.isnan(lo) else lo, None if np.isnan(hi) else hi,
                                            error=f"out of range: must be between {lo_s} and {hi_s} {s['unit']}".rstrip()))
        unique = (table == "patients" and col == "patient_id") or (table == "adverse_events" and col == "event_id")
        cols[col] = pa.Column(nullable=not s["required"], checks=checks, unique=unique, required=False)
    return pa.DataFrameSchema(cols, strict=False, coerce=False)


_PANDERA_RULES = {
    "not_nullable": "required: must not be empty",
    "field_uniqueness": "duplicate: must be unique in the table",
}


def check_table(typed: pd.DataFrame, table: str, file: str, codebook: pd.DataFrame | None = None) -> list[dict]:
    """Range, allowed-value, required and uniqueness checks of one typed table (pandera)."""
    try:
        _schema(table, codebook).validate(typed, lazy=True)
    except pa.errors.SchemaErrors as err:
        fc = err.failure_cases
        out = []
        for r in fc.itertuples(index=False):
            if r.column not in typed.columns:
                continue  # missing columns are reported by coerce_table
            row = None if pd.isna(r.index) else int(r.index) + 2
            out.append(_problem(file, row, r.column, "" if pd.isna(r.failure_case) else str(r.failure_case),
                                _PANDERA_RULES.get(r.check, r.check)))
        return out
    return []


def _consistency_visits(v: pd.DataFrame, file: str) -> list[dict]:
    """Rules that tie SLEDAI-2K descriptors to the SLE-DAS inputs and the glucocorticoid fields."""
    out: list[dict] = []

    def flag(mask, column, rule):
        mask = pd.Series(mask, index=v.index).fillna(False).to_numpy(dtype=bool)
        for i in np.flatnonzero(mask):
            out.append(_problem(file, i + 2, column, "" if pd.isna(v[column].iloc[i]) else str(v[column].iloc[i]), rule))

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
            flag(present(item) & val.isna(), col, f"required: {col} must be given when {item} is 1")
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
    follow-up limits, a baseline visit per patient, discontinuation fields."""
    out: list[dict] = []
    p, v, ae = (tables.get(t) for t in TABLES)
    fp, fv, fa = (files[t] for t in TABLES)
    if p is None or v is None or "patient_id" not in p or "patient_id" not in v:
        return out
    known = set(p["patient_id"].dropna())
    follow = p.drop_duplicates("patient_id").set_index("patient_id")["follow_up_weeks"] if "follow_up_weeks" in p else None

    if "week" in v:
        dup = v.duplicated(["patient_id", "week"], keep="first") & v["patient_id"].notna() & v["week"].notna()
        for i in np.flatnonzero(dup.to_numpy()):
            out.append(_problem(fv, i + 2, "week", f"{v['patient_id'].iloc[i]} week {v['week'].iloc[i]}",
                                "duplicate visit: this patient already has a row for this week"))
    for name, frame, file in (("visits", v, fv), ("adverse_events", ae, fa)):
        if frame is None or "patient_id" not in frame:
            continue
        unknown = frame["patient_id"].notna() & ~frame["patient_id"].isin(known)
        for i in np.flatnonzero(unknown.to_numpy()):
            out.append(_problem(file, i + 2, "patient_id", frame["patient_id"].iloc[i],
                                f"unknown patient: not in the patients table ({fp})"))
        if follow is not None and "week" in frame:
            limit = frame["patient_id"].map(follow)
            late = (frame["week"] > limit).fillna(False)
            for i in np.flatnonzero(late.to_numpy()):
                out.append(_problem(file, i + 2, "week", str(frame["week"].iloc[i]),
                                    f"after the end of follow-up: the patient's follow_up_weeks is {int(limit.iloc[i])}"))
    if "week" in v:
        with_baseline = set(v.loc[v["week"] == 0, "patient_id"])
        last = v.groupby("patient_id")["week"].max()
        for i, pid in enumerate(p["patient_id"]):
            if pd.isna(pid):
                continue
            if pid not in with_baseline:
                out.append(_problem(fp, i + 2, "patient_id", pid, "no baseline: the patient has no week-0 visit"))
            fu = follow.get(pid) if follow is not None else None
            if pid in last.index and fu is not None and pd.notna(fu) and last[pid] != fu:
                out.append(_problem(fp, i + 2, "follow_up_weeks", str(fu),
                                    f"inconsistent: the patient's last visit is at week {last[pid]}"))
    if {"anifrolumab_stop_week"} <= set(p.columns) and {"treatment_status", "week"} <= set(v.columns):
        stop = v["patient_id"].map(p.drop_duplicates("patient_id").set_index("patient_id")["anifrolumab_stop_week"])
        after = (v["week"] > stop).fillna(False)
        off = v["treatment_status"] == "discontinued"
        for i in np.flatnonzero((off & ~after).to_numpy()):
            out.append(_problem(fv, i + 2, "treatment_status", "discontinued",
                                "inconsistent: 'discontinued' needs an anifrolumab_stop_week before this visit's week"))
        for i in np.flatnonzero((after & ~off).to_numpy()):
            out.append(_problem(fv, i + 2, "treatment_status", v["treatment_status"].iloc[i],
                                f"inconsistent: anifrolumab was stopped at week {int(stop.iloc[i])}, so this later visit is 'discontinued'"))
    if {"anifrolumab_stop_week", "anifrolumab_stop_reason"} <= set(p.columns):
        mismatch = p["anifrolumab_stop_week"].isna() != p["anifrolumab_stop_reason"].isna()
        for i in np.flatnonzero(mismatch.to_numpy()):
            out.append(_problem(fp, i + 2, "anifrolumab_stop_reason", p["anifrolumab_stop_reason"].iloc[i],
                                "inconsistent: anifrolumab_stop_week and anifrolumab_stop_reason are given together or not at all"))
        if "follow_up_weeks" in p:
            after = (p["anifrolumab_stop_week"] > p["follow_up_weeks"]).fillna(False)
            for i in np.flatnonzero(after.to_numpy()):
                out.append(_problem(fp, i + 2, "anifrolumab_stop_week", str(p["anifrolumab_stop_week"].iloc[i]),
                                    "after the end of follow-up: must not exceed follow_up_weeks"))
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
            problems.append(_problem(files[t], None, "", "", f"missing table: {t} is required"))
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


def _read_csv(path: Path, table: str, codebook: pd.DataFrame | None) -> pd.DataFrame:
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
            raw[t] = _read_csv(path, t, codebook)
    tables, problems = validate_cohort(raw, files, codebook)
    if len(problems):
        raise CohortValidationError(problems)
    return tables
