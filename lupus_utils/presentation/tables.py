"""Tables for the book: the paper's Tables 1-3 rebuilt from computed results, with the published
values beside them, and exports to CSV and XLSX. Data frames in, data frames out."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ..science.instruments import SLEDAI2K_WEIGHTS, SLEDAI_ORGANS
from ..science.outcomes import (NON_RESPONSE_MIN_FOLLOW_UP_WEEKS, SFI_CRITERIA_LABELS, SFI_LEVELS, SFI_TREATMENT_CRITERIA,
                                new_descriptor, non_responder, previous_visit_position, sfi_flare_criteria)
from ..science.visit_order import previous_values
from ..paths import EFFICACY_WEEKS, SAFETY_WEEKS, STATE_WEEKS
from ..science.results import result_at
from ..numbers import display_number, iqr_text, p_text, pct_text, stat_text

WEEK_LABELS = {0: "Baseline", 4: "Week 4", 12: "Week 12", 24: "Week 24", 36: "Week 36", 48: "Week 48", 72: "Week 72"}

#: Table 1 rows: (label, measure, population, kind).
TABLE1_ROWS = [
    ("Female", "female", "all", "n_pct"),
    ("Age, years", "age_years", "all", "median_iqr"),
    ("Disease duration, years", "disease_duration_years", "all", "median_iqr"),
    ("Caucasian", "caucasian", "all", "n_pct"),
    ("Mucocutaneous, ever / ongoing", ("mucocutaneous_ever", "mucocutaneous_active"), "all", "ever_active"),
    ("Articular, ever / ongoing", ("articular_ever", "articular_active"), "all", "ever_active"),
    ("Haematological, ever / ongoing", ("haematological_ever", "haematological_active"), "all", "ever_active"),
    ("Renal, ever / ongoing", ("renal_ever", "renal_active"), "all", "ever_active"),
    ("Serositis, ever / ongoing", ("serositis_ever", "serositis_active"), "all", "ever_active"),
    ("Neuropsychiatric, ever / ongoing", ("neuropsychiatric_ever", "neuropsychiatric_active"), "all", "ever_active"),
    ("Active serology at baseline", "active_serology", "all", "n_pct"),
    ("Secondary antiphospholipid syndrome", "secondary_aps", "all", "n_pct"),
    ("Secondary Sjögren's syndrome", "secondary_sjogren", "all", "n_pct"),
    ("Cumulative glucocorticoids, g", "cumulative_gc_g", "all", "median_iqr"),
    ("Previous immunosuppressants, n", "n_previous_immunosuppressants", "all", "median_iqr"),
    ("Hydroxychloroquine", "concomitant_hcq", "all", "n_pct"),
    ("Glucocorticoids", "concomitant_gc", "all", "n_pct"),
    ("Glucocorticoid dose, mg/day prednisone", "prednisone_mg", "all", "median_iqr"),
    ("Immunosuppressants", "concomitant_immunosuppressant", "all", "n_pct"),
    ("Methotrexate", "concomitant_mtx", "all", "n_pct"),
    ("Azathioprine", "concomitant_aza", "all", "n_pct"),
    ("Mycophenolate mofetil", "concomitant_mmf", "all", "n_pct"),
    ("Cyclosporin", "concomitant_cyclosporin", "all", "n_pct"),
    ("Antimalarials or glucocorticoids only", "antimalarial_or_gc_only", "all", "n_pct"),
    ("Reason: disease flare", "reason_flare", "all", "n_pct"),
    ("Reason: persistently active disease", "reason_persistently_active", "all", "n_pct"),
    ("SLEDAI-2K", "sledai2k", "all", "median_iqr"),
    ("SLE-DAS", "sle_das", "all", "median_iqr"),
    ("SLICC/ACR damage index > 0", "sdi_positive", "all", "n_pct"),
    ("SLICC/ACR damage index", "sdi", "all", "median_iqr"),
    ("CLASI activity (mucocutaneous involvement)", "clasi_activity", "mucocutaneous_active_baseline", "median_iqr"),
    ("CLASI damage (mucocutaneous involvement)", "clasi_damage", "mucocutaneous_active_baseline", "median_iqr"),
    ("Tender joints (joint involvement)", "tender_joints", "articular_active_baseline", "median_iqr"),
    ("Swollen joints (joint involvement)", "swollen_joints", "articular_active_baseline", "median_iqr"),
    ("Physician Global Assessment (0-3)", "pga", "all", "median_iqr"),
]
TABLE2_ROWS = [
    ("SLEDAI-2K", "sledai2k", "observed_at_visit"),
    ("SLE-DAS", "sle_das", "observed_at_visit"),
    ("CLASI-A (mucocutaneous involvement)", "clasi_activity", "mucocutaneous_active_baseline"),
    ("Tender joints (joint involvement)", "tender_joints", "articular_active_baseline"),
    ("Swollen joints (joint involvement)", "swollen_joints", "articular_active_baseline"),
    ("PGA (0-3)", "pga", "observed_at_visit"),
    ("Prednisone, mg/day", "prednisone_mg", "observed_at_visit"),
]


def _lookup_published(targets: pd.DataFrame, source: str, measure, population, week, statistic):
    """The published text of one statistic: the week first (the paper's baseline column describes
    the whole cohort, population 'all', where its later columns describe the patients observed at
    the visit), then the population when the paper gives that week for several."""
    t = targets[(targets["source"] == source) & (targets["measure"] == measure) & (targets["statistic"] == statistic)]
    if week is not None and t["week"].notna().any():
        t = t[t["week"] == week]
    if population is not None and (t["population"] == population).any():
        t = t[t["population"] == population]
    return t["display"].iloc[0] if len(t) else None


def _audit_entries(targets: pd.DataFrame, readings: pd.DataFrame, measures) -> str:
    """The paper-audit entries behind a Table 1 row: those whose other reading of one of the row's
    published values is recorded (``readings``), short ids ('inc27'), or ''."""
    ids = targets.loc[(targets["source"] == "table1") & targets["measure"].isin(measures), "target_id"]
    found = readings.loc[readings["target_id"].isin(ids), "issue_id"].drop_duplicates()
    return ", ".join(i.split("_")[0] for i in found)


def audit_link(entries: str, page: str = "11_consistency.html") -> str:
    """HTML links from a table cell to the paper-audit chapter, one per entry ('inc27')."""
    return ", ".join(f'<a href="{page}">{e}</a>' for e in entries.split(", ")) if entries else ""


def table1(results: pd.DataFrame, targets: pd.DataFrame | None = None,
           readings: pd.DataFrame | None = None) -> pd.DataFrame:
    """Table 1 computed from ``results`` (see :func:`lupus_utils.science.results.compute_results`);
    with ``targets``, a column of the published values beside it; with ``readings`` too
    (:func:`lupus_utils.data.cohort.load_readings`), a column ``Paper audit`` naming the audit
    entries where the published value cannot describe the cohort as printed (the SLICC/ACR damage
    index quartiles, for one: inc27)."""
    rows = []
    for label, measure, pop, kind in TABLE1_ROWS:
        week = _table1_week(measure)
        if kind == "n_pct":
            n, pct = result_at(results, measure, pop, week, "n"), result_at(results, measure, pop, week, "pct")
            text = f"{int(n)} ({pct_text(pct)}%)"
            pub = None
            if targets is not None:
                pn = _lookup_published(targets, "table1", measure, None, None, "n")
                pp = _lookup_published(targets, "table1", measure, None, None, "pct")
                pub = f"{pn} ({pp})" if pn is not None else None
        elif kind == "ever_active":
            parts = []
            for m in measure:
                n, pct = result_at(results, m, pop, week, "n"), result_at(results, m, pop, week, "pct")
                parts.append(f"{int(n)} ({pct_text(pct)}%)")
            text = " / ".join(parts)
            pub = None
            if targets is not None:
                pubs = []
                for m in measure:
                    pn = _lookup_published(targets, "table1", m, None, None, "n")
                    pp = _lookup_published(targets, "table1", m, None, None, "pct")
                    pubs.append(f"{pn} ({pp})" if pp else f"{pn}")
                pub = " / ".join(pubs)
        else:
            med, q1, q3 = (result_at(results, measure, pop, week, s) for s in ("median", "q1", "q3"))
            text = iqr_text(med, q1, q3)
            pub = None
            if targets is not None:
                vals = [_lookup_published(targets, "table1", measure, pop, None, s) for s in ("median", "q1", "q3")]
                pub = f"{vals[0]} ({vals[1]}–{vals[2]})" if vals[0] is not None else None
        row = {"Characteristic": label, "Computed": text} | ({"Published": pub or "–"} if targets is not None else {})
        if targets is not None and readings is not None:
            row["Paper audit"] = _audit_entries(targets, readings, measure if isinstance(measure, tuple) else (measure,))
        rows.append(row)
    return pd.DataFrame(rows)


def _table1_week(measure) -> int | None:
    """Visit measures are read at baseline (week 0); patient characteristics have no week."""
    return 0 if measure in ("sledai2k", "sle_das", "pga", "prednisone_mg", "clasi_activity", "clasi_damage",
                            "tender_joints", "swollen_joints") else None


def table1_keys() -> list[tuple]:
    """Every (measure, population, week, statistic) Table 1 shows."""
    keys = []
    for _, measure, pop, kind in TABLE1_ROWS:
        stats = ("median", "q1", "q3") if kind == "median_iqr" else ("n", "pct")
        for m in (measure if isinstance(measure, tuple) else (measure,)):
            keys += [(m, pop, _table1_week(m), s) for s in stats]
    return keys


def table2_keys(weeks=EFFICACY_WEEKS) -> list[tuple]:
    """Every (measure, population, week, statistic) Table 2 shows."""
    return [(measure, pop, w, s) for _, measure, pop in TABLE2_ROWS for w in weeks
            for s in ("median", "q1", "q3") + (("p",) if w else ())]


def remission_lldas_keys(results: pd.DataFrame) -> list[tuple]:
    """Every (measure, population, week, statistic) :func:`remission_lldas_table` shows."""
    completed = set(results.loc[(results["measure"] == "doris_remission") & (results["population"] == "completed_48w"), "week"])
    return [key for w in STATE_WEEKS
            for measure, pop in (("doris_remission", "completed_48w" if w in completed else "observed_at_visit"),
                                 ("lldas", "observed_at_visit"))
            for key in ((measure, pop, w, "n"), (measure, pop, w, "denominator"), (measure, pop, w, "pct"))]


def keyed_values(results: pd.DataFrame, keys) -> pd.DataFrame:
    """The values behind a table, one row per (measure, population, week, statistic): the value
    as computed and as the book shows it (:func:`stat_text`; a percentage from ``n`` and
    ``denominator`` when ``results`` holds no ``pct`` row). The tidy download of a table, and what
    the cross-chapter test compares: one statistic never reads two ways. A measure and population
    that ``results`` never has together, or a statistic it never computes (a misspelling),
    raises ``KeyError`` listing every such key, rather than entering the ledger as a dash; a statistic absent at that week
    (nobody assessed then, or nobody in a subpopulation) is shown as a dash."""
    known = set(zip(results["measure"], results["population"]))
    statistics = set(results["statistic"]) | {"pct"}
    unknown = sorted({f"{m} / {p} / {s}" for m, p, _, s in keys if (m, p) not in known or s not in statistics})
    if unknown:
        raise KeyError(f"no result at any week for: {'; '.join(unknown)}")
    rows = []
    for measure, pop, week, stat in keys:
        value = result_at(results, measure, pop, week, stat)
        if stat == "pct" and math.isnan(value):
            n, d = result_at(results, measure, pop, week, "n"), result_at(results, measure, pop, week, "denominator")
            value = 100 * n / d if d and not math.isnan(d) else float("nan")
        rows.append({"measure": measure, "population": pop, "week": week, "statistic": stat, "value": value,
                     "shown": stat_text(value, stat)})
    return pd.DataFrame(rows, columns=["measure", "population", "week", "statistic", "value", "shown"])


#: The footnote of Table 2: the test and the populations behind each row.
TABLE2_NOTES = (
    "Median (IQR); n is given in a cell only where the row's population is smaller than the visit's N "
    "(the patients observed at the visit).",
    "p: Wilcoxon signed-rank test of each visit against baseline, on the patients observed at both "
    "(exact for fewer than 50 pairs without ties, else normal approximation with continuity correction).",
    "Populations: SLEDAI-2K, SLE-DAS, PGA and prednisone, every patient observed at the visit; CLASI-A, "
    "patients with mucocutaneous involvement at baseline; joint counts, patients with joint involvement at baseline.",
)
TABLE2_BLOCKS = ("Median (IQR)", "p vs baseline")


def visit_header(week: int, n: float) -> str:
    """'Week 12 (N=24)': a visit's column header with the patients observed then."""
    return f"{WEEK_LABELS[week]} (N={int(n) if not math.isnan(n) else 0})"


def table2(results: pd.DataFrame, weeks=EFFICACY_WEEKS) -> pd.DataFrame:
    """Table 2 as a journal prints it: one row per measure in the block 'Median (IQR)' and again
    in the block 'p vs baseline' (the Wilcoxon p of the visit against baseline), one column per
    visit headed with its N (:func:`visit_header`). Columns ``Block``, ``Measure``, then the
    visits. Every value is the library's (:func:`stat_text`, :func:`p_text`)."""
    heads = {w: visit_header(w, result_at(results, "patients_at_visit", "observed_at_visit", w, "n")) for w in weeks}
    rows = []
    for label, measure, pop in TABLE2_ROWS:
        row = {"Block": TABLE2_BLOCKS[0], "Measure": label}
        for w in weeks:
            med, q1, q3 = (result_at(results, measure, pop, w, s) for s in ("median", "q1", "q3"))
            n = result_at(results, measure, pop, w, "n")
            n_visit = result_at(results, "patients_at_visit", "observed_at_visit", w, "n")
            cell = iqr_text(med, q1, q3)
            if not math.isnan(n) and n != n_visit:  # a subpopulation, or visits without the measure
                cell += f", n={int(n)}"
            row[heads[w]] = cell
        rows.append(row)
    for label, measure, pop in TABLE2_ROWS:
        rows.append({"Block": TABLE2_BLOCKS[1], "Measure": label}
                    | {heads[w]: (p_text(result_at(results, measure, pop, w, "p")) if w else "") for w in weeks})
    return pd.DataFrame(rows)


def table2_published(targets: pd.DataFrame, table: pd.DataFrame, weeks=EFFICACY_WEEKS) -> pd.DataFrame:
    """The paper's printed values in the shape of ``table`` (:func:`table2`): median (IQR) and p
    as printed, '' where the paper prints nothing; and, in the header row's place, the published N
    (``published_header``: column -> 'N=26')."""
    visit_cols = [c for c in table.columns if c not in ("Block", "Measure")]
    out = pd.DataFrame("", index=table.index, columns=table.columns)
    by_label = {label: (measure, pop) for label, measure, pop in TABLE2_ROWS}
    for i, (block, label) in enumerate(zip(table["Block"], table["Measure"])):
        measure, pop = by_label[label]
        for w, col in zip(weeks, visit_cols):
            if block == TABLE2_BLOCKS[0]:
                vals = [_lookup_published(targets, "table2", measure, pop, w, s) for s in ("median", "q1", "q3")]
                out.loc[i, col] = f"{vals[0]} ({vals[1]}–{vals[2]})" if vals[0] is not None else ""
            elif w:
                out.loc[i, col] = _lookup_published(targets, "table2", measure, pop, w, "p") or ""
    return out


def with_published(values: pd.DataFrame, targets: pd.DataFrame | None, source: str) -> pd.DataFrame:
    """``values`` (:func:`keyed_values`) with a column ``published``: the paper's printed text of
    each statistic in its table ``source`` ('' where it prints none). The tidy download of a
    table that shows both."""
    if targets is None:
        return values
    return values.assign(published=[_lookup_published(targets, source, m, p, w, s) or ""
                                    for m, p, w, s in zip(values["measure"], values["population"], values["week"],
                                                          values["statistic"])])


def published_visit_n(targets: pd.DataFrame, table: pd.DataFrame, source: str = "table2", weeks=EFFICACY_WEEKS) -> dict:
    """Column header -> 'N=24' as the paper prints it, for the visits of ``table``."""
    visit_cols = [c for c in table.columns if c not in ("Block", "Measure")]
    out = {}
    for w, col in zip(weeks, visit_cols):
        n = _lookup_published(targets, source, "patients_at_visit", None, w, "n")
        if n is not None:
            out[col] = f"N={n}"
    return out


def table3(results: pd.DataFrame, targets: pd.DataFrame | None = None, weeks=SAFETY_WEEKS) -> pd.DataFrame:
    """Table 3: adverse events per visit (patients in follow-up), by category and action. With
    ``targets``, each visit gets a second row with the published counts."""
    rows = []
    present = set(results.loc[(results["measure"] == "patients_at_visit") & (results["population"] == "in_follow_up_at_visit"), "week"])
    for w in list(weeks) + ["total"]:
        week, pop = (None, "all") if w == "total" else (w, "in_follow_up_at_visit")
        label = "Total" if w == "total" else WEEK_LABELS[w]
        if w != "total" and w not in present:  # nobody followed that long: the visit stays, with dashes
            rows.append({"Visit": label, "Source": "computed", "Adverse events (patients in follow-up)": "– (0)",
                         "Infections": "–", "Cardiovascular": "–", "Other": "–",
                         "Discontinuation / temporary suspension": "–"})
        else:
            def get(m, s="count"):
                return result_at(results, m, pop, week, s)

            n_fu = "" if w == "total" else f" ({int(result_at(results, 'patients_at_visit', pop, week, 'n'))})"
            rows.append({"Visit": label, "Source": "computed",
                         "Adverse events (patients in follow-up)": f"{int(get('adverse_events'))}{n_fu}",
                         "Infections": str(int(get("infections"))), "Cardiovascular": str(int(get("cardiovascular_events"))),
                         "Other": str(int(get("other_events"))),
                         "Discontinuation / temporary suspension": f"{int(get('discontinuations'))} / {int(get('temporary_suspensions'))}"})
        if targets is not None:
            def pub(m, s="count"):
                t = targets[(targets["source"] == "table3") & (targets["measure"] == m) & (targets["statistic"] == s)]
                t = t[t["week"].isna()] if week is None else t[t["week"] == week]
                return t["display"].iloc[0] if len(t) else "–"
            n_pub = "" if w == "total" else f" ({pub('patients_at_visit', 'n')})"
            rows.append({"Visit": label, "Source": "published",
                         "Adverse events (patients in follow-up)": f"{pub('adverse_events')}{n_pub}",
                         "Infections": pub("infections"), "Cardiovascular": pub("cardiovascular_events"),
                         "Other": pub("other_events"),
                         "Discontinuation / temporary suspension": f"{pub('discontinuations')} / {pub('temporary_suspensions')}"})
    return pd.DataFrame(rows)


def share_text(n: float, d: float, nobody: str = "– (nobody assessed)") -> str:
    """'8/24 (33.3%)': a count of its denominator with the percentage (:func:`pct_text`);
    ``nobody`` when the denominator is 0 or missing, '–' when the count is."""
    if d is None or math.isnan(d) or d == 0:
        return nobody
    if n is None or math.isnan(n):
        return "–"
    return f"{int(n)}/{int(d)} ({pct_text(100 * n / d)}%)"


def n_of_text(results: pd.DataFrame, measure, population, week=None) -> str:
    """'8/24 (33.3%)' for a count and its denominator in ``results`` (:func:`share_text`);
    '– (nobody assessed)' when the denominator is 0 or absent at
    that visit. Raises ``KeyError`` when ``results`` never has that count (a misspelt measure or
    population), rather than a quiet dash."""
    key = (results["measure"] == measure) & (results["population"] == population) & (results["statistic"] == "n")
    if not key.any():
        raise KeyError(f"no result {measure!r} / {population!r} / 'n' at any week")
    return share_text(result_at(results, measure, population, week, "n"), result_at(results, measure, population, week, "denominator"))


def remission_lldas_table(results: pd.DataFrame, targets: pd.DataFrame | None = None) -> pd.DataFrame:
    """DORIS remission and LLDAS at the visits the paper reports them (``paths.STATE_WEEKS``, named
    in months of four weeks as the paper does), among the patients assessed then; remission at
    the last of them among those who completed it (the results' ``completed_48w`` population), as
    in the paper. With ``targets``, the published
    values beside them: count/denominator (percentage) with whichever parts the paper prints, a
    dash where it prints none."""
    pub = targets.set_index("target_id")["display"] if targets is not None else None

    def published(kind: str, w: int) -> str:
        n, den, pct = (pub.get(f"res_{kind}_w{w}_{s}") for s in ("n", "den", "pct"))
        count = f"{n}/{den}" if n is not None and den is not None else n
        if count is None:
            return pct if pct is not None else "–"
        return f"{count} ({pct})" if pct is not None else count

    completed = set(results.loc[(results["measure"] == "doris_remission") & (results["population"] == "completed_48w"), "week"])
    rows = []
    for w in STATE_WEEKS:
        row = {"Visit": f"{w // 4} months (week {w})",
               "DORIS remission": n_of_text(results, "doris_remission", "completed_48w" if w in completed else "observed_at_visit", w),
               "LLDAS": n_of_text(results, "lldas", "observed_at_visit", w)}
        if pub is not None:
            row["Published remission"] = published("remission", w)
            row["Published LLDAS"] = published("lldas", w)
        rows.append(row)
    return pd.DataFrame(rows)


def non_responder_table(patients: pd.DataFrame, visits: pd.DataFrame) -> pd.DataFrame:
    """The paper's non-responder rule (:func:`lupus_utils.science.outcomes.non_responder`) as one row of
    counts: patients followed long enough, not at least LLDAS at the last visit, state unknown
    there, stopped for a flare or activity, non-responders (n/eligible (%)), and the patients the
    rule leaves out with the reason."""
    weeks = NON_RESPONSE_MIN_FOLLOW_UP_WEEKS
    nr = non_responder(patients, visits)
    el = nr[nr["eligible"]]
    share = share_text(float(el["non_responder"].eq(True).sum()), float(len(el)), "– (nobody eligible)")
    return pd.DataFrame([{f"Followed ≥ {weeks} weeks": len(el),
                          "Not at least LLDAS at last visit": int(el["at_least_lldas_last"].eq(False).sum()),
                          "State at last visit unknown": int(el["at_least_lldas_last"].isna().sum()),
                          "Stopped for flare or activity": int(el["stopped_for_activity"].sum()),
                          "Non-responders": share,
                          f"Excluded (follow-up < {weeks} weeks or unknown)": int((~nr["eligible"]).sum())}])


#: Column names of the flare table as the book shows them.
FLARE_COLUMNS = {"week": "Week", "sfi_flare": "SFI category", "sledai2k": "SLEDAI-2K", "pga": "PGA",
                 "prednisone_mg": "Prednisone, mg/day"}


def _manifestation(item: str) -> str:
    return item.removeprefix("sledai_").replace("_", " ").replace("increased dna binding", "anti-dsDNA")


def flare_details(visits: pd.DataFrame, patients: pd.DataFrame | None = None) -> pd.DataFrame:
    """For every flare visit (``sfi_flare`` mild/moderate or severe), what the data say about it,
    judged against the patient's previous visit exactly as the Flare Index judges it
    (:func:`lupus_utils.science.outcomes.sfi_flare_criteria`, ``patients`` for the weight-based rule):
    the Flare Index criteria met, the SLEDAI-2K descriptors new since the previous visit and
    their organs, and the treatment change (prednisone-equivalent dose before and now, and the
    treatment criteria met). One row per flare visit, indexed like ``visits``."""
    columns = ["SFI criteria met", "New descriptors", "Organ", "Treatment change"]
    at = np.flatnonzero(visits["sfi_flare"].isin(SFI_LEVELS[1:]).to_numpy())
    if not len(at):
        return pd.DataFrame(columns=columns)
    prev = previous_visit_position(visits)
    crit = sfi_flare_criteria(visits, patients, prev)
    unknown = crit.isna()
    crit = crit.fillna(False)  # listed as met only when known to hold; the unknown ones are named
    items = list(SLEDAI2K_WEIGHTS)
    new = np.column_stack([new_descriptor(visits, c, prev) for c in items])  # the Flare Index's "new"
    pred = visits["prednisone_mg"].to_numpy(dtype="float64", na_value=np.nan)
    pred_prev = previous_values(pred, prev)
    rows = {}
    for i in at:
        met = [c for c in crit.columns if crit.iat[i, crit.columns.get_loc(c)]]
        descriptors = [items[j] for j in np.flatnonzero(new[i])]
        change = []
        if not np.isnan(pred[i]) and not np.isnan(pred_prev[i]) and pred[i] != pred_prev[i]:
            change.append(f"prednisone {display_number(pred_prev[i])} → {display_number(pred[i])} mg/day")
        change += [SFI_CRITERIA_LABELS[c] for c in met if c in SFI_TREATMENT_CRITERIA and "prednisone" not in c]
        not_known = [SFI_CRITERIA_LABELS[c] for c in crit.columns if unknown.iat[i, crit.columns.get_loc(c)]]
        rows[visits.index[i]] = {
            "SFI criteria met": ("; ".join(SFI_CRITERIA_LABELS[c] for c in met) or "–")
                                + (f" (unknown, an input missing: {'; '.join(not_known)})" if not_known else ""),
            "New descriptors": ", ".join(_manifestation(c) for c in descriptors) or "none",
            "Organ": ", ".join(dict.fromkeys(SLEDAI_ORGANS[c] for c in descriptors)) or "–",
            "Treatment change": "; ".join(change) or "none recorded",
        }
    return pd.DataFrame.from_dict(rows, orient="index", columns=columns)


def flare_table(visits: pd.DataFrame, patients: pd.DataFrame | None = None, listing_limit: int = 30) -> pd.DataFrame:
    """Flares by the SELENA-SLEDAI Flare Index. Up to ``listing_limit`` flares are listed one by
    one, in order of visit, with the SLEDAI-2K, PGA and prednisone of that visit and what
    :func:`flare_details` finds (first column ``Flare``); a registry with more gets counts by
    visit and category instead (``Flares``)."""
    fl = visits[visits["sfi_flare"].isin(SFI_LEVELS[1:])].assign(
        sfi_flare=lambda f: f["sfi_flare"].astype(str).str.replace("_", "/"))
    if len(fl) > listing_limit:
        return (fl.groupby(["week", "sfi_flare"]).size().rename("Flares").reset_index()
                .rename(columns=FLARE_COLUMNS))
    out = fl[list(FLARE_COLUMNS)].rename(columns=FLARE_COLUMNS).join(flare_details(visits, patients))
    out = out.sort_values("Week", kind="stable").reset_index(drop=True)
    out.insert(0, "Flare", range(1, len(out) + 1))
    return out


def adverse_event_listing(adverse_events: pd.DataFrame, patients: pd.DataFrame) -> pd.DataFrame:
    """Every adverse event by name, in order of visit: category, whether serious or leading to
    hospitalisation, the action taken with anifrolumab, and for herpes zoster whether the
    patient had been vaccinated against it (from the patients table)."""
    ae = adverse_events.sort_values(["week", "category", "term"], kind="stable")
    vaccinated = ae["patient_id"].map(patients.drop_duplicates("patient_id").set_index("patient_id")["hz_vaccinated"])
    zoster = ae["term"].str.contains("zoster", case=False, na=False)
    yes_no = {1: "yes", 0: "no"}
    return pd.DataFrame({
        "Week": ae["week"].to_numpy(),
        "Category": ae["category"].str.replace("_", " ").to_numpy(),
        "Event": ae["term"].to_numpy(),
        "Serious": ae["serious"].map(yes_no).to_numpy(),
        "Hospitalised": ae["hospitalised"].map(yes_no).to_numpy(),
        "Action with anifrolumab": ae["action"].str.replace("_", " ").to_numpy(),
        "Zoster vaccine": [("not recorded" if pd.isna(x) else "yes" if x == 1 else "no") if z else "" for x, z in
                           zip(vaccinated, zoster)],
    })


def events_by_term(adverse_events: pd.DataFrame, category: str) -> pd.DataFrame:
    """Events of one category counted by term (spelling as recorded), most frequent first, ties
    in alphabetical order regardless of case."""
    at = adverse_events[adverse_events["category"] == category]
    out = at.groupby("term").size().rename("Events").reset_index().rename(columns={"term": "Term"})
    out = out.assign(_key=out["Term"].str.lower()).sort_values(["Events", "_key"], ascending=[False, True], kind="stable")
    return out.drop(columns="_key").reset_index(drop=True)


def published_beside(table: pd.DataFrame, pairs: dict) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split a table that carries published values in columns of their own (``pairs``: computed
    column -> published column, as Table 1 and the remission table download them) into the table
    to show and the ``published`` frame of :func:`journal_table` (a dash, the paper's 'nothing
    printed', becomes an empty cell)."""
    shown = table.drop(columns=[p for p in pairs.values() if p in table.columns])
    pub = pd.DataFrame({c: table[p].where(table[p] != "–", "").fillna("") for c, p in pairs.items() if p in table.columns},
                       index=table.index)
    return shown, pub


def published_rows(table: pd.DataFrame, source: str = "Source") -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split a table whose published values are rows of their own (``source`` column 'computed' /
    'published', each published row after its computed one, as Table 3 downloads) into the table to
    show and the ``published`` frame of :func:`journal_table`."""
    if source not in table.columns:
        return table, None
    comp = table[table[source] == "computed"].drop(columns=source).reset_index(drop=True)
    pub = table[table[source] == "published"].drop(columns=source).reset_index(drop=True)
    if pub.empty:
        return comp, None
    if len(pub) != len(comp):
        raise ValueError(f"{len(comp)} computed rows but {len(pub)} published rows")
    key = comp.columns[0]
    pub[key] = ""
    return comp, pub.where(pub != "–", "").fillna("")


def in_sentence(label: str) -> str:
    """A label as it reads inside a sentence: 'Reason for anifrolumab' -> 'reason for
    anifrolumab', but acronyms keep their capitals ('SLICC/ACR damage index', 'SDI = 0')."""
    return label[0].lower() + label[1:] if len(label) > 1 and label[0].isupper() and label[1].islower() else label


#: The exclusion counts of :func:`lupus_utils.science.subgroups.subgroup_comparison`, in readers' words.
SUBGROUP_EXCLUSIONS = {"no group: n": "grouping unknown", "no value: n": "measure missing"}


def subgroup_view(table: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """A subgroup comparison as a page shows it: the exclusion counts leave the columns for a
    footnote that gives them (or says that no visit was left out); the download keeps them."""
    counts = {label: int(pd.to_numeric(table[c], errors="coerce").fillna(0).sum())
              for c, label in SUBGROUP_EXCLUSIONS.items() if c in table.columns}
    shown = table.drop(columns=[c for c in SUBGROUP_EXCLUSIONS if c in table.columns])
    if not counts:
        return shown, []
    left_out = [f"{n} with the {label}" for label, n in counts.items() if n]
    note = ("Visits on treatment left out: " + "; ".join(left_out) + " (per visit in the download)." if left_out
            else "No visit on treatment was left out (none with the grouping unknown or the measure missing).")
    small = "small group" in table.columns and table["small group"].astype(str).str.len().gt(0).any()
    notes = [note] + (["Small group: a p-value from so few patients says little."] if small else [])
    return shown, notes


def display_value(x, statistic: str) -> str:
    """A computed value beside a published one, as every page shows it (:func:`stat_text`)."""
    return stat_text(x, statistic)


