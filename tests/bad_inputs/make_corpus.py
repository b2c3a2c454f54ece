"""Generate the bad-input corpus: small inputs derived from the synthetic cohort, each broken in
one way (or, for the positive cases, written in an accepted variant), plus ``cases.csv`` (how to
read each case and whether it must be accepted) and ``expected.csv`` (the problems the report
must name: file label, row, column, rule prefix -- written here by hand, never by running the
validator). They are exact: the report must name these problems and no others.

Run from the project root: ``.venv/bin/python tests/bad_inputs/make_corpus.py``. The output is
committed (workbooks are binary: regenerating changes their zip timestamps, not their content).

The base cohort is SYNTH-01..SYNTH-04 of data/synthetic. Spreadsheet rows of the base CSVs
(header = row 1):

- patients: SYNTH-01 row 2 (follow-up 4), SYNTH-02 row 3 (stopped week 4), SYNTH-03 row 4,
  SYNTH-04 row 5 (follow-up 12);
- visits: SYNTH-01 weeks 0, 4 rows 2-3; SYNTH-02 weeks 0, 4 rows 4-5; SYNTH-03 weeks 0, 4, 12
  rows 6-8; SYNTH-04 weeks 0, 4, 12 rows 9-11;
- adverse_events: rows 2-5 (SYNTH-02, SYNTH-01, SYNTH-04 at week 4; SYNTH-03 at week 12).
"""
from __future__ import annotations

import csv
import shutil
import sys
from datetime import datetime
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(ROOT))

from lupus_utils.paths import SYNTHETIC_DIR, TABLES  # noqa: E402
from lupus_utils.template import write_template  # noqa: E402

BASE_IDS = ("SYNTH-01", "SYNTH-02", "SYNTH-03", "SYNTH-04")
GENERATED = ("cases.csv", "expected.csv")


def base() -> dict[str, pd.DataFrame]:
    out = {}
    for t in TABLES:
        f = pd.read_csv(SYNTHETIC_DIR / f"{t}.csv", dtype=str, keep_default_na=False, encoding="utf-8")
        out[t] = f[f["patient_id"].isin(BASE_IDS)].reset_index(drop=True)
    return out


def cell(tables, table, row, column, value):
    """Set the cell at spreadsheet ``row`` (header = row 1) of the base CSV layout."""
    tables[table].loc[row - 2, column] = value


def write_csv_folder(folder: Path, tables: dict[str, pd.DataFrame], sep=",", encoding="utf-8") -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for t, f in tables.items():
        with open(folder / f"{t}.csv", "w", newline="", encoding=encoding) as fh:
            w = csv.writer(fh, delimiter=sep, lineterminator="\n")
            w.writerow(list(f.columns))
            w.writerows(f.astype(str).values.tolist())


def _excel_value(text: str, column: str):
    if text == "":
        return None
    if column == "anifrolumab_start":
        try:
            return datetime.strptime(text, "%Y-%m-%d")
        except ValueError:
            return text
    if column in ("patient_id", "event_id", "term"):
        return text
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def write_workbook(path: Path, tables: dict[str, pd.DataFrame], units_row=False) -> None:
    """An .xlsx with one sheet per table; with ``units_row`` the generated template is filled in
    (data from row 3), otherwise a plain workbook (header row 1, data from row 2)."""
    from openpyxl import Workbook, load_workbook

    path.parent.mkdir(parents=True, exist_ok=True)
    if units_row:
        write_template(path)
        wb = load_workbook(path)
        for t, f in tables.items():
            ws = wb[t]
            header = [c.value for c in ws[1]]
            for i, rec in enumerate(f.to_dict("records"), start=3):
                for j, col in enumerate(header, start=1):
                    ws.cell(row=i, column=j, value=_excel_value(rec.get(col, ""), col))
    else:
        wb = Workbook()
        wb.remove(wb.active)
        for t, f in tables.items():
            ws = wb.create_sheet(t)
            ws.append(list(f.columns))
            for rec in f.itertuples(index=False):
                ws.append([_excel_value(v, c) for v, c in zip(rec, f.columns)])
    wb.save(path)


# ---------------------------------------------------------------------------------------------
# the cases: name -> (builder, outcome, description, expected problems)
# a builder gets the case folder and returns the inputs (paths relative to the corpus folder)
# expected problems: (file label, row or "", column, rule prefix)
# ---------------------------------------------------------------------------------------------

CASES: list[dict] = []


def case(name, outcome, description, expected=()):
    def register(build):
        CASES.append(dict(name=name, outcome=outcome, description=description, expected=list(expected), build=build))
        return build
    return register


def csv_case(name, outcome, description, expected=(), **write):
    """A case that edits the base tables and writes them as a CSV folder named after the case."""
    def register(edit):
        def build(folder):
            t = base()
            edit(t)
            write_csv_folder(folder, t, **write)
            return [name]
        CASES.append(dict(name=name, outcome=outcome, description=description, expected=list(expected), build=build))
        return edit
    return register


def F(name, table):
    return f"{name}/{table}.csv"


# --- structure -------------------------------------------------------------------------------

@case("missing_sheet", "error", "workbook without a visits sheet",
      [("missing_sheet.xlsx, sheet visits", "", "", "missing table")])
def _(folder):
    t = base()
    del t["visits"]
    write_workbook(folder / "missing_sheet.xlsx", t)
    return ["missing_sheet/missing_sheet.xlsx"]


@case("missing_csv_file", "error", "folder without adverse_events.csv",
      [("missing_csv_file/adverse_events.csv", "", "", "missing table")])
def _(folder):
    t = base()
    del t["adverse_events"]
    write_csv_folder(folder, t)
    return ["missing_csv_file"]


@csv_case("renamed_column", "error", "visits column pga renamed PGA_score",
          [(F("renamed_column", "visits"), "", "PGA_score", "unknown column"),
           (F("renamed_column", "visits"), "", "pga", "missing column")])
def _(t):
    t["visits"] = t["visits"].rename(columns={"pga": "PGA_score"})


@case("empty_file", "error", "visits.csv is an empty file (0 bytes)",
      [("empty_file/visits.csv", "", "", "empty")])
def _(folder):
    write_csv_folder(folder, base())
    (folder / "visits.csv").write_bytes(b"")
    return ["empty_file"]


@csv_case("header_only_patients", "error", "patients.csv holds the header row only",
          [(F("header_only_patients", "patients"), "", "", "empty table"),
           *[(F("header_only_patients", "visits"), r, "patient_id", "unknown patient") for r in range(2, 12)],
           *[(F("header_only_patients", "adverse_events"), r, "patient_id", "unknown patient") for r in range(2, 6)]])
def _(t):
    t["patients"] = t["patients"].iloc[0:0]


@case("wrong_encoding", "error", "adverse_events.csv saved as latin-1 (a degree sign)",
      [("wrong_encoding/adverse_events.csv", "", "", "not UTF-8")])
def _(folder):
    t = base()
    cell(t, "adverse_events", 3, "term", "febbre 38°C")
    write_csv_folder(folder, {k: v for k, v in t.items() if k != "adverse_events"})
    write_csv_folder(folder, {"adverse_events": t["adverse_events"]}, encoding="latin-1")
    return ["wrong_encoding"]


@case("extra_cells", "error", "a visits record with a value beyond the last named column",
      [("extra_cells/visits.csv", 4, "", "extra cells")])
def _(folder):
    write_csv_folder(folder, base())
    path = folder / "visits.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[3] += ",surplus"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return ["extra_cells"]


@case("not_a_workbook", "error", "a text file named .xlsx",
      [("not_a_workbook.xlsx", "", "", "unreadable workbook")])
def _(folder):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "not_a_workbook.xlsx").write_text("patient_id,center\nP1,Pisa\n", encoding="utf-8")
    return ["not_a_workbook/not_a_workbook.xlsx"]


@case("blank_line_then_error", "error", "a blank line after visits row 3; PGA 5 in the next record, row 5",
      [("blank_line_then_error/visits.csv", 5, "pga", "out of range")])
def _(folder):
    t = base()
    cell(t, "visits", 4, "pga", "5")  # base row 4 becomes spreadsheet row 5 after the blank line
    write_csv_folder(folder, t)
    path = folder / "visits.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines.insert(3, "")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return ["blank_line_then_error"]


# --- cell types and ranges -------------------------------------------------------------------

@csv_case("text_in_numeric", "error", "tender_joints 'many'",
          [(F("text_in_numeric", "visits"), 3, "tender_joints", "wrong type")])
def _(t):
    cell(t, "visits", 3, "tender_joints", "many")


@csv_case("pga_out_of_range", "error", "PGA 4 on a 0-3 scale",
          [(F("pga_out_of_range", "visits"), 2, "pga", "out of range")])
def _(t):
    cell(t, "visits", 2, "pga", "4")


@csv_case("sledai_item_coded_2", "error", "SLEDAI arthritis coded 2",
          [(F("sledai_item_coded_2", "visits"), 4, "sledai_arthritis", "not allowed")])
def _(t):
    cell(t, "visits", 4, "sledai_arthritis", "2")


@csv_case("ambiguous_number_european", "error", "cumulative_gc_g '1.234,5' (thousands point, decimal comma)",
          [(F("ambiguous_number_european", "patients"), 2, "cumulative_gc_g", "wrong type")])
def _(t):
    cell(t, "patients", 2, "cumulative_gc_g", "1.234,5")


@csv_case("ambiguous_number_english", "error", "platelets '1,234.5' (thousands comma)",
          [(F("ambiguous_number_english", "visits"), 3, "platelets_10e9_l", "wrong type")])
def _(t):
    cell(t, "visits", 3, "sledai_thrombocytopenia", "0")
    cell(t, "visits", 3, "platelets_10e9_l", "1,234.5")


@csv_case("ambiguous_number_grouping", "error", "platelets '1,234' (thousands or 1.234?)",
          [(F("ambiguous_number_grouping", "visits"), 3, "platelets_10e9_l", "wrong type")])
def _(t):
    cell(t, "visits", 3, "sledai_thrombocytopenia", "0")
    cell(t, "visits", 3, "platelets_10e9_l", "1,234")


@csv_case("unknown_category", "error", "treatment_status 'paused'",
          [(F("unknown_category", "visits"), 5, "treatment_status", "not allowed")])
def _(t):
    cell(t, "visits", 5, "treatment_status", "paused")


@csv_case("ambiguous_category", "error", "sex 'female' (not F/M)",
          [(F("ambiguous_category", "patients"), 3, "sex", "not allowed")])
def _(t):
    cell(t, "patients", 3, "sex", "female")


@csv_case("missing_required", "error", "sex left empty",
          [(F("missing_required", "patients"), 4, "sex", "required")])
def _(t):
    cell(t, "patients", 4, "sex", "")


@csv_case("date_wrong_format", "error", "anifrolumab_start '27 Oct 2023'",
          [(F("date_wrong_format", "patients"), 2, "anifrolumab_start", "wrong type")])
def _(t):
    cell(t, "patients", 2, "anifrolumab_start", "27 Oct 2023")


@csv_case("date_ambiguous", "error", "anifrolumab_start '03/04/2023' with no day-first evidence in the file",
          [(F("date_ambiguous", "patients"), 3, "anifrolumab_start", "wrong type")])
def _(t):
    cell(t, "patients", 3, "anifrolumab_start", "03/04/2023")


@csv_case("date_month_first", "error", "American dates (10/27/2023 proves month-first): none converted",
          [(F("date_month_first", "patients"), 2, "anifrolumab_start", "wrong type"),
           (F("date_month_first", "patients"), 3, "anifrolumab_start", "wrong type")])
def _(t):
    cell(t, "patients", 2, "anifrolumab_start", "10/27/2023")
    cell(t, "patients", 3, "anifrolumab_start", "11/10/2023")


# --- relations and consistency ---------------------------------------------------------------

@csv_case("duplicate_visit", "error", "SYNTH-01 week 4 entered twice (row 12)",
          [(F("duplicate_visit", "visits"), 12, "week", "duplicate visit")])
def _(t):
    v = t["visits"]
    t["visits"] = pd.concat([v, v.iloc[[1]]], ignore_index=True)


@csv_case("negative_week", "error", "a visit at week -4 (before baseline)",
          [(F("negative_week", "visits"), 3, "week", "not allowed"),
           (F("negative_week", "patients"), 2, "follow_up_weeks", "inconsistent")])
def _(t):
    cell(t, "visits", 3, "week", "-4")


@csv_case("unscheduled_week", "error", "a visit at week 8 (not in the schedule)",
          [(F("unscheduled_week", "visits"), 7, "week", "not allowed")])
def _(t):
    cell(t, "visits", 7, "week", "8")


@csv_case("ae_unknown_patient", "error", "adverse event of SYNTH-99",
          [(F("ae_unknown_patient", "adverse_events"), 4, "patient_id", "unknown patient")])
def _(t):
    cell(t, "adverse_events", 4, "patient_id", "SYNTH-99")


@csv_case("duplicate_patient_id", "error", "SYNTH-01 entered twice in patients (row 6)",
          [(F("duplicate_patient_id", "patients"), 2, "patient_id", "duplicate"),
           (F("duplicate_patient_id", "patients"), 6, "patient_id", "duplicate")])
def _(t):
    p = t["patients"]
    t["patients"] = pd.concat([p, p.iloc[[0]]], ignore_index=True)


@csv_case("event_after_follow_up", "error", "SYNTH-01's event at week 12, follow-up 4",
          [(F("event_after_follow_up", "adverse_events"), 3, "week", "after the end of follow-up")])
def _(t):
    cell(t, "adverse_events", 3, "week", "12")


@csv_case("missing_baseline", "error", "SYNTH-03's week-0 visit deleted",
          [(F("missing_baseline", "patients"), 4, "patient_id", "no baseline")])
def _(t):
    t["visits"] = t["visits"].drop(index=4).reset_index(drop=True)


@csv_case("rash_inconsistent", "error", "rash_extent none while sledai_rash is 1",
          [(F("rash_inconsistent", "visits"), 2, "rash_extent", "inconsistent")])
def _(t):
    cell(t, "visits", 2, "sledai_rash", "1")
    cell(t, "visits", 2, "rash_extent", "none")


@csv_case("gc_dose_without_drug", "error", "gc_drug none with 5 mg",
          [(F("gc_dose_without_drug", "visits"), 3, "gc_dose_mg", "inconsistent")])
def _(t):
    cell(t, "visits", 3, "gc_drug", "none")
    cell(t, "visits", 3, "gc_dose_mg", "5")


@csv_case("platelets_inconsistent", "error", "sledai_thrombocytopenia 1 while platelets are 150",
          [(F("platelets_inconsistent", "visits"), 3, "platelets_10e9_l", "inconsistent")])
def _(t):
    cell(t, "visits", 3, "sledai_thrombocytopenia", "1")
    cell(t, "visits", 3, "platelets_10e9_l", "150")


@csv_case("stop_week_without_reason", "error", "anifrolumab_stop_week 4 without a reason",
          [(F("stop_week_without_reason", "patients"), 2, "anifrolumab_stop_reason", "inconsistent")])
def _(t):
    cell(t, "patients", 2, "anifrolumab_stop_week", "4")
    cell(t, "patients", 2, "anifrolumab_stop_reason", "")


# --- direct identifiers ----------------------------------------------------------------------

@csv_case("identifier_columns", "error", "patients with cognome and data_nascita columns",
          [(F("identifier_columns", "patients"), "", "cognome", "direct identifier"),
           (F("identifier_columns", "patients"), "", "data_nascita", "direct identifier")])
def _(t):
    p = t["patients"]
    p.insert(1, "cognome", ["Rossi", "Bianchi", "Verdi", "Neri"])
    p.insert(2, "data_nascita", ["1985-08-01", "1980-02-11", "1990-12-24", "1975-05-05"])


@csv_case("identifier_record_number", "error", "visits with an MRN column and a phone column",
          [(F("identifier_record_number", "visits"), "", "MRN", "direct identifier"),
           (F("identifier_record_number", "visits"), "", "telefono", "direct identifier")])
def _(t):
    v = t["visits"]
    v["MRN"] = [f"2023{i:06d}" for i in range(len(v))]
    v["telefono"] = ""


@csv_case("codice_fiscale_cell", "error", "a codice fiscale used as SYNTH-02's patient_id",
          [(F("codice_fiscale_cell", "patients"), 3, "patient_id", "direct identifier"),
           (F("codice_fiscale_cell", "visits"), 4, "patient_id", "direct identifier"),
           (F("codice_fiscale_cell", "visits"), 5, "patient_id", "direct identifier"),
           (F("codice_fiscale_cell", "adverse_events"), 2, "patient_id", "direct identifier")])
def _(t):
    for table in TABLES:
        f = t[table]
        f.loc[f["patient_id"] == "SYNTH-02", "patient_id"] = "RSSMRA85M01H501Z"


@csv_case("codice_fiscale_omocodia", "error", "an omocodic codice fiscale (digits replaced by letters) in a term",
          [(F("codice_fiscale_omocodia", "adverse_events"), 5, "term", "direct identifier")])
def _(t):
    cell(t, "adverse_events", 5, "term", "infection, pt rssmra85m01h50mq")


@csv_case("email_cell", "error", "an e-mail address in an adverse event term",
          [(F("email_cell", "adverse_events"), 2, "term", "direct identifier")])
def _(t):
    cell(t, "adverse_events", 2, "term", "see mail from mario.rossi@example.it")


@csv_case("phone_cell", "error", "phone numbers in cells (+39 and a 10-digit mobile)",
          [(F("phone_cell", "adverse_events"), 3, "term", "direct identifier"),
           (F("phone_cell", "patients"), 5, "patient_id", "direct identifier"),
           *[(F("phone_cell", "visits"), r, "patient_id", "direct identifier") for r in (9, 10, 11)],
           (F("phone_cell", "adverse_events"), 4, "patient_id", "direct identifier")])
def _(t):
    cell(t, "adverse_events", 3, "term", "call +39 050 992111")
    for table in TABLES:
        f = t[table]
        f.loc[f["patient_id"] == "SYNTH-04", "patient_id"] = "3331234567"


# --- workbooks: row numbers with and without the units row -----------------------------------

@case("xlsx_units_row_error", "error", "the filled template (units row 2); PGA 9 in the third visit, sheet row 5",
      [("xlsx_units_row_error.xlsx, sheet visits", 5, "pga", "out of range"),
       ("xlsx_units_row_error.xlsx, sheet patients", 4, "sex", "required")])
def _(folder):
    t = base()
    cell(t, "visits", 4, "pga", "9")
    cell(t, "patients", 3, "sex", "")
    write_workbook(folder / "xlsx_units_row_error.xlsx", t, units_row=True)
    return ["xlsx_units_row_error/xlsx_units_row_error.xlsx"]


@case("xlsx_plain_error", "error", "a plain workbook (no units row); PGA 9 in the third visit, sheet row 4",
      [("xlsx_plain_error.xlsx, sheet visits", 4, "pga", "out of range")])
def _(folder):
    t = base()
    cell(t, "visits", 4, "pga", "9")
    write_workbook(folder / "xlsx_plain_error.xlsx", t)
    return ["xlsx_plain_error/xlsx_plain_error.xlsx"]


@case("two_centres_one_error", "error", "centre_a valid, centre_b (same ids) with PGA 4 in row 3",
      [("centre_b/visits.csv", 3, "pga", "out of range")])
def _(folder):
    write_csv_folder(folder / "centre_a", base())
    t = base()
    cell(t, "visits", 3, "pga", "4")
    write_csv_folder(folder / "centre_b", t)
    return ["two_centres_one_error/centre_a", "two_centres_one_error/centre_b"]


# --- positive cases: accepted after normalisation --------------------------------------------

@csv_case("ok_semicolon_comma_decimals", "ok", "semicolon CSVs with decimal commas (valid after normalisation)", sep=";")
def _(t):
    for table, f in t.items():
        for col in f.columns:
            f[col] = f[col].map(lambda s: s.replace(".", ",") if s.replace(".", "", 1).isdigit() and "." in s else s)


@csv_case("ok_variants", "ok", "Yes/No binaries, 'W4' weeks, capitalised categories, a BOM")
def _(t):
    v, p = t["visits"], t["patients"]
    for col in ("sledai_rash", "sledai_alopecia", "hospitalised_for_sle"):
        v[col] = v[col].map({"1": "Yes", "0": "no"})
    v["week"] = v["week"].map(lambda w: f"W{w}")
    v["gc_drug"] = v["gc_drug"].str.capitalize()
    p["reason_for_anifrolumab"] = p["reason_for_anifrolumab"].map({"flare": "Flare", "persistently_active": "Persistently active"})
    p["concomitant_hcq"] = p["concomitant_hcq"].map({"1": "Sì", "0": "No"})
    p["center"] = p["center"].str.upper()


@csv_case("ok_dates_day_first", "ok", "DD/MM/YYYY dates; 27/10/2023 proves the day-first order of 10/11/2023 and 04/08/2023")
def _(t):
    p = t["patients"]
    p["anifrolumab_start"] = p["anifrolumab_start"].map(lambda d: f"{d[8:10]}/{d[5:7]}/{d[0:4]}")


@csv_case("ok_header_only_adverse_events", "ok", "no adverse events: adverse_events.csv holds the header only")
def _(t):
    t["adverse_events"] = t["adverse_events"].iloc[0:0]


@case("ok_two_centres_clashing_ids", "ok", "two centres with the same patient and event ids: accepted with prefixes")
def _(folder):
    write_csv_folder(folder / "centre_a", base())
    t = base()
    t["patients"] = t["patients"].drop(columns=["center"])  # filled from the folder name ('other')
    write_csv_folder(folder / "centre_b", t)
    return ["ok_two_centres_clashing_ids/centre_a", "ok_two_centres_clashing_ids/centre_b"]


@case("ok_xlsx_units_row", "ok", "the generated template filled in (units row 2, Excel dates)")
def _(folder):
    write_workbook(folder / "ok_xlsx_units_row.xlsx", base(), units_row=True)
    return ["ok_xlsx_units_row/ok_xlsx_units_row.xlsx"]


def main() -> None:
    for d in HERE.iterdir():
        if d.is_dir() and d.name != "__pycache__":
            shutil.rmtree(d)
    cases, expected = [], []
    for c in CASES:
        inputs = c["build"](HERE / c["name"])
        cases.append({"case": c["name"], "inputs": " ".join(inputs), "outcome": c["outcome"], "description": c["description"]})
        for file, row, column, rule in c["expected"]:
            expected.append({"case": c["name"], "file": file, "row": row, "column": column, "rule": rule})
    pd.DataFrame(cases).to_csv(HERE / "cases.csv", index=False, lineterminator="\n")
    pd.DataFrame(expected, columns=["case", "file", "row", "column", "rule"]).to_csv(HERE / "expected.csv", index=False, lineterminator="\n")
    print(f"{len(cases)} cases ({sum(c['outcome'] == 'error' for c in cases)} errors, "
          f"{sum(c['outcome'] == 'ok' for c in cases)} accepted), {len(expected)} expected problems -> {HERE}")


if __name__ == "__main__":
    main()
