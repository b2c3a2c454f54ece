"""Stage (e): recorded visit changes the search does not find, read from
``data/synthetic/repairs.csv`` and applied by :func:`apply_repairs`, which refuses stale ones.

The file has one row per cell a repair touches: ``repair`` (its number; rows of one repair
together), ``target`` (the targets.csv id it serves, or ``coherence`` for a clinical fix that
leaves every verdict but the one CALIBRATION.md names as it was), ``patient_id``, ``week``,
``column``, ``expected`` (what the search leaves there), ``new`` (what the repair writes; empty
for a cell the repair only checks) and ``reason``. CALIBRATION.md, "Stage (e)", gives the
reasoning and what each costs."""
from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ..paths import SYNTHETIC_DIR

REPAIRS_FILE = SYNTHETIC_DIR / "repairs.csv"
REPAIR_COLUMNS = ["repair", "target", "patient_id", "week", "column", "expected", "new", "reason"]


@dataclass(frozen=True)
class Repair:
    """A change to one visit that the search does not find: what it is for (first the targets.csv id
    it serves, or ``coherence``), the cells it expects (the search's result) and the cells it writes."""
    why: str
    patient_id: str
    week: int
    expect: dict
    write: dict

    @property
    def target(self) -> str:
        return self.why.split(":")[0]


def _cell(text: str):
    """A cell of repairs.csv as the visits table holds it: a whole number, a decimal, or text
    (JSON's reading of a number: '5' is 5, '5.0' is 5.0)."""
    try:
        value = json.loads(text)
    except ValueError:
        return text
    return value if isinstance(value, (int, float)) and not isinstance(value, bool) else text


def load_repairs(path: Path = REPAIRS_FILE) -> tuple[Repair, ...]:
    """The repairs of ``path`` in file order. Refused, with every problem listed by file line: other
    columns than :data:`REPAIR_COLUMNS`, a repair whose rows disagree on its target, reason or
    visit, a week that is not a whole number, an empty repair number, target, patient, column or
    expected value (a repair checks what it overwrites), a cell a repair names twice."""
    with open(path, newline="") as f:
        reader = csv.DictReader(f)
        if reader.fieldnames != REPAIR_COLUMNS:
            raise ValueError(f"{path}: columns {reader.fieldnames}, expected {REPAIR_COLUMNS}")
        rows = [(line, r) for line, r in enumerate(reader, start=2)]
    problems = []
    for line, r in rows:
        problems += [f"line {line}: {c} is empty" for c in ("repair", "target", "patient_id", "column", "expected")
                     if not (r[c] or "").strip()]
        if not (r["week"] or "").strip().isdigit():
            problems.append(f"line {line}: week {r['week']!r} is not a whole number")
    out = []
    for number in dict.fromkeys(r["repair"] for _, r in rows):
        cells = [(line, r) for line, r in rows if r["repair"] == number]
        lines = ", ".join(str(line) for line, _ in cells)
        heads = {(r["target"], r["reason"], r["patient_id"], r["week"]) for _, r in cells}
        if len(heads) != 1:
            problems.append(f"repair {number} (lines {lines}): its rows disagree on target, reason, patient or week")
            continue
        named = [r["column"] for _, r in cells]
        problems += [f"repair {number} (lines {lines}): {c} named twice" for c in sorted({c for c in named if named.count(c) > 1})]
        target, reason, pid, week = heads.pop()
        expect = {r["column"]: _cell(r["expected"]) for _, r in cells}
        write = {r["column"]: _cell(r["new"]) for _, r in cells if r["new"] != ""}
        if week.strip().isdigit():
            out.append(Repair(f"{target}: {reason}", pid, int(week), expect, write))
    if problems:
        raise ValueError(f"{path}:\n" + "\n".join(problems))
    return tuple(out)


def _apply(visits: pd.DataFrame, repairs) -> tuple[pd.DataFrame, list[tuple[int, str]]]:
    """``visits`` with every fitting repair written, in order (a repair sees the cells earlier
    ones wrote), and (repair index, problem) for every repair that does not fit: a repaired cell
    that does not hold what the repair expects, a column the visits do not have, a cell written
    without its expected value (it could not be undone or checked), a cell another repair writes
    too (the second would hide the first), a visit that is not there exactly once."""
    out = visits.copy()
    problems = []
    written: dict = {}
    for k, r in enumerate(repairs):
        mine = []
        where = f"{r.patient_id} week {r.week}"
        unknown = sorted((set(r.expect) | set(r.write)) - set(out.columns))
        mine += [f"{where}: no visit column {c!r}" for c in unknown]
        mine += [f"{where} {c}: written without an expected value" for c in r.write if c not in r.expect]
        for c in r.write:
            first = written.setdefault((r.patient_id, r.week, c), k)
            if first != k:
                mine.append(f"{where} {c}: written by two repairs ({repairs[first].target}; {r.target})")
        at = (out["patient_id"] == r.patient_id) & (out["week"] == r.week)
        if at.sum() != 1:
            mine.append(f"{where}: {int(at.sum())} visits, expected 1")
        elif not unknown:
            row = out.loc[at].iloc[0]
            mine += [f"{where} {col}: {row[col]!r}, the repair expects {value!r}"
                     for col, value in r.expect.items() if row[col] != value]
        problems += [(k, m) for m in mine]
        if not mine:
            for col, value in r.write.items():
                out.loc[at, col] = value
    return out, problems


def apply_repairs(visits: pd.DataFrame, repairs, stale: str = "refuse") -> pd.DataFrame:
    """``visits`` with the stage (e) repairs written. With ``stale="refuse"`` it raises, listing
    every problem, when any repair does not fit: the search changed and the repairs must be found
    again, as a stale repair could break the coherence rules. With ``stale="drop"`` (to try a
    changed target, data/synthetic/README.md) the repairs that do not fit are left out."""
    if stale not in ("refuse", "drop"):
        raise ValueError(f"stale must be 'refuse' or 'drop', not {stale!r}")
    out, problems = _apply(visits, repairs)
    if problems and stale == "refuse":
        raise AssertionError("stage (e) repairs no longer fit the searched cohort:\n"
                             + "\n".join(p for _, p in problems))
    return out


def stale_repairs(visits: pd.DataFrame, repairs) -> list[Repair]:
    """The repairs that do not fit ``visits`` (those ``apply_repairs(..., stale="drop")`` leaves out)."""
    bad = {k for k, _ in _apply(visits, repairs)[1]}
    return [r for k, r in enumerate(repairs) if k in bad]
