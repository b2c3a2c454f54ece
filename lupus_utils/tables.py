"""Tables for the book: the paper's Tables 1-3 rebuilt from computed results, with the published
values beside them, and exports to CSV and XLSX. Data frames in, data frames out."""
from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pandas as pd

from .instruments import SLEDAI2K_WEIGHTS, SLEDAI_ORGANS
from .outcomes import (NON_RESPONSE_MIN_FOLLOW_UP_WEEKS, SFI_CRITERIA_LABELS, SFI_LEVELS, SFI_TREATMENT_CRITERIA,
                       _previous, non_responder, previous_visit_position, sfi_flare_criteria)
from .paths import EFFICACY_WEEKS, SAFETY_WEEKS, STATE_WEEKS
from .scorecard import round_half_up

WEEK_LABELS = {0: "Baseline", 4: "Week 4", 12: "Week 12", 24: "Week 24", 36: "Week 36", 48: "Week 48", 72: "Week 72"}

#: Table 1 rows: (label, measure, population, kind, decimals).
TABLE1_ROWS = [
    ("Female", "female", "all", "n_pct", 0),
    ("Age, years", "age_years", "all", "median_iqr", 0),
    ("Disease duration, years", "disease_duration_years", "all", "median_iqr", 0),
    ("Caucasian", "caucasian", "all", "n_pct", 0),
    ("Mucocutaneous, ever / ongoing", ("mucocutaneous_ever", "mucocutaneous_active"), "all", "ever_active", 0),
    ("Articular, ever / ongoing", ("articular_ever", "articular_active"), "all", "ever_active", 0),
    ("Haematological, ever / ongoing", ("haematological_ever", "haematological_active"), "all", "ever_active", 0),
    ("Renal, ever / ongoing", ("renal_ever", "renal_active"), "all", "ever_active", 0),
    ("Serositis, ever / ongoing", ("serositis_ever", "serositis_active"), "all", "ever_active", 0),
    ("Neuropsychiatric, ever / ongoing", ("neuropsychiatric_ever", "neuropsychiatric_active"), "all", "ever_active", 0),
    ("Active serology at baseline", "active_serology", "all", "n_pct", 0),
    ("Secondary antiphospholipid syndrome", "secondary_aps", "all", "n_pct", 0),
    ("Secondary Sjögren's syndrome", "secondary_sjogren", "all", "n_pct", 0),
    ("Cumulative glucocorticoids, g", "cumulative_gc_g", "all", "median_iqr", 0),
    ("Previous immunosuppressants, n", "n_previous_immunosuppressants", "all", "median_iqr", 0),
    ("Hydroxychloroquine", "concomitant_hcq", "all", "n_pct", 0),
    ("Glucocorticoids", "concomitant_gc", "all", "n_pct", 0),
    ("Glucocorticoid dose, mg/day prednisone", "prednisone_mg", "all", "median_iqr", 1),
    ("Immunosuppressants", "concomitant_immunosuppressant", "all", "n_pct", 0),
    ("Methotrexate", "concomitant_mtx", "all", "n_pct", 0),
    ("Azathioprine", "concomitant_aza", "all", "n_pct", 0),
    ("Mycophenolate mofetil", "concomitant_mmf", "all", "n_pct", 0),
    ("Cyclosporin", "concomitant_cyclosporin", "all", "n_pct", 0),
    ("Antimalarials or glucocorticoids only", "antimalarial_or_gc_only", "all", "n_pct", 0),
    ("Reason: disease flare", "reason_flare", "all", "n_pct", 0),
    ("Reason: persistently active disease", "reason_persistently_active", "all", "n_pct", 0),
    ("SLEDAI-2K", "sledai2k", "all", "median_iqr", 0),
    ("SLE-DAS", "sle_das", "all", "median_iqr", 1),
    ("SLICC/ACR damage index > 0", "sdi_positive", "all", "n_pct", 0),
    ("SLICC/ACR damage index", "sdi", "all", "median_iqr", 0),
    ("CLASI activity (mucocutaneous involvement)", "clasi_activity", "mucocutaneous_active_baseline", "median_iqr", 0),
    ("CLASI damage (mucocutaneous involvement)", "clasi_damage", "mucocutaneous_active_baseline", "median_iqr", 0),
    ("Tender joints (joint involvement)", "tender_joints", "articular_active_baseline", "median_iqr", 0),
    ("Swollen joints (joint involvement)", "swollen_joints", "articular_active_baseline", "median_iqr", 0),
    ("Physician Global Assessment (0-3)", "pga", "all", "median_iqr", 1),
]
TABLE2_ROWS = [
    ("SLEDAI-2K", "sledai2k", "observed_at_visit", 1),
    ("SLE-DAS", "sle_das", "observed_at_visit", 1),
    ("CLASI-A (mucocutaneous involvement)", "clasi_activity", "mucocutaneous_active_baseline", 0),
    ("Tender joints (joint involvement)", "tender_joints", "articular_active_baseline", 0),
    ("Swollen joints (joint involvement)", "swollen_joints", "articular_active_baseline", 0),
    ("PGA (0-3)", "pga", "observed_at_visit", 1),
    ("Prednisone, mg/day", "prednisone_mg", "observed_at_visit", 1),
]


def _num(x: float, decimals: int) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    return f"{round_half_up(x, decimals):.{decimals}f}"


def _get(results: pd.DataFrame, measure, population, week, statistic):
    m = (results["measure"] == measure) & (results["population"] == population) & (results["statistic"] == statistic)
    m &= results["week"].isna() if week is None else (results["week"] == week)
    vals = results.loc[m, "value"]
    return float(vals.iloc[0]) if len(vals) else float("nan")


def _lookup_published(targets: pd.DataFrame, source: str, measure, population, week, statistic):
    t = targets[(targets["source"] == source) & (targets["measure"] == measure) & (targets["statistic"] == statistic)]
    if population is not None and (t["population"] == population).any():
        t = t[t["population"] == population]
    if week is not None and t["week"].notna().any():
        t = t[t["week"] == week]
    return t["display"].iloc[0] if len(t) else None


def p_text(p: float) -> str:
    """A p-value as a paper prints it."""
    if p is None or (isinstance(p, float) and math.isnan(p)):
        return "–"
    return "<0.001" if p < 0.001 else f"{round_half_up(p, 3):.3f}"


def table1(results: pd.DataFrame, targets: pd.DataFrame | None = None) -> pd.DataFrame:
    """Table 1 computed from ``results`` (see :func:`lupus_utils.results.compute_results`);
    with ``targets``, a column of the published values beside it."""
    rows = []
    for label, measure, pop, kind, dec in TABLE1_ROWS:
        week = 0 if measure in ("sledai2k", "sle_das", "pga", "prednisone_mg", "clasi_activity", "clasi_damage",
                                "tender_joints", "swollen_joints") else None
        if kind == "n_pct":
            n, pct = _get(results, measure, pop, week, "n"), _get(results, measure, pop, week, "pct")
            text = f"{int(n)} ({_num(pct, 0)}%)"
            pub = None
            if targets is not None:
                pn = _lookup_published(targets, "table1", measure, None, None, "n")
                pp = _lookup_published(targets, "table1", measure, None, None, "pct")
                pub = f"{pn} ({pp})" if pn is not None else None
        elif kind == "ever_active":
            parts = []
            for m in measure:
                n, pct = _get(results, m, pop, week, "n"), _get(results, m, pop, week, "pct")
                parts.append(f"{int(n)} ({_num(pct, 0)}%)")
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
            med, q1, q3 = (_get(results, measure, pop, week, s) for s in ("median", "q1", "q3"))
            text = f"{_num(med, dec)} ({_num(q1, dec)}–{_num(q3, dec)})"
            pub = None
            if targets is not None:
                vals = [_lookup_published(targets, "table1", measure, pop, None, s) for s in ("median", "q1", "q3")]
                pub = f"{vals[0]} ({vals[1]}–{vals[2]})" if vals[0] is not None else None
        rows.append({"Characteristic": label, "Computed": text} | ({"Published": pub or "–"} if targets is not None else {}))
    return pd.DataFrame(rows)


def table2(results: pd.DataFrame, targets: pd.DataFrame | None = None, weeks=EFFICACY_WEEKS) -> pd.DataFrame:
    """Table 2: median (IQR) per visit and the Wilcoxon p-value of each visit against baseline.
    With ``targets``, each measure gets a second row with the published values."""
    rows = []
    for label, measure, pop, dec in TABLE2_ROWS:
        row = {"Measure": label, "Source": "computed"}
        prow = {"Measure": label, "Source": "published"}
        for w in weeks:
            med, q1, q3 = (_get(results, measure, pop, w, s) for s in ("median", "q1", "q3"))
            n = _get(results, "patients_at_visit", "observed_at_visit", w, "n") if pop == "observed_at_visit" else _get(results, measure, pop, w, "n")
            row[WEEK_LABELS[w]] = f"{_num(med, dec)} ({_num(q1, dec)}–{_num(q3, dec)}), n={int(n) if not math.isnan(n) else 0}"
            if targets is not None:
                vals = [_lookup_published(targets, "table2", measure, pop, w, s) for s in ("median", "q1", "q3")]
                prow[WEEK_LABELS[w]] = f"{vals[0]} ({vals[1]}–{vals[2]})" if vals[0] is not None else "–"
        ps = [f"T{w}: {p_text(_get(results, measure, pop, w, 'p'))}" for w in weeks if w]
        row["p vs baseline"] = "; ".join(ps)
        if targets is not None:
            prow["p vs baseline"] = "; ".join(f"T{w}: {_lookup_published(targets, 'table2', measure, pop, w, 'p') or '–'}" for w in weeks if w)
        rows.append(row)
        if targets is not None:
            rows.append(prow)
    return pd.DataFrame(rows)


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
                return _get(results, m, pop, week, s)

            n_fu = "" if w == "total" else f" ({int(_get(results, 'patients_at_visit', pop, week, 'n'))})"
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
    """'8/24 (33%)': a count of its denominator with the percentage rounded half-up, as the
    paper's tables are read; ``nobody`` when the denominator is 0 or missing, '–' when the count is."""
    if d is None or math.isnan(d) or d == 0:
        return nobody
    if n is None or math.isnan(n):
        return "–"
    return f"{int(n)}/{int(d)} ({round_half_up(100 * n / d, 0):.0f}%)"


def n_of_text(results: pd.DataFrame, measure, population, week=None) -> str:
    """'8/24 (33%)' for a count and its denominator in ``results`` (percentage rounded half-up,
    as the paper's tables are read); '– (nobody assessed)' when the denominator is 0 or absent at
    that visit. Raises ``KeyError`` when ``results`` never has that count (a misspelt measure or
    population), rather than a quiet dash."""
    key = (results["measure"] == measure) & (results["population"] == population) & (results["statistic"] == "n")
    if not key.any():
        raise KeyError(f"no result {measure!r} / {population!r} / 'n' at any week")
    return share_text(_get(results, measure, population, week, "n"), _get(results, measure, population, week, "denominator"))


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
    """The paper's non-responder rule (:func:`lupus_utils.outcomes.non_responder`) as one row of
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
    (:func:`lupus_utils.outcomes.sfi_flare_criteria`, ``patients`` for the weight-based rule):
    the Flare Index criteria met, the SLEDAI-2K descriptors new since the previous visit and
    their organs, and the treatment change (prednisone-equivalent dose before and now, and the
    treatment criteria met). One row per flare visit, indexed like ``visits``."""
    columns = ["SFI criteria met", "New descriptors", "Organ", "Treatment change"]
    at = np.flatnonzero(visits["sfi_flare"].isin(SFI_LEVELS[1:]).to_numpy())
    if not len(at):
        return pd.DataFrame(columns=columns)
    crit = sfi_flare_criteria(visits, patients)
    prev = previous_visit_position(visits)
    items = list(SLEDAI2K_WEIGHTS)
    now = visits[items].to_numpy(dtype="float64", na_value=np.nan)
    before = np.column_stack([_previous(now[:, j], prev, 0.0) for j in range(len(items))])
    new = (now == 1) & (before != 1) & (prev >= 0)[:, None]
    pred = visits["prednisone_mg"].to_numpy(dtype="float64", na_value=np.nan)
    pred_prev = _previous(pred, prev)
    rows = {}
    for i in at:
        met = [c for c in crit.columns if crit.iat[i, crit.columns.get_loc(c)]]
        descriptors = [items[j] for j in np.flatnonzero(new[i])]
        change = []
        if not np.isnan(pred[i]) and not np.isnan(pred_prev[i]) and pred[i] != pred_prev[i]:
            change.append(f"prednisone {display_number(pred_prev[i])} → {display_number(pred[i])} mg/day")
        change += [SFI_CRITERIA_LABELS[c] for c in met if c in SFI_TREATMENT_CRITERIA and "prednisone" not in c]
        rows[visits.index[i]] = {
            "SFI criteria met": "; ".join(SFI_CRITERIA_LABELS[c] for c in met) or "–",
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


def display_number(x) -> str:
    """A number as a table shows it, rounded half-up: whole values without decimals (counts that
    became floats beside a missing value), values below 1 to three significant digits (0.0495
    stays below 0.05; 0.0000324, never 3.24e-05), others to three decimals without trailing
    zeros; missing as a dash. P-values are better shown with :func:`p_text`."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    x = float(x)
    if x == 0:
        return "0"
    if x.is_integer():
        return f"{x:.0f}"
    decimals = 3 if abs(x) >= 1 else 2 - math.floor(math.log10(abs(x)))
    text = f"{round_half_up(x, decimals):.{decimals}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


#: Column names the book shows as p-values (``p``, ``Mann-Whitney p``, ``exact p``, ``p_exact``).
P_COLUMN = re.compile(r"^p$|^p[ _]|[ _]p$|p-value|p value", re.IGNORECASE)


def _cell(x) -> str:
    if x is None or (not isinstance(x, (str, bytes)) and np.ndim(x) == 0 and pd.isna(x)):
        return "–"
    if isinstance(x, (bool, np.bool_)):
        return str(bool(x))
    if isinstance(x, (int, float, np.number)):
        return display_number(x)
    return str(x)


def _p_cell(x) -> str:
    if isinstance(x, (int, float, np.number)) and not isinstance(x, (bool, np.bool_)):
        return p_text(float(x))
    return _cell(x)


def styled(table: pd.DataFrame):
    """The table as the book shows it: no index, numbers in p-value columns (:data:`P_COLUMN`)
    through :func:`p_text`, every other number through :func:`display_number`, text as it is,
    missing cells as '–'."""
    fmt = {c: (_p_cell if P_COLUMN.search(str(c)) else _cell) for c in table.columns}
    # a gap between columns, so that neighbouring numbers never read as one ("26" and "7.5" as "267.5")
    spacing = [{"selector": "td, th", "props": "padding: 0.2em 0.8em 0.2em 0;"},
               {"selector": "th", "props": "vertical-align: bottom;"}]
    return table.style.hide(axis="index").format(fmt, na_rep="–").set_table_styles(spacing)


def display_value(x, statistic: str) -> str:
    """A computed value beside a published one: a p-value as the paper prints it, else a number."""
    return p_text(x) if statistic == "p" else display_number(x)


def export_table(table: pd.DataFrame, name: str, out_dir: Path | str) -> dict[str, Path]:
    """Write ``table`` as CSV (UTF-8) and XLSX into ``out_dir``; return the two paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = {"csv": out / f"{name}.csv", "xlsx": out / f"{name}.xlsx"}
    table.to_csv(paths["csv"], index=False, lineterminator="\n")
    table.to_excel(paths["xlsx"], index=False, sheet_name=name[:31])
    return paths


def download_links(paths: dict[str, Path], prefix: str = "exports") -> str:
    """HTML links to exported files, relative to the book's pages."""
    links = " · ".join(f'<a href="{prefix}/{p.name}" download>{kind.upper()}</a>' for kind, p in paths.items())
    return f'<p class="downloads">Download: {links}</p>'
