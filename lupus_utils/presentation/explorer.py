"""The subgroup explorer's engine, shared by the live explorer (``make explore``) and the book:
group the patients by any baseline column of the codebook (a cut-off for a number), compare an
outcome between the groups at the chosen visits, and show one patient's course. Data frames in,
data frames out; a choice that cannot be answered raises :class:`ExplorerError` with a message a
reader understands."""
from __future__ import annotations

import functools
import math

import numpy as np
import pandas as pd

from ..codebook import load_codebook
from ..paths import EFFICACY_WEEKS
from ..science.stats import SIGNIFICANCE_LEVEL

#: Patient columns that are not baseline characteristics (follow-up and identity).
NOT_BASELINE = ("patient_id", "anifrolumab_start", "follow_up_weeks", "anifrolumab_stop_week", "anifrolumab_stop_reason")
#: Readers' names of the baseline columns where the column name is not enough.
BASELINE_LABELS = {
    "center": "Centre", "sex": "Sex", "age_years": "Age (years)", "ethnicity": "Ethnicity",
    "disease_duration_years": "Disease duration (years)", "weight_kg": "Weight (kg)",
    "sdi": "SLICC/ACR damage index (SDI)", "cumulative_gc_g": "Cumulative glucocorticoids (g)",
    "n_previous_immunosuppressants": "Previous immunosuppressants (n)", "reason_for_anifrolumab": "Reason for anifrolumab",
    "hz_vaccinated": "Herpes zoster vaccine", "sars_cov2_vaccine_doses": "SARS-CoV-2 vaccine doses",
    "secondary_aps": "Secondary antiphospholipid syndrome", "secondary_sjogren": "Secondary Sjögren's syndrome",
    "lupus_nephritis_biopsy_proven": "Biopsy-proven lupus nephritis", "concomitant_hcq": "Hydroxychloroquine",
    "concomitant_mtx": "Methotrexate", "concomitant_aza": "Azathioprine", "concomitant_mmf": "Mycophenolate mofetil",
    "concomitant_cyclosporin": "Cyclosporin", "previous_belimumab_failure": "Previous belimumab failure",
    "previous_rituximab_failure": "Previous rituximab failure",
}
#: Table 1's yes/no characteristics that are read from the baseline visit or from several
#: columns (:func:`with_baseline_flags`), not columns of the patients table.
DERIVED_BINARY = {
    "active_serology_baseline": "Active serology at baseline", "concomitant_gc": "Glucocorticoids at baseline",
    "concomitant_immunosuppressant": "Immunosuppressants at baseline",
    "antimalarial_or_gc_only": "Antimalarials or glucocorticoids only",
}
#: Short names for cut-off labels ("SDI ≥ 2").
CUTOFF_NAMES = {"sdi": "SDI", "age_years": "Age", "disease_duration_years": "Disease duration",
                "weight_kg": "Weight", "cumulative_gc_g": "Cumulative glucocorticoids",
                "n_previous_immunosuppressants": "Previous immunosuppressants", "sars_cov2_vaccine_doses": "Vaccine doses"}
#: The outcomes: per-visit measures (compared by median) and states (compared by proportion).
MEASURES = {"sledai2k": "SLEDAI-2K", "sle_das": "SLE-DAS", "pga": "PGA (0-3)", "prednisone_mg": "Prednisone (mg/day)",
            "clasi_activity": "CLASI-A", "tender_joints": "Tender joints", "swollen_joints": "Swollen joints"}
STATES = {"lldas": "LLDAS", "doris_remission": "DORIS remission"}
#: Laboratory values, optional in the data: outcomes of the live explorer (not of the book's).
LABORATORY = {"haemoglobin_g_l": "Haemoglobin (g/L)", "platelets_10e9_l": "Platelets (10⁹/L)",
              "leukocytes_10e9_l": "Leukocytes (10⁹/L)", "proteinuria_g_24h": "Proteinuria (g/24 h)"}
#: Fewer patients than this in a group: no p-value, a note instead.
MIN_GROUP_FOR_P = 3


#: How the explorer groups by each codebook type (a number is split at a cut-off).
_KINDS = {"binary": "binary", "category": "category", "integer": "number", "number": "number"}


class ExplorerError(ValueError):
    """A choice of the explorer that cannot be answered (an empty group, no values)."""


def with_baseline_flags(patients: pd.DataFrame, visits: pd.DataFrame) -> pd.DataFrame:
    """``patients`` with the derived yes/no characteristics of Table 1 (:data:`DERIVED_BINARY`,
    0/1; missing where the baseline visit is): active serology and glucocorticoids at the week-0
    visit (``visits``: derived visits), any immunosuppressant, antimalarials or glucocorticoids
    only (no immunosuppressant): :func:`lupus_utils.science.results.baseline_flags`, Table 1's rule."""
    from ..science.results import baseline_flags

    out = patients.copy()
    flags = baseline_flags(out, visits[visits["week"] == 0])
    for column, flag in (("active_serology_baseline", "active_serology"), ("concomitant_gc", "concomitant_gc"),
                         ("concomitant_immunosuppressant", "concomitant_immunosuppressant"),
                         ("antimalarial_or_gc_only", "antimalarial_or_gc_only")):
        out[column] = flags[flag].astype("Int64").to_numpy()
    return out


def _label(column: str) -> str:
    if column in BASELINE_LABELS:
        return BASELINE_LABELS[column]
    if column in DERIVED_BINARY:
        return DERIVED_BINARY[column]
    for prefix, name in (("_ever", "ever"), ("_active", "at baseline")):
        if column.endswith(prefix):
            return f"{column[: -len(prefix)].replace('_', ' ').capitalize()} involvement, {name}"
    return column.replace("_", " ").capitalize()


def groupings(patients: pd.DataFrame, codebook: pd.DataFrame | None = None) -> pd.DataFrame:
    """Every baseline column of the codebook the explorer can group by: column, label, kind
    ('binary', 'category' or 'number': a number is split at a cut-off), and for numbers the
    range and median of the cohort (the slider's limits and default)."""
    cb = load_codebook() if codebook is None else codebook
    spec = cb[(cb["table"] == "patients") & ~cb["column"].isin(NOT_BASELINE)]
    rows = []
    for r in spec.itertuples(index=False):
        if r.column not in patients:
            continue
        kind = _KINDS.get(r.type)
        if kind is None:
            continue
        row = {"column": r.column, "label": _label(r.column), "kind": kind, "unit": r.unit if isinstance(r.unit, str) else "",
               "min": np.nan, "max": np.nan, "median": np.nan, "integer": r.type == "integer"}
        if kind == "number":
            x = pd.to_numeric(patients[r.column], errors="coerce").dropna()
            if x.empty:
                continue
            row.update(min=float(x.min()), max=float(x.max()), median=float(x.median()))
        rows.append(row)
    for column, label in DERIVED_BINARY.items():
        if column in patients:
            rows.append({"column": column, "label": label, "kind": "binary", "unit": "", "min": np.nan, "max": np.nan,
                         "median": np.nan, "integer": False})
    return pd.DataFrame(rows)


@functools.lru_cache(maxsize=1)
def _patient_column_kinds() -> dict:
    """Column -> 'binary', 'category' or 'number' for the codebook's baseline columns (the
    codebook is read once: it is the package's own file)."""
    cb = load_codebook()
    spec = cb[(cb["table"] == "patients") & ~cb["column"].isin(NOT_BASELINE)]
    return {c: _KINDS[t] for c, t in zip(spec["column"], spec["type"]) if t in _KINDS}


def _fmt(x: float) -> str:
    return f"{x:g}"


def group_patients(patients: pd.DataFrame, column: str, cutoff: float | None = None) -> pd.Series:
    """Each patient's group label (index: patient_id): 'Yes'/'No' for a binary column, the value
    for a category, and '<name> ≥ k' / '<name> < k' for a number split at ``cutoff`` (required).
    A patient whose value is missing has no group (NaN)."""
    if column not in patients:
        raise ExplorerError(f"the cohort has no column {column!r}")
    dup = patients.loc[patients["patient_id"].duplicated(), "patient_id"].astype(str)
    if len(dup):
        raise ExplorerError(f"patient_id given more than once: {', '.join(sorted(set(dup)))}: every patient needs one row")
    values = patients.set_index("patient_id")[column]
    num = pd.to_numeric(values, errors="coerce")
    kind = "binary" if column in DERIVED_BINARY else _patient_column_kinds().get(column)
    if kind == "number":
        if cutoff is None or (isinstance(cutoff, float) and math.isnan(cutoff)):
            raise ExplorerError(f"choose a cut-off for {_label(column)}")
        name = CUTOFF_NAMES.get(column, _label(column))
        hi, lo = f"{name} ≥ {_fmt(cutoff)}", f"{name} < {_fmt(cutoff)}"
        out = pd.Series(np.where(num >= cutoff, hi, lo), index=values.index, dtype=object)
        out = pd.Series(pd.Categorical(out.where(num.notna()), categories=[lo, hi]), index=values.index)
    elif kind == "binary":
        bad = values[values.notna() & ~num.isin([0, 1])]
        if len(bad):
            raise ExplorerError(f"{_label(column)} must be 0 or 1; "
                                + ", ".join(f"{pid}: {v!r}" for pid, v in bad.items()))
        out = pd.Series(pd.Categorical(num.map({0: "No", 1: "Yes"}), categories=["No", "Yes"]), index=values.index)
    elif kind == "category" and column == "sex":
        out = pd.Series(pd.Categorical(values.map({"F": "Female", "M": "Male"}), categories=["Female", "Male"]),
                        index=values.index)
    elif kind == "category":
        levels = sorted(values.dropna().astype(str).unique())
        out = pd.Series(pd.Categorical(values.astype("string").str.replace("_", " "),
                                       categories=[lv.replace("_", " ") for lv in levels]), index=values.index)
    else:
        raise ExplorerError(f"{column!r} is not a baseline characteristic the explorer can group by")
    return out.rename("group")


def _check_groups(groups: pd.Series, label: str) -> list[str]:
    counts = groups.value_counts()
    present = [lv for lv in groups.cat.categories if counts.get(lv, 0) > 0]  # in the grouping's order
    if len(present) < 2:
        only = f"everyone with a value is in '{present[0]}'" if present else "nobody has a value"
        raise ExplorerError(f"grouping by {label} leaves a single group ({only}): choose another cut-off or grouping")
    return present


def explore(visits: pd.DataFrame, patients: pd.DataFrame, column: str, outcome: str, weeks=None,
            cutoff: float | None = None, groups: pd.Series | None = None) -> dict:
    """Compare ``outcome`` between the groups of ``column`` (:func:`group_patients`) at ``weeks``,
    on the visits assessed on anifrolumab (``visits``: derived visits, with ``on_treatment``).

    A measure (:data:`MEASURES`): per week and group n and median (IQR); with two groups the
    Mann-Whitney p (SPSS asymptotic, :func:`lupus_utils.science.stats.mann_whitney`) and the
    Hodges-Lehmann difference, second group minus first, with its 95% CI
    (:func:`lupus_utils.science.inference.hodges_lehmann_two_sample`). A state (:data:`STATES`): per
    week and group n/N (%) with the Wilson 95% CI, and with two groups Fisher's exact p. A group
    under :data:`MIN_GROUP_FOR_P` patients at a week gets a note instead of a p-value.

    Returns {'table': frame (column 'week' then the statistics), 'groups': the group labels,
    'kind': 'measure' or 'state', 'outcome_label', 'grouping_label', 'notes': list of texts,
    'long': the per-visit values behind the table (patient_id, week, group, value), 'chart': per
    group and week n, centre and spread (median and IQR; or % and Wilson CI) for a figure}. Raises
    :class:`ExplorerError` for a choice that cannot be answered. ``groups``: the patients' groups
    when the caller has them already (:func:`group_patients` of ``column`` and ``cutoff``)."""
    from scipy.stats import fisher_exact

    from ..science.inference import hodges_lehmann_two_sample, wilson_ci
    from ..science.stats import describe, mann_whitney
    from ..numbers import iqr_text, pct_text
    from .tables import in_sentence

    if outcome in MEASURES or outcome in LABORATORY:
        kind, outcome_label = "measure", {**MEASURES, **LABORATORY}[outcome]
    elif outcome in STATES:
        kind, outcome_label = "state", STATES[outcome]
    else:
        raise ExplorerError(f"unknown outcome {outcome!r}: choose one of {', '.join([*MEASURES, *LABORATORY, *STATES])}")
    weeks = list(EFFICACY_WEEKS if weeks is None else weeks)
    if not weeks:
        raise ExplorerError("choose at least one visit")
    from ..science.visit_order import check_visit_keys

    try:  # a visit given twice would be counted twice; a visit without a week is no visit
        check_visit_keys(visits)
    except ValueError as err:
        raise ExplorerError(str(err)) from None
    label = _label(column)
    groups = group_patients(patients, column, cutoff) if groups is None else groups
    levels = _check_groups(groups, label)
    v = visits.loc[visits["on_treatment"].to_numpy(dtype=bool) & visits["week"].isin(weeks).to_numpy(),
                   ["patient_id", "week", outcome]]
    unknown = sorted(set(v["patient_id"].astype(str)) - set(groups.index.astype(str)))
    if unknown:
        raise ExplorerError(f"visits of patients not in the patients table: {', '.join(unknown)}")
    group_of_visit = v["patient_id"].map(groups)
    long = pd.DataFrame({"patient_id": v["patient_id"].to_numpy(), "week": v["week"].to_numpy(),
                         "group": group_of_visit.to_numpy(),
                         "value": pd.to_numeric(v[outcome], errors="coerce").to_numpy(dtype="float64")})
    long = long[group_of_visit.notna().to_numpy()]
    if long["value"].notna().sum() == 0:
        raise ExplorerError(f"no {outcome_label} value at the chosen visit{'s' if len(weeks) != 1 else ''} "
                            f"({', '.join(f'week {w}' for w in weeks)}) "
                            "among the patients on anifrolumab: choose other visits or another outcome")
    rows, notes, chart = [], [], []
    no_group = int(group_of_visit.isna().sum())
    if no_group:
        notes.append(f"{no_group} visit{'s' if no_group != 1 else ''} left out: the patient's {in_sentence(label)} "
                     "is not recorded.")
    no_value = int(long["value"].isna().sum())
    if no_value:  # a visit without the measure, or with its state unknown: counted, never read as 'no'
        notes.append(f"{no_value} visit{'s' if no_value != 1 else ''} left out: {in_sentence(outcome_label)} is not "
                     "recorded there" + (" or is unknown (an input it needs is missing)." if kind == "state" else "."))
    week_of, group_of, value_of = long["week"].to_numpy(), long["group"].astype(str).to_numpy(), long["value"].to_numpy()
    for w in weeks:
        at_week = week_of == w
        row = {"week": w}
        samples = []
        for lv in levels:
            x = value_of[at_week & (group_of == str(lv))]
            x = x[~np.isnan(x)]
            samples.append(x)
            if kind == "measure":
                d = describe(x)
                row[f"{lv}: n"] = int(d["n"])
                row[f"{lv}: median (IQR)"] = iqr_text(d["median"], d["q1"], d["q3"]) if d["n"] else "–"
                if d["n"]:
                    chart.append({"group": lv, "week": w, "n": int(d["n"]), "centre": d["median"], "low": d["q1"],
                                  "high": d["q3"]})
            else:
                n, den = int(x.sum()), int(x.size)
                row[f"{lv}: n/N (%)"] = f"{n}/{den} ({pct_text(100 * n / den)}%)" if den else "– (nobody assessed)"
                lo, hi = wilson_ci(n, den) if den else (np.nan, np.nan)
                row[f"{lv}: 95% CI"] = f"{pct_text(100 * lo)}–{pct_text(100 * hi)}%" if den else "–"
                if den:
                    chart.append({"group": lv, "week": w, "n": den, "centre": 100 * n / den, "low": 100 * lo,
                                  "high": 100 * hi})
        small = [lv for lv, x in zip(levels, samples) if len(x) < MIN_GROUP_FOR_P]
        if len(levels) == 2:
            if small:
                note = f"no p-value: fewer than {MIN_GROUP_FOR_P} patients in {', '.join(map(str, small))}"
                row["p"] = note
                if kind == "measure":
                    row["HL difference (95% CI)"] = "–"
            elif kind == "measure":
                row["p"] = mann_whitney(samples[0], samples[1])["p"]
                hl = hodges_lehmann_two_sample(samples[0], samples[1])
                ci = (f"{hl['ci_low']:.3g} to {hl['ci_high']:.3g}" if not math.isnan(hl["ci_low"]) else "not reachable")
                row["HL difference (95% CI)"] = f"{hl['estimate']:.3g} ({ci})"
            else:
                table = [[int(samples[i].sum()), int(samples[i].size - samples[i].sum())] for i in (0, 1)]
                row["p"] = float(fisher_exact(table).pvalue)
        rows.append(row)
    table = pd.DataFrame(rows)
    if len(levels) == 2:
        from ..science.inference import holm_adjust

        numeric = pd.to_numeric(table["p"], errors="coerce")
        holm = pd.Series(np.nan, index=table.index)
        if numeric.notna().any():
            holm[numeric.notna()] = holm_adjust(numeric[numeric.notna()].to_numpy(dtype="float64"))
        table.insert(table.columns.get_loc("p") + 1, "Holm p", [h if not math.isnan(h) else "–" for h in holm])
        notes.append("p: Mann–Whitney U (SPSS asymptotic); HL difference: Hodges–Lehmann estimate of "
                     f"'{levels[1]}' minus '{levels[0]}' with its 95% CI." if kind == "measure" else
                     "p: Fisher's exact test; 95% CI: Wilson score interval.")
        notes.append("Holm p: adjusted across the visits of this view (Holm's step-down).")
    else:
        notes.append(f"{len(levels)} groups: p-values are given for two groups only.")
    notes.append(f"Unadjusted p: with {len(weeks)} visit{'s' if len(weeks) != 1 else ''} and many possible "
                 f"groupings, some p-values below {SIGNIFICANCE_LEVEL:g} are expected by chance alone.")
    return {"table": table, "groups": levels, "kind": kind, "outcome_label": outcome_label,
            "grouping_label": label, "notes": notes, "long": long,
            "chart": pd.DataFrame(chart, columns=["group", "week", "n", "centre", "low", "high"])}


def patient_course(visits: pd.DataFrame, adverse_events: pd.DataFrame, patient_id: str) -> dict:
    """One patient's course: 'visits' (week, anifrolumab status, the scores, glucocorticoid dose,
    state, Flare Index) and 'events' (adverse events: week, category, term, serious, action)."""
    v = visits[visits["patient_id"] == patient_id].sort_values("week")
    if v.empty:
        raise ExplorerError(f"no patient {patient_id!r} in this cohort")
    from ..science.courses import visit_state

    state = visit_state(v).to_numpy()
    course = pd.DataFrame({
        "Week": v["week"].to_numpy(), "Anifrolumab": v["treatment_status"].to_numpy(),
        "SLEDAI-2K": v["sledai2k"].to_numpy(), "SLE-DAS": v["sle_das"].round(2).to_numpy(), "PGA": v["pga"].to_numpy(),
        "Prednisone (mg/day)": v["prednisone_mg"].to_numpy(), "CLASI-A": v["clasi_activity"].to_numpy(),
        "Tender / swollen joints": [f"{t:g} / {s:g}" for t, s in zip(v["tender_joints"], v["swollen_joints"])],
        "State": state,
        "Flare (SFI)": np.where(v["sfi_flare"].isna().to_numpy() & (np.arange(len(v)) > 0), "unknown",
                                v["sfi_flare"].astype("string").fillna("").str.replace("_", "/").replace("none", "")
                                .to_numpy(dtype=object))})
    ev = adverse_events[adverse_events["patient_id"] == patient_id].sort_values("week")
    events = pd.DataFrame({"Week": ev["week"].to_numpy(), "Category": ev["category"].to_numpy(),
                           "Event": ev["term"].to_numpy(), "Serious": np.where(ev["serious"] == 1, "yes", "no"),
                           "Action": ev["action"].str.replace("_", " ").to_numpy()})
    return {"visits": course, "events": events}


def view_html(res: dict, note: str = "Synthetic data") -> str:
    """One explorer view as HTML, the same in the live explorer and in the book's static one: the
    chart (:func:`lupus_utils.presentation.plots.svg_chart`), the table and the notes."""
    from .plots import UNITS, svg_chart
    from .journal import escape, plain_table_html

    title = f"{res['outcome_label']} by {res['grouping_label']}"
    if res["kind"] == "measure":
        measure = next((k for k, v in {**MEASURES, **LABORATORY}.items() if v == res["outcome_label"]), "")
        ylabel = f"{UNITS.get(measure, 'value')}: median (IQR)"
    else:
        ylabel = "% of patients assessed (95% CI)"
    notes = "".join(f"<p>{escape(n)}</p>" for n in res["notes"])
    return (f'<div class="explorer-view">{svg_chart(res["chart"], title, ylabel, note)}'
            f'{plain_table_html(res["table"])}<div class="table-notes">{notes}</div></div>')


def message_html(text: str) -> str:
    """A choice the explorer cannot answer, said in the page (never a traceback)."""
    from .journal import escape

    return (f'<p class="explorer-message" style="padding:0.6rem;border-left:4px solid #DE8F05;background:#fff6e5">'
            f"{escape(text)}</p>")


#: Table 1's binary baseline characteristics that are columns of the patients table.
TABLE1_BINARY = ("sex", "ethnicity", "mucocutaneous_ever", "mucocutaneous_active", "articular_ever", "articular_active",
                 "haematological_ever", "haematological_active", "renal_ever", "renal_active", "serositis_ever",
                 "serositis_active", "neuropsychiatric_ever", "neuropsychiatric_active", "secondary_aps",
                 "secondary_sjogren", "concomitant_hcq", "concomitant_mtx", "concomitant_aza", "concomitant_mmf",
                 "concomitant_cyclosporin", "reason_for_anifrolumab")


#: The damage-index cut-offs of the static explorer (SDI >= each).
SDI_CUTOFFS = (1, 2, 3)
#: Split at the cohort's median in the static explorer.
MEDIAN_SPLITS = ("age_years", "disease_duration_years")


def static_groupings(patients: pd.DataFrame) -> list[tuple[str, str, float | None]]:
    """The groupings of the book's static explorer, (label, column, cut-off): every binary
    baseline characteristic of Table 1 (the derived ones when ``patients`` holds them:
    :func:`with_baseline_flags`), SDI >= each of :data:`SDI_CUTOFFS`, and each of
    :data:`MEDIAN_SPLITS` split at the cohort's median; a column ``patients`` lacks (or holds no
    value of) offers no grouping."""
    out = [(_label(c), c, None) for c in (*TABLE1_BINARY, *DERIVED_BINARY) if c in patients]
    if "sdi" in patients:
        out += [(f"SDI ≥ {k}", "sdi", float(k)) for k in SDI_CUTOFFS]
    for c in MEDIAN_SPLITS:
        med = float(pd.to_numeric(patients[c], errors="coerce").median()) if c in patients else float("nan")
        if med == med:
            out.append((f"{_label(c)}: at or above the median ({med:g})", c, med))
    return out
