"""Subgroups: the patient-level groupings a reader can compare (damage index, reason for
anifrolumab, previous belimumab failure, baseline serology and involvement), each outcome per
group and week with the Mann-Whitney test, and the Hodges-Lehmann differences of the forest plot.
The visits a comparison leaves out are counted in its rows, never dropped silently."""
from __future__ import annotations

import pandas as pd

from ..paths import EFFICACY_WEEKS
from .results import efficacy_visits, population_visits


#: Patient-level groupings offered by the subgroup chapter: column -> (label, level names).
GROUPINGS = {
    "sdi_group": ("SLICC/ACR damage index", {False: "SDI = 0", True: "SDI > 0"}),
    "reason_for_anifrolumab": ("Reason for anifrolumab", {"flare": "Flare", "persistently_active": "Persistently active"}),
    "previous_belimumab_failure": ("Previous belimumab failure", {0: "No", 1: "Yes"}),
    "active_serology_baseline": ("Active serology at baseline", {False: "Inactive", True: "Active"}),
    "mucocutaneous_active": ("Mucocutaneous involvement at baseline", {0: "No", 1: "Yes"}),
    "articular_active": ("Joint involvement at baseline", {0: "No", 1: "Yes"}),
}



SUBGROUP_OUTCOMES = {"sledai2k": "SLEDAI-2K", "sle_das": "SLE-DAS", "pga": "PGA (0-3)",
                     "prednisone_mg": "Prednisone (mg/day)", "clasi_activity": "CLASI-A"}



def add_groupings(v: pd.DataFrame, p: pd.DataFrame) -> pd.DataFrame:
    """Derived visits with the patient-level grouping columns of :data:`GROUPINGS`, labelled."""
    base = v[v["week"] == 0].set_index("patient_id")["active_serology"]
    out = v.merge(p[["patient_id", "previous_belimumab_failure"]], on="patient_id", how="left", validate="many_to_one")
    out["sdi_group"] = out["sdi"] > 0
    out["active_serology_baseline"] = out["patient_id"].map(base).astype("boolean")
    for col, (_, names) in GROUPINGS.items():
        out[f"{col}_label"] = out[col].map(names)
    return out



#: A group under this many patients is flagged in subgroup tables.
SMALL_GROUP = 5



def subgroup_comparison(visits: pd.DataFrame, group: str, measure: str, weeks=EFFICACY_WEEKS) -> pd.DataFrame:
    """Per week: n and median (IQR) in each level of ``group`` and the Mann-Whitney U p-value
    (SPSS asymptotic) between them, on the visits assessed on treatment. The visits left out are
    counted, not dropped: ``no group: n`` (the grouping is unknown) and ``no value: n`` (the
    measure is missing in a group). With two groups, ``Holm p`` adjusts the p-values across the
    weeks of the table (Holm's step-down), and ``small group`` says where a group has fewer than
    :data:`SMALL_GROUP` patients (a p-value there says little)."""
    from .inference import holm_adjust
    from .stats import describe, mann_whitney
    from ..numbers import iqr_text

    eff = visits[visits["on_treatment"]]
    levels = sorted(eff[group].dropna().unique())
    rows = []
    for w in weeks:
        at = eff[eff["week"] == w]
        row = {"week": w}
        vals = []
        missing = 0
        for lv in levels:
            d = describe(at.loc[at[group] == lv, measure])
            row[f"{lv}: n"] = d["n"]
            row[f"{lv}: median (IQR)"] = iqr_text(d["median"], d["q1"], d["q3"]) if d["n"] else "–"
            missing += d["n_missing"]
            vals.append(at.loc[at[group] == lv, measure])
        if len(levels) == 2:
            r = mann_whitney(*vals)
            row["Mann-Whitney p"] = r["p"]
            row["exact p"] = r["p_exact"]
        small = [str(lv) for lv in levels if row[f"{lv}: n"] < SMALL_GROUP]
        row["small group"] = f"fewer than {SMALL_GROUP} in {', '.join(small)}" if small else ""
        row["no group: n"] = int(at[group].isna().sum())
        row["no value: n"] = int(missing)
        rows.append(row)
    out = pd.DataFrame(rows)
    if "Mann-Whitney p" in out:
        out.insert(out.columns.get_loc("exact p") + 1, "Holm p", holm_adjust(out["Mann-Whitney p"].to_numpy(dtype="float64")))
    return out



def subgroup_differences(visits: pd.DataFrame, groupings: dict | None = None, outcomes: dict | None = None,
                         weeks=(12, 24)) -> pd.DataFrame:
    """The forest plot's rows: for every two-level grouping (:data:`GROUPINGS`), outcome
    (:data:`SUBGROUP_OUTCOMES`, each in its Table 2 population) and week, the Hodges-Lehmann
    difference of the second level minus the first (in the order of the grouping's labels) with its
    95% CI (:func:`lupus_utils.science.inference.hodges_lehmann_two_sample`), on the visits assessed on
    treatment. Columns grouping, comparison ('SDI > 0 vs SDI = 0'), outcome, week, n_a, n_b,
    estimate, ci_low, ci_high, small (a group under :data:`SMALL_GROUP`), method."""
    from .inference import hodges_lehmann_two_sample

    groupings = GROUPINGS if groupings is None else groupings
    outcomes = SUBGROUP_OUTCOMES if outcomes is None else outcomes
    eff = efficacy_visits(visits)
    rows = []
    for col, (glabel, labels) in groupings.items():
        levels = list(dict.fromkeys(labels.values()))
        if len(levels) != 2:
            continue
        a_label, b_label = levels
        for measure, mlabel in outcomes.items():
            sub = population_visits(eff, measure)
            for w in weeks:
                at = sub[sub["week"] == w]
                a = at.loc[at[f"{col}_label"] == a_label, measure]
                b = at.loc[at[f"{col}_label"] == b_label, measure]
                hl = hodges_lehmann_two_sample(a, b)
                rows.append({"grouping": glabel, "comparison": f"{b_label} vs {a_label}", "outcome": mlabel,
                             "measure": measure, "week": w, "n_a": hl["n_a"], "n_b": hl["n_b"],
                             "estimate": hl["estimate"], "ci_low": hl["ci_low"], "ci_high": hl["ci_high"],
                             "small": min(hl["n_a"], hl["n_b"]) < SMALL_GROUP, "method": hl["method"]})
    return pd.DataFrame(rows)
