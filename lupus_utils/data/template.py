"""The "use your own data" Excel template, generated from the codebook.

One sheet per table (patients, visits, adverse_events): row 1 holds the column names, row 2 the
units (a reading aid; :func:`lupus_utils.data.ingest.read_center` recognises and skips it), data start
on row 3. Every column carries Excel data validation built from the codebook (allowed values,
whole/decimal ranges, dates), and a README sheet explains every column and how to fill it in.

``python -m lupus_utils.data.template [path]`` writes it (default ``build/cohort_template.xlsx``).
"""
from __future__ import annotations

import math
import sys
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from ..codebook import load_codebook, table_spec
from ..paths import BUILD_DIR, TABLES

DEFAULT_TEMPLATE = BUILD_DIR / "cohort_template.xlsx"

#: Rows of each sheet that carry data validation and cell formats (data start on row 3).
FIRST_DATA_ROW = 3
TEMPLATE_ROWS = {"patients": 500, "visits": 3000, "adverse_events": 1000}

#: What one row of each table is.
ROW_MEANING = {
    "patients": "one row per patient",
    "visits": "one row per patient and scheduled visit (week 0 = first anifrolumab infusion)",
    "adverse_events": "one row per adverse event (leave the sheet with its two header rows only if there were none)",
}

#: The convention for dates written as text; ingest applies exactly this (see ingest.normalise).
DATE_CONVENTION = (
    "Dates: best as Excel dates or as text YYYY-MM-DD (e.g. 2023-10-27). Text written DD/MM/YYYY "
    "(Italian order, e.g. 27/10/2023) is converted only when the order is certain: the day is above 12, "
    "day and month are equal, or the same sheet/file has another date with a day above 12 and none with a "
    "month position above 12. Anything else (e.g. 03/04/2022 alone, or American MM/DD/YYYY) is reported as "
    "an error: write it as YYYY-MM-DD."
)

INSTRUCTIONS = [
    "How to fill in this workbook",
    "",
    "1. Three sheets, one per table: patients (one row per patient), visits (one row per patient and "
    "scheduled visit), adverse_events (one row per adverse event).",
    "2. Row 1 holds the column names and row 2 the units: do not rename, reorder is allowed. "
    "Data start on row 3. Row 2 may be deleted; it is recognised and skipped when present.",
    "3. Identify patients ONLY by a pseudonymous patient_id of your choice (e.g. P001) that cannot be "
    "looked up anywhere. Never enter names, initials, birth dates, hospital record numbers, tax codes "
    "(codice fiscale), e-mail addresses, phone numbers or addresses: such columns or cells stop the "
    "import. Keep your own key (patient_id -> chart) outside this file.",
    "4. Binary columns: 0 = no, 1 = yes (Yes/No, Y/N, True/False, Si/No are accepted and converted).",
    "5. Decimals: a point (7.5); a decimal comma (7,5) is accepted when unambiguous. Never thousands "
    "separators (1,234.5 or 1.234,5 are rejected).",
    "6. " + DATE_CONVENTION,
    "7. Category columns: one of the allowed values listed below (capitals and spaces are tolerated, "
    "e.g. 'Persistently active' -> persistently_active).",
    "8. Leave a cell empty only where 'required' is 'no'. Nothing is dropped silently: every problem is "
    "listed with its sheet, row and column in validation_report.html.",
    "9. Check the workbook with: python -m lupus_utils.data.ingest this_file.xlsx --out build/own_data",
    "",
    "Columns (generated from data/codebook.csv, the single definition used by validation):",
]

README_HEADER = ("table", "column", "type", "unit", "allowed / range", "required (why)", "description", "source")

_BOLD = Font(bold=True)
_UNIT_FONT = Font(italic=True, color="555555")
_UNIT_FILL = PatternFill("solid", fgColor="EEEEEE")
_HEAD_FILL = PatternFill("solid", fgColor="DDE6F0")


def _num(x: float) -> str:
    return f"{x:g}"


def allowed_text(spec_row: pd.Series) -> str:
    """The allowed values or range of one codebook column, as a reader sees it."""
    if spec_row["allowed"]:
        return ", ".join(spec_row["allowed"])
    lo, hi = spec_row["min"], spec_row["max"]
    if math.isnan(lo) and math.isnan(hi):
        return ""
    return f"{'' if math.isnan(lo) else _num(lo)} to {'' if math.isnan(hi) else _num(hi)}".strip()


def units_row(table: str, codebook: pd.DataFrame | None = None) -> dict[str, str]:
    """Row 2 of the template sheet of ``table``: the unit of every column, or a short hint of
    what goes there when the column has no unit. Used by ingest to recognise the row."""
    out = {}
    for col, s in table_spec(table, codebook).iterrows():
        if s["unit"]:
            out[col] = s["unit"]
        elif s["type"] == "binary":
            out[col] = "0 = no, 1 = yes"
        elif s["type"] == "category":
            out[col] = "one of the list"
        elif s["type"] == "string":
            out[col] = "text"
        else:
            out[col] = s["type"]
    return out


def _validation(col: str, s: pd.Series) -> DataValidation | None:
    """Excel data validation for one codebook column (None for free text)."""
    kind, allowed = s["type"], s["allowed"]
    lo, hi = s["min"], s["max"]
    if allowed:
        dv = DataValidation(type="list", formula1='"' + ",".join(allowed) + '"', allow_blank=True)
        dv.error = f"{col}: must be one of {', '.join(allowed)}"
    elif kind in ("integer", "number") and not (math.isnan(lo) and math.isnan(hi)):
        excel_type = "whole" if kind == "integer" else "decimal"
        if math.isnan(hi):
            dv = DataValidation(type=excel_type, operator="greaterThanOrEqual", formula1=_num(lo), allow_blank=True)
        elif math.isnan(lo):
            dv = DataValidation(type=excel_type, operator="lessThanOrEqual", formula1=_num(hi), allow_blank=True)
        else:
            dv = DataValidation(type=excel_type, operator="between", formula1=_num(lo), formula2=_num(hi), allow_blank=True)
        dv.error = f"{col}: must be {'a whole number' if kind == 'integer' else 'a number'} {allowed_text(s)} {s['unit']}".rstrip()
    elif kind == "date":
        dv = DataValidation(type="date", operator="between", formula1="DATE(2000,1,1)", formula2="DATE(2100,12,31)",
                            allow_blank=True)
        dv.error = f"{col}: must be a date (YYYY-MM-DD)"
    else:
        return None
    dv.errorTitle = "Not allowed by the codebook"[:32]
    dv.showErrorMessage = True
    dv.prompt = s["description"][:250]
    dv.promptTitle = col[:32]
    dv.showInputMessage = True
    return dv


def _table_sheet(wb: Workbook, table: str, cb: pd.DataFrame) -> None:
    ws = wb.create_sheet(table)
    spec = table_spec(table, cb)
    units = units_row(table, cb)
    last = FIRST_DATA_ROW + TEMPLATE_ROWS[table] - 1
    for j, (col, s) in enumerate(spec.iterrows(), start=1):
        letter = get_column_letter(j)
        head = ws.cell(row=1, column=j, value=col)
        head.font, head.fill = _BOLD, _HEAD_FILL
        unit = ws.cell(row=2, column=j, value=units[col])
        unit.font, unit.fill = _UNIT_FONT, _UNIT_FILL
        ws.column_dimensions[letter].width = max(10, min(40, max(len(col), len(units[col])) + 2))
        dv = _validation(col, s)
        if dv is not None:
            dv.add(f"{letter}{FIRST_DATA_ROW}:{letter}{last}")
            ws.add_data_validation(dv)
        if s["type"] == "date":
            for r in range(FIRST_DATA_ROW, last + 1):
                ws.cell(row=r, column=j).number_format = "yyyy-mm-dd"
        elif s["type"] == "string":  # keep identifiers such as 001 as typed
            for r in range(FIRST_DATA_ROW, last + 1):
                ws.cell(row=r, column=j).number_format = "@"
    ws.freeze_panes = f"A{FIRST_DATA_ROW}"


def _readme_sheet(wb: Workbook, cb: pd.DataFrame) -> None:
    ws = wb.active
    ws.title = "README"
    for i, line in enumerate(INSTRUCTIONS, start=1):
        c = ws.cell(row=i, column=1, value=line)
        if i == 1 or line.startswith("Columns"):
            c.font = Font(bold=True, size=12 if i == 1 else 11)
    for t in TABLES:
        ws.append([])
        ws.append([f"Sheet {t}: {ROW_MEANING[t]}"])
        ws.cell(row=ws.max_row, column=1).font = _BOLD
    ws.append([])
    start = ws.max_row + 1
    ws.append(list(README_HEADER))
    for c in ws[start]:
        c.font, c.fill = _BOLD, _HEAD_FILL
    for r in cb.itertuples(index=False):
        ws.append([r.table, r.column, r.type, r.unit, allowed_text(pd.Series(r._asdict())),
                   f"yes: {r.required_because}" if r.required else "no", r.description, r.source])
        for c in ws[ws.max_row]:
            c.alignment = Alignment(wrap_text=True, vertical="top")
    for letter, width in zip("ABCDEFGH", (15, 30, 10, 22, 34, 40, 70, 45)):
        ws.column_dimensions[letter].width = width
    ws.freeze_panes = f"A{start + 1}"


def write_template(path: Path | str = DEFAULT_TEMPLATE, codebook: pd.DataFrame | None = None) -> Path:
    """Write the Excel template generated from the codebook to ``path``; returns the path."""
    cb = load_codebook() if codebook is None else codebook
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb = Workbook()
    _readme_sheet(wb, cb)
    for t in TABLES:
        _table_sheet(wb, t, cb)
    wb.save(path)
    return path


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) > 1 or (args and args[0] in ("-h", "--help")):
        print("usage: python -m lupus_utils.data.template [path]   (default build/cohort_template.xlsx)")
        return 0 if args and args[0] in ("-h", "--help") else 2
    path = write_template(Path(args[0]) if args else DEFAULT_TEMPLATE)
    print(f"template written: {path} (data start on row 3 of each sheet; see its README sheet)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
