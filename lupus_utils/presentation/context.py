"""This cohort beside published figures (chapter 'In context'): one row per figure, with the exact
population it describes, its n and denominator, a 95% Wilson interval and whether it can be charted.

Published figures come from ``data/external_context.csv`` (one row per figure, with its
``reference_key`` in ``book/references.bib``, the table or section it was read from, and
``verified`` = yes/no); this cohort's come from :func:`lupus_utils.science.results.context_percentages`.
A published figure is charted only if it was checked against its source, is a percentage of
patients, has a published denominator and measures what this cohort measures; every other row
says why it is left out (:func:`not_charted`).

Intervals: Wilson score interval without continuity correction
(:func:`lupus_utils.science.inference.wilson_ci`) of n/denominator. Where a source prints a percentage and
a denominator but no n, n = round(% × denominator / 100) is used only if it gives back the printed
percentage at the printed precision (:func:`derive_count`); otherwise the bar is drawn without an
interval and the table says so. Where a source prints a weighted percentage (trials analysed by
stratified Cochran-Mantel-Haenszel) beside n/N, the bar and interval are those of the crude n/N and
the printed percentage is kept in ``pct_printed``.

Every function is pure: data frames in, data frames (or strings) out.
"""
from __future__ import annotations

import math
import textwrap

import numpy as np
import pandas as pd

from ..science.inference import wilson_ci
from ..numbers import half_up as round_half_up
from ..numbers import pct_text

#: The measures this cohort has (``context_percentages``), in the order of the chart's panels.
CHART_MEASURES = {
    "lldas": "LLDAS",
    "doris_remission": "DORIS remission",
    "clasi_a50": "CLASI-A 50% response (baseline CLASI-A ≥10)",
    "herpes_zoster": "Herpes zoster (patients with ≥1 episode)",
}
#: Readers' names of the other measures a published figure may have.
MEASURE_NAMES = CHART_MEASURES | {"bicla": "BICLA response", "sri4": "SRI(4) response"}
#: How the file's units read in a table.
UNIT_TEXT = {"pct": "%", "pct_points": " percentage points", "per_100_py": " per 100 patient-years"}
#: Decimals to which the sources print percentages (every percentage in the file has one).
PRINTED_DECIMALS = 1

NOT_VERIFIED = "not verified against the source"
NO_MATCHING_MEASURE = "this cohort has no matching measure"
NO_DENOMINATOR = "no denominator published, so neither n nor a 95% CI can be given"
NO_PATIENTS = "no patient observed at that visit"
CI_NOT_COMPUTABLE = "CI not computable: n not published"
NO_COUNT = ("no count published and none gives the printed (weighted) percentage back, so neither n nor a "
            "95% CI can be shown")
N_DERIVED = "n derived as round(% × denominator / 100), which gives back the printed %"
N_PUBLISHED = "n and denominator as published"
N_COUNTED = "counted in this cohort"

COLUMNS = ["measure", "source", "label", "study", "arm", "population", "week", "published", "n", "denominator",
           "n_note", "pct", "pct_printed", "ci_low", "ci_high", "ci_note", "charted", "reason", "reference_key",
           "location", "verified"]


def derive_count(pct: float, denominator: float, decimals: int = PRINTED_DECIMALS) -> int | None:
    """The number of patients behind a printed percentage, or None if it cannot be recovered.

    n = round(pct × denominator / 100) is accepted only if 100 n / denominator, rounded to
    ``decimals``, equals the printed ``pct`` (e.g. 26.8% of 180 gives 48, but 48/180 = 26.7%, so
    None: the printed figure is a weighted estimate, not a count over the denominator)."""
    if pct is None or denominator is None or _missing(pct) or _missing(denominator) or denominator <= 0:
        return None
    n = int(round(float(pct) * float(denominator) / 100.0))
    if not 0 <= n <= denominator:
        return None
    return n if round_half_up(100.0 * n / float(denominator), decimals) == round_half_up(float(pct), decimals) else None


def population_label(study: str, arm: str, population: str, week) -> str:
    """The exact population a figure describes: study, arm (left out when it is 'all'), population
    and week, e.g. 'LOOPS registry (Japan), minor flare group, week 12'."""
    parts = [study, "" if _missing(arm) or arm == "all" else arm, "" if _missing(population) else population]
    if not _missing(week):
        parts.append(f"week {int(week)}")
    return ", ".join(p for p in parts if p)


def figure_text(n, denominator, pct, ci_low, ci_high) -> str:
    """The text beside a bar: '9/24, 37.5% (21.2–57.3)', or the percentage alone when n is unknown."""
    if _missing(pct):
        return ""
    if _missing(n) or _missing(ci_low):
        return f"{pct_text(pct)}% (n not published; no CI)"
    return f"{int(n)}/{int(denominator)}, {pct_text(pct)}% ({pct_text(ci_low)}–{pct_text(ci_high)})"


def published_text(value: float, unit: str) -> str:
    """A published figure as the source prints it: '47.8%', '6.9 per 100 patient-years', '11.4 (mean)'."""
    return f"{value:g}{UNIT_TEXT[unit]}" if unit in UNIT_TEXT else f"{value:g} ({unit})"


def _missing(x) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x)) or (isinstance(x, str) and x.strip() == "") or x is pd.NA


def _interval(n, d) -> tuple[float, float]:
    lo, hi = wilson_ci(int(n), int(d))
    return 100.0 * lo, 100.0 * hi


def external_rows(external: pd.DataFrame, measures: dict[str, str] = CHART_MEASURES) -> pd.DataFrame:
    """The published figures that could stand beside this cohort: every row of a measure the
    cohort has, and every row not verified against its source (so that it is listed, not silently
    dropped). One row each, with n, denominator, percentage, Wilson 95% CI, ``charted`` and the
    ``reason`` a row is left out of the chart, checked in this order: not verified; no matching
    measure; not a percentage of patients; no denominator; no count (n neither published nor
    derivable by :func:`derive_count`, ``ci_note`` = :data:`CI_NOT_COMPUTABLE`). So every charted
    bar has its n, denominator and interval."""
    e = external[external["metric"].isin(measures) | external["verified"].ne("yes")]
    rows = []
    for r in e.itertuples(index=False):
        n, d, printed = r.n, r.denominator, float(r.value)
        reason = ""
        if r.verified != "yes":
            reason = NOT_VERIFIED
        elif r.metric not in measures:
            reason = NO_MATCHING_MEASURE
        elif r.unit != "pct":
            reason = f"published as{UNIT_TEXT.get(r.unit, ' ' + r.unit)}, not as a share of patients"
        elif _missing(d):
            reason = NO_DENOMINATOR
        n_note, pct, lo, hi, ci_note = "", np.nan, np.nan, np.nan, ""
        if r.unit == "pct" and not _missing(d):
            if not _missing(n):
                n_note = N_PUBLISHED
            else:
                n = derive_count(printed, d)
                n_note = N_DERIVED if n is not None else "n not published"
            if n is not None and not _missing(n):
                pct = 100.0 * float(n) / float(d)
                lo, hi = _interval(n, d)
                ci_note = "Wilson 95% CI of n/denominator"
            else:
                pct, ci_note = printed, CI_NOT_COMPUTABLE
                reason = reason or NO_COUNT
        elif r.unit == "pct":
            pct, n_note, ci_note = printed, "n not published", "no denominator"
        rows.append({
            "measure": r.metric, "source": "published", "label": population_label(r.study, r.arm, r.population, r.week),
            "study": r.study, "arm": r.arm, "population": r.population, "week": r.week,
            "published": published_text(printed, r.unit),
            "n": np.nan if _missing(n) else float(n), "denominator": np.nan if _missing(d) else float(d),
            "n_note": n_note, "pct": pct, "pct_printed": printed if r.unit == "pct" else np.nan,
            "ci_low": lo, "ci_high": hi, "ci_note": ci_note, "charted": reason == "", "reason": reason,
            "reference_key": r.reference_key, "location": r.location, "verified": r.verified,
        })
    return pd.DataFrame(rows, columns=COLUMNS)


def cohort_name_for_label(cohort_name: str, synthetic: bool) -> str:
    """How this cohort is named on the chart: it starts with 'Synthetic cohort' when the book is
    built on the synthetic cohort, whatever the cohort was called."""
    if synthetic and not cohort_name.lower().startswith("synthetic"):
        return f"Synthetic cohort ({cohort_name})"
    return cohort_name


def cohort_rows(ours: pd.DataFrame, cohort_name: str, synthetic: bool) -> pd.DataFrame:
    """This cohort's rows (from :func:`lupus_utils.science.results.context_percentages`), labelled with
    their population: LLDAS and DORIS remission over the patients observed on anifrolumab at that
    visit, CLASI-A 50% response over those with baseline CLASI-A ≥10 observed at week 12, herpes
    zoster over all patients during the whole follow-up; each with its Wilson 95% CI."""
    name = cohort_name_for_label(cohort_name, synthetic)
    rows = []
    for r in ours.itertuples(index=False):
        n, d = r.n, r.denominator
        frac = f"{int(n)}/{int(d)}" if not (_missing(n) or _missing(d)) else "nobody observed"
        if r.metric == "herpes_zoster":
            population = f"all patients, whole follow-up ({frac})"
        elif r.metric == "clasi_a50":
            population = f"baseline CLASI-A ≥10, observed at week {int(r.week)} ({frac})"
        else:
            population = f"observed at week {int(r.week)} ({frac})"
        ok = not _missing(d) and d > 0 and not _missing(n)
        lo, hi = _interval(n, d) if ok else (np.nan, np.nan)
        rows.append({
            "measure": r.metric, "source": "this cohort", "label": population_label(name, "anifrolumab", population, None),
            "study": name, "arm": "anifrolumab", "population": population, "week": r.week, "published": "",
            "n": n, "denominator": d, "n_note": N_COUNTED, "pct": 100.0 * n / d if ok else np.nan, "pct_printed": np.nan,
            "ci_low": lo, "ci_high": hi, "ci_note": "Wilson 95% CI of n/denominator" if ok else "",
            "charted": ok, "reason": "" if ok else NO_PATIENTS, "reference_key": "", "location": "this book",
            "verified": "computed",
        })
    return pd.DataFrame(rows, columns=COLUMNS)


def comparison_table(external: pd.DataFrame, ours: pd.DataFrame, cohort_name: str, synthetic: bool,
                     measures: dict[str, str] = CHART_MEASURES) -> pd.DataFrame:
    """This cohort's rows and the published ones (:func:`cohort_rows`, :func:`external_rows`),
    ordered by measure (chart order, then measures without a panel), this cohort first, then by
    week; with ``text`` = the label printed beside each bar (:func:`figure_text`)."""
    t = pd.concat([cohort_rows(ours, cohort_name, synthetic), external_rows(external, measures)], ignore_index=True)
    order = {m: i for i, m in enumerate(measures)}
    t["_m"] = t["measure"].map(lambda m: order.get(m, len(order)))
    t["_s"] = (t["source"] != "this cohort").astype(int)
    t["_w"] = pd.to_numeric(t["week"], errors="coerce").fillna(-1)
    t = t.sort_values(["_m", "_s", "_w"], kind="stable").drop(columns=["_m", "_s", "_w"]).reset_index(drop=True)
    t["text"] = [figure_text(r.n, r.denominator, r.pct, r.ci_low, r.ci_high) for r in t.itertuples()]
    return t


def charted(table: pd.DataFrame) -> pd.DataFrame:
    """The rows drawn on the chart."""
    return table[table["charted"]].reset_index(drop=True)


def not_charted(table: pd.DataFrame) -> pd.DataFrame:
    """The figures left out of the chart, and why: label, measure (readers' name), printed value,
    reason, reference key and where in the source it stands."""
    t = table[~table["charted"]].assign(measure=lambda d: d["measure"].map(lambda m: MEASURE_NAMES.get(m, m)))
    return t[["label", "measure", "published", "reason", "reference_key", "location"]].reset_index(drop=True)


def reference_keys(external: pd.DataFrame) -> list[str]:
    """The bibliography keys the external figures cite, sorted."""
    return sorted(set(external["reference_key"].dropna()) - {""})


def wrap(label: str, width: int = 48) -> str:
    """A label broken into lines of at most ``width`` characters, for the chart's axis."""
    return "\n".join(textwrap.wrap(label, width=width, break_on_hyphens=False))


def cohort_values(ours: pd.DataFrame) -> pd.DataFrame:
    """The states of :func:`lupus_utils.science.results.context_percentages` (LLDAS, DORIS remission, over
    the patients observed at each visit) keyed as the results key them, with the text the book
    shows: a chapter's ledger rows (:meth:`lupus_utils.presentation.report.Chapter.record`)."""
    from ..numbers import shown_values

    states = ours[ours["metric"].isin(["lldas", "doris_remission"])]
    parts = [pd.DataFrame({"measure": states["metric"], "population": "observed_at_visit", "week": states["week"],
                           "statistic": stat, "value": states[col].astype(float)})
             for stat, col in (("n", "n"), ("denominator", "denominator"), ("pct", "value"))]
    return shown_values(pd.concat(parts, ignore_index=True))
