"""The REDCap project generated from the codebook (issue 18, REDCap out): the data dictionary
checked against REDCap's documented import columns and field types, every codebook column
carried over with its type, choices, range, unit and required flag; the events, designations
and repeating adverse events."""
import re

import pandas as pd

from lupus_utils.codebook import load_codebook
from lupus_utils.paths import VISIT_WEEKS
import pytest

from lupus_utils.data.cohort import read_cohort
from lupus_utils.data.ingest import load_own_cohort, main as ingest_main
from lupus_utils.paths import SYNTHETIC_DIR, TABLES
from lupus_utils.data.redcap import (DICTIONARY_COLUMNS, FIELD_TYPES, VALIDATION_TYPES, data_dictionary, designations,
                                     events, export_columns, records_export, repeating_instruments, split_records,
                                     write_project)

#: REDCap's data-dictionary template header, as its "Download the current Data Dictionary" writes it.
REDCAP_HEADER = ["Variable / Field Name", "Form Name", "Section Header", "Field Type", "Field Label",
                 "Choices, Calculations, OR Slider Labels", "Field Note", "Text Validation Type OR Show Slider Number",
                 "Text Validation Min", "Text Validation Max", "Identifier?", "Branching Logic (Show field only if...)",
                 "Required Field?", "Custom Alignment", "Question Number (surveys only)", "Matrix Group Name",
                 "Matrix Ranking?", "Field Annotation"]


def test_dictionary_has_redcaps_columns_types_and_names():
    d = data_dictionary()
    assert list(d.columns) == REDCAP_HEADER == list(DICTIONARY_COLUMNS)
    assert set(d["Field Type"]) <= set(FIELD_TYPES)
    assert set(d["Text Validation Type OR Show Slider Number"]) <= set(VALIDATION_TYPES)
    assert d["Variable / Field Name"].iloc[0] == "patient_id" and d["Form Name"].iloc[0] == "patients"
    assert d["Variable / Field Name"].is_unique
    assert all(re.fullmatch(r"[a-z][a-z0-9_]{0,99}", v) for v in d["Variable / Field Name"])
    assert all(re.fullmatch(r"[a-z][a-z0-9_]*", f) for f in d["Form Name"])
    assert list(dict.fromkeys(d["Form Name"])) == ["patients", "visits", "adverse_events"]   # one instrument per table


def test_dictionary_carries_every_codebook_column():
    cb = load_codebook()
    d = data_dictionary().set_index("Variable / Field Name")
    expected = {c for t, c in zip(cb["table"], cb["column"]) if c != "week"}   # a visit's week is its event
    assert set(d.index) == expected
    sex = d.loc["sex"]
    assert sex["Field Type"] == "dropdown" and sex["Choices, Calculations, OR Slider Labels"] == "f, F | m, M"
    eth = d.loc["ethnicity", "Choices, Calculations, OR Slider Labels"]
    assert eth == "caucasian, Caucasian | non_caucasian, non-Caucasian"
    for choices in d["Choices, Calculations, OR Slider Labels"][d["Field Type"] == "dropdown"]:
        codes = [c.split(", ")[0] for c in choices.split(" | ")]
        assert all(re.fullmatch(r"[a-z0-9_]+", c) for c in codes) and len(set(codes)) == len(codes), choices
    age = d.loc["age_years"]
    assert (age["Text Validation Type OR Show Slider Number"], age["Text Validation Min"], age["Text Validation Max"],
            age["Field Note"], age["Required Field?"]) == ("integer", "18", "100", "years", "y")
    assert d.loc["pga", "Text Validation Type OR Show Slider Number"] == "number" and d.loc["pga", "Text Validation Max"] == "3"
    assert d.loc["anifrolumab_start", "Text Validation Type OR Show Slider Number"] == "date_ymd"
    assert d.loc["secondary_aps", "Field Type"] == "yesno"
    assert d.loc["haemoglobin_g_l", "Required Field?"] == "" and d.loc["term", "Field Type"] == "notes"


def test_events_designations_and_repeating_adverse_events(tmp_path):
    e = events()
    assert e["unique_event_name"].tolist() == [f"week_{w}_arm_1" for w in VISIT_WEEKS] == \
        ["week_0_arm_1", "week_4_arm_1", "week_12_arm_1", "week_24_arm_1", "week_36_arm_1", "week_48_arm_1", "week_72_arm_1"]
    des = designations()
    assert des[des.form == "patients"]["unique_event_name"].tolist() == ["week_0_arm_1"]
    assert len(des[des.form == "visits"]) == len(VISIT_WEEKS) and len(des[des.form == "adverse_events"]) == len(VISIT_WEEKS) - 1
    rep = repeating_instruments()
    assert set(rep["form_name"]) == {"adverse_events"} and set(rep["event_name"]) == set(des[des.form == "adverse_events"]["unique_event_name"])
    paths = write_project(tmp_path)
    back = pd.read_csv(paths["data_dictionary"], dtype=str, keep_default_na=False)
    assert list(back.columns) == REDCAP_HEADER and len(back) == len(data_dictionary())


def _synthetic_text() -> dict[str, pd.DataFrame]:
    return {t: pd.read_csv(SYNTHETIC_DIR / f"{t}.csv", dtype=str, keep_default_na=False) for t in TABLES}


def _unpseudonymised(tables, mapping) -> dict[str, pd.DataFrame]:
    back = {col: {v: k for k, v in m.items()} for col, m in mapping.items()}
    out = {}
    for t, f in tables.items():
        f = f.copy()
        for col in ("patient_id", "event_id"):
            if col in f:
                f[col] = f[col].map(back[col]).astype(f[col].dtype)
        out[t] = f
    return out


def _sorted(f: pd.DataFrame, t: str) -> pd.DataFrame:
    key = {"patients": ["patient_id"], "visits": ["patient_id", "week"], "adverse_events": ["event_id"]}[t]
    return f.sort_values(key).reset_index(drop=True)


def test_export_layout_is_redcaps_flat_records_export():
    tables = _synthetic_text()
    n = {t: len(f) for t, f in tables.items()}
    e = records_export(tables)
    assert list(e.columns) == export_columns()
    assert list(e.columns[:4]) == ["patient_id", "redcap_event_name", "redcap_repeat_instrument", "redcap_repeat_instance"]
    assert e.columns[-1] == "adverse_events_complete" and "patients_complete" in e and "visits_complete" in e
    # one row per record and visit, one per adverse event; the patients form only at week 0
    assert len(e) == n["visits"] + n["adverse_events"]   # every patient has a week-0 visit here
    ae = e[e["redcap_repeat_instrument"] == "adverse_events"]
    assert len(ae) == n["adverse_events"] and set(ae["redcap_repeat_instance"]) >= {"1"}
    base = e[e["redcap_repeat_instrument"] == ""]
    assert (base["sex"] != "").sum() == n["patients"] and set(base.loc[base["sex"] != "", "redcap_event_name"]) == {"week_0_arm_1"}
    first = e.iloc[0]
    assert (first["patient_id"], first["redcap_event_name"], first["sex"], first["ethnicity"]) == \
        ("SYNTH-01", "week_0_arm_1", "f", "caucasian")
    labels = records_export(_synthetic_text(), labels=True)
    assert list(labels.columns[1:4]) == ["Event Name", "Repeat Instrument", "Repeat Instance"]
    assert list(labels.columns).count("Complete?") == len(TABLES)
    assert labels.iloc[0]["Event Name"] == "Week 0" and labels.iloc[0]["Sex recorded in the clinical chart."] == "F"
    assert set(labels["Repeat Instrument"]) == {"", "Adverse Events"}


@pytest.mark.parametrize("labels", [False, True], ids=["raw", "labels"])
def test_round_trip_synthetic_to_redcap_export_to_ingest_is_identical(tmp_path, labels):
    path = tmp_path / "export.csv"
    records_export(_synthetic_text(), labels=labels).to_csv(path, index=False)
    tables, report = load_own_cohort([path])
    assert report["rows_in"] == {t: len(f) for t, f in _synthetic_text().items()}
    kind = "label" if labels else "raw"
    assert any(f"({kind} values, {kind} headers)" in n for n in report["notes"])
    ref = read_cohort(SYNTHETIC_DIR)
    got = _unpseudonymised(tables, report["mapping"])
    for t in TABLES:
        pd.testing.assert_frame_equal(_sorted(got[t], t), _sorted(ref[t], t))


def test_event_labels_with_the_arm_and_the_command_line(tmp_path, capsys):
    e = records_export(_synthetic_text(), labels=True)
    e["Event Name"] = e["Event Name"] + " (Arm 1: Arm 1)"   # how REDCap labels events of a project with arms
    path = tmp_path / "labels export.csv"
    e.to_csv(path, index=False)
    assert ingest_main([str(path), "--out", str(tmp_path / "out")]) == 0
    n = {t: len(f) for t, f in _synthetic_text().items()}
    assert ("No errors. Rows: " + ", ".join(f"{t} {k} of {k}" for t, k in n.items())) in capsys.readouterr().out
    back = pd.read_csv(tmp_path / "out" / "data" / "visits.csv")
    assert len(back) == n["visits"] and back["patient_id"].str.fullmatch(r"P\d{3}").all()


def test_split_records_names_record_event_and_field_of_every_problem():
    e = records_export(_synthetic_text())
    e.loc[1, "redcap_event_name"] = "baseline_arm_1"          # line 3
    e.loc[2, "redcap_repeat_instance"] = ""                   # line 4: SYNTH-01's adverse event
    e.loc[4, "redcap_repeat_instance"] = "2"                  # line 6: an instance on a visit row
    frame = e.set_axis(pd.Index(range(2, len(e) + 2), name="row"))
    raw, files, notes, problems, unplaced = split_records(frame, "x.csv (REDCap)")
    got = {(p["file"], p["row"], p["column"], p["rule"].split(":")[0]) for p in problems}
    assert got == {
        ("x.csv (REDCap), record SYNTH-01, event baseline_arm_1", 3, "redcap_event_name", "unknown event"),
        ("x.csv (REDCap), record SYNTH-01, event week_4_arm_1", 4, "redcap_repeat_instance", "repeat instance"),
        ("x.csv (REDCap), record SYNTH-02, event week_4_arm_1", 6, "redcap_repeat_instance",
         "repeat instance without its instrument"),
    }


def _split(e):
    return split_records(e.set_axis(pd.Index(range(2, len(e) + 2), name="row")), "x.csv (REDCap)")[3]


def test_structure_problems_name_the_field_that_is_wrong_and_are_said_once():
    e = records_export(_synthetic_text())
    got = {(p["row"], p["column"], p["rule"].split(":")[0]) for p in _split(e.drop(columns=["redcap_repeat_instance"]))}
    assert got == {(1, "redcap_repeat_instance", "missing field")}          # once, not for every adverse event
    moved = e.copy()
    moved.loc[1, "term"] = "headache"                                      # line 3: SYNTH-01's week-4 visit row
    moved.loc[2, "pga"] = "1"                                              # line 4: SYNTH-01's adverse event
    got = {(p["row"], p["column"], p["rule"].split(":")[0]) for p in _split(moved)}
    assert got == {(3, "term", "adverse_events field on a row that is not a repeating instance"),
                   (4, "pga", "visits field on a repeating adverse_events row")}
    lost = e.copy()
    lost.loc[1, "redcap_event_name"] = "week_5_arm_1"                      # the visit of SYNTH-01's adverse event
    assert [(p["row"], p["rule"].split(":")[0]) for p in _split(lost)] == [(3, "unknown event")]  # no second error


def _problems_of(e: pd.DataFrame, tmp_path) -> set:
    """Ingest the export ``e`` and return its problems as (file, row, column, rule prefix)."""
    from lupus_utils import CohortValidationError

    path = tmp_path / "export.csv"
    e.to_csv(path, index=False)
    with pytest.raises(CohortValidationError) as info:
        load_own_cohort([path])
    return {(p.file, p.row, p.column, p.rule.split(":")[0]) for p in info.value.problems.itertuples()}


def _line(e: pd.DataFrame, record: str, event: str) -> int:
    """The export line (header = 1) of a record's visit row at an event."""
    hit = e.index[(e["patient_id"] == record) & (e["redcap_event_name"] == event) & (e["redcap_repeat_instrument"] == "")]
    return int(hit[0]) + 2


def test_what_cannot_be_mapped_is_listed_with_the_validation_problems_of_the_rest(tmp_path):
    """An unknown field and a row at an unknown event do not hide the rest's validation: all
    come out in one list (before, reading stopped at the structure and PGA 5 was not reported)."""
    e = records_export(_synthetic_text())
    e.insert(10, "smoking_status", "")
    e.loc[0, "smoking_status"] = "never"
    moved, pga = _line(e, "SYNTH-03", "week_4_arm_1"), _line(e, "SYNTH-04", "week_4_arm_1")
    e.loc[moved - 2, "redcap_event_name"] = "week_8_arm_1"
    e.loc[pga - 2, "pga"] = "5"
    assert _problems_of(e, tmp_path) == {
        ("export.csv (REDCap)", 1, "smoking_status", "unknown field"),
        ("export.csv (REDCap), record SYNTH-03, event week_8_arm_1", moved, "redcap_event_name", "unknown event"),
        ("export.csv (REDCap), visits, record SYNTH-04, event week_4_arm_1", pga, "pga", "out of range"),
    }


def test_a_record_with_a_row_that_cannot_be_placed_is_not_validated(tmp_path):
    """SYNTH-01's week-0 row (its patient and baseline visit) at an unknown event: its other rows
    are not judged (they would be 'unknown patient', a consequence), every other record is."""
    e = records_export(_synthetic_text())
    first, pga = _line(e, "SYNTH-01", "week_0_arm_1"), _line(e, "SYNTH-02", "week_4_arm_1")
    e.loc[first - 2, "redcap_event_name"] = "baseline_arm_1"
    e.loc[pga - 2, "pga"] = "5"
    assert _problems_of(e, tmp_path) == {
        ("export.csv (REDCap), record SYNTH-01, event baseline_arm_1", first, "redcap_event_name", "unknown event"),
        ("export.csv (REDCap), visits, record SYNTH-02, event week_4_arm_1", pga, "pga", "out of range"),
    }


def test_what_cannot_be_mapped_is_listed_with_identifiers_too(tmp_path):
    """Identifiers stop the import before validation; the structure's problems are in that list."""
    e = records_export(_synthetic_text())
    e.insert(10, "smoking_status", "")
    e.loc[0, "smoking_status"] = "never"
    ae = e.index[e["redcap_repeat_instrument"] == "adverse_events"][0]
    e.loc[ae, "term"] = "called the patient on 333 1234567"
    assert {rule for *_, rule in _problems_of(e, tmp_path)} == {"unknown field", "direct identifier"}


def test_read_center_still_refuses_what_cannot_be_mapped(tmp_path):
    """Reading alone (no validation after it) raises the structure's problems, as before."""
    from lupus_utils import CohortValidationError
    from lupus_utils.data.ingest import read_center

    e = records_export(_synthetic_text())
    e.loc[1, "redcap_event_name"] = "week_8_arm_1"
    e.to_csv(tmp_path / "export.csv", index=False)
    with pytest.raises(CohortValidationError) as info:
        read_center(tmp_path / "export.csv")
    assert list(info.value.problems["rule"].str.split(":").str[0]) == ["unknown event"]


@pytest.mark.parametrize("labels", [False, True], ids=["raw", "labels"])
def test_the_header_is_matched_once_per_read(tmp_path, monkeypatch, labels):
    """raw_headers (which builds the data dictionary) runs once on an export, not twice."""
    import lupus_utils.data.redcap as redcap

    calls = []
    original = redcap.raw_headers
    monkeypatch.setattr(redcap, "raw_headers", lambda *a, **k: calls.append(a) or original(*a, **k))
    path = tmp_path / "export.csv"
    records_export(_synthetic_text(), labels=labels).to_csv(path, index=False)
    load_own_cohort([path])
    assert len(calls) == 1
