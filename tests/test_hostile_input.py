"""The own-data path under hostile input (issue 20), function by function: identifiers inside
free text, name-like ids, files named like registers of persons, missing values in every check,
capped listings that still count everything, paths with spaces, the read-back comparison."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lupus_utils import read_cohort
from lupus_utils.data.cohort import LISTED_PER_RULE, check_relations, flag_cells, format_problems, rule_counts
from lupus_utils.data.ingest import (free_text_identifiers, identifier_guard, name_like_id, personal_data_name,
                                     read_back_differences, resolve_inputs, write_report, write_tables)
from lupus_utils.paths import SYNTHETIC_DIR, TABLES


@pytest.mark.parametrize("text, kinds", [
    ("herpes zoster, riferito da Maria Rossi al 333 1234567", {"a person's name", "a phone number"}),
    ("richiamare lo 050 992111 domani", {"a phone number"}),
    ("call +39 050 992111", {"a phone number"}),
    ("paziente nata il 01/08/1985", {"a date of birth"}),
    ("born 1985-08-01, infection", {"a date of birth"}),
    ("see mail from mario.rossi@example.it", {"an e-mail address"}),
    ("pt RSSMRA85M01H501Z", {"a codice fiscale"}),
    ("visto dalla Dott.ssa Bianchi", {"a person's name"}),
    ("as SYNTH-02 had", {"a patient id of the input"}),
    ("herpes zoster, paziente Rossi Maria (cell. 333 12 34 567)", {"a person's name", "a phone number"}),
    ("IVU, nata a Roma il 1 agosto 1985", {"a date of birth"}),
    ("riferito dal Dott. ROSSI; figlia Anna BIANCHI", {"a person's name"}),
    ("richiamare (06) 4997 1234", {"a phone number"}),
    ("born on 1 Aug 1985", {"a date of birth"}),
    ("visto da Gennaro Esposito", {"a person's name"}),
])
def test_free_text_identifiers_are_found_inside_sentences(text, kinds):
    found = free_text_identifiers(text, frozenset({"SYNTH-02"}))
    assert {k for k, _ in found} == kinds


@pytest.mark.parametrize("text", [
    "upper respiratory tract infection", "herpes zoster ophthalmicus", "pulmonary embolism",
    "supraventricular tachycardia", "neutropenia 0.9 x10^9/L at week 12", "prednisone 12.5 mg/day",
    "Class IV lupus nephritis", "COVID-19 pneumonia 2022-03-15", "urinary tract infection, 3 episodes",
    "herpes zoster 03/2022", "COVID-19 01/2022", "ricovero 02/2023 per polmonite", "zoster 03.2022",
    "ricovero Ospedale Luigi Sacco", "Maria Vittoria hospital Torino", "Santa Maria Nuova, Reggio Emilia",
    "TVP 12/05/2005", "proteinuria 0.5 g/24h", "platelets 033 x10^9/L", "Herpes Zoster", "COVID-19 Omicron",
])
def test_clinical_free_text_is_not_mistaken_for_an_identifier(text):
    assert free_text_identifiers(text, frozenset({"SYNTH-02", "P001"})) == []


def test_the_synthetic_cohort_passes_the_guard_untouched():
    raw = {t: pd.read_csv(SYNTHETIC_DIR / f"{t}.csv", dtype=str, keep_default_na=False) for t in TABLES}
    assert identifier_guard(raw).empty


@pytest.mark.parametrize("value, named", [
    ("Maria Rossi", True), ("ROSSI MARIA", True), ("Rossi, M.", True), ("Rossi", True), ("anna", True),
    ("SYNTH-01", False), ("P001", False), ("centre_a-P01", False), ("ABC", False), ("x7", False),
    ("rossi.maria", True), ("ROSSI MARIA 1985", True), ("M.R.", True), ("mario rossi", True), ("ROSSI", True),
    ("ROSSI M", True), ("SYNTH PATIENT 01", False), ("PZ-0042", False),
])
def test_name_like_patient_ids(value, named):
    assert name_like_id(value) is named


@pytest.mark.parametrize("name, refused", [
    ("anagrafica.csv", True), ("Anagrafica pazienti", True), ("pazienti_nomi.csv", True), ("contacts.csv", True),
    ("pseudonym_key.csv", True), ("chiave.xlsx", True), ("visits.csv", False), ("README", False),
    ("patients.csv", False), ("adverse_events.csv", False), ("notes.csv", False),
])
def test_files_named_like_registers_of_persons(name, refused):
    assert (personal_data_name(name) is not None) is refused


def test_relations_hold_with_missing_values_everywhere():
    """An empty treatment status, stop week, week or follow-up never crashes a rule, and is not
    reported as an inconsistency (it is reported as missing where the codebook requires it)."""
    p = pd.DataFrame({"patient_id": ["A", "B", None], "follow_up_weeks": pd.array([12, pd.NA, 4], dtype="Int64"),
                      "anifrolumab_stop_week": pd.array([4, pd.NA, pd.NA], dtype="Int64"),
                      "anifrolumab_stop_reason": pd.array(["flare", pd.NA, pd.NA], dtype="string")})
    v = pd.DataFrame({"patient_id": ["A", "A", "A", "B", None],
                      "week": pd.array([0, 4, 12, pd.NA, 0], dtype="Int64"),
                      "treatment_status": pd.array(["on", pd.NA, pd.NA, "on", pd.NA], dtype="string")})
    ae = pd.DataFrame({"patient_id": ["A", None], "week": pd.array([pd.NA, 4], dtype="Int64")})
    out = pd.DataFrame(check_relations({"patients": p, "visits": v, "adverse_events": ae},
                                       {t: f"{t}.csv" for t in TABLES}))
    assert list(out["rule"].str.split(":").str[0]) == ["no baseline"]  # B has no week-0 visit
    assert list(out["row"]) == [3]


def test_a_long_listing_is_capped_but_every_hit_is_counted():
    mask = np.ones(LISTED_PER_RULE + 250, dtype=bool)
    out = pd.DataFrame(flag_cells("v.csv", mask, "pga", pd.Series(["9"] * len(mask)), "out of range: must be 0-3"))
    assert len(out) == LISTED_PER_RULE + 1
    assert out["row"].iloc[0] == 2 and out["row"].iloc[LISTED_PER_RULE - 1] == LISTED_PER_RULE + 1
    assert "250 more cells of column 'pga'" in out["rule"].iloc[-1]
    assert f"rows {LISTED_PER_RULE + 2}-{LISTED_PER_RULE + 251}" in out["rule"].iloc[-1]
    counts = rule_counts(out)
    assert counts.to_dict("records") == [{"rule": "out of range", "count": LISTED_PER_RULE + 250}]
    text = format_problems(out, limit=30)
    assert len(text.splitlines()) == 33  # count line, rule counts, 30 problems, the rest counted
    assert f"by rule: out of range {LISTED_PER_RULE + 250}" in text


def test_report_html_stays_small_and_lists_the_rule_counts(tmp_path):
    n = 12_000
    problems = pd.DataFrame({"file": "v.csv", "row": pd.array(range(2, n + 2), dtype="Int64"), "column": "pga",
                             "value": "9", "rule": "out of range: must be between 0 and 3"})
    paths = write_report(problems, None, tmp_path)
    html = paths["html"].read_text(encoding="utf-8")
    from lupus_utils.data.ingest import HTML_ROWS

    assert html.count("<tr class=\"error\">") == HTML_ROWS // 10 + 1  # a tenth of the page per rule, and the by-rule line
    assert "out of range</td><td>12,000" in html and "lists every one" in html
    assert len(pd.read_csv(paths["csv"])) == n


def test_inputs_with_spaces_and_several_centres(tmp_path):
    spaced = tmp_path / "Centro Pisà"
    a, b = tmp_path / "a", tmp_path / "b"
    for d in (spaced, a, b):
        d.mkdir()
    assert resolve_inputs([str(spaced)]) == [spaced]
    assert resolve_inputs([f"{a} {b}"]) == [a, b]
    assert resolve_inputs([str(tmp_path / "missing folder")]) == [tmp_path / "missing folder"]


def test_read_back_finds_a_changed_cell(tmp_path):
    tables = read_cohort(SYNTHETIC_DIR)
    write_tables(tables, tmp_path)
    assert read_back_differences(tables, tmp_path).empty
    text = (tmp_path / "visits.csv").read_text(encoding="utf-8").splitlines()
    cells = text[3].split(",")
    pga = text[0].split(",").index("pga")
    cells[pga] = "2.5" if cells[pga] != "2.5" else "1.5"
    text[3] = ",".join(cells)
    (tmp_path / "visits.csv").write_text("\n".join(text) + "\n", encoding="utf-8")
    diff = read_back_differences(tables, tmp_path)
    assert list(zip(diff["file"], diff["row"], diff["column"])) == [("visits.csv", 4, "pga")]


def test_an_unexpected_failure_is_a_problem_naming_the_input_and_the_check(monkeypatch, tmp_path):
    """A check that raises (a bug, or an input no rule foresaw) is reported, not a crash; the
    command line still writes its report and leaves no tables."""
    import lupus_utils.data.ingest as ingest
    from lupus_utils import CohortValidationError

    def broken(*args, **kwargs):
        raise TypeError("boolean value of NA is ambiguous")

    monkeypatch.setattr(ingest, "plausibility_warnings", broken)
    with pytest.raises(CohortValidationError) as info:
        ingest.load_own_cohort(SYNTHETIC_DIR)
    p = info.value.problems
    assert list(p["file"]) == ["synthetic/patients.csv"]
    assert p["rule"].iloc[0].startswith("internal error: the check 'plausibility warnings' failed on this input (TypeError")
    assert ingest.main([str(SYNTHETIC_DIR), "--out", str(tmp_path)]) == 1
    assert (tmp_path / "validation_report.html").exists() and not (tmp_path / "data" / "patients.csv").exists()


def test_two_sheets_or_files_for_one_table_are_an_error(tmp_path):
    """'patients' and 'Patients ' in one workbook, or patients.csv and PATIENTS.csv in one folder:
    one would silently replace the other."""
    from openpyxl import Workbook

    from lupus_utils import CohortValidationError
    from lupus_utils.data.ingest import load_own_cohort

    wb = Workbook()
    wb.active.title = "patients"
    wb.create_sheet("Patients ")
    for t in ("visits", "adverse_events"):
        wb.create_sheet(t)
    wb.save(tmp_path / "centre.xlsx")
    with pytest.raises(CohortValidationError) as info:
        load_own_cohort(tmp_path / "centre.xlsx")
    assert any(r.startswith("two sheets for one table") for r in info.value.problems["rule"])


def test_a_centre_named_like_a_register_is_refused(tmp_path):
    from lupus_utils import CohortValidationError
    from lupus_utils.data.ingest import load_own_cohort

    folder = tmp_path / "rubrica_contatti"
    folder.mkdir()
    with pytest.raises(CohortValidationError) as info:
        load_own_cohort(folder)
    assert info.value.problems["rule"].str.startswith("personal data").any()


def test_the_decimal_comma_of_one_table_makes_a_thousands_point_in_another_ambiguous():
    from lupus_utils.data.ingest import ambiguous_separators

    raw = {"patients": pd.DataFrame({"cumulative_gc_g": ["1.250", "3"]}, index=pd.Index([2, 3], name="row")),
           "visits": pd.DataFrame({"pga": ["1,5", "2"]}, index=pd.Index([2, 3], name="row"))}
    out = ambiguous_separators(raw, {"patients": "p.csv", "visits": "v.csv"})
    assert list(zip(out["file"], out["row"], out["column"])) == [("p.csv", 2, "cumulative_gc_g")]
    assert out["value"].iloc[0] == "1.250: 1.25 with a decimal point, 1250 with a thousands point"
    raw["patients"].loc[3, "cumulative_gc_g"] = "1.250.000"
    out = ambiguous_separators(raw, {"patients": "p.csv", "visits": "v.csv"})
    assert out["value"].iloc[1] == "1.250.000: no number with a decimal point, 1250000 with a thousands point"


def test_a_short_listing_is_capped_and_counted_like_a_long_one():
    from lupus_utils.data.cohort import capped

    out = pd.DataFrame(capped([("v.csv", r, "", f"{r} fields") for r in range(2, 32)], "ragged row: fewer fields", 20))
    assert len(out) == 21 and list(out["row"].iloc[:2]) == [2, 3]
    assert out["rule"].iloc[-1] == "ragged row: 10 more rows break this rule (rows 22-31; only the first 20 are listed): fewer fields"
    assert rule_counts(out).to_dict("records") == [{"rule": "ragged row", "count": 30}]
