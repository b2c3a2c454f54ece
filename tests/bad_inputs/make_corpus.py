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
from datetime import datetime
from pathlib import Path
from typing import NamedTuple

import pandas as pd

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent

from lupus_utils.paths import SYNTHETIC_DIR, TABLES
from lupus_utils.data.template import write_template

BASE_IDS = ("SYNTH-01", "SYNTH-02", "SYNTH-03", "SYNTH-04")
GENERATED = ("cases.csv", "expected.csv")


def base() -> dict[str, pd.DataFrame]:
    out = {}
    for t in TABLES:
        f = pd.read_csv(SYNTHETIC_DIR / f"{t}.csv", dtype=str, keep_default_na=False, encoding="utf-8")
        out[t] = f[f["patient_id"].isin(BASE_IDS)].reset_index(drop=True)
    return out


def other_centre() -> dict[str, pd.DataFrame]:
    """The base tables as another centre's: the same ids, other patients (each a year older)."""
    t = base()
    t["patients"]["age_years"] = (t["patients"]["age_years"].astype(int) + 1).astype(str)
    return t


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
    t = other_centre()
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
    t = other_centre()
    t["patients"] = t["patients"].drop(columns=["center"])  # filled from the folder name ('other')
    write_csv_folder(folder / "centre_b", t)
    return ["ok_two_centres_clashing_ids/centre_a", "ok_two_centres_clashing_ids/centre_b"]


@case("ok_xlsx_units_row", "ok", "the generated template filled in (units row 2, Excel dates)")
def _(folder):
    write_workbook(folder / "ok_xlsx_units_row.xlsx", base(), units_row=True)
    return ["ok_xlsx_units_row/ok_xlsx_units_row.xlsx"]

# --- hostile input: crashes, identifiers in text, silent changes (issue 20) ------------------

@csv_case("empty_treatment_status", "error", "one empty treatment_status cell (crashed ingest before)",
          [(F("empty_treatment_status", "visits"), 3, "treatment_status", "required")])
def _(t):
    cell(t, "visits", 3, "treatment_status", "")


JUNK = 300


@csv_case("junk_rows", "error", f"{JUNK} junk visit rows: unknown patients, unreadable weeks, empty status",
          [*[(F("junk_rows", "visits"), r, "patient_id", "unknown patient") for r in range(12, 12 + JUNK)],
           *[(F("junk_rows", "visits"), r, "week", "wrong type") for r in range(12, 12 + JUNK)],
           *[(F("junk_rows", "visits"), r, "treatment_status", "required") for r in range(12, 12 + JUNK)]])
def _(t):
    v = t["visits"]
    junk = pd.concat([v.iloc[[0]]] * JUNK, ignore_index=True)
    junk["patient_id"] = [f"JUNK-{i:03d}" for i in range(JUNK)]
    junk["week"] = "?"
    junk["treatment_status"] = ""
    t["visits"] = pd.concat([v, junk], ignore_index=True)


@csv_case("free_text_name_phone", "error", "a name and a mobile number inside an adverse-event term",
          [(F("free_text_name_phone", "adverse_events"), 3, "term", "direct identifier")])
def _(t):
    cell(t, "adverse_events", 3, "term", "herpes zoster, riferito da Maria Rossi al 333 1234567")


@csv_case("note_column_phone", "error", "an unknown 'note' column holding a landline number in a sentence",
          [(F("note_column_phone", "adverse_events"), 2, "note", "direct identifier")])
def _(t):
    ae = t["adverse_events"]
    ae["note"] = ["richiamare lo 050 992111 domani", "", "", ""]


@csv_case("free_text_patient_id", "error", "an adverse-event term naming an input patient id",
          [(F("free_text_patient_id", "adverse_events"), 4, "term", "direct identifier")])
def _(t):
    cell(t, "adverse_events", 4, "term", "herpes simplex, as SYNTH-02 had at week 4")


@csv_case("free_text_birth_date", "error", "a date of birth inside an adverse-event term",
          [(F("free_text_birth_date", "adverse_events"), 2, "term", "direct identifier")])
def _(t):
    cell(t, "adverse_events", 2, "term", "infezione vie aeree, paziente nata il 01/08/1985")


@csv_case("patient_id_like_a_person", "error", "patient_id holding a person's name (SYNTH-03 -> 'Maria Rossi')",
          [(F("patient_id_like_a_person", "patients"), 4, "patient_id", "direct identifier"),
           *[(F("patient_id_like_a_person", "visits"), r, "patient_id", "direct identifier") for r in (6, 7, 8)],
           (F("patient_id_like_a_person", "adverse_events"), 5, "patient_id", "direct identifier")])
def _(t):
    for table in TABLES:
        f = t[table]
        f.loc[f["patient_id"] == "SYNTH-03", "patient_id"] = "Maria Rossi"


@case("registry_file_in_folder", "error", "a folder that also holds anagrafica.csv (a register of persons)",
      [("registry_file_in_folder/anagrafica.csv", "", "", "personal data")])
def _(folder):
    write_csv_folder(folder, base())
    (folder / "anagrafica.csv").write_text("patient_id,cognome,nome\nSYNTH-01,Rossi,Maria\n", encoding="utf-8")
    return ["registry_file_in_folder"]


@case("registry_sheet_in_workbook", "error", "a workbook with an extra sheet 'Anagrafica pazienti'",
      [("registry_sheet_in_workbook.xlsx, sheet Anagrafica pazienti", "", "", "personal data")])
def _(folder):
    from openpyxl import load_workbook

    path = folder / "registry_sheet_in_workbook.xlsx"
    write_workbook(path, base())
    wb = load_workbook(path)
    ws = wb.create_sheet("Anagrafica pazienti")
    ws.append(["patient_id", "cognome", "nome"])
    ws.append(["SYNTH-01", "Rossi", "Maria"])
    wb.save(path)
    return ["registry_sheet_in_workbook/registry_sheet_in_workbook.xlsx"]


@case("ragged_row", "error", "patients row 3 lacks its last two fields (stop week and reason)",
      [("ragged_row/patients.csv", 3, "", "ragged row")])
def _(folder):
    write_csv_folder(folder, base())
    path = folder / "patients.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[2] = lines[2].rsplit(",", 2)[0]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return ["ragged_row"]


@csv_case("thousands_point", "error", "decimal-comma semicolon file with cumulative_gc_g '1.250' (1.25 or 1250?)",
          [(F("thousands_point", "patients"), 2, "cumulative_gc_g", "ambiguous number")], sep=";")
def _(t):
    for f in t.values():
        for col in f.columns:
            f[col] = f[col].map(lambda s: s.replace(".", ",") if s.replace(".", "", 1).isdigit() and "." in s else s)
    cell(t, "patients", 2, "cumulative_gc_g", "1.250")


def _edit_workbook(path: Path, edit) -> None:
    from openpyxl import load_workbook

    wb = load_workbook(path)
    edit(wb)
    wb.save(path)


@case("formula_uncached", "error", "a PGA cell holding a formula saved without its value (sheet row 4)",
      [("formula_uncached.xlsx, sheet visits", 4, "pga", "formula not calculated")])
def _(folder):
    path = folder / "formula_uncached.xlsx"
    write_workbook(path, base())

    def edit(wb):
        ws = wb["visits"]
        col = [c.value for c in ws[1]].index("pga") + 1
        ws.cell(row=4, column=col, value="=1+0")
    _edit_workbook(path, edit)
    return ["formula_uncached/formula_uncached.xlsx"]


@case("merged_cells", "error", "gc_drug merged over sheet rows 2-3 of visits",
      [("merged_cells.xlsx, sheet visits", 2, "gc_drug", "merged cells")])
def _(folder):
    path = folder / "merged_cells.xlsx"
    write_workbook(path, base())

    def edit(wb):
        from openpyxl.utils import get_column_letter

        ws = wb["visits"]
        letter = get_column_letter([c.value for c in ws[1]].index("gc_drug") + 1)
        ws.merge_cells(f"{letter}2:{letter}3")
    _edit_workbook(path, edit)
    return ["merged_cells/merged_cells.xlsx"]


@case("excel_error_values", "error", "Excel error values: #N/A in a workbook's PGA, #DIV/0! in a CSV's platelets",
      [("excel_error_values.xlsx, sheet visits", 3, "pga", "Excel error value"),
       ("csv/visits.csv", 5, "platelets_10e9_l", "Excel error value")])
def _(folder):
    path = folder / "excel_error_values.xlsx"
    write_workbook(path, base())

    def edit(wb):
        ws = wb["visits"]
        ws.cell(row=3, column=[c.value for c in ws[1]].index("pga") + 1, value="#N/A")
    _edit_workbook(path, edit)
    t = other_centre()
    cell(t, "visits", 5, "platelets_10e9_l", "#DIV/0!")
    write_csv_folder(folder / "csv", t)
    return ["excel_error_values/excel_error_values.xlsx", "excel_error_values/csv"]


@case("corrupt_sheet_xml", "error", "the visits sheet's XML is cut off (crashed ingest before)",
      [("corrupt_sheet_xml.xlsx, sheet visits", "", "", "unreadable sheet")])
def _(folder):
    path = folder / "corrupt_sheet_xml.xlsx"
    write_workbook(path, base())
    _rewrite_member(path, "xl/worksheets/sheet2.xml", lambda xml: xml[: len(xml) // 2])
    return ["corrupt_sheet_xml/corrupt_sheet_xml.xlsx"]


def _rewrite_member(path: Path, member: str, change) -> None:
    import zipfile

    with zipfile.ZipFile(path) as zin:
        items = [(i, zin.read(i.filename)) for i in zin.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zout:
        for info, data in items:
            zout.writestr(info, change(data) if info.filename == member else data)


@case("hidden_sheet", "error", "a hidden sheet 'old' that holds rows",
      [("hidden_sheet.xlsx, sheet old", "", "", "hidden sheet")])
def _(folder):
    path = folder / "hidden_sheet.xlsx"
    write_workbook(path, base())

    def edit(wb):
        ws = wb.create_sheet("old")
        ws.append(["patient_id", "week", "pga"])
        ws.append(["SYNTH-01", 8, 1])
        ws.sheet_state = "hidden"
    _edit_workbook(path, edit)
    return ["hidden_sheet/hidden_sheet.xlsx"]


@case("unbalanced_quote", "error", "an opening quote in visits line 4 that is never closed",
      [("unbalanced_quote/visits.csv", 4, "", "quoted field over several lines")])
def _(folder):
    write_csv_folder(folder, base())
    path = folder / "visits.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    head = lines[0].split(",")
    cells = lines[3].split(",")
    cells[head.index("gc_drug")] = '"' + cells[head.index("gc_drug")]
    lines[3] = ",".join(cells)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return ["unbalanced_quote"]


@case("utf16_no_bom", "error", "visits.csv saved as UTF-16 without a byte-order mark",
      [("utf16_no_bom/visits.csv", "", "", "wide text")])
def _(folder):
    write_csv_folder(folder, base())
    path = folder / "visits.csv"
    path.write_bytes(path.read_text(encoding="utf-8").encode("utf-16-le"))
    return ["utf16_no_bom"]


@case("same_folder_twice", "error", "the same folder given twice",
      [("same_folder_twice", "", "", "given twice")])
def _(folder):
    write_csv_folder(folder, base())
    return ["same_folder_twice", "same_folder_twice"]


@case("identical_content", "error", "one centre's files under two folder names",
      [("copy_b", "", "", "identical content")])
def _(folder):
    write_csv_folder(folder / "copy_a", base())
    write_csv_folder(folder / "copy_b", base())
    return ["identical_content/copy_a", "identical_content/copy_b"]


@case("same_centre_xlsx_and_csv", "error", "one centre given as a workbook and as CSV files",
      [("csv/patients.csv", "", "", "the same patients")])
def _(folder):
    write_workbook(folder / "centre.xlsx", base())
    write_csv_folder(folder / "csv", base())
    return ["same_centre_xlsx_and_csv/centre.xlsx", "same_centre_xlsx_and_csv/csv"]


@case("ok_stale_dimension", "ok", "a workbook whose stored dimension claims 3 visit rows (it has 11)")
def _(folder):
    import re as _re

    path = folder / "ok_stale_dimension.xlsx"
    write_workbook(path, base())
    _rewrite_member(path, "xl/worksheets/sheet2.xml",
                    lambda xml: _re.sub(rb'<dimension ref="[^"]*"', b'<dimension ref="A1:C3"', xml))
    return ["ok_stale_dimension/ok_stale_dimension.xlsx"]


@case("ok_sep_line", "ok", "Excel's 'sep=;' first line above semicolon CSVs")
def _(folder):
    write_csv_folder(folder, base(), sep=";")
    for t in TABLES:
        path = folder / f"{t}.csv"
        path.write_text("sep=;\n" + path.read_text(encoding="utf-8"), encoding="utf-8")
    return ["ok_sep_line"]


@case("ok_leading_empty_column", "ok", "every CSV starts with an empty column (no name, no values)")
def _(folder):
    write_csv_folder(folder, base())
    for t in TABLES:
        path = folder / f"{t}.csv"
        path.write_text("".join("," + line + "\n" for line in path.read_text(encoding="utf-8").splitlines()), encoding="utf-8")
    return ["ok_leading_empty_column"]


@case("ok_utf16_bom", "ok", "tab-separated UTF-16 with its byte-order mark (Excel's 'Unicode text')")
def _(folder):
    write_csv_folder(folder, base(), sep="\t")
    for t in TABLES:
        path = folder / f"{t}.csv"
        path.write_bytes(path.read_text(encoding="utf-8").encode("utf-16"))
    return ["ok_utf16_bom"]


# --- REDCap records exports ------------------------------------------------------------------
# The base cohort exported (lupus_utils.data.redcap.records_export), header = line 1: SYNTH-01 lines
# 2 (week 0: patients and visit), 3 (week 4), 4 (week 4, adverse event 1); SYNTH-02 lines 5-7
# likewise; SYNTH-03 lines 8 (week 0), 9 (week 4), 10 (week 12), 11 (week 12, adverse event 1);
# SYNTH-04 lines 12 (week 0), 13 (week 4), 14 (week 4, adverse event 1), 15 (week 12).
# (For reading only: a case finds the row it edits by record, event and instance with at(), and
# the line of an expected problem with Row(), in its own export; no line number is typed.)

def redcap_export(labels: bool = False) -> pd.DataFrame:
    from lupus_utils.data.redcap import records_export

    return records_export(base(), labels=labels)


def at(e: pd.DataFrame, record: str, event: str, instance: str = "", form: str | None = None) -> int:
    """The index in the raw export ``e`` of a record's row at an event: its visit row, or with
    ``instance`` (or ``form="adverse_events"`` for an instance without its number) that
    repeating adverse event's row."""
    form = ("adverse_events" if instance else "") if form is None else form
    hit = e.index[(e["patient_id"] == record) & (e["redcap_event_name"] == event)
                  & (e["redcap_repeat_instrument"] == form) & (e["redcap_repeat_instance"] == instance)]
    assert len(hit) == 1, f"{len(hit)} rows of record {record} at event {event} (form {form!r}, instance {instance!r})"
    return int(hit[0])


class Row(NamedTuple):
    """An expected problem's place in an export, by record, event (as the case's file writes it)
    and, for an adverse event, instance: the generator turns it into the file label the report
    names and the line (header = 1) where the case's export holds that row."""
    record: str
    event: str
    table: str | None = None
    instance: str = ""
    form: str | None = None


def redcap_case(name, outcome, description, expected=(), labels=False):
    """A case that edits the base cohort's records export (line = spreadsheet row, header = 1)
    and writes it as ``<name>/<name>.csv``. An expected problem given as ``(Row(...), column,
    rule)`` gets its file label and line from the edited export, the one the case writes."""
    def register(edit):
        def build(folder):
            e = redcap_export(labels)
            edit(e)
            folder.mkdir(parents=True, exist_ok=True)
            e.to_csv(folder / f"{name}.csv", index=False, lineterminator="\n")
            return [f"{name}/{name}.csv"]
        e = redcap_export(labels)
        edit(e)
        found = [(R(name, x[0].record, x[0].event, x[0].table),
                  str(at(e, x[0].record, x[0].event, x[0].instance, x[0].form) + 2), *x[1:])
                 if isinstance(x[0], Row) else x for x in expected]
        CASES.append(dict(name=name, outcome=outcome, description=description, expected=found, build=build))
        return edit
    return register


def R(name, record, event, table=None):
    """How a problem names a cell of an export: file (table), record, event."""
    return f"{name}.csv (REDCap){', ' + table if table else ''}, record {record}, event {event}"


@redcap_case("redcap_ok_raw", "ok", "REDCap records export, raw values and raw headers")
def _(e):
    pass


@redcap_case("redcap_ok_labels", "ok", "REDCap records export, label values and label headers ('CSV (labels)')",
             labels=True)
def _(e):
    pass


@redcap_case("redcap_unknown_event", "error", "SYNTH-03's week-4 row at an event the project does not have",
             [(Row("SYNTH-03", "week_8_arm_1"), "redcap_event_name", "unknown event")])
def _(e):
    e.loc[at(e, "SYNTH-03", "week_4_arm_1"), "redcap_event_name"] = "week_8_arm_1"


@redcap_case("redcap_unknown_field", "error", "a field the data dictionary does not have (smoking_status)",
             [("redcap_unknown_field.csv (REDCap)", "1", "smoking_status", "unknown field")])  # line 1: the header
def _(e):
    e.insert(10, "smoking_status", "")
    e.loc[at(e, "SYNTH-01", "week_0_arm_1"), "smoking_status"] = "never"


@redcap_case("redcap_mixed_values", "error", "a raw export with one label value (sex 'F' instead of the code 'f')",
             [(Row("SYNTH-03", "week_0_arm_1"), "sex", "raw and label values mixed")])
def _(e):
    e.loc[at(e, "SYNTH-03", "week_0_arm_1"), "sex"] = "F"


@redcap_case("redcap_instance_without_parent", "error",
             "SYNTH-03's adverse event (instance 1) at week 24, where SYNTH-03 has no visit (and which is after its "
             "follow-up: the adverse event is mapped, so it is validated)",
             [(Row("SYNTH-03", "week_24_arm_1", instance="1"), "redcap_repeat_instrument",
               "repeating instance without its parent"),
              (Row("SYNTH-03", "week_24_arm_1", "adverse_events", "1"), "week", "after the end of follow-up")])
def _(e):
    e.loc[at(e, "SYNTH-03", "week_12_arm_1", "1"), "redcap_event_name"] = "week_24_arm_1"


@redcap_case("redcap_instance_number_missing", "error", "a repeating adverse-event row without its instance number",
             [(Row("SYNTH-04", "week_4_arm_1", form="adverse_events"), "redcap_repeat_instance", "repeat instance")])
def _(e):
    e.loc[at(e, "SYNTH-04", "week_4_arm_1", "1"), "redcap_repeat_instance"] = ""


@redcap_case("redcap_pga_out_of_range", "error", "a validation problem in an export names the record and event: PGA 5",
             [(Row("SYNTH-03", "week_4_arm_1", "visits"), "pga", "out of range")])
def _(e):
    e.loc[at(e, "SYNTH-03", "week_4_arm_1"), "pga"] = "5"


@redcap_case("redcap_structure_and_values", "error",
             "what cannot be mapped (a field the dictionary does not have, SYNTH-03's week-4 row at an unknown event) "
             "is listed with the validation problems of the rest (SYNTH-04's week-4 PGA 5), in one list",
             [("redcap_structure_and_values.csv (REDCap)", "1", "smoking_status", "unknown field"),
              (Row("SYNTH-03", "week_8_arm_1"), "redcap_event_name", "unknown event"),
              (Row("SYNTH-04", "week_4_arm_1", "visits"), "pga", "out of range")])
def _(e):
    e.insert(10, "smoking_status", "")
    e.loc[at(e, "SYNTH-01", "week_0_arm_1"), "smoking_status"] = "never"
    e.loc[at(e, "SYNTH-03", "week_4_arm_1"), "redcap_event_name"] = "week_8_arm_1"
    e.loc[at(e, "SYNTH-04", "week_4_arm_1"), "pga"] = "5"


@redcap_case("redcap_identifier_in_term", "error", "an adverse-event term holding a mobile number",
             [(Row("SYNTH-02", "week_4_arm_1", "adverse_events", "1"), "term", "direct identifier")])
def _(e):
    e.loc[at(e, "SYNTH-02", "week_4_arm_1", "1"), "term"] = "called the patient on 333 1234567"


@case("redcap_not_an_export", "error", "a single CSV that is not a REDCap export (a patients table given alone)",
      [("patients.csv", "", "", "not a REDCap records export")])
def _(folder):
    write_csv_folder(folder, {"patients": base()["patients"]})
    return ["redcap_not_an_export/patients.csv"]


# --- gaps: accepted with a warning per missing input (outcome "warning": exactly these) ---------

@csv_case("gap_pga", "warning", "PGA not recorded at two visits (rows 3 and 7): a gap, not an error",
          [(F("gap_pga", "visits"), "3", "pga", "missing input"), (F("gap_pga", "visits"), "7", "pga", "missing input")])
def _(t):
    cell(t, "visits", 3, "pga", "")
    cell(t, "visits", 7, "pga", "")


@csv_case("gap_lab_behind_item", "warning",
          "SLEDAI-2K thrombocytopenia present without the platelet count (row 6; SLE-DAS unknown there), "
          "haemoglobin not recorded (row 9)",
          [(F("gap_lab_behind_item", "visits"), "6", "platelets_10e9_l", "missing input"),
           (F("gap_lab_behind_item", "visits"), "9", "haemoglobin_g_l", "missing input")])
def _(t):
    cell(t, "visits", 6, "sledai_thrombocytopenia", "1")
    cell(t, "visits", 6, "platelets_10e9_l", "")
    cell(t, "visits", 9, "haemoglobin_g_l", "")


@csv_case("gap_joints_clasi_dose", "warning", "joint counts, CLASI and the glucocorticoid dose not recorded at row 10",
          [(F("gap_joints_clasi_dose", "visits"), "10", c, "missing input")
           for c in ("gc_dose_mg", "tender_joints", "swollen_joints", "clasi_activity", "clasi_damage")])
def _(t):
    for c in ("tender_joints", "swollen_joints", "clasi_activity", "clasi_damage", "gc_dose_mg"):
        cell(t, "visits", 10, c, "")


@redcap_case("redcap_gap_pga", "warning", "a REDCap export with PGA not recorded at SYNTH-03's week-4 visit",
             [(Row("SYNTH-03", "week_4_arm_1", "visits"), "pga", "missing input")])
def _(e):
    e.loc[at(e, "SYNTH-03", "week_4_arm_1"), "pga"] = ""


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
          f"{sum(c['outcome'] == 'warning' for c in cases)} accepted with warnings, "
          f"{sum(c['outcome'] == 'ok' for c in cases)} accepted), {len(expected)} expected problems -> {HERE}")


if __name__ == "__main__":
    main()
