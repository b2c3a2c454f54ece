"""Every patient's course (issue 16): states at the scheduled visits, moves between them, the
swimmer plot's lanes and marks, the subgroup forest plot; hand-made patients, counts by hand."""
import math

import matplotlib
import numpy as np
import pandas as pd
import pytest

matplotlib.use("Agg")

from lupus_utils.science.courses import (STATES, course_marks, patient_courses, state_counts, state_transitions,
                                         transition_matrix, visit_states)


def _derived(rows):
    cols = ["patient_id", "week", "on_treatment", "doris_remission", "lldas", "sfi_flare", "treatment_status"]
    return pd.DataFrame(rows, columns=cols)


PATIENTS = pd.DataFrame({"patient_id": ["A", "B", "C", "D"], "follow_up_weeks": [24, 12, 24, 4],
                         "anifrolumab_stop_week": [np.nan, 12, np.nan, np.nan],
                         "anifrolumab_stop_reason": [np.nan, "flare", np.nan, np.nan]})
VISITS = _derived([
    ("A", 0, True, False, False, "none", "on"), ("A", 12, True, False, True, "none", "on"),
    ("A", 24, True, True, True, "none", "on"),
    ("B", 0, True, False, False, "none", "on"), ("B", 12, False, False, False, "severe", "discontinued"),
    ("C", 0, True, False, False, "none", "on"), ("C", 24, True, False, False, "mild_moderate", "suspended"),  # missed week 12
    ("D", 0, True, False, True, "none", "on"),
])
EVENTS = pd.DataFrame({"patient_id": ["C", "A"], "week": [24, 12], "category": ["infection", "other"],
                       "term": ["herpes zoster", "headache"], "action": ["temporary_suspension", "none"]})


def test_a_state_an_input_leaves_unknown_is_never_read_as_neither():
    from lupus_utils.science.courses import visit_state

    v = pd.DataFrame({"on_treatment": [True, True, True, True, False],
                      "doris_remission": pd.array([pd.NA, False, False, True, pd.NA], dtype="boolean"),
                      "lldas": pd.array([True, pd.NA, False, pd.NA, pd.NA], dtype="boolean")})
    # remission unknown -> unknown, even with LLDAS; LLDAS unknown without remission -> unknown;
    # remission known true decides; off treatment decides
    assert visit_state(v).tolist() == ["State unknown", "State unknown", "Neither", "DORIS remission", "Off anifrolumab"]


def test_visit_states_give_every_patient_a_state_at_every_week():
    s = visit_states(VISITS, PATIENTS, weeks=(0, 12, 24))
    got = s.pivot(index="patient_id", columns="week", values="state").astype(str)
    assert got.loc["A"].tolist() == ["Neither", "LLDAS, not remission", "DORIS remission"]
    assert got.loc["B"].tolist() == ["Neither", "Off anifrolumab", "Off anifrolumab"]   # stopped at 12: off after
    assert got.loc["C"].tolist() == ["Neither", "Visit missed", "Neither"]               # followed past 12, no visit
    assert got.loc["D"].tolist() == ["LLDAS, not remission", "Not yet due", "Not yet due"]  # follow-up ended at 4
    c = state_counts(s)
    assert len(c) == 3 * len(STATES) and c.groupby("week")["n"].sum().tolist() == [4, 4, 4]
    assert c.set_index(["week", "state"]).at[(24, "Not yet due"), "n"] == 1


def test_state_transitions_count_each_patient_once_per_interval():
    moves = state_transitions(visit_states(VISITS, PATIENTS, weeks=(0, 12, 24)))
    assert moves.groupby("week_from")["n"].sum().tolist() == [4, 4]
    first = moves[moves.week_from == 0].set_index(["state_from", "state_to"])["n"].to_dict()
    assert first == {("LLDAS, not remission", "Not yet due"): 1, ("Neither", "LLDAS, not remission"): 1,
                     ("Neither", "Off anifrolumab"): 1, ("Neither", "Visit missed"): 1}
    m = transition_matrix(moves, 12).set_index("Week 12 \u2192 week 24")
    assert m.at["LLDAS, not remission", "DORIS remission"] == 1 and m.at["Visit missed", "Neither"] == 1
    assert m["Total"].sum() == 4 and m.at["Off anifrolumab", "Total"] == 1
    with pytest.raises(KeyError, match="week 24"):
        transition_matrix(moves, 24)


def test_patient_courses_and_marks_for_the_swimmer_plot():
    c = patient_courses(PATIENTS, EVENTS).set_index("patient_id")
    assert c.at["B", "status"] == "Stopped at week 12: flare" and c.at["A", "status"] == "On anifrolumab at week 24"
    assert c.at["C", "suspensions"] == 1 and c.at["A", "suspensions"] == 0 and math.isnan(c.at["A", "stop_week"])
    m = course_marks(VISITS, EVENTS)
    assert m.kind.value_counts().to_dict() == {"state": 8, "flare": 2, "adverse event": 2, "suspension": 1}
    flares = m[m.kind == "flare"].set_index("patient_id")["value"].to_dict()
    assert flares == {"B": "severe", "C": "mild/moderate"}
    assert m[(m.kind == "state") & (m.patient_id == "B") & (m.week == 12)]["value"].iloc[0] == "Off anifrolumab"
    assert m[m.kind == "adverse event"].set_index("patient_id").at["C", "detail"] == "herpes zoster"


def test_the_figures_draw_what_the_frames_hold():
    from lupus_utils.presentation.plots import forest_figure, swimmer_figure, transitions_figure
    fig = swimmer_figure(patient_courses(PATIENTS, EVENTS), course_marks(VISITS, EVENTS))
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["D", "B", "C", "A"]   # longest follow-up on top
    assert any(t.get_text() == "stopped: flare" for t in ax.texts)
    fig = transitions_figure(state_counts(visit_states(VISITS, PATIENTS, weeks=(0, 12, 24))))
    heights = [p.get_height() for p in fig.axes[0].patches]
    assert sum(heights) == 12                               # 4 patients at each of 3 weeks, nobody dropped
    d = pd.DataFrame({"grouping": ["G", "G"], "comparison": ["b vs a", "b vs a"], "outcome": ["SLEDAI-2K"] * 2,
                      "measure": ["sledai2k"] * 2, "week": [12, 24], "n_a": [6, 3], "n_b": [7, 4],
                      "estimate": [-2.0, 1.0], "ci_low": [-4.0, np.nan], "ci_high": [0.0, np.nan], "small": [False, True]})
    fig = forest_figure(d)
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == ["G: b vs a, week 24", "G: b vs a, week 12"]
    offsets = fig.axes[0].collections[1].get_offsets()
    assert sorted(offsets[:, 0].tolist()) == [-2.0, 1.0]


def test_subgroup_differences_are_the_two_sample_hodges_lehmann_of_the_groups():
    from lupus_utils import read_cohort
    from lupus_utils.science.inference import hodges_lehmann_two_sample
    from lupus_utils.paths import SYNTHETIC_DIR
    from lupus_utils.science.results import derive_visits
    from lupus_utils.science.subgroups import GROUPINGS, SUBGROUP_OUTCOMES, add_groupings, subgroup_differences
    tables = read_cohort(SYNTHETIC_DIR)
    v = add_groupings(derive_visits(tables), tables["patients"])
    d = subgroup_differences(v)
    assert len(d) == len(GROUPINGS) * len(SUBGROUP_OUTCOMES) * 2
    row = d[(d.grouping == "SLICC/ACR damage index") & (d.measure == "sledai2k") & (d.week == 12)].iloc[0]
    at = v[v.on_treatment & (v.week == 12)]
    hl = hodges_lehmann_two_sample(at.loc[at.sdi_group_label == "SDI = 0", "sledai2k"],
                                   at.loc[at.sdi_group_label == "SDI > 0", "sledai2k"])
    assert row["comparison"] == "SDI > 0 vs SDI = 0"
    assert (row["n_a"], row["n_b"], row["estimate"], row["ci_low"], row["ci_high"]) == \
        (hl["n_a"], hl["n_b"], hl["estimate"], hl["ci_low"], hl["ci_high"]) == (12, 12, 0.0, -2.0, 4.0)


def test_trajectory_figure_draws_every_patient_and_the_n_under_each_visit():
    from lupus_utils.presentation.plots import PALETTE, axis_label, trajectory_figure
    v = pd.DataFrame({"patient_id": ["A", "A", "A", "B", "B", "C"], "week": [0, 4, 12, 0, 4, 0],
                      "sledai2k": [10, 6, 2, 8, np.nan, 4]})
    fig = trajectory_figure(v, ["sledai2k"], title="t")
    ax = fig.axes[0]
    faint = [ln for ln in ax.lines if ln.get_alpha() == 0.16]
    assert len(faint) == 3                                    # a line per patient with a value
    assert sorted(len(ln.get_xdata()) for ln in faint) == [1, 1, 3]   # B's missing week 4 is not drawn
    texts = [t.get_text() for t in ax.texts]
    assert texts[:4] == ["n", "3", "1", "1"]                  # n at weeks 0, 4 (B missing), 12
    assert ax.get_ylabel() == "SLEDAI-2K, points (0–105): median (IQR)"
    assert matplotlib.colors.to_hex(faint[0].get_color()) == PALETTE[0].lower()
    assert axis_label(["tender_joints", "swollen_joints"]) == "Joints (of 28): median (IQR)"
    assert axis_label(["prednisone_mg"], "mean") == "Prednisone (mg/day), mg/day prednisone equivalent: mean ± SD"


def test_visit_states_refuse_what_they_would_drop_or_count_twice():
    """A visit of an unknown patient would vanish from the chart and a duplicated visit would be
    counted twice: both are refused, every case listed."""
    bad = pd.concat([VISITS, VISITS.iloc[[0]], VISITS.iloc[[1]].assign(patient_id="Z")], ignore_index=True)
    with pytest.raises(ValueError) as err:
        visit_states(bad, PATIENTS, weeks=(0, 12, 24))
    assert "visits of patients not in patients: Z" in str(err.value)
    assert "visits given more than once: A week 0" in str(err.value)
    with pytest.raises(ValueError, match="patient_id given more than once in patients: A"):
        visit_states(VISITS, pd.concat([PATIENTS, PATIENTS.iloc[[0]]]), weeks=(0,))


def test_one_state_rule_for_the_chart_the_swimmer_and_the_patient_course():
    from lupus_utils.science.courses import visit_state
    assert visit_state(VISITS).tolist() == ["Neither", "LLDAS, not remission", "DORIS remission", "Neither",
                                            "Off anifrolumab", "Neither", "Neither", "LLDAS, not remission"]
    marks = course_marks(VISITS, EVENTS)
    assert marks.loc[marks.kind == "state", "value"].tolist() == visit_state(VISITS).tolist()


def test_visit_state_names_the_derived_columns_it_lacks():
    from lupus_utils.science.courses import visit_state
    with pytest.raises(ValueError, match="no column doris_remission, lldas"):
        visit_state(pd.DataFrame({"on_treatment": [True], "pga": [1.0]}))


def test_an_unknown_flare_index_is_a_mark_of_its_own_and_in_the_legend():
    from lupus_utils.presentation.plots import swimmer_figure
    visits = VISITS.copy()
    visits["sfi_flare"] = visits["sfi_flare"].astype(object)
    visits.loc[(visits.patient_id == "A") & (visits.week == 12), "sfi_flare"] = pd.NA   # an input missing
    visits.loc[(visits.patient_id == "D") & (visits.week == 0), "sfi_flare"] = pd.NA    # a first visit: no mark
    m = course_marks(visits, EVENTS)
    flares = m[m.kind == "flare"].sort_values(["patient_id", "week"])
    assert flares[["patient_id", "week", "value"]].values.tolist() == [
        ["A", 12, "unknown"], ["B", 12, "severe"], ["C", 24, "mild/moderate"]]
    legend = [t.get_text() for t in swimmer_figure(patient_courses(PATIENTS, EVENTS), m).axes[0].get_legend().get_texts()]
    assert "Flare index unknown (an input missing)" in legend
    known = [t.get_text() for t in swimmer_figure(patient_courses(PATIENTS, EVENTS),
                                                  course_marks(VISITS, EVENTS)).axes[0].get_legend().get_texts()]
    assert "Flare index unknown (an input missing)" not in known
