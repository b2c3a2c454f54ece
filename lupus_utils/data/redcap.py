"""REDCap in and out, generated from the codebook.

Out: the data dictionary (one instrument per table), the longitudinal events (one per scheduled
visit), the instruments designated to each event, and adverse events as a repeating instrument.
Import the four CSV files into a new longitudinal REDCap project (Project Setup: data
dictionary, then events and designations, then repeating instruments).

    python -m lupus_utils.data.redcap build/redcap            # make redcap

In: :func:`split_records` maps a REDCap records export (the flat CSV of "Export Data", raw or
label values, raw or label headers, one row per record and event plus one per repeating
instance) onto the three tables; :func:`records_export` writes the synthetic cohort in that
shape (the round trip of the tests).

Data frames in, data frames out; writing is in :func:`write_project`.
"""
from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import pandas as pd

from ..codebook import load_codebook, table_spec
from ..paths import BUILD_DIR, VISIT_WEEKS

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
EVENT_COLUMN = {"visits": "week", "adverse_events": "week"}
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
                "Field Annotation": f"Required: {r.required_because}" if r.required else "",
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


# --------------------------------------------------------------------------------------------
# records export: out (for the round trip) and in
# --------------------------------------------------------------------------------------------

#: REDCap's own columns of a records export, raw header -> label header.
SYSTEM_COLUMNS = {"redcap_event_name": "Event Name", "redcap_repeat_instrument": "Repeat Instrument",
                  "redcap_repeat_instance": "Repeat Instance", "redcap_data_access_group": "Data Access Group",
                  "redcap_survey_identifier": "Survey Identifier"}
#: A form's status column ("<form>_complete"), raw value -> label.
COMPLETE_VALUES = {"0": "Incomplete", "1": "Unverified", "2": "Complete"}
COMPLETE_LABEL = "Complete?"
YESNO_LABELS = {"1": "Yes", "0": "No"}
_ARM_SUFFIX = re.compile(r"\s*\(Arm 1: [^)]*\)$")  # the project has one arm
_EVENT_RAW = re.compile(r"^week_(\d+)_arm_1$")
_EVENT_LABEL = re.compile(r"^Week (\d+)$")


def form_label(form: str) -> str:
    """The label REDCap gives an instrument created from the dictionary ('adverse_events' ->
    'Adverse Events')."""
    return form.replace("_", " ").title()


def event_label(week: int) -> str:
    """The label of a scheduled week's event ('Week 12')."""
    return f"Week {week}"


def _fields(codebook: pd.DataFrame | None) -> pd.DataFrame:
    """The dictionary's fields with what reading needs: form, label, type and choices (raw code ->
    codebook value)."""
    d = data_dictionary(codebook)
    out = pd.DataFrame({"field": d["Variable / Field Name"], "form": d["Form Name"], "label": d["Field Label"],
                        "kind": d["Field Type"]})
    out["choices"] = [dict(tuple(part.split(", ", 1)) for part in c.split(" | ")) if c else {}
                      for c in d["Choices, Calculations, OR Slider Labels"]]
    return out.set_index("field", drop=False)


def export_columns(codebook: pd.DataFrame | None = None) -> list[str]:
    """The raw header of a records export: the record id, REDCap's event and repeat columns, then
    each form's fields followed by its ``<form>_complete`` status."""
    f = _fields(codebook)
    cols = [RECORD_ID, "redcap_event_name", "redcap_repeat_instrument", "redcap_repeat_instance"]
    for form, fields in f.groupby("form", sort=False):
        cols += [x for x in fields["field"] if x != RECORD_ID] + [f"{form}_complete"]
    return cols


def records_export(tables: dict[str, pd.DataFrame], labels: bool = False,
                   codebook: pd.DataFrame | None = None) -> pd.DataFrame:
    """The three tables as REDCap's records export (text cells): one row per record and visit
    event (the patients form filled at week 0), one per adverse event as an instance of the
    repeating ``adverse_events`` form at its week's event. ``labels``: label headers and label
    values ("CSV (labels)"), else raw ones."""
    f = _fields(codebook)
    cols = export_columns(codebook)
    text = {t: x.astype("string").fillna("").astype(object) for t, x in tables.items()}

    def encode(field: str, value: str) -> str:
        kind = f.at[field, "kind"] if field in f.index else ""
        if value == "" or kind not in ("yesno", "dropdown"):
            return value
        if kind == "yesno":
            return YESNO_LABELS.get(value, value) if labels else value
        return value if labels else choice_code(value)

    def event(week) -> str:
        return event_label(int(week)) if labels else event_name(int(week))

    done = COMPLETE_VALUES["2"] if labels else "2"
    p = text["patients"].set_index("patient_id", drop=False)
    v, ae = text["visits"], text["adverse_events"]
    rows = []
    for record in p.index:
        weeks = sorted({int(w) for w in v.loc[v["patient_id"] == record, "week"]} | {VISIT_WEEKS[0]})
        for week in weeks:
            row = {RECORD_ID: record, "redcap_event_name": event(week)}
            if week == VISIT_WEEKS[0]:
                row.update({c: encode(c, p.at[record, c]) for c in p.columns if c != RECORD_ID})
                row["patients_complete"] = done
            visit = v[(v["patient_id"] == record) & (v["week"].astype(int) == week)]
            for _, r in visit.iterrows():
                row.update({c: encode(c, r[c]) for c in v.columns if c not in (RECORD_ID, "week")})
                row["visits_complete"] = done
            rows.append(row)
            here = ae[(ae["patient_id"] == record) & (ae["week"].astype(int) == week)]
            for instance, (_, r) in enumerate(here.iterrows(), start=1):
                row = {RECORD_ID: record, "redcap_event_name": event(week),
                       "redcap_repeat_instrument": form_label(REPEATING_FORM) if labels else REPEATING_FORM,
                       "redcap_repeat_instance": str(instance), f"{REPEATING_FORM}_complete": done}
                row.update({c: encode(c, r[c]) for c in ae.columns if c not in (RECORD_ID, "week")})
                rows.append(row)
    out = pd.DataFrame(rows, columns=cols).fillna("")
    if labels:
        out.columns = [label_header(c, f) for c in cols]
    return out


def label_header(column: str, fields: pd.DataFrame | None = None) -> str:
    """The header REDCap's label export gives a raw column."""
    f = _fields(None) if fields is None else fields
    if column in SYSTEM_COLUMNS:
        return SYSTEM_COLUMNS[column]
    if column.endswith("_complete") and column[: -len("_complete")] in set(f["form"]):
        return COMPLETE_LABEL
    return f.at[column, "label"]


def raw_headers(header: list[str], codebook: pd.DataFrame | None = None) -> tuple[list[str], bool]:
    """Each header as its raw name; label headers are matched to the dictionary's labels in
    order ("Complete?" is the status of the form of the field before it). Returns the names and
    whether the header was labels. A header that matches nothing is kept as it is."""
    f = _fields(codebook)
    if "redcap_event_name" in header or "Event Name" not in header:
        return list(header), False
    by_label: dict[str, list[str]] = {}
    for field, label in zip(f["field"], f["label"]):
        by_label.setdefault(label, []).append(field)
    system = {v: k for k, v in SYSTEM_COLUMNS.items()}
    names, form = [], None
    for h in header:
        if h in system:
            names.append(system[h])
        elif h == COMPLETE_LABEL and form:
            names.append(f"{form}_complete")
        elif by_label.get(h):
            field = by_label[h].pop(0)
            form = f.at[field, "form"]
            names.append(field)
        else:
            names.append(h)
    return names, True


def is_records_export(header: list[str]) -> bool:
    """Whether a CSV header is REDCap's records export (raw or label headers)."""
    return "redcap_event_name" in header or ("Event Name" in header and "Repeat Instrument" in header)


def where(label: str, record: str, event: str) -> str:
    """How a problem names a cell of an export: the file, the record and the event."""
    return f"{label}, record {record or '(no id)'}, event {event or '(none)'}"


def split_records(frame: pd.DataFrame, label: str, codebook: pd.DataFrame | None = None,
                  label_headers: bool | None = None):
    """Map a records export onto the three tables.

    ``frame``: the export's text cells (header as exported, raw or labels), indexed by its line
    (header = 1). Returns ``(raw, files, notes, problems, unplaced)``: ``raw`` maps each table to
    text cells in codebook columns (``week`` from the event, categories and yes/no as the codebook
    writes them), each indexed by the export line it came from; ``files`` names each table's
    source for the problems (``export.csv (REDCap), visits``); problems name the record, the
    event and the field. Values that are neither a raw code nor a label are kept as written, so
    that validation reports them. ``label_headers`` says how the file's header was written when
    the caller has already turned it into raw names (then the header is not matched again).

    ``raw`` is empty when nothing can be mapped (a field the mapping needs is missing, raw and
    label values are mixed); otherwise it holds every row that could be placed, and ``unplaced``
    names the records with a patients or visit row that could not be (an unknown event, the
    patients form at another event, an instance number without its instrument): judging the
    rest of such a record would report the missing row's consequences (a visit without its
    patient, a last visit that is not the follow-up's), not what the centre wrote."""
    f = _fields(codebook)
    problems: list[dict] = []
    notes: list[str] = []
    if label_headers is None:
        names, label_headers = raw_headers([str(c) for c in frame.columns], codebook)
    else:  # the caller has matched the header already
        names = [str(c) for c in frame.columns]
    frame = frame.copy()
    frame.columns = names
    files = {t: f"{label}, {t}" for t in ("patients", "visits", "adverse_events")}

    def problem(line, record, event, column, value, rule):
        problems.append({"file": where(label, record, event), "row": line, "column": column, "value": value,
                         "rule": rule})

    known = (set(f["field"]) | set(SYSTEM_COLUMNS) | {f"{x}_complete" for x in f["form"]}
             | {f"{x}_timestamp" for x in f["form"]})  # REDCap's own status and survey-time columns
    unknown = [c for c in names if c not in known]
    for c in unknown:
        problems.append({"file": label, "row": 1, "column": c, "value": "",
                         "rule": "unknown field: not a field of the project's data dictionary (make redcap); "
                                 "remove it from the export or add it to the codebook"})
    for c in (RECORD_ID, "redcap_event_name"):
        if c not in names:
            problems.append({"file": label, "row": 1, "column": c, "value": "",
                             "rule": "missing field: a records export needs the record id and the event"})
    ae_fields = [x for x in f["field"] if f.at[x, "form"] == REPEATING_FORM and x != RECORD_ID]
    if any(x in names for x in ae_fields):  # adverse events are instances: their two columns are needed
        for c in ("redcap_repeat_instrument", "redcap_repeat_instance"):
            if c not in names:
                problems.append({"file": label, "row": 1, "column": c, "value": "",
                                 "rule": f"missing field: the export holds {REPEATING_FORM} fields, which repeat, "
                                         "so it needs redcap_repeat_instrument and redcap_repeat_instance"})
    if any(p["rule"].startswith("missing field") for p in problems):
        return {}, files, notes, problems, set()
    for c in ("redcap_repeat_instrument", "redcap_repeat_instance"):
        if c not in frame:
            frame[c] = ""
    cells = frame.fillna("").astype(str).apply(lambda s: s.str.strip())
    records, events = cells[RECORD_ID], cells["redcap_event_name"]

    # which writing each coded cell is in: raw code, label, either, or neither
    coded = [c for c in names if c in f.index and f.at[c, "kind"] in ("yesno", "dropdown")]
    kinds = {"redcap_event_name": lambda x: (bool(_EVENT_RAW.match(x)),
                                             bool(_EVENT_LABEL.match(_ARM_SUFFIX.sub("", x)))),
             "redcap_repeat_instrument": lambda x: (x == REPEATING_FORM, x == form_label(REPEATING_FORM))}
    for c in coded:
        if f.at[c, "kind"] == "yesno":
            kinds[c] = lambda x: (x in YESNO_LABELS, x in YESNO_LABELS.values())
        else:
            ch = f.at[c, "choices"]
            kinds[c] = lambda x, ch=ch: (x in ch, x in ch.values())
    raw_only, label_only = [], []
    for c, judge in kinds.items():
        for line, x in cells[c].items():
            if x:
                is_raw, is_label = judge(x)
                if is_raw and not is_label:
                    raw_only.append((line, c, x))
                elif is_label and not is_raw:
                    label_only.append((line, c, x))
    if raw_only and label_only:
        fewer, kind = (raw_only, "raw") if len(raw_only) <= len(label_only) else (label_only, "label")
        other = "label" if kind == "raw" else "raw"
        for line, c, x in fewer[:20]:
            problem(line, records[line], events[line], c, x,
                    f"raw and label values mixed: this cell is a {kind} value, while {len(raw_only if other == 'raw' else label_only)} "
                    f"cells are {other} values; export the whole file as raw data or as labels")
        if len(fewer) > 20:
            problems.append({"file": label, "row": None, "column": "", "value": "",
                             "rule": f"raw and label values mixed: {len(fewer) - 20} more {kind} cells (only the first 20 are listed)"})
        return {}, files, notes, problems, set()
    values_are_labels = bool(label_only)

    def decode(c: str, x: str) -> str:
        if not x or c not in f.index:
            return x
        kind = f.at[c, "kind"]
        if kind == "yesno":
            return {v: k for k, v in YESNO_LABELS.items()}.get(x, x)
        if kind == "dropdown":
            return f.at[c, "choices"].get(x, x)
        return x

    fields_of = {form: [x for x in g["field"] if x != RECORD_ID] for form, g in f.groupby("form", sort=False)}
    first_event = VISIT_WEEKS[0]
    out: dict[str, list] = {"patients": [], "visits": [], "adverse_events": []}
    lines: dict[str, list] = {"patients": [], "visits": [], "adverse_events": []}
    instances: dict = {}
    parents: set = set()
    rejected: set = set()  # records with a row refused for its record id or event
    unplaced: set = set()  # records with a patients or visit row that could not be placed
    for line, row in cells.iterrows():
        record, event = row[RECORD_ID], row["redcap_event_name"]
        if not record and not any(row.to_numpy(dtype=str)):
            continue
        m = _EVENT_RAW.match(event) or _EVENT_LABEL.match(_ARM_SUFFIX.sub("", event))
        week = int(m.group(1)) if m else None
        if week not in VISIT_WEEKS:
            rejected.add(record)  # its adverse events are not reported again for a missing visit
            if record and not row["redcap_repeat_instrument"]:
                unplaced.add(record)
            problem(line, record, event, "redcap_event_name", event,
                    f"unknown event: not an event of the project ({', '.join(event_name(w) for w in VISIT_WEEKS)}, "
                    f"or their labels 'Week 0'...)")
            continue
        if not record:
            problem(line, record, event, RECORD_ID, "", "required: the record id must not be empty")
            continue
        instrument, instance = row["redcap_repeat_instrument"], row["redcap_repeat_instance"]
        filled = {form: any(row.get(x, "") for x in fields) for form, fields in fields_of.items()}
        if instrument:
            if instrument not in (REPEATING_FORM, form_label(REPEATING_FORM)):
                problem(line, record, event, "redcap_repeat_instrument", instrument,
                        f"unknown repeating instrument: only {REPEATING_FORM} repeats")
                continue
            if not re.fullmatch(r"[1-9]\d*", instance):
                problem(line, record, event, "redcap_repeat_instance", instance,
                        "repeat instance: a repeating row needs its instance number (1, 2, ...)")
                continue
            key = (record, week, int(instance))
            if key in instances:
                problem(line, record, event, "redcap_repeat_instance", instance,
                        f"duplicate instance: the same instance as line {instances[key]}")
                continue
            instances[key] = line
            for form in ("patients", "visits"):
                for x in (x for x in fields_of[form] if row.get(x, "")):
                    problem(line, record, event, x, row[x],
                            f"{form} field on a repeating {REPEATING_FORM} row: each row holds one form")
            ae = {x: decode(x, row.get(x, "")) for x in fields_of[REPEATING_FORM]}
            out["adverse_events"].append({**ae, RECORD_ID: record, "week": str(week)})
            lines["adverse_events"].append(line)
            continue
        if instance:
            problem(line, record, event, "redcap_repeat_instance", instance,
                    "repeat instance without its instrument: redcap_repeat_instrument is empty")
            parents.add((record, week))  # reported once here, not again for its instances
            unplaced.add(record)
            continue
        for x in (x for x in fields_of[REPEATING_FORM] if row.get(x, "")):
            problem(line, record, event, x, row[x],
                    f"{REPEATING_FORM} field on a row that is not a repeating instance: {REPEATING_FORM} repeats")
        if filled["patients"]:
            if week != first_event:
                problem(line, record, event, "redcap_event_name", event,
                        f"patients form at the wrong event: it is designated to {event_name(first_event)} only")
                unplaced.add(record)
            else:
                out["patients"].append({RECORD_ID: record, **{x: decode(x, row.get(x, "")) for x in fields_of["patients"]}})
                lines["patients"].append(line)
        if filled["visits"]:
            out["visits"].append({RECORD_ID: record, "week": str(week),
                                  **{x: decode(x, row.get(x, "")) for x in fields_of["visits"]}})
            lines["visits"].append(line)
            parents.add((record, week))
    for (record, week, _), line in instances.items():
        if (record, week) not in parents and record not in rejected:
            problem(line, record, cells.at[line, "redcap_event_name"], "redcap_repeat_instrument",
                    cells.at[line, "redcap_repeat_instrument"],
                    f"repeating instance without its parent: record {record} has no visit at this event; record the "
                    "visit, or move the adverse event to the visit where it was reported")
    cb = load_codebook() if codebook is None else codebook
    present = set(names) | {RECORD_ID, "week"}
    raw = {}
    for t in out:
        cols = [c for c in table_spec(t, cb).index if c in present]
        raw[t] = pd.DataFrame(out[t], columns=cols, index=pd.Index(lines[t], name="row"), dtype=object).fillna("")
        raw[t].attrs["records"] = {line: (records[line], events[line]) for line in lines[t]}
    n_records = len(set(records[records != ""]))
    notes.append(f"{label}: a REDCap records export ({'label' if values_are_labels else 'raw'} values, "
                 f"{'label' if label_headers else 'raw'} headers): {n_records} records; {len(raw['patients'])} patients, "
                 f"{len(raw['visits'])} visits and {len(raw['adverse_events'])} adverse events (repeating instances) read")
    return raw, files, notes, problems, unplaced


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
