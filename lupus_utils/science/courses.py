"""Every patient's course: the state at each scheduled visit, the moves from one visit to the
next, and the marks of a swimmer plot (treatment, states, flares, adverse events). Data frames in,
data frames out; the figures are in :mod:`lupus_utils.presentation.plots`."""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..paths import VISIT_WEEKS

#: The state of a patient at a scheduled visit, in the order the charts stack them.
STATES = ("DORIS remission", "LLDAS, not remission", "Neither", "State unknown", "Off anifrolumab", "Not yet due",
          "Visit missed")
STATE_NOTES = {
    "DORIS remission": "DORIS 2021 remission at the visit, on anifrolumab",
    "LLDAS, not remission": "LLDAS met, DORIS remission not met",
    "Neither": "assessed on anifrolumab, in neither state",
    "State unknown": "assessed on anifrolumab, but an input the state needs (PGA, glucocorticoid dose) is missing",
    "Off anifrolumab": "anifrolumab stopped before the visit (discontinuation)",
    "Not yet due": "follow-up ended before the visit was due (administrative censoring, not dropout)",
    "Visit missed": "on anifrolumab and followed beyond the visit, with no visit recorded",
}


def visit_state(visits: pd.DataFrame) -> pd.Series:
    """The state of each visit (the book's one rule for it): 'Off anifrolumab' off treatment, else
    'DORIS remission', else 'LLDAS, not remission' when LLDAS holds, else 'Neither'; 'State
    unknown' where remission, or LLDAS without remission, is unknown (an input is missing).
    ``visits`` are derived visits (``on_treatment``, ``doris_remission``, ``lldas``); without
    one of these columns, ``ValueError`` names it."""
    missing = [c for c in ("on_treatment", "doris_remission", "lldas") if c not in visits]
    if missing:
        raise ValueError(f"visit states need derived visits (lupus_utils.science.results.derive_visits): no column "
                         f"{', '.join(missing)}")
    on = visits["on_treatment"].astype(bool).to_numpy()
    rem_s = pd.Series(visits["doris_remission"], dtype="boolean")
    lldas_s = pd.Series(visits["lldas"], dtype="boolean")
    rem, rem_unknown = rem_s.fillna(False).to_numpy(dtype=bool), rem_s.isna().to_numpy()
    lldas, lldas_unknown = lldas_s.fillna(False).to_numpy(dtype=bool), lldas_s.isna().to_numpy()
    state = np.where(~on, "Off anifrolumab",
                     np.where(rem, "DORIS remission",
                              np.where(rem_unknown, "State unknown",
                                       np.where(lldas, "LLDAS, not remission",
                                                np.where(lldas_unknown, "State unknown", "Neither")))))
    return pd.Series(state, index=visits.index, name="state")


def _check_visits(visits: pd.DataFrame, patients: pd.DataFrame) -> None:
    """Refuse what would otherwise be dropped or double-counted: a visit of a patient who is not
    in ``patients``, a patient or a visit (patient, week) given twice; every case is listed."""
    problems = []
    dup_p = patients.loc[patients["patient_id"].duplicated(), "patient_id"].astype(str).tolist()
    if dup_p:
        problems.append(f"patient_id given more than once in patients: {', '.join(sorted(set(dup_p)))}")
    unknown = sorted(set(visits["patient_id"].astype(str)) - set(patients["patient_id"].astype(str)))
    if unknown:
        problems.append(f"visits of patients not in patients: {', '.join(unknown)}")
    dup_v = visits.loc[visits.duplicated(["patient_id", "week"]), ["patient_id", "week"]].astype(str)
    if len(dup_v):
        problems.append("visits given more than once: " + ", ".join(f"{p} week {w}" for p, w in dup_v.itertuples(index=False)))
    if problems:
        raise ValueError("; ".join(problems))


def visit_states(visits: pd.DataFrame, patients: pd.DataFrame, weeks=VISIT_WEEKS) -> pd.DataFrame:
    """One row per patient and scheduled week (``weeks``) with the patient's ``state``
    (:data:`STATES`). ``visits`` are derived visits (:func:`lupus_utils.science.results.derive_visits`:
    ``doris_remission``, ``lldas``, ``on_treatment``). A week with no visit is 'Off anifrolumab'
    when the drug was stopped at or before it, 'Not yet due' when the follow-up ended before it,
    else 'Visit missed'; a visit off treatment is 'Off anifrolumab'. Nobody is dropped: every
    patient has a row at every week. A visit of an unknown patient, or a patient or visit given
    twice, raises ``ValueError`` listing every case."""
    _check_visits(visits, patients)
    at = dict(zip(zip(visits["patient_id"], visits["week"]), visit_state(visits)))
    rows = []
    for p in patients.itertuples(index=False):
        stop = p.anifrolumab_stop_week
        for w in weeks:
            key = (p.patient_id, w)
            if key in at:
                state = at[key]
            elif pd.notna(stop) and stop <= w:
                state = "Off anifrolumab"
            elif w > p.follow_up_weeks:
                state = "Not yet due"
            else:
                state = "Visit missed"
            rows.append({"patient_id": p.patient_id, "week": w, "state": state})
    out = pd.DataFrame(rows, columns=["patient_id", "week", "state"])
    out["state"] = pd.Categorical(out["state"], categories=STATES, ordered=True)
    return out


def state_counts(states: pd.DataFrame) -> pd.DataFrame:
    """Patients in each state at each week (every state, zeros included): columns week, state, n."""
    c = states.groupby(["week", "state"], observed=False).size().rename("n").reset_index()
    return c.astype({"n": "int64"})


def state_transitions(states: pd.DataFrame) -> pd.DataFrame:
    """Moves between consecutive scheduled weeks: columns week_from, week_to, state_from,
    state_to, n (only the moves that happen). Every patient counts once per interval, so the
    counts of an interval add up to the cohort."""
    wide = states.pivot(index="patient_id", columns="week", values="state")
    weeks = list(wide.columns)
    rows = []
    for w0, w1 in zip(weeks[:-1], weeks[1:]):
        pairs = pd.DataFrame({"state_from": wide[w0].astype(str), "state_to": wide[w1].astype(str)})
        for (a, b), n in pairs.value_counts(sort=False).items():
            rows.append({"week_from": w0, "week_to": w1, "state_from": a, "state_to": b, "n": int(n)})
    out = pd.DataFrame(rows, columns=["week_from", "week_to", "state_from", "state_to", "n"])
    order = {s: i for i, s in enumerate(STATES)}
    return out.sort_values(["week_from", "state_from", "state_to"], key=lambda c: c.map(order) if c.dtype == object else c,
                           kind="stable").reset_index(drop=True)


def transition_matrix(transitions: pd.DataFrame, week_from: int) -> pd.DataFrame:
    """The moves of one interval as a table: a row per state at ``week_from``, a column per state
    at the next week, counts (0 where nobody moved), and the row totals."""
    t = transitions[transitions["week_from"] == week_from]
    if t.empty:
        raise KeyError(f"no interval starts at week {week_from}")
    week_to = int(t["week_to"].iloc[0])
    m = t.pivot_table(index="state_from", columns="state_to", values="n", aggfunc="sum", fill_value=0)
    present = [s for s in STATES if s in set(t["state_from"]) | set(t["state_to"])]
    m = m.reindex(index=[s for s in present if s in m.index], columns=present, fill_value=0).astype("int64")
    m["Total"] = m.sum(axis=1)
    m.columns.name = None
    m.index.name = f"Week {week_from} \u2192 week {week_to}"
    return m.reset_index()


def patient_courses(patients: pd.DataFrame, adverse_events: pd.DataFrame) -> pd.DataFrame:
    """One row per patient for a swimmer plot: ``follow_up_weeks``, ``stop_week`` and
    ``stop_reason`` (empty while on anifrolumab), ``suspensions`` (adverse events that led to a
    temporary suspension), and ``status`` in words ('On anifrolumab at week 48', 'Stopped at week
    4: flare')."""
    susp = (adverse_events[adverse_events["action"] == "temporary_suspension"].groupby("patient_id").size()
            if len(adverse_events) else pd.Series(dtype="int64"))
    rows = []
    for p in patients.itertuples(index=False):
        stopped = pd.notna(p.anifrolumab_stop_week)
        reason = str(p.anifrolumab_stop_reason).replace("_", " ") if stopped and pd.notna(p.anifrolumab_stop_reason) else ""
        status = (f"Stopped at week {int(p.anifrolumab_stop_week)}" + (f": {reason}" if reason else "")
                  if stopped else f"On anifrolumab at week {int(p.follow_up_weeks)}")
        rows.append({"patient_id": p.patient_id, "follow_up_weeks": int(p.follow_up_weeks),
                     "stop_week": float(p.anifrolumab_stop_week) if stopped else np.nan, "stop_reason": reason,
                     "suspensions": int(susp.get(p.patient_id, 0)), "status": status})
    return pd.DataFrame(rows)


def course_marks(visits: pd.DataFrame, adverse_events: pd.DataFrame) -> pd.DataFrame:
    """The marks of a swimmer plot, one row per mark: patient_id, week, kind ('state', 'flare',
    'adverse event', 'suspension'), value (the state at the visit; the Flare Index severity,
    'mild/moderate' or 'severe', or 'unknown' after a patient's first visit where an input the
    index needs is missing; the adverse-event category; the suspended visit) and detail (the
    adverse event's term)."""
    rows = []
    first = (visits["week"] == visits.groupby("patient_id")["week"].transform("min")).to_numpy()
    for r, state, is_first in zip(visits.itertuples(index=False), visit_state(visits), first):
        rows.append({"patient_id": r.patient_id, "week": r.week, "kind": "state", "value": state, "detail": ""})
        flare = None if pd.isna(r.sfi_flare) else r.sfi_flare
        if flare in ("mild_moderate", "severe") or (flare is None and not is_first):
            rows.append({"patient_id": r.patient_id, "week": r.week, "kind": "flare",
                         "value": {"severe": "severe", "mild_moderate": "mild/moderate"}.get(flare, "unknown"),
                         "detail": ""})
        if r.treatment_status == "suspended":
            rows.append({"patient_id": r.patient_id, "week": r.week, "kind": "suspension", "value": "suspended",
                         "detail": ""})
    for e in adverse_events.itertuples(index=False):
        rows.append({"patient_id": e.patient_id, "week": e.week, "kind": "adverse event", "value": e.category,
                     "detail": e.term})
    return pd.DataFrame(rows, columns=["patient_id", "week", "kind", "value", "detail"])
