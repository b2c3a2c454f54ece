"""A REDCap project for the cohort, generated from the codebook: the data dictionary (one
instrument per table), the longitudinal events (one per scheduled visit), the instruments
designated to each event, and adverse events as a repeating instrument. Import the four CSV files
into a new longitudinal REDCap project (Project Setup: data dictionary, then events and
designations, then repeating instruments).

    python -m lupus_utils.redcap build/redcap            # make redcap

Data frames in, data frames out; writing is in :func:`write_project`.
"""
from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import pandas as pd

from .codebook import load_codebook
from .paths import BUILD_DIR, VISIT_WEEKS

#: REDCap's data-dictionary columns, in the order of its import template.
DICTIONARY_COLUMNS = (
    "Variable / Field Name", "Form Name", "Section Header", "Field Type", "Field Label",
    "Choices, Calculations, OR Slider Labels", "Field Note", "Text Validation Type OR Show Slider Number",
    "Text Validation Min", "Text Validation Max", "Identifier?", "Branching Logic (Show field only if...)",
    "Required Field?", "Custom Alignment", "Question Number (surveys only)", "Matrix Group Name", "Matrix Ranking?",
    "Field Annotation",
)
#: REDCap's field types and text validation types (its data-dictionary documentation).
FIELD_TYPES = ("text", "notes", "dropdown", "radio", "checkbox", "yesno", "truefalse", "calc", "file", "slider",
               "descriptive", "sql")
VALIDATION_TYPES = ("", "integer", "number", "date_ymd", "date_dmy", "date_mdy", "datetime_ymd", "email", "phone",
                    "time", "zipcode", "alpha_only")
#: Where the record id lives and which codebook columns the events replace.
RECORD_ID = "patient_id"
EVENT_COLUMN = {"visits": "week"}
REPEATING_FORM = "adverse_events"
EVENT_COLUMNS = ("event_name", "arm_num", "unique_event_name", "custom_event_label")
VARIABLE_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


def event_name(week: int) -> str:
    """REDCap's unique name of the event of a scheduled week ('week_12_arm_1')."""
    return f"week_{week}_arm_1"


def choice_code(value: str) -> str:
    """A category as a REDCap raw value (letters, digits and underscores): 'non-Caucasian' ->
    'non_caucasian'; the label keeps the codebook's value."""
    return re.sub(r"[^a-z0-9_]+", "_", str(value).lower()).strip("_")


def _bound(x) -> str:
    return "" if pd.isna(x) else f"{x:g}"


def data_dictionary(codebook: pd.DataFrame | None = None) -> pd.DataFrame:
    """The REDCap data dictionary: one instrument (form) per table of the codebook, the record id
    (``patient_id``) first; ``week`` is not a field (the visit's event says it); types, choices,
    ranges, units (as field notes) and required flags from the codebook."""
    cb = load_codebook() if codebook is None else codebook
    rows = []
    for table, spec in cb.groupby("table", sort=False):
        for r in spec.itertuples(index=False):
            if r.column == RECORD_ID and table != "patients":
                continue  # the record id is a field of the first instrument only
            if EVENT_COLUMN.get(table) == r.column:
                continue  # the visit's week is its event
            kind, validation, choices = "text", "", ""
            if r.type == "binary":
                kind = "yesno"
            elif r.type == "category":
                kind = "dropdown"
                choices = " | ".join(f"{choice_code(v)}, {v}" for v in r.allowed)
            elif r.type == "integer":
                validation = "integer"
            elif r.type == "number":
                validation = "number"
            elif r.type == "date":
                validation = "date_ymd"
            elif r.type == "string" and r.column == "term":
                kind = "notes"
            rows.append({
                "Variable / Field Name": r.column, "Form Name": table, "Section Header": "",
                "Field Type": kind, "Field Label": r.description, "Choices, Calculations, OR Slider Labels": choices,
                "Field Note": r.unit if isinstance(r.unit, str) else "",
                "Text Validation Type OR Show Slider Number": validation,
                "Text Validation Min": _bound(r.min) if validation in ("integer", "number") else "",
                "Text Validation Max": _bound(r.max) if validation in ("integer", "number") else "",
                "Identifier?": "", "Branching Logic (Show field only if...)": "",
                "Required Field?": "y" if r.required else "", "Custom Alignment": "",
                "Question Number (surveys only)": "", "Matrix Group Name": "", "Matrix Ranking?": "",
                "Field Annotation": "",
            })
    out = pd.DataFrame(rows, columns=list(DICTIONARY_COLUMNS))
    first = out[out["Variable / Field Name"] == RECORD_ID]
    return pd.concat([first, out.drop(first.index)], ignore_index=True)


def events(weeks=VISIT_WEEKS) -> pd.DataFrame:
    """The longitudinal events, one per scheduled visit, in one arm."""
    return pd.DataFrame([{"event_name": f"Week {w}", "arm_num": 1, "unique_event_name": event_name(w),
                          "custom_event_label": ""} for w in weeks], columns=list(EVENT_COLUMNS))


def designations(weeks=VISIT_WEEKS) -> pd.DataFrame:
    """Which instrument is filled at which event: the patient's characteristics at week 0, a
    visit at every week, adverse events (repeating) at every visit after baseline."""
    rows = [{"arm_num": 1, "unique_event_name": event_name(weeks[0]), "form": "patients"}]
    for w in weeks:
        rows.append({"arm_num": 1, "unique_event_name": event_name(w), "form": "visits"})
        if w != weeks[0]:
            rows.append({"arm_num": 1, "unique_event_name": event_name(w), "form": REPEATING_FORM})
    return pd.DataFrame(rows, columns=["arm_num", "unique_event_name", "form"])


def repeating_instruments(weeks=VISIT_WEEKS) -> pd.DataFrame:
    """Adverse events repeat within each visit event after baseline (one instance per event)."""
    return pd.DataFrame([{"event_name": event_name(w), "form_name": REPEATING_FORM, "custom_form_label": "[term]"}
                         for w in weeks[1:]], columns=["event_name", "form_name", "custom_form_label"])


def write_project(out_dir: Path | str, codebook: pd.DataFrame | None = None) -> dict[str, Path]:
    """Write the dictionary, events, designations and repeating instruments as CSV into
    ``out_dir``; return their paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    frames = {"data_dictionary": data_dictionary(codebook), "events": events(), "instrument_designations": designations(),
              "repeating_instruments": repeating_instruments()}
    paths = {}
    for name, frame in frames.items():
        paths[name] = out / f"redcap_{name}.csv"
        frame.to_csv(paths[name], index=False, lineterminator="\n")
    return paths


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out", nargs="?", type=Path, default=BUILD_DIR / "redcap", help="folder for the four CSV files")
    args = ap.parse_args(argv)
    for name, path in write_project(args.out).items():
        print(f"{name}: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
