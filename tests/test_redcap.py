"""The REDCap project generated from the codebook (issue 18, REDCap out): the data dictionary
checked against REDCap's documented import columns and field types, every codebook column
carried over with its type, choices, range, unit and required flag; the events, designations
and repeating adverse events."""
import re

import pandas as pd

from lupus_utils.codebook import load_codebook
from lupus_utils.paths import VISIT_WEEKS
from lupus_utils.redcap import (DICTIONARY_COLUMNS, FIELD_TYPES, VALIDATION_TYPES, data_dictionary, designations,
                                events, repeating_instruments, write_project)

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
    expected = {c for t, c in zip(cb["table"], cb["column"]) if not (c == "week" and t == "visits")}
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
    assert len(des[des.form == "visits"]) == len(VISIT_WEEKS) and len(des[des.form == "adverse_events"]) == 6
    rep = repeating_instruments()
    assert set(rep["form_name"]) == {"adverse_events"} and set(rep["event_name"]) == set(des[des.form == "adverse_events"]["unique_event_name"])
    paths = write_project(tmp_path)
    back = pd.read_csv(paths["data_dictionary"], dtype=str, keep_default_na=False)
    assert list(back.columns) == REDCAP_HEADER and len(back) == len(data_dictionary())
