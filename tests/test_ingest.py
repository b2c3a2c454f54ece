"""Use your own data: the Excel template, reading, normalisation, the identifier guard,
pseudonymisation, several centres, warnings and the report."""
from __future__ import annotations

import math
from pathlib import Path
from datetime import datetime

import pandas as pd
import pytest
from openpyxl import load_workbook

from conftest import as_text, patient, small_cohort, visit, write_cohort
from lupus_utils import CohortValidationError, columns, load_codebook, read_cohort
from lupus_utils.data.ingest import (identifier_guard, load_own_cohort, main, normalise, plausibility_warnings,
                                     pseudonymise, read_center, read_centers, write_report)
from lupus_utils.paths import SYNTHETIC_DIR, TABLES
from lupus_utils.data.template import units_row, write_template


@pytest.fixture(scope="module")
def synthetic():
    return {t: pd.read_csv(SYNTHETIC_DIR / f"{t}.csv", dtype=str, keep_default_na=False) for t in TABLES}


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    return write_template(tmp_path_factory.mktemp("template") / "cohort_template.xlsx")


# --- the template ------------------------------------------------------------------------------

def test_template_is_generated_from_the_codebook(template):
    cb = load_codebook()
    wb = load_workbook(template)
    assert wb.sheetnames == ["README", *TABLES]
    for t in TABLES:
        ws = wb[t]
        assert [c.value for c in ws[1]] == columns(t)
        assert [c.value for c in ws[2]] == [units_row(t)[c] for c in columns(t)]
        assert ws.freeze_panes == "A3"
        rules = {}
        for dv in ws.data_validations.dataValidation:
            for rng in str(dv.sqref).split():
                rules[ws[rng.split(":")[0]].column] = dv
        for j, col in enumerate(columns(t), start=1):
            s = cb[(cb["table"] == t) & (cb["column"] == col)].iloc[0]
            dv = rules.get(j)
            if s["allowed"]:
                assert dv.type == "list" and dv.formula1 == '"' + ",".join(s["allowed"]) + '"', col
            elif s["type"] in ("integer", "number") and not (math.isnan(s["min"]) and math.isnan(s["max"])):
                assert dv.type == ("whole" if s["type"] == "integer" else "decimal"), col
                assert float(dv.formula1) == s["min"] and float(dv.formula2) == s["max"], col
            elif s["type"] == "date":
                assert dv.type == "date", col
            else:
                assert dv is None, col
    readme = [[c.value for c in r] for r in wb["README"].iter_rows()]
    text = " ".join(str(v) for r in readme for v in r if v)
    assert "row 3" in text and "pseudonymous" in text and "codice fiscale" in text and "DD/MM/YYYY" in text
    header = readme.index(["table", "column", "type", "unit", "allowed / range", "required (why)", "description", "source"])
    described = {(r[0], r[1]) for r in readme[header + 1:]}
    assert described == set(zip(cb["table"], cb["column"]))


def _fill(template, out, data: dict[str, pd.DataFrame]):
    wb = load_workbook(template)
    for t, f in data.items():
        ws = wb[t]
        for i, rec in enumerate(f.to_dict("records"), start=3):
            for j, col in enumerate(columns(t), start=1):
                v = rec[col]
                if v == "":
                    continue
                if col == "anifrolumab_start":
                    v = datetime.strptime(v, "%Y-%m-%d")
                elif col not in ("patient_id", "event_id", "term"):
                    try:
                        v = float(v) if "." in v else int(v)
                    except ValueError:
                        pass
                ws.cell(row=i, column=j, value=v)
    wb.save(out)
    return out


def test_template_round_trip_with_the_synthetic_cohort(template, synthetic, tmp_path):
    filled = _fill(template, tmp_path / "pisa.xlsx", synthetic)
    raw, files, notes = read_center(filled)
    assert files["visits"] == "pisa.xlsx, sheet visits"
    assert list(raw["visits"].index[:2]) == [3, 4]  # sheet rows below the units row
    assert sum("units row" in n for n in notes) == 3
    tables, report = load_own_cohort(filled)
    expected, _ = pseudonymise(read_cohort(SYNTHETIC_DIR))
    for t in TABLES:
        pd.testing.assert_frame_equal(tables[t], expected[t], check_dtype=True)
    assert report["rows_in"] == {t: len(synthetic[t]) for t in TABLES} == report["rows_analysed"]
    assert report["rows_excluded"] == {t: {"count": 0, "reasons": []} for t in TABLES}
    # the command line writes the tables the book reads
    assert main([str(filled), "--out", str(tmp_path / "out")]) == 0
    back = read_cohort(tmp_path / "out" / "data")
    for t in TABLES:
        pd.testing.assert_frame_equal(back[t], tables[t])
    assert {p.name for p in (tmp_path / "out").iterdir()} == {"data", "validation_report.csv", "validation_report.html"}


def test_template_error_rows_are_sheet_rows(template, tmp_path):
    small = small_cohort()
    small["visits"].loc[2, "pga"] = "7"  # third visit: sheet row 5
    with pytest.raises(CohortValidationError) as info:
        load_own_cohort(_fill(template, tmp_path / "c.xlsx", small))
    p = info.value.problems
    assert list(zip(p["file"], p["row"], p["column"])) == [("c.xlsx, sheet visits", 5, "pga")]


# --- reading -----------------------------------------------------------------------------------

def test_csv_folder_bom_semicolon_and_row_numbers(tmp_path):
    folder = write_cohort(tmp_path / "site", **small_cohort(), sep=";")
    path = folder / "visits.csv"
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes().replace(b"\n", b"\n\n", 1))  # BOM and a blank row 2
    raw, files, notes = read_center(folder)
    assert files == {t: f"site/{t}.csv" for t in TABLES}
    assert list(raw["visits"].columns) == columns("visits")  # the BOM is not part of the first name
    assert list(raw["visits"].index) == [3, 4, 5, 6]
    assert any("semicolon" in n for n in notes) and any("empty row" in n for n in notes)
    assert raw["patients"]["center"].tolist() == ["Pisa", "Pisa"]


def test_not_utf8_names_the_file_and_never_guesses(tmp_path):
    folder = write_cohort(tmp_path / "site", **small_cohort())
    (folder / "adverse_events.csv").write_bytes("event_id,term\nE1,febbre 38°\n".encode("latin-1"))
    with pytest.raises(CohortValidationError) as info:
        read_center(folder)
    p = info.value.problems
    assert p["file"].tolist() == ["site/adverse_events.csv"] and p["rule"].iloc[0].startswith("not UTF-8")


def test_unsupported_and_missing_inputs(tmp_path):
    (tmp_path / "data.ods").write_text("x")
    with pytest.raises(CohortValidationError, match="unsupported input"):
        load_own_cohort(tmp_path / "data.ods")
    with pytest.raises(CohortValidationError, match="not found"):
        load_own_cohort([tmp_path / "nowhere", tmp_path / "data.ods"])


def test_center_filled_from_the_name_when_absent(tmp_path):
    small = small_cohort()
    small["patients"] = small["patients"].drop(columns="center")
    raw, _, notes = read_center(write_cohort(tmp_path / "PADOVA", **small))
    assert raw["patients"]["center"].unique().tolist() == ["Padova"]
    raw, _, _ = read_center(tmp_path / "PADOVA", center="elsewhere")
    assert raw["patients"]["center"].unique().tolist() == ["other"]


def test_read_centers_keeps_provenance_and_prefixes_clashing_ids(tmp_path):
    a = write_cohort(tmp_path / "a", **small_cohort(("P01", "P02")))
    b = write_cohort(tmp_path / "b", **small_cohort(("P02", "P03")))
    raw, files, notes = read_centers([a, b])
    assert files["visits"] == "a/visits.csv + b/visits.csv"
    assert raw["patients"]["patient_id"].tolist() == ["a-P01", "a-P02", "b-P02", "b-P03"]
    assert raw["visits"].index[-1] == ("b/visits.csv", 5)
    assert any("prefixed with its centre" in n for n in notes)
    c = write_cohort(tmp_path / "c", **small_cohort(("P07",)))
    raw, _, notes = read_centers([a, c])  # no clash: ids untouched
    assert raw["patients"]["patient_id"].tolist() == ["P01", "P02", "P07"] and not notes
    # a problem in the second centre names its own file and row
    bad = small_cohort(("P01",))
    bad["visits"].loc[1, "tender_joints"] = "x"
    with pytest.raises(CohortValidationError) as info:
        load_own_cohort([a, write_cohort(tmp_path / "d", **bad)])
    p = info.value.problems
    assert list(zip(p["file"], p["row"], p["column"])) == [("d/visits.csv", 3, "tender_joints")]


# --- normalisation -----------------------------------------------------------------------------

@pytest.mark.parametrize("table,column,given,expected", [
    ("visits", "sledai_rash", "Yes", "1"), ("visits", "sledai_rash", "n", "0"), ("visits", "sledai_rash", "TRUE", "1"),
    ("visits", "sledai_rash", "Sì", "1"), ("visits", "sledai_rash", "si", "1"), ("visits", "sledai_rash", "No", "0"),
    ("visits", "sledai_rash", "1.0", "1"), ("visits", "sledai_rash", "0.0", "0"), ("visits", "sledai_rash", "maybe", "maybe"),
    ("visits", "sledai_rash", "2", "2"),
    ("visits", "pga", "7,5", "7.5"), ("visits", "pga", "-0,25", "-0.25"), ("visits", "gc_dose_mg", "0,125", "0.125"),
    ("visits", "pga", "1,234.5", "1,234.5"), ("visits", "pga", "1.234,5", "1.234,5"), ("visits", "pga", "1,234", "1,234"),
    ("visits", "pga", "1,5,2", "1,5,2"), ("visits", "tender_joints", "7,5", "7,5"),
    ("visits", "week", "W12", "12"), ("visits", "week", "week 12", "12"), ("visits", "week", "12 ", "12"),
    ("visits", "week", "Wk 4", "4"), ("adverse_events", "week", "settimana 24", "24"), ("visits", "week", "W12b", "W12b"),
    ("patients", "follow_up_weeks", "W48", "48"), ("visits", "tender_joints", "W3", "W3"),
    ("visits", "gc_drug", "Prednisone", "prednisone"), ("visits", "gc_drug", " PREDNISONE ", "prednisone"),
    ("patients", "reason_for_anifrolumab", "Persistently active", "persistently_active"),
    ("patients", "reason_for_anifrolumab", "persistently-active", "persistently_active"),
    ("patients", "center", "PISA", "Pisa"), ("patients", "ethnicity", "non caucasian", "non-Caucasian"),
    ("patients", "sex", "f", "F"), ("patients", "sex", "female", "female"), ("visits", "gc_drug", "pred", "pred"),
    ("patients", "anifrolumab_start", "2023-1-5", "2023-01-05"), ("patients", "anifrolumab_start", "27/10/2023", "2023-10-27"),
    ("patients", "anifrolumab_start", "27.10.2023", "2023-10-27"), ("patients", "anifrolumab_start", "05/05/2023", "2023-05-05"),
    ("patients", "anifrolumab_start", "03/04/2023", "03/04/2023"), ("patients", "anifrolumab_start", "2023-02-30", "2023-02-30"),
    ("patients", "anifrolumab_start", "31/02/2023", "31/02/2023"), ("patients", "anifrolumab_start", "10/27/2023", "10/27/2023"),
    ("patients", "anifrolumab_start", "2023-10-27 00:00:00", "2023-10-27"), ("patients", "anifrolumab_start", "27/10/23", "27/10/23"),
    ("patients", "patient_id", "  P01 ", "P01"),
])
def test_normalise_one_cell(table, column, given, expected):
    frame = pd.DataFrame({column: [given]}, index=pd.Index([2], name="row"))
    out, notes = normalise({table: frame})
    assert out[table][column].tolist() == [expected]
    assert list(out[table].index) == [2]
    assert any("normalised" in n for n in notes) == (given.strip() != expected)


def test_day_first_dates_need_evidence_in_the_same_file():
    def run(*cells):
        frame = pd.DataFrame({"anifrolumab_start": list(cells)})
        return normalise({"patients": frame})[0]["patients"]["anifrolumab_start"].tolist()

    assert run("03/04/2023", "2023-05-01") == ["03/04/2023", "2023-05-01"]      # no evidence: left for validation
    assert run("03/04/2023", "27/10/2023") == ["2023-04-03", "2023-10-27"]      # a day above 12 proves DD/MM
    assert run("03/04/2023", "10/27/2023", "27/10/2023") == ["03/04/2023", "10/27/2023", "27/10/2023"]  # mixed: none
    a = pd.DataFrame({"anifrolumab_start": ["03/04/2023"]}, index=pd.MultiIndex.from_tuples([("a.csv", 2)]))
    b = pd.DataFrame({"anifrolumab_start": ["27/10/2023"]}, index=pd.MultiIndex.from_tuples([("b.csv", 2)]))
    merged = normalise({"patients": pd.concat([a, b])})[0]["patients"]["anifrolumab_start"].tolist()
    assert merged == ["03/04/2023", "2023-10-27"]  # evidence does not cross files


def test_normalised_cohort_validates(tmp_path):
    small = small_cohort()
    v, p = small["visits"], small["patients"]
    v["sledai_rash"] = ["Yes", "no", "N", "0"]
    v["rash_extent"] = ["Localized", "None", "none", "NONE"]
    v["week"] = ["W0", "week 4", "0", "4 "]
    v["pga"] = ["0,5", "1", "0", "0"]
    p["anifrolumab_start"] = ["27/10/2023", "04/08/2023"]
    tables, report = load_own_cohort(write_cohort(tmp_path / "it", **small, sep=";"))
    assert tables["visits"]["pga"].tolist() == [0.5, 1.0, 0.0, 0.0]
    assert tables["patients"]["anifrolumab_start"].dt.strftime("%Y-%m-%d").tolist() == ["2023-10-27", "2023-08-04"]
    assert len(report["notes"]) >= 5


# --- identifier guard --------------------------------------------------------------------------

@pytest.mark.parametrize("name", [
    "nome", "Cognome", "name", "surname", "first_name", "LastName", "patient_name", "dob", "DOB", "birth_date",
    "data_nascita", "date_of_birth", "DataDiNascita", "email", "e-mail", "E_Mail", "phone", "telefono", "mobile",
    "address", "indirizzo", "via", "mrn", "MRN", "record_number", "cartella_clinica", "medical_record", "nosologico",
    "hospital_id", "hospital number", "codice_fiscale", "CF", "fiscal_code", "tax_id", "ssn", "tessera_sanitaria",
])
def test_identifier_column_names_are_refused(name):
    frame = pd.DataFrame({"patient_id": ["P1", "P2", "P3"], name: ["a", "b", "c"]}, index=pd.Index([2, 3, 4], name="row"))
    p = identifier_guard({"patients": frame}, {"patients": "x.xlsx, sheet patients"})
    assert len(p) == 1, p
    assert (p["file"].iloc[0], p["column"].iloc[0]) == ("x.xlsx, sheet patients", name) and pd.isna(p["row"].iloc[0])
    assert p["rule"].iloc[0].startswith("direct identifier: column") and "remove the column" in p["rule"].iloc[0]


def test_codebook_and_ordinary_columns_pass_the_guard(synthetic):
    raw = {t: f.set_axis(pd.Index(range(2, len(f) + 2), name="row")) for t, f in synthetic.items()}
    raw["visits"] = raw["visits"].assign(notes="", visit_date="", hospitalisation_days="", telemetry="x", cellularity="")
    assert identifier_guard(raw).empty


@pytest.mark.parametrize("value,flagged", [
    ("RSSMRA85M01H501Z", True), ("rssmra85m01h501z", True), ("RSSMRA85M01H50MQ", True), ("RSSMRALRMLMHRMLQ", True),
    ("cf: RSSMRA85M01H501Z", True), ("RSSMRA85Z01H501Z", False), ("HYPERCHOLESTEROLX", False),
    ("mario.rossi@example.it", True), ("write to a@b.it", True), ("at @home", False),
    ("+39 050 992111", True), ("0039 333 1234567", True), ("333 1234567", True), ("3331234567", True), ("333.123.4567", True),
    ("SYNTH-01", False), ("250", False), ("2023-10-27", False), ("upper respiratory tract infection", False),
    ("12345678901", False), ("0.39", False),
])
def test_identifier_values(value, flagged):
    frame = pd.DataFrame({"term": ["COVID-19", value]}, index=pd.Index([2, 3], name="row"))
    p = identifier_guard({"adverse_events": frame}, {"adverse_events": "ae.csv"})
    assert len(p) == int(flagged), p
    if flagged:
        assert (p["row"].iloc[0], p["column"].iloc[0]) == (3, "term")
        assert value not in p["value"].iloc[0]  # masked in the report


def test_identifier_cells_are_capped_per_column():
    ids = [f"RSSMRA85M01H5{i:02d}Z" for i in range(25)]
    frame = pd.DataFrame({"patient_id": ids}, index=pd.Index(range(3, 28), name="row"))
    p = identifier_guard({"patients": frame}, {"patients": "p.csv"})
    assert len(p) == 21
    assert p["row"].iloc[:20].tolist() == list(range(3, 23))
    assert pd.isna(p["row"].iloc[20]) and "5 more cells" in p["rule"].iloc[20]


# --- pseudonymisation --------------------------------------------------------------------------

def test_pseudonymise_is_stable_and_complete():
    tables = {
        "patients": pd.DataFrame({"patient_id": ["Z9", "A1", "M5"]}),
        "visits": pd.DataFrame({"patient_id": ["A1", "Z9", "A1", "M5"], "week": [0, 0, 4, 0]}),
        "adverse_events": pd.DataFrame({"event_id": ["x", "y"], "patient_id": ["M5", "Z9"]}),
    }
    out, key = pseudonymise(tables)
    assert key["patient_id"] == {"Z9": "P001", "A1": "P002", "M5": "P003"}  # order of appearance in patients
    assert out["visits"]["patient_id"].tolist() == ["P002", "P001", "P002", "P003"]
    assert out["adverse_events"].to_dict("list") == {"event_id": ["E001", "E002"], "patient_id": ["P003", "P001"]}
    assert tables["patients"]["patient_id"].tolist() == ["Z9", "A1", "M5"]  # inputs untouched
    again, key2 = pseudonymise(tables)
    assert key2 == key and all(again[t].equals(out[t]) for t in TABLES)
    originals = {"Z9", "A1", "M5", "x", "y"}
    assert not any(originals & set(f.astype(str).values.ravel()) for f in out.values())


def test_main_does_not_write_the_key_unless_asked(tmp_path):
    folder = write_cohort(tmp_path / "Pisa", **small_cohort())
    assert main([str(folder), "--out", str(tmp_path / "o1")]) == 0
    written = " ".join(p.read_text(encoding="utf-8") for p in (tmp_path / "o1").rglob("*.*"))
    assert "P01" not in written.replace("P001", "")
    assert main([str(folder), "--out", str(tmp_path / "o2"), "--key", str(tmp_path / "key.csv")]) == 0
    key = pd.read_csv(tmp_path / "key.csv")
    assert key.to_dict("list") == {"column": ["patient_id"] * 2 + ["event_id"] * 2, "original": ["P01", "P02", "EP01", "EP02"],
                                   "pseudonym": ["P001", "P002", "E001", "E002"]}


# --- warnings and report -----------------------------------------------------------------------

def test_unusual_values_are_warnings_not_errors(tmp_path):
    pts = [patient(patient_id="P01", age_years=95, follow_up_weeks=12, anifrolumab_start="2017-03-01"),
           patient(patient_id="P02", follow_up_weeks=4)]
    vis = [visit(patient_id="P01", week=0, pga=0.5), visit(patient_id="P01", week=4, pga=2.5),
           visit(patient_id="P01", week=12, sledai_arthritis=1, pga=0, gc_drug="prednisone", gc_dose_mg=75),
           visit(patient_id="P02", week=0), visit(patient_id="P02", week=4, platelets_10e9_l=85)]
    ae = [dict(event_id="E1", patient_id="P02", week=4, category="infection", term="pneumonia", serious=0,
               hospitalised=1, action="none")]
    folder = write_cohort(tmp_path / "w", patients=as_text(pts, "patients"), visits=as_text(vis, "visits"),
                          adverse_events=as_text(ae, "adverse_events"))
    tables, report = load_own_cohort(folder)
    w = report["warnings"]
    got = {(f, r, c) for f, r, c in zip(w["file"], w["row"], w["column"])}
    assert got == {("w/patients.csv", 2, "age_years"), ("w/patients.csv", 2, "anifrolumab_start"),
                   ("w/visits.csv", 3, "pga"), ("w/visits.csv", 4, "pga"), ("w/visits.csv", 4, "gc_dose_mg"),
                   ("w/visits.csv", 4, "sledai_arthritis"), ("w/visits.csv", 6, "platelets_10e9_l"),
                   ("w/adverse_events.csv", 2, "serious")}
    assert w["rule"].str.startswith("unusual:").all()
    assert "0.5 at week 0 -> 2.5 at week 4" in w.set_index(["row", "column"]).loc[(3, "pga"), "value"]
    assert len(tables["patients"]) == 2  # nothing excluded
    paths = write_report(None, w, tmp_path / "r", notes=report["notes"])
    assert pd.read_csv(paths["csv"])["severity"].eq("warning").sum() == len(w)


def test_plausibility_warnings_on_the_synthetic_cohort_are_none():
    # the generator keeps every value plausible; any warning here is a generator defect
    w = plausibility_warnings(read_cohort(SYNTHETIC_DIR))
    assert w.empty, w[["file", "row", "column", "rule"]].to_string()


def test_report_html_is_self_contained_and_escaped(tmp_path):
    problems = pd.DataFrame([{"file": "a.csv", "row": 3, "column": "term", "value": "<script>alert(1)</script>",
                              "rule": "wrong type: must be a number"}])
    paths = write_report(problems, None, tmp_path)
    page = paths["html"].read_text(encoding="utf-8")
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert "http" not in page.replace('lang="en"', "") and "src=" not in page and "<link" not in page
    assert "1 error(s)" in page
    back = pd.read_csv(paths["csv"])
    assert back.columns.tolist() == ["severity", "file", "row", "column", "value", "rule"] and back["row"].tolist() == [3]


def test_a_folder_holding_one_workbook_is_read_as_that_workbook(tmp_path):
    """Issue 18: a centre that hands over a folder with its workbook gets the workbook read, not
    an empty CSV folder; a folder with a workbook and CSV tables, or two workbooks, is an error
    that says so."""
    import shutil

    from lupus_utils.data.cohort import CohortValidationError
    from lupus_utils.data.ingest import read_center
    book = Path(__file__).parent / "bad_inputs" / "ok_xlsx_units_row" / "ok_xlsx_units_row.xlsx"
    folder = tmp_path / "Centro"
    folder.mkdir()
    shutil.copyfile(book, folder / "export.xlsx")
    raw, files, notes = read_center(folder)
    direct, _, _ = read_center(book)
    assert set(raw) == set(direct) == {"patients", "visits", "adverse_events"}
    for t in raw:
        assert raw[t].drop(columns="center", errors="ignore").equals(direct[t].drop(columns="center", errors="ignore"))
    assert any("read as export.xlsx" in n for n in notes)
    (folder / "visits.csv").write_text("patient_id,week\n")
    with pytest.raises(CohortValidationError, match="both a workbook .export.xlsx. and CSV tables .visits.csv."):
        read_center(folder)
    (folder / "visits.csv").unlink()
    shutil.copyfile(book, folder / "second.xlsx")
    with pytest.raises(CohortValidationError, match="holds 2 workbooks"):
        read_center(folder)
