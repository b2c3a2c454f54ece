"""Validation against the codebook: every problem, with file, row, column, value and rule."""
import pandas as pd
import pytest

from conftest import good_cohort, visit, write_cohort
from lupus_utils import CohortValidationError, columns, load_codebook, read_cohort
from lupus_utils.paths import VISIT_WEEKS


def test_valid_cohort_reads_typed(tmp_path):
    tables = read_cohort(write_cohort(tmp_path / "ok", *good_cohort()))
    assert list(tables) == ["patients", "visits", "adverse_events"]
    v = tables["visits"]
    assert str(v["week"].dtype) == "Int64" and v["pga"].dtype == "float64"
    assert list(v.columns) == columns("visits")
    assert str(tables["patients"]["anifrolumab_start"].dtype).startswith("datetime64")


def test_malformed_visits_file_lists_every_problem_in_one_error(tmp_path):
    pts, vis, ae = good_cohort()
    vis[1]["pga"] = 4                      # row 3: out of range
    vis[2]["sledai_rash"] = 2              # row 4: item coded 2
    vis[3]["week"] = 8                     # row 5: not a scheduled week
    vis[4]["tender_joints"] = "many"       # row 6: text in a numeric column
    vis.append(visit(patient_id="P01", week=4))    # row 7: duplicate visit
    vis.append(visit(patient_id="P99", week=0))    # row 8: unknown patient
    vis.append(visit(patient_id="P02", week=24))   # row 9: after the end of follow-up
    vis[0]["treatment_status"] = "paused"  # row 2: not an allowed value
    frame = pd.DataFrame(vis).drop(columns=["clasi_damage"]).assign(favourite_colour="blue")
    folder = tmp_path / "bad"
    write_cohort(folder, pts, frame, ae)
    with pytest.raises(CohortValidationError) as info:
        read_cohort(folder)
    p = info.value.problems
    f = str(folder / "visits.csv")
    got = {(r.file, None if pd.isna(r.row) else int(r.row), r.column, r.rule.split(":")[0]) for r in p.itertuples()}
    expected = {
        (f, None, "favourite_colour", "unknown column"),
        (f, None, "clasi_damage", "missing column"),
        (f, 2, "treatment_status", "not allowed"),
        (f, 3, "pga", "out of range"),
        (f, 4, "sledai_rash", "not allowed"),
        (f, 5, "week", "not allowed"),
        (f, 5, "week", "after the end of follow-up"),  # week 8 > P02's 4 weeks
        (f, 6, "tender_joints", "wrong type"),
        (f, 7, "week", "duplicate visit"),
        (f, 8, "patient_id", "unknown patient"),
        (f, 9, "week", "after the end of follow-up"),
        (str(folder / "patients.csv"), 3, "follow_up_weeks", "inconsistent"),  # P02's last visit is now 24
        (str(folder / "patients.csv"), 3, "patient_id", "no baseline"),  # P02's week 0 became week 8
    }
    assert got == expected and len(p) == len(expected), (expected - got, got - expected)
    message = str(info.value)
    assert message.startswith(f"{len(p)} problems found")
    assert f"{f}, row 3, column 'pga' (value '4.0'): out of range: must be between 0 and 3" in message


def test_adverse_event_problems(tmp_path):
    pts, vis, ae = good_cohort()
    ae.append(dict(event_id="E1", patient_id="P77", week=12, category="allergy", term="rash",
                   serious=0, hospitalised=0, action="none"))
    ae.append(dict(event_id="E3", patient_id="P02", week=48, category="other", term="fatigue",
                   serious=0, hospitalised=0, action="none"))
    folder = write_cohort(tmp_path / "ae", pts, vis, ae)
    with pytest.raises(CohortValidationError) as info:
        read_cohort(folder)
    p = info.value.problems
    assert (p["file"] == str(folder / "adverse_events.csv")).all(), p
    rules = {(int(r.row), r.column, r.rule.split(":")[0]) for r in p.itertuples()}
    assert len(p) == 5 and rules == {(2, "event_id", "duplicate"), (3, "event_id", "duplicate"),
                                     (3, "patient_id", "unknown patient"), (3, "category", "not allowed"),
                                     (4, "week", "after the end of follow-up")}


def test_consistency_rules_between_items_and_laboratory_values(tmp_path):
    pts, vis, ae = good_cohort()
    vis[1].update(sledai_thrombocytopenia=1, platelets_10e9_l=150)   # item says < 100
    vis[2].update(sledai_proteinuria=1, proteinuria_g_24h=None)      # a gap, not an error (below)
    vis[3].update(gc_drug="none", gc_dose_mg=5)                      # dose without drug
    vis[4].update(vasculitis_type="systemic")                        # item absent
    folder = write_cohort(tmp_path / "c", pts, vis, ae)
    with pytest.raises(CohortValidationError) as info:
        read_cohort(folder)
    got = [(int(r.row), r.column) for r in info.value.problems.itertuples()]
    assert sorted(got) == [(3, "platelets_10e9_l"), (5, "gc_dose_mg"), (6, "vasculitis_type")]


def test_a_missing_value_behind_a_present_item_is_a_gap_and_sle_das_is_unknown(tmp_path):
    from lupus_utils import sle_das, sledai2k

    pts, vis, ae = good_cohort()
    vis[2].update(sledai_proteinuria=1, proteinuria_g_24h=None)
    v = read_cohort(write_cohort(tmp_path / "g", pts, vis, ae))["visits"]
    assert sledai2k(v).iloc[2] == sledai2k(v.assign(sledai_proteinuria=0)).iloc[2] + 4   # the descriptor still counts
    assert pd.isna(sle_das(v).iloc[2]) and sle_das(v).drop(index=2).notna().all()       # the score that needs g/24 h


def test_required_columns_say_why_and_gap_inputs_are_not_required():
    from lupus_utils.codebook import load_codebook
    from lupus_utils.science.gaps import GAP_INPUTS

    cb = load_codebook()
    required = cb[cb["required"]]
    assert required["required_because"].str.len().gt(20).all()
    assert (cb.loc[~cb["required"], "required_because"] == "").all()
    visits = cb[cb["table"] == "visits"].set_index("column")
    assert not visits.loc[list(GAP_INPUTS), "required"].any()
    assert visits.loc[["week", "treatment_status", "sledai_arthritis", "gc_drug"], "required"].all()


def test_cytopenia_not_attributed_to_lupus_is_accepted(tmp_path):
    # drug-induced thrombocytopenia and leukopenia: values below the thresholds with the SLEDAI-2K
    # items at 0 are valid (the items score lupus activity only); the item at 1 needs the value
    pts, vis, ae = good_cohort()
    vis[1].update(sledai_thrombocytopenia=0, platelets_10e9_l=85, sledai_leukopenia=0, leukocytes_10e9_l=2.4)
    tables = read_cohort(write_cohort(tmp_path / "d", pts, vis, ae))
    assert tables["visits"]["platelets_10e9_l"].iloc[1] == 85


def test_missing_file_and_missing_baseline(tmp_path):
    pts, vis, ae = good_cohort()
    folder = write_cohort(tmp_path / "m", pts, vis[1:], ae)
    (folder / "adverse_events.csv").unlink()
    with pytest.raises(CohortValidationError) as info:
        read_cohort(folder)
    p = info.value.problems
    got = {(r.file, r.rule.split(":")[0]) for r in p.itertuples()}
    assert len(p) == 2 and got == {(str(folder / "adverse_events.csv"), "missing table"),
                                   (str(folder / "patients.csv"), "no baseline")}  # P01's week 0 was left out


def test_codebook_defines_every_column_once_with_types():
    cb = load_codebook()
    assert not cb.duplicated(["table", "column"]).any()
    assert set(cb["table"]) == {"patients", "visits", "adverse_events"}
    week = cb[(cb.table == "visits") & (cb.column == "week")].iloc[0]
    assert tuple(int(w) for w in week["allowed"]) == VISIT_WEEKS
    assert sum(c.startswith("sledai_") for c in columns("visits")) == 24
    assert cb["description"].str.len().min() > 10 and cb["source"].str.len().min() > 5


def test_treatment_status_agrees_with_the_stop_week(tmp_path):
    pts, vis, ae = good_cohort()
    pts[0].update(anifrolumab_stop_week=4, anifrolumab_stop_reason="flare")  # P01 stopped at week 4
    vis[3]["treatment_status"] = "discontinued"                             # P02, never stopped
    folder = write_cohort(tmp_path / "s", pts, vis, ae)
    with pytest.raises(CohortValidationError) as info:
        read_cohort(folder)
    got = {(int(r.row), r.column, r.rule.split(":")[0]) for r in info.value.problems.itertuples()}
    assert got == {(4, "treatment_status", "inconsistent"), (5, "treatment_status", "inconsistent")}  # P01 week 12 'on'; P02 'discontinued'
