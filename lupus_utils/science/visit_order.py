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


@dataclass(frozen=True)
class VisitOrder:
    """The order of the visits, computed once and shared by the rules that need it
    (:func:`visit_order`): ``prev``, each row's previous visit (:func:`previous_visit_position`);
    ``codes``, each row's patient as a code in order of first appearance, and ``patients``, the
    patients by code (as ``pd.factorize`` gives them); ``order``, the row order by patient and
    week, ``None`` when the rows are in that order already. It describes one visits table: pass
    it only with that table (a table of another length raises ``ValueError``)."""
    prev: np.ndarray
    codes: np.ndarray
    patients: pd.Index
    order: np.ndarray | None

    def check(self, visits: pd.DataFrame) -> VisitOrder:
        """This order, when it can describe ``visits`` (same number of rows); else ``ValueError``."""
        if len(self.prev) != len(visits):
            raise ValueError(f"visit order of {len(self.prev)} rows given for {len(visits)} visits")
        return self


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
    if visits["week"].isna().any():
        check_visit_keys(visits)
    codes, patients = pd.factorize(visits["patient_id"])
    week = visits["week"].to_numpy(dtype="int64")
    same = codes[1:] == codes[:-1]
    n = len(codes)
    prev = np.full(n, -1, dtype="int64")
    if (codes[1:] >= codes[:-1]).all() and (~same | (week[1:] > week[:-1])).all():
        prev[1:] = np.where(same, np.arange(n - 1), -1)  # the row above, when it is the same patient's
        return VisitOrder(prev, codes, patients, None)
    order = np.lexsort((week, codes))
    same = codes[order][1:] == codes[order][:-1]
    if (same & (week[order][1:] == week[order][:-1])).any():
        check_visit_keys(visits)  # raises, listing the duplicated patient-weeks
    prev[order[1:]] = np.where(same, order[:-1], -1)
    return VisitOrder(prev, codes, patients, order)


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
    return prev.check(visits) if isinstance(prev, VisitOrder) else prev


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
