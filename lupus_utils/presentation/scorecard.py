"""The reproduction scorecard: every published number (``data/targets.csv``) beside the value
the book's own code computes from a cohort, with a verdict and its reason.

Verdicts and tolerances:

- counts (n, count, denominator): ``match`` when equal, else ``miss``;
- percentages, medians, quartiles, minima and maxima: ``match`` when the computed value, rounded
  half-up to the printed decimals, equals the printed value; else ``miss``;
- means and SDs: ``match`` as above, ``within_tolerance`` when within one unit of the last printed
  decimal;
- p-values: ``match`` when equal at the printed decimals (or at least 0.05 for "n.s."),
  ``within_tolerance`` when within a factor of 2 of the published value and on the same side of
  0.05, else ``miss``. A printed "<0.001" is what SPSS shows as ".000", that is p < 0.0005: a
  match below 0.0005, within tolerance below 0.001 (the factor of 2);
- ``not_computed`` when the cohort does not yield the statistic.

Why a target misses. A target that ``data/paper_inconsistencies.csv`` names has two readings in
the paper. Its miss is put down to that contradiction only when the computed value reproduces the
paper's other reading (``data/paper_readings.csv``: the value or range the target takes under it,
compared at the printed decimals); the reason then names that reading and the entry. Any other
miss is a *calibration miss* of the cohort, counted as such (``explained_by_paper`` False) even when
the target is named by an entry.
"""
from __future__ import annotations

import math

import pandas as pd

from ..numbers import half_up
from ..data.cohort import load_inconsistencies, load_readings, load_targets
from ..science.results import result_index, result_key
from ..science.stats import SIGNIFICANCE_LEVEL

#: A printed "<0.001" is SPSS's ".000": the p-value is below half of the last printed unit.
SPSS_ZERO_FRACTION = 0.5
VERDICTS = ("match", "within_tolerance", "miss", "not_computed")


def _verdict(t, value) -> tuple[str, str]:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "not_computed", "the cohort does not yield this statistic"
    stat, rel = t.statistic, t.relation
    dec = 0 if pd.isna(t.decimals) else int(t.decimals)
    if stat == "p":
        if rel == "<":
            bound = t.value * SPSS_ZERO_FRACTION if math.isclose(t.value, 10 ** -dec) else t.value
            if value < bound:
                return "match", ""
            ok = value < 2 * bound and value < SIGNIFICANCE_LEVEL
            spss = f" ('{t.display}' is SPSS's .000, p < {bound:g})" if bound != t.value else ""
            return ("within_tolerance" if ok else "miss"), f"computed p = {value:.4f}{spss}"
        if rel == ">=":
            return ("match", "") if value >= t.value else ("miss", f"computed p = {value:.4f} is significant")
        if half_up(value, dec) == t.value:
            return "match", ""
        ok = 0.5 <= value / t.value <= 2 and (value < SIGNIFICANCE_LEVEL) == (t.value < SIGNIFICANCE_LEVEL)
        return ("within_tolerance" if ok else "miss"), f"computed p = {value:.4f}"
    if stat in ("n", "count", "denominator"):
        return ("match", "") if value == t.value else ("miss", f"computed {value:g}")
    rounded = half_up(value, dec)
    if rounded == t.value:
        return "match", ""
    if stat in ("mean", "sd") and abs(value - t.value) <= 10 ** -dec + 1e-9:
        return "within_tolerance", f"computed {value:.3f}"
    return "miss", f"computed {value:.3f}"


def _reproduced_reading(t, value: float, readings: pd.DataFrame):
    """The first of the paper's other readings of target ``t`` that ``value`` reproduces (compared
    at the printed decimals; a p-value as it is), or None."""
    dec = 0 if pd.isna(t.decimals) else int(t.decimals)
    shown = value if t.statistic == "p" else half_up(value, dec)
    for r in readings.itertuples():
        if r.low - 1e-9 <= shown <= r.high + 1e-9:
            return r
    return None


def scorecard(results: pd.DataFrame, targets: pd.DataFrame | None = None,
              inconsistencies: pd.DataFrame | None = None, readings: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per target: target_id, source, location, measure, population, week, statistic,
    published (as printed), computed, verdict, reason, ``paper_inconsistency`` (an entry of the
    audit names the target), ``explained_by_paper`` (the target is not a match and its computed
    value reproduces the paper's other reading) and ``miss_kind`` (for a miss: ``paper`` when so
    explained, else ``calibration``)."""
    targets = load_targets() if targets is None else targets
    inconsistencies = load_inconsistencies() if inconsistencies is None else inconsistencies
    readings = load_readings() if readings is None else readings
    why = {}
    for r in inconsistencies.itertuples():
        for tid in str(r.target_ids).split(";"):
            why.setdefault(tid.strip(), r.issue_id)
    by_target = dict(tuple(readings.groupby("target_id"))) if len(readings) else {}
    look = result_index(results)
    rows = []
    for t in targets.itertuples():
        week = None if pd.isna(t.week) else t.week
        value = look.get(result_key(t.measure, t.population, week, t.statistic))
        if value is None and week == 0:
            value = look.get(result_key(t.measure, t.population, None, t.statistic))
        value = None if value is None else float(value)
        verdict, reason = _verdict(t, value)
        explained = False
        if verdict in ("miss", "within_tolerance"):
            reading = None
            if t.target_id in by_target:
                reading = _reproduced_reading(t, value, by_target[t.target_id])
            if reading is not None:
                explained = True
                reason = f"{reason}; reproduces the paper's other reading, {reading.basis} ({reading.issue_id})"
            elif t.target_id in why:
                reason = (f"{reason}; the paper's contradiction {why[t.target_id]} does not explain it: "
                          f"the computed value reproduces neither reading")
        if verdict == "miss" and not explained:
            reason = f"calibration miss: {reason}"
        rows.append({"target_id": t.target_id, "source": t.source, "location": t.location,
                     "measure": t.measure, "population": t.population, "week": t.week,
                     "statistic": t.statistic, "published": t.display, "computed": value,
                     "verdict": verdict, "reason": reason,
                     "paper_inconsistency": t.target_id in why, "explained_by_paper": explained,
                     "miss_kind": ("paper" if explained else "calibration") if verdict == "miss" else ""})
    columns = ["target_id", "source", "location", "measure", "population", "week", "statistic", "published",
               "computed", "verdict", "reason", "paper_inconsistency", "explained_by_paper", "miss_kind"]
    return pd.DataFrame(rows, columns=columns)  # with no target, an empty card with its columns


def summary(card: pd.DataFrame) -> pd.DataFrame:
    """Counts of each verdict, overall and without the targets whose miss (or tolerance) a
    contradiction of the paper explains (the computed value reproduces the paper's other reading);
    the misses split into those the paper explains and calibration misses."""
    kept = card.loc[~card["explained_by_paper"].astype(bool)]
    rows = [*VERDICTS[:2], "miss", "  explained by the paper's contradictions", "  calibration misses", VERDICTS[3], "total"]

    def counts(c):
        v = c["verdict"].value_counts()
        misses = c[c["verdict"] == "miss"]
        return [int(v.get("match", 0)), int(v.get("within_tolerance", 0)), len(misses),
                int((misses["miss_kind"] == "paper").sum()), int((misses["miss_kind"] == "calibration").sum()),
                int(v.get("not_computed", 0)), len(c)]

    return pd.DataFrame({"all targets": counts(card), "without what the paper's contradictions explain": counts(kept)},
                        index=rows)


def audit_percentages(targets: pd.DataFrame | None = None) -> pd.DataFrame:
    """For every published percentage: which whole counts of its stated denominator round
    (half-up, at the printed decimals) to it; ``consistent`` is False when none does (GRIM applied
    to a proportion). A percentage printed without a denominator is listed too, unchecked
    (``consistent`` missing), so the page can say how many it could not check."""
    from ..science.inference import percentage_consistent

    t = load_targets() if targets is None else targets
    rows = []
    for r in t[t["statistic"] == "pct"].itertuples():
        row = {"target": r.target_id, "where": r.location, "printed": r.display}
        if pd.isna(r.denominator):
            rows.append(row | {"denominator": pd.NA, "possible counts": "no denominator stated", "consistent": pd.NA})
            continue
        ok, counts = percentage_consistent(float(r.value), int(r.denominator), int(r.decimals) if pd.notna(r.decimals) else 0)
        rows.append(row | {"denominator": int(r.denominator), "possible counts": ", ".join(map(str, counts)) or "none",
                           "consistent": ok})
    out = pd.DataFrame(rows, columns=["target", "where", "printed", "denominator", "possible counts", "consistent"])
    return out.astype({"denominator": "Int64", "consistent": "boolean"})


def audit_means(targets: pd.DataFrame | None = None, measures=("sledai2k",)) -> pd.DataFrame:
    """GRIM check of the published means of whole-number scores in ``measures``, with n the
    patients Table 2's header gives at that visit. Raises when Table 2 gives no n for the week."""
    from ..science.inference import grim_consistent

    t = load_targets() if targets is None else targets
    header = t[(t["measure"] == "patients_at_visit") & (t["source"] == "table2")].set_index("week")["value"]
    rows = []
    for r in t[(t["statistic"] == "mean") & t["measure"].isin(measures)].itertuples():
        if r.week not in header.index:
            raise KeyError(f"{r.target_id}: Table 2 gives no number of patients at week {r.week:g}")
        n = int(header[r.week])
        rows.append({"target": r.target_id, "where": r.location, "printed mean": r.display, "n": n,
                     "GRIM consistent": grim_consistent(float(r.value), n, int(r.decimals))})
    return pd.DataFrame(rows, columns=["target", "where", "printed mean", "n", "GRIM consistent"])
