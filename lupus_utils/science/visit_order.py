"""The order of each patient's visits: which visit came before which.

Rules that compare a visit with "the previous visit" (LLDAS new activity, the Flare Index) and
rules about the baseline or the last visit use the patient's visits in week order, whatever the
row order of the input. The usual layout, rows sorted by patient and week, is recognised and
read without a sort or a gather; any other order gives the same answers.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


def check_visit_keys(visits: pd.DataFrame) -> None:
    """Visit-to-visit rules need one row per patient and week: a missing week or a duplicated
    (patient, week) raises ``ValueError`` listing them, instead of being read as a visit."""
    week = visits["week"]
    if week.isna().any():
        who = visits.loc[week.isna(), "patient_id"].astype(str)
        raise ValueError(f"visits: week is missing in {len(who)} row(s), patient(s) {', '.join(who.head(10))}")
    dup = visits.duplicated(["patient_id", "week"], keep=False)
    if dup.any():
        pairs = visits.loc[dup, ["patient_id", "week"]].drop_duplicates().astype(str).agg(" week ".join, axis=1)
        raise ValueError(f"visits: {int(dup.sum())} rows share a patient and week: {', '.join(pairs.head(10))}")


def visit_weeks(visits: pd.DataFrame) -> np.ndarray:
    """The week column as whole numbers. A missing week (``check_visit_keys``) or a week that is
    not a whole number raises ``ValueError`` listing the rows (patient and week), rather than
    being cut to a whole number (4.5 read as 4 would meet the week-4 visit)."""
    week = visits["week"]
    if week.dtype.kind in "iu" and not week.hasnans:
        return week.to_numpy(dtype="int64")
    if week.isna().any():
        check_visit_keys(visits)
    values = week.to_numpy(dtype="float64")
    broken = values != np.floor(values)
    if broken.any():
        rows = visits.loc[broken, ["patient_id", "week"]].astype(str).agg(" week ".join, axis=1)
        raise ValueError(f"visits: week is not a whole number in {int(broken.sum())} row(s): "
                         f"{', '.join(rows.head(10))}{' and more' if len(rows) > 10 else ''}")
    return values.astype("int64")


#: :meth:`VisitOrder.check` compares the patient at the first row of at most this many patients,
#: evenly spaced (all of them in a cohort or a registry of this size).
PATIENTS_CHECKED = 10_000


@dataclass(frozen=True)
class VisitOrder:
    """The order of the visits, computed once and shared by the rules that need it
    (:func:`visit_order`): ``prev``, each row's previous visit (:func:`previous_visit_position`);
    ``codes``, each row's patient as a code in order of first appearance, and ``patients``, the
    patients by code (as ``pd.factorize`` gives them); ``order``, the row order by patient and
    week, ``None`` when the rows are in that order already. It describes one visits table:
    ``weeks`` (its week column), ``check_rows`` and ``check_ids`` (the first row of up to
    :data:`PATIENTS_CHECKED` patients and the patient there) let :meth:`check` refuse it for
    another table."""
    prev: np.ndarray
    codes: np.ndarray
    patients: pd.Index
    order: np.ndarray | None
    weeks: np.ndarray
    check_rows: np.ndarray
    check_ids: np.ndarray

    def check(self, visits: pd.DataFrame) -> VisitOrder:
        """This order, when it describes ``visits``: the same number of rows, the same week in every
        row, the same patient at each checked patient's first row (about a millisecond for a
        million visits, where computing the order again takes a sort). Else ``ValueError``. It is a
        fingerprint, not a proof: a table that differs from the one described only in which
        patient holds later rows of equal weeks, or the first row of a patient not checked,
        passes; the same visits with the patients in another order, the rows sorted by another key,
        or a table of other visits, does not."""
        if len(self.prev) != len(visits):
            raise ValueError(f"visit order of {len(self.prev)} rows given for {len(visits)} visits")
        weeks = visit_weeks(visits)
        ids = visits["patient_id"].to_numpy().take(self.check_rows)
        if np.array_equal(self.weeks, weeks) and (ids == self.check_ids).all():
            return self
        other_week = np.flatnonzero(self.weeks != weeks)
        if other_week.size:
            i = int(other_week[0])
            where = f"row {i} has week {weeks[i]}, the order's table week {self.weeks[i]}"
        else:
            k = int(np.flatnonzero(ids != self.check_ids)[0])
            where = f"row {self.check_rows[k]} is patient {ids[k]}, the order's table {self.check_ids[k]}"
        raise ValueError(f"the visit order given describes another visits table ({where}): "
                         "compute it from these visits with visit_order")


def _order(visits, prev, codes, patients, order, week, firsts) -> VisitOrder:
    """The :class:`VisitOrder` with what :meth:`VisitOrder.check` compares (``firsts``: each
    patient's first row, by code)."""
    if len(firsts) > PATIENTS_CHECKED:
        firsts = firsts[np.linspace(0, len(firsts) - 1, PATIENTS_CHECKED).astype("int64")]
    return VisitOrder(prev, codes, patients, order, week, firsts, visits["patient_id"].to_numpy().take(firsts))


def visits_in_order(visits: pd.DataFrame) -> tuple[np.ndarray, pd.Index, np.ndarray | None]:
    """Each row's patient as a code (in order of first appearance) and the patients, as
    ``pd.factorize`` gives them, and the row order by patient and week: ``None`` when the rows are
    in that order already (the usual layout), which spares a sort. A missing week or a duplicated
    (patient, week) raises ``ValueError``."""
    order = visit_order(visits)
    return order.codes, order.patients, order.order


def visit_order(visits: pd.DataFrame) -> VisitOrder:
    """The :class:`VisitOrder` of ``visits``: one pass over the patient ids and weeks that the
    visit-to-visit rules, the baseline and the last visit can share. A missing week or a
    duplicated (patient, week) raises ``ValueError``."""
    week = visit_weeks(visits)
    codes, patients = pd.factorize(visits["patient_id"])
    same = codes[1:] == codes[:-1]
    n = len(codes)
    prev = np.full(n, -1, dtype="int64")
    if (codes[1:] >= codes[:-1]).all() and (~same | (week[1:] > week[:-1])).all():
        prev[1:] = np.where(same, np.arange(n - 1), -1)  # the row above, when it is the same patient's
        return _order(visits, prev, codes, patients, None, week, np.flatnonzero(np.r_[n > 0, ~same]))
    order = np.lexsort((week, codes))
    same = codes[order][1:] == codes[order][:-1]
    if (same & (week[order][1:] == week[order][:-1])).any():
        check_visit_keys(visits)  # raises, listing the duplicated patient-weeks
    prev[order[1:]] = np.where(same, order[:-1], -1)
    return _order(visits, prev, codes, patients, order, week, order[np.flatnonzero(np.r_[n > 0, ~same])])


def previous_visit_position(visits: pd.DataFrame) -> np.ndarray:
    """Positional index (0-based row number in ``visits``) of each row's previous visit of the
    same patient in week order, or -1 for a patient's first visit. A missing week or a
    duplicated (patient, week) raises ``ValueError``."""
    return visit_order(visits).prev


def positions(prev) -> np.ndarray:
    """The previous-visit positions of ``prev``: a :class:`VisitOrder` or the positions themselves."""
    return prev.prev if isinstance(prev, VisitOrder) else prev


def given_order(visits: pd.DataFrame, prev) -> VisitOrder | np.ndarray:
    """``prev`` as the caller gives it (a :class:`VisitOrder` of these visits, or the positions of
    :func:`previous_visit_position`), else the visits' own order."""
    if prev is None:
        return visit_order(visits)
    if isinstance(prev, VisitOrder):
        return prev.check(visits)
    if len(prev) != len(visits):
        raise ValueError(f"previous-visit positions of {len(prev)} rows given for {len(visits)} visits")
    if len(prev) and (prev.min() < -1 or prev.max() >= len(prev)):
        raise ValueError(f"previous-visit positions must be -1 (a first visit) or a row, 0 to {len(prev) - 1}")
    return prev


def visit_pairs(prev: np.ndarray):
    """How to read each visit beside its previous visit (``prev`` from
    :func:`previous_visit_position`): ``(at, before, place)``, where ``at(values)`` are an array's
    values at the visits read, ``before(values)`` its values at each one's previous visit (any
    value at a first visit: callers keep those out with ``at(prev) >= 0``) and
    ``place(flags, fill=False)`` puts flags found at those visits back in visit order. When every
    previous visit is the row just above (rows in patient and week order) the visits are read as
    two views of one array, without copying, the first row (never with a previous visit) left out
    and given ``fill`` by ``place``. ``prev`` may be a :class:`VisitOrder`, which says so already."""
    in_order = prev.order is None if isinstance(prev, VisitOrder) else None
    prev = positions(prev)
    n = len(prev)
    if in_order or (in_order is None and ((prev == np.arange(-1, n - 1)) | (prev < 0)).all()):
        def place_shifted(flags, fill=False):
            out = np.full(n, fill, dtype=bool)
            out[1:] = flags
            return out
        return (lambda values: values[1:]), (lambda values: values[:-1]), place_shifted
    rows = np.where(prev >= 0, prev, 0)
    return (lambda values: values), (lambda values: values[rows]), (lambda flags, fill=False: flags)


def previous_values(values: np.ndarray, prev: np.ndarray, fill=np.nan) -> np.ndarray:
    """Values at the previous visit, as floats (``fill`` where there is none)."""
    prev = positions(prev)
    out = values[np.where(prev >= 0, prev, 0)].astype("float64", copy=True)
    out[prev < 0] = fill
    return out
