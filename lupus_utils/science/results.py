"""The study's analysis as data: derived visit scores and every published statistic recomputed
from the three tables, in one long frame keyed like ``data/targets.csv``
(measure, population, week, statistic).

Populations (the paper's, made explicit):

- ``all``: the enrolled patients (Table 1), or at week 0 the baseline visits;
- ``observed_at_visit``: patients assessed on anifrolumab at that week (Table 2 and the
  remission/LLDAS denominators): a visit with ``treatment_status`` "discontinued" (drug stopped
  before the visit) is follow-up for safety, not an efficacy assessment;
- ``in_follow_up_at_visit``: every patient with a visit that week (Table 3);
- ``mucocutaneous_active_baseline`` / ``articular_active_baseline`` /
  ``haematological_active_baseline``: patients with that ongoing involvement at baseline;
- ``follow_up_ge_24w``: patients followed for at least 24 weeks (non-responder rule);
- ``completed_48w``: patients assessed at week 48; ``sdi_positive``: SDI > 0.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .instruments import clinical_sledai, extent_ranks, prednisone_equivalent, sle_das, sledai2k
from .outcomes import (DORIS_PREDNISONE_MAX_MG, NON_RESPONSE_MIN_FOLLOW_UP_WEEKS, SFI_LEVELS, doris_remission,
                       lldas, non_response_eligible, non_responder, previous_visit_position, sfi_flare)
from ..paths import EFFICACY_WEEKS, LLDAS_WEEKS, STATE_WEEKS
from .stats import describe, n_percent, wilcoxon_vs_baseline
from .visit_order import visit_order

#: Adverse-event terms (lower case) and the measure each counts toward.
AE_TERM_MEASURES = {
    "upper respiratory tract infection": "upper_respiratory_infection",
    "urinary tract infection": "urinary_infection",
    "urogenital tract infection": "urogenital_infection",
    "herpes simplex": "hsv",
    "gastroenteritis": "gastroenteritis",
    "covid-19": "covid19",
    "herpes zoster": "herpes_zoster",
    "cellulitis": "cellulitis",
    "oral candidiasis": "oral_candidiasis",
    "paroxysmal supraventricular tachycardia": "supraventricular_tachycardia",
    "pulmonary thromboembolism": "pulmonary_embolism",
    "neutropenia": "neutropenia",
    "fatigue": "fatigue",
}
AE_CATEGORY_MEASURES = {"infection": "infections", "cardiovascular": "cardiovascular_events", "other": "other_events"}
PATIENT_FLAGS = ("mucocutaneous_active", "articular_active", "haematological_active", "renal_active")
TABLE2_MEASURES = {
    "sledai2k": None, "sle_das": None, "pga": None, "prednisone_mg": None,
    "clasi_activity": "mucocutaneous_active_baseline", "clasi_damage": "mucocutaneous_active_baseline",
    "tender_joints": "articular_active_baseline", "swollen_joints": "articular_active_baseline",
}
#: The measures of activity and treatment among them, compared with baseline (CLASI damage is
#: cumulative and not expected to fall).
ACTIVITY_MEASURES = tuple(m for m in TABLE2_MEASURES if m != "clasi_damage")
HAEMATOLOGICAL_ITEMS = ("sledai_thrombocytopenia", "sledai_leukopenia", "haemolytic_anaemia")


def population_visits(visits: pd.DataFrame, measure: str) -> pd.DataFrame:
    """The visits of the patients a Table 2 measure is summarised in (``TABLE2_MEASURES``):
    everyone, or those with mucocutaneous (CLASI) or articular (joint counts) involvement at
    baseline."""
    population = TABLE2_MEASURES[measure]
    return visits if population is None else visits[visits[population.removesuffix("_baseline")] == 1]


def derive_visits(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """The visits with every score and state computed, and the patient flags the analyses need.

    Added columns: sledai2k, clinical_sledai, the ranks of rash and vasculitis (rash_extent_rank,
    vasculitis_rank: the text coded once, for the scores and states after it), sle_das,
    prednisone_mg, lldas, doris_remission, at_least_lldas, sfi_flare, active_serology,
    haematological_activity, on_treatment, and from the patients table the baseline involvement
    flags, sdi and reason_for_anifrolumab.
    """
    v = tables["visits"].copy()
    p = tables["patients"]
    v["sledai2k"] = sledai2k(v)
    v["clinical_sledai"] = clinical_sledai(v, use_derived=True)
    for name, ranks in extent_ranks(v).items():
        v[name] = ranks
    v["sle_das"] = sle_das(v, use_derived=True)
    v["prednisone_mg"] = prednisone_equivalent(v)
    # a state is unknown (NA) where an input it needs is missing and the others do not decide it;
    # the summaries count it as missing (``visit_flow`` says how many), never as False
    prev = visit_order(v)  # one sort by patient and week, shared by the states
    v["lldas"] = lldas(v, prev, use_derived=True).astype("boolean")
    v["doris_remission"] = doris_remission(v, use_derived=True).astype("boolean")
    v["at_least_lldas"] = v["lldas"] | v["doris_remission"]
    v["sfi_flare"] = sfi_flare(v, p, prev, use_derived=True)
    v["active_serology"] = (v["sledai_low_complement"] == 1) | (v["sledai_increased_dna_binding"] == 1)
    v["haematological_activity"] = (v[list(HAEMATOLOGICAL_ITEMS)] == 1).any(axis=1)
    v["on_treatment"] = v["treatment_status"] != "discontinued"
    keep = ["patient_id", *PATIENT_FLAGS, "sdi", "reason_for_anifrolumab"]
    return v.merge(p[keep], on="patient_id", how="left", validate="many_to_one")


def _row(measure, population, week, statistic, value, denominator=np.nan):
    return {"measure": measure, "population": population, "week": week, "statistic": statistic,
            "value": value, "denominator": denominator}


def _describe_rows(measure, population, week, values) -> list[dict]:
    d = describe(values)
    return [_row(measure, population, week, s, d[s]) for s in ("n", "median", "q1", "q3", "mean", "sd", "min", "max")]


def _known(condition: pd.Series, values: pd.Series) -> pd.Series:
    """A comparison on ``values`` as a nullable boolean: unknown where the value is missing (a
    missing dose is never 'not above 0')."""
    return pd.Series(condition, dtype="boolean").mask(values.isna().to_numpy())


def _count_rows(measure, population, week, flags, denominator=None) -> list[dict]:
    r = n_percent(flags, denominator)
    rows = [_row(measure, population, week, "n", r["n"], r["denominator"]),
            _row(measure, population, week, "pct", r["pct"], r["denominator"]),
            _row(measure, population, week, "denominator", r["denominator"])]
    if r["n_missing"]:  # unknown where an input is missing: out of the denominator, and said
        rows.append(_row(measure, population, week, "n_missing", r["n_missing"]))
    return rows


def baseline_flags(patients: pd.DataFrame, baseline: pd.DataFrame) -> pd.DataFrame:
    """Table 1's yes/no characteristics that are not columns of the patients table, one row per
    patient (in ``patients``' order), as nullable booleans: any concomitant immunosuppressant,
    antimalarials or glucocorticoids only, and from the week-0 visit (``baseline``: derived
    visits) glucocorticoids (> 0 mg/day), pulses (> 100 mg/day) and active serology; unknown
    where the baseline visit or its dose is missing. The one rule Table 1 and the explorers use."""
    base = baseline.drop_duplicates("patient_id").set_index("patient_id").reindex(patients["patient_id"])
    pred = base["prednisone_mg"].astype("float64")
    immuno = patients[["concomitant_mtx", "concomitant_aza", "concomitant_mmf", "concomitant_cyclosporin"]].eq(1).any(axis=1)
    return pd.DataFrame({
        "concomitant_immunosuppressant": pd.array(immuno.to_numpy(), dtype="boolean"),
        "antimalarial_or_gc_only": pd.array((~immuno).to_numpy(), dtype="boolean"),
        "concomitant_gc": _known(pred > 0, pred).to_numpy(),
        "gc_pulses": _known(pred > 100, pred).to_numpy(),
        "active_serology": pd.array(base["active_serology"].to_numpy(), dtype="boolean"),
    }, index=patients.index)


def patient_results(p: pd.DataFrame, baseline: pd.DataFrame) -> list[dict]:
    """Table 1 and the baseline facts of the Results text."""
    rows = [_row("patients", "all", np.nan, "n", len(p)), _row("centers", "all", np.nan, "n", p["center"].nunique())]
    for col in ("age_years", "disease_duration_years", "cumulative_gc_g", "n_previous_immunosuppressants",
                "follow_up_weeks", "sars_cov2_vaccine_doses", "sdi"):
        rows += _describe_rows(col, "all", np.nan, p[col])
    rows += _describe_rows("sdi", "sdi_positive", np.nan, p.loc[p["sdi"] > 0, "sdi"])
    derived = baseline_flags(p, baseline)
    flags = {
        "female": p["sex"] == "F", "caucasian": p["ethnicity"] == "Caucasian",
        "non_caucasian": p["ethnicity"] == "non-Caucasian",
        "secondary_aps": p["secondary_aps"] == 1, "secondary_sjogren": p["secondary_sjogren"] == 1,
        "previous_belimumab_failure": p["previous_belimumab_failure"] == 1,
        "previous_rituximab_failure": p["previous_rituximab_failure"] == 1,
        "concomitant_hcq": p["concomitant_hcq"] == 1,
        "concomitant_immunosuppressant": derived["concomitant_immunosuppressant"],
        "antimalarial_or_gc_only": derived["antimalarial_or_gc_only"],
        "reason_flare": p["reason_for_anifrolumab"] == "flare",
        "reason_persistently_active": p["reason_for_anifrolumab"] == "persistently_active",
        "sdi_positive": p["sdi"] > 0, "hz_vaccinated": p["hz_vaccinated"] == 1,
        "sars_cov2_vaccinated": p["sars_cov2_vaccine_doses"] > 0,
        "lupus_nephritis_biopsy_proven": p["lupus_nephritis_biopsy_proven"] == 1,
        "lupus_nephritis_proteinuria_defined": (p["renal_ever"] == 1) & (p["lupus_nephritis_biopsy_proven"] == 0),
    }
    for drug in ("mtx", "aza", "mmf", "cyclosporin"):
        flags[f"concomitant_{drug}"] = p[f"concomitant_{drug}"] == 1
    for organ in ("mucocutaneous", "articular", "haematological", "renal", "serositis", "neuropsychiatric"):
        flags[f"{organ}_ever"] = p[f"{organ}_ever"] == 1
        flags[f"{organ}_active"] = p[f"{organ}_active"] == 1
    for name, f in flags.items():
        rows += _count_rows(name, "all", np.nan, f)
    for name in ("concomitant_gc", "active_serology", "gc_pulses"):
        rows += _count_rows(name, "all", np.nan, derived[name])
    return rows


def visit_results(v: pd.DataFrame) -> list[dict]:
    """Table 2 with its Wilcoxon tests, remission and LLDAS, serology, prednisone <= 5 mg."""
    rows: list[dict] = []
    eff = v[v["on_treatment"]]
    weeks = sorted(v["week"].unique())
    for w in weeks:
        at = eff[eff["week"] == w]
        rows.append(_row("patients_at_visit", "observed_at_visit", w, "n", len(at)))
        rows.append(_row("patients_at_visit", "in_follow_up_at_visit", w, "n", int((v["week"] == w).sum())))
        for measure, population in TABLE2_MEASURES.items():
            sub = population_visits(at, measure)
            for pop in ([population] if population else ["observed_at_visit", "all"]):
                rows += _describe_rows(measure, pop, w, sub[measure])
        for state in ("doris_remission", "lldas"):
            rows += _count_rows(state, "observed_at_visit", w, at[state])
        rows += _count_rows("active_serology", "observed_at_visit", w, at["active_serology"])
        rows += _count_rows("prednisone_le_5mg", "observed_at_visit", w,
                            _known(at["prednisone_mg"] <= DORIS_PREDNISONE_MAX_MG, at["prednisone_mg"]))
    at48 = eff[eff["week"] == 48]
    rows += _count_rows("doris_remission", "completed_48w", 48, at48["doris_remission"])
    # not in remission, but would be with prednisone <= 5 mg/day (every other DORIS criterion holds)
    only_gc = (~at48["doris_remission"]) & doris_remission(at48.assign(gc_drug="none", gc_dose_mg=0.0))
    known = int(only_gc.notna().sum())  # an unknown state is neither counted nor in the denominator
    rows.append(_row("remission_failed_on_gc_only", "completed_48w", 48, "n", int(only_gc.fillna(False).sum()), known))
    if known < len(only_gc):
        rows.append(_row("remission_failed_on_gc_only", "completed_48w", 48, "n_missing", len(only_gc) - known))
    for measure, population in TABLE2_MEASURES.items():
        sub = population_visits(eff, measure)
        if not (sub["week"] == 0).any():
            continue  # nobody in this population: its statistics are simply not computed
        tests = wilcoxon_vs_baseline(sub, measure)
        for pop in ([population] if population else ["observed_at_visit"]):
            for t in tests.itertuples():
                rows.append(_row(measure, pop, t.week, "p", t.p))
                rows.append(_row(measure, pop, t.week, "p_exact", t.p_exact))
                rows.append(_row(measure, pop, t.week, "n_pairs", t.n))
        if measure == "sledai2k":
            for t in tests.itertuples():
                rows.append(_row("global_activity_indices", "observed_at_visit", t.week, "p", t.p))
    # haematological improvement: active at baseline, none of the items at the week-12 visit
    haem = v[v["haematological_active"] == 1]
    w12 = haem[(haem["week"] == 12) & haem["on_treatment"]]
    rows += _count_rows("haematological_improved", "haematological_active_baseline", 12, ~w12["haematological_activity"])
    # serology normalised at the last visit, among patients with active serology at baseline
    last = v.sort_values("week").groupby("patient_id").tail(1).set_index("patient_id")
    base = v[v["week"] == 0].set_index("patient_id")
    active0 = base.index[base["active_serology"]]
    rows += _count_rows("serology_normalised", "all", np.nan, ~last.loc[active0, "active_serology"])
    return rows


def _first_visit(v: pd.DataFrame) -> np.ndarray:
    """Each patient's first visit, where the flare index has nothing to compare with (the flare
    index's own rule: no previous visit)."""
    return previous_visit_position(v) < 0


def outcome_results(p: pd.DataFrame, v: pd.DataFrame) -> list[dict]:
    """Flares, non-responders, follow-up."""
    rows: list[dict] = []
    flares = v[v["sfi_flare"].isin(SFI_LEVELS[1:])]
    rows.append(_row("flares", "all", np.nan, "count", len(flares)))
    rows.append(_row("flares_mild_moderate", "all", np.nan, "count", int((flares["sfi_flare"] == "mild_moderate").sum())))
    rows.append(_row("flares_severe", "all", np.nan, "count", int((flares["sfi_flare"] == "severe").sum())))
    for w, n in flares.groupby("week").size().items():
        rows.append(_row("flares", "all", w, "count", int(n)))
    # later visits whose flare category an input leaves unknown: said, never counted as no flare
    rows.append(_row("flares_unknown", "all", np.nan, "count", int((v["sfi_flare"].isna() & ~_first_visit(v)).sum())))
    stopped_flare = p["anifrolumab_stop_reason"].isin(["flare"])
    rows.append(_row("flare_discontinuations", "all", np.nan, "count", int(stopped_flare.sum()), len(flares)))
    rows.append(_row("flare_discontinuations", "all", np.nan, "denominator", len(flares)))
    nr = non_responder(p, v, use_derived=True)
    rows += _count_rows("non_responder", "follow_up_ge_24w", np.nan, nr.loc[nr["eligible"], "non_responder"])
    return rows


def safety_results(p: pd.DataFrame, v: pd.DataFrame, ae: pd.DataFrame) -> list[dict]:
    """Table 3 by visit and in total, and the safety facts of the text."""
    rows: list[dict] = []
    ae = ae.assign(term_measure=ae["term"].str.strip().str.lower().map(AE_TERM_MEASURES),
                   category_measure=ae["category"].map(AE_CATEGORY_MEASURES))
    pop = "in_follow_up_at_visit"
    for w in sorted(v.loc[v["week"] > 0, "week"].unique()):
        at = ae[ae["week"] == w]
        rows.append(_row("adverse_events", pop, w, "count", len(at)))
        for m in AE_CATEGORY_MEASURES.values():
            rows.append(_row(m, pop, w, "count", int((at["category_measure"] == m).sum())))
        for m in AE_TERM_MEASURES.values():
            rows.append(_row(m, pop, w, "count", int((at["term_measure"] == m).sum())))
        rows.append(_row("discontinuations", pop, w, "count", int((at["action"] == "discontinuation").sum())))
        rows.append(_row("temporary_suspensions", pop, w, "count", int((at["action"] == "temporary_suspension").sum())))
    rows.append(_row("adverse_events", "all", np.nan, "count", len(ae)))
    for m in AE_CATEGORY_MEASURES.values():
        rows.append(_row(m, "all", np.nan, "count", int((ae["category_measure"] == m).sum())))
    for m in AE_TERM_MEASURES.values():
        rows.append(_row(m, "all", np.nan, "count", int((ae["term_measure"] == m).sum())))
    rows.append(_row("infections", "all", np.nan, "pct", 100 * (ae["category"] == "infection").mean() if len(ae) else np.nan, len(ae)))
    rows.append(_row("serious_adverse_events", "all", np.nan, "count", int((ae["serious"] == 1).sum())))
    rows.append(_row("discontinuations", "all", np.nan, "count", int((ae["action"] == "discontinuation").sum())))
    rows.append(_row("temporary_suspensions", "all", np.nan, "count", int((ae["action"] == "temporary_suspension").sum())))
    covid = ae[ae["term_measure"] == "covid19"]
    rows.append(_row("covid19_hospitalised", "all", np.nan, "count", int((covid["hospitalised"] == 1).sum())))
    rows.append(_row("covid19_oligosymptomatic", "all", np.nan, "count", int((covid["hospitalised"] == 0).sum())))
    zoster = ae.loc[ae["term_measure"] == "herpes_zoster", "patient_id"]
    unvacc = p.loc[p["hz_vaccinated"] == 0, "patient_id"]
    rows.append(_row("zoster_in_unvaccinated", "all", np.nan, "count", int(zoster.isin(unvacc).sum())))
    pe = ae.loc[ae["term_measure"] == "pulmonary_embolism", "patient_id"]
    ages = p.loc[p["patient_id"].isin(pe), "age_years"]
    if len(ages):
        rows.append(_row("age_years", "pulmonary_embolism_case", np.nan, "n", float(ages.iloc[0])))
    return rows


def compute_results(tables: dict[str, pd.DataFrame], visits: pd.DataFrame | None = None) -> pd.DataFrame:
    """Every statistic the paper reports, recomputed from the tables, as a long frame with
    columns measure, population, week, statistic, value, denominator. ``visits`` may pass the
    output of :func:`derive_visits` when the caller has it already."""
    v = derive_visits(tables) if visits is None else visits
    p = tables["patients"]
    baseline = v[v["week"] == 0]
    rows = patient_results(p, baseline) + visit_results(v) + outcome_results(p, v) + safety_results(p, v, tables["adverse_events"])
    out = pd.DataFrame(rows)
    out["week"] = out["week"].astype("float64")
    out["value"] = out["value"].astype("float64")
    return out


def efficacy_visits(visits: pd.DataFrame) -> pd.DataFrame:
    """The visits the efficacy summaries use: assessed on treatment, at one of ``EFFICACY_WEEKS``
    (``data_flow`` counts the rest)."""
    return visits[visits["on_treatment"] & visits["week"].isin(EFFICACY_WEEKS)]


WEEKS_PER_YEAR = 365.25 / 7


def exposure_years(patients: pd.DataFrame) -> pd.Series:
    """Years on anifrolumab per patient: to the stop week when it was stopped, else to the last
    visit (``follow_up_weeks``)."""
    weeks = patients["anifrolumab_stop_week"].fillna(patients["follow_up_weeks"]).astype("float64")
    return pd.Series(weeks.to_numpy() / WEEKS_PER_YEAR, index=patients["patient_id"], name="exposure_years")


#: The key of one result (and of one published target): what is measured, in whom, when, which
#: statistic. The three functions below are the only readers of it.
RESULT_KEY = ("measure", "population", "week", "statistic")


def result_key(measure, population, week, statistic) -> tuple:
    """The key as :func:`result_index` holds it: a result without a week (a patient-level
    statistic) has week -1."""
    return (measure, population, -1.0 if week is None or week != week else float(week), statistic)


def result_index(results: pd.DataFrame) -> dict:
    """Every result by its key (:func:`result_key`), for looking many up at once."""
    keys = zip(results["measure"], results["population"], results["week"].fillna(-1).astype("float64"),
               results["statistic"])
    return dict(zip(keys, results["value"].astype("float64")))


def result_at(results: pd.DataFrame, measure, population, week, statistic) -> float:
    """One result by its key; NaN where there is none (``week`` None: the result without a week)."""
    m = (results["measure"] == measure) & (results["population"] == population) & (results["statistic"] == statistic)
    m &= results["week"].isna() if week is None else (results["week"] == week)
    at = results.loc[m, "value"]
    return float(at.iloc[0]) if len(at) else float("nan")


def result_value(results: pd.DataFrame, measure: str, population: str = "all", week=None,
                 statistic: str = "n") -> float:
    """One value of :func:`compute_results` (:func:`result_at`). NaN when the statistic exists
    but not at that week (e.g. nobody followed that long); ``KeyError`` when the cohort never
    yields it under that name (a misspelt measure, population or statistic), rather than a quiet
    dash."""
    key = (results["measure"] == measure) & (results["population"] == population) & (results["statistic"] == statistic)
    if not key.any():
        raise KeyError(f"no result {measure!r} / {population!r} / {statistic!r} at any week")
    return result_at(results, measure, population, week, statistic)


def _ci_text(low: float, high: float) -> str:
    from ..numbers import pct_text

    return "–" if np.isnan(low) or np.isnan(high) else f"{pct_text(low)}–{pct_text(high)}"


def proportions_with_ci(results: pd.DataFrame, items) -> pd.DataFrame:
    """A table of counts from :func:`compute_results` with their 95% confidence intervals.

    ``items`` is a sequence of ``(label, measure, population, week)`` (week None for a count
    without a visit). One row per item: ``Outcome``, ``n/N``, ``%``, ``Wilson 95% CI`` and
    ``Exact 95% CI`` (:func:`lupus_utils.science.inference.proportion_with_ci`). A count the cohort does not
    yield (nobody assessed at that visit) keeps its row, with dashes, so the table always lists
    what was asked for.
    """
    from .inference import proportion_with_ci
    from ..numbers import pct_text

    rows = []
    for label, measure, population, wk in items:
        n = result_value(results, measure, population, wk, "n")
        d = result_value(results, measure, population, wk, "denominator")
        if pd.isna(n) or pd.isna(d) or d == 0:
            rows.append({"Outcome": label, "n/N": "–", "%": "–", "Wilson 95% CI": "–", "Exact 95% CI": "–"})
            continue
        r = proportion_with_ci(int(n), int(d))
        rows.append({"Outcome": label, "n/N": f"{int(n)}/{int(d)}", "%": pct_text(r["pct"]),
                     "Wilson 95% CI": _ci_text(r["wilson_low"], r["wilson_high"]),
                     "Exact 95% CI": _ci_text(r["exact_low"], r["exact_high"])})
    return pd.DataFrame(rows, columns=["Outcome", "n/N", "%", "Wilson 95% CI", "Exact 95% CI"])


def response_rates(visits: pd.DataFrame, responses: dict[str, str], weeks=EFFICACY_WEEKS[1:]) -> pd.DataFrame:
    """Per response column and week, among the visits assessed on treatment: responders, the
    percentage with its Wilson 95% CI, and how many visits could not be assessed (a missing
    response, e.g. baseline CLASI-A below 10 for the CLASI-A 50% response) and so are left out.

    ``responses`` maps a boolean (or nullable boolean) column of ``visits`` to its label.
    """
    from .inference import proportion_with_ci
    from ..numbers import pct_text

    on = visits[visits["on_treatment"]]
    rows = []
    for col, label in responses.items():
        for w in weeks:
            at = on.loc[on["week"] == w, col]
            known = at.dropna().astype(bool)
            r = proportion_with_ci(int(known.sum()), len(known))
            n_over_d = f"{int(known.sum())}/{len(known)}" if len(known) else "–"
            rows.append({"Response": label, "Week": w, "n/N": n_over_d, "%": pct_text(r["pct"]),
                         "Wilson 95% CI": _ci_text(r["wilson_low"], r["wilson_high"]),
                         "not assessable": int(len(at) - len(known))})
    return pd.DataFrame(rows, columns=["Response", "Week", "n/N", "%", "Wilson 95% CI", "not assessable"])


def context_percentages(results: pd.DataFrame, visits: pd.DataFrame, tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """This cohort's percentages for the comparison with published trials (chapter 'context'):
    LLDAS at ``LLDAS_WEEKS``, DORIS remission at the later ``STATE_WEEKS``, CLASI-A 50% response
    at week 12 among the patients it can be assessed in, and patients with herpes zoster. Columns
    metric, week, value (%), n, denominator."""
    from .outcomes import clasi_a_response

    rows = []
    for metric, weeks in (("lldas", LLDAS_WEEKS), ("doris_remission", STATE_WEEKS[1:])):
        for w in weeks:
            n = result_value(results, metric, "observed_at_visit", w, "n")
            d = result_value(results, metric, "observed_at_visit", w, "denominator")
            rows.append({"metric": metric, "week": w, "n": n, "denominator": d})
    at12 = (visits["week"] == 12) & visits["on_treatment"]
    clasi = clasi_a_response(visits)[at12.to_numpy()].dropna().astype(bool)  # assessable: baseline CLASI-A >= 10
    rows.append({"metric": "clasi_a50", "week": 12, "n": float(clasi.sum()), "denominator": float(len(clasi))})
    zoster = safety_rates(tables).set_index("event").loc["Herpes zoster", "patients_with_event"]
    rows.append({"metric": "herpes_zoster", "week": None, "n": float(zoster), "denominator": float(len(tables["patients"]))})
    out = pd.DataFrame(rows)
    out["value"] = np.where(out["denominator"] > 0, 100 * out["n"] / out["denominator"], np.nan)
    return out[["metric", "week", "value", "n", "denominator"]]


def safety_rates(tables: dict[str, pd.DataFrame], per: float = 100.0) -> pd.DataFrame:
    """Adverse events per ``per`` patient-years of exposure with exact Poisson (Garwood) 95%
    confidence intervals: all events, infections, serious events, herpes zoster."""
    from .inference import poisson_rate_ci

    p, ae = tables["patients"], tables["adverse_events"]
    years = float(exposure_years(p).sum())
    term = ae["term"].str.strip().str.lower()
    groups = {"All adverse events": ae, "Infections": ae[ae["category"] == "infection"],
              "Serious adverse events": ae[ae["serious"] == 1], "Herpes zoster": ae[term == "herpes zoster"]}
    rows = []
    for label, g in groups.items():
        r = poisson_rate_ci(len(g), years, per=per)
        rows.append({"event": label, "events": len(g), "patients_with_event": g["patient_id"].nunique(),
                     "patient_years": years, f"rate_per_{int(per)}py": r["rate"], "ci_low": r["ci_low"], "ci_high": r["ci_high"]})
    return pd.DataFrame(rows)


def zoster_by_vaccination(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Patients with herpes zoster by zoster vaccination status, with Wilson 95% intervals."""
    from .inference import proportion_with_ci

    p, ae = tables["patients"], tables["adverse_events"]
    cases = set(ae.loc[ae["term"].str.strip().str.lower() == "herpes zoster", "patient_id"])
    rows = []
    for status, g in p.groupby("hz_vaccinated"):
        n = int(g["patient_id"].isin(cases).sum())
        r = proportion_with_ci(n, len(g))
        rows.append({"zoster_vaccine": "vaccinated" if status == 1 else "not vaccinated", "patients": len(g),
                     "with_zoster": n, "pct": r["pct"], "wilson_low": r["wilson_low"], "wilson_high": r["wilson_high"]})
    return pd.DataFrame(rows)


def data_flow(tables: dict[str, pd.DataFrame], visits: pd.DataFrame,
              min_follow_up_weeks: int = NON_RESPONSE_MIN_FOLLOW_UP_WEEKS) -> pd.DataFrame:
    """Rows in, rows analysed and rows excluded (with the reason) for each table and for the
    analyses that use a subset. Reading never drops a row; analyses that exclude say so here."""
    rows = []
    for t in ("patients", "visits", "adverse_events"):
        n = len(tables[t])
        rows.append({"data": f"{t} table", "rows in": n, "analysed": n, "excluded": 0, "reason": "none: every valid row is used"})
    off = int((~visits["on_treatment"]).sum())
    rows.append({"data": "visits in the efficacy analyses", "rows in": len(visits), "analysed": len(visits) - off,
                 "excluded": off, "reason": "anifrolumab stopped before the visit (kept for safety and follow-up)"})
    on = len(visits) - off
    summarised = len(efficacy_visits(visits))
    rows.append({"data": "on-treatment visits in the efficacy summaries (Table 2)", "rows in": on,
                 "analysed": summarised, "excluded": on - summarised,
                 "reason": f"not at weeks {', '.join(map(str, EFFICACY_WEEKS))} "
                           "(kept for remission at later visits and for safety)"})
    p = tables["patients"]
    short = int((~non_response_eligible(p, min_follow_up_weeks)).sum())
    rows.append({"data": "patients in the non-responder rule", "rows in": len(p), "analysed": len(p) - short,
                 "excluded": short, "reason": f"followed for less than {min_follow_up_weeks} weeks (or follow-up unknown)"})
    return pd.DataFrame(rows)


def visit_flow(visits: pd.DataFrame) -> pd.DataFrame:
    """Per visit week (derived visits): the visits recorded, those excluded from the efficacy
    analyses (anifrolumab stopped before the visit; kept for safety), those assessed on
    anifrolumab, and among these the visits missing at least one gap input
    (:data:`lupus_utils.science.gaps.GAP_INPUTS`) and where SLE-DAS, LLDAS, DORIS remission or the flare
    index (after a patient's first visit) is unknown
    for that reason (counted as missing in every summary, never as absent); an 'unknown' column
    that is zero at every week is left out. Last row: all weeks."""
    from .gaps import GAP_INPUTS

    inputs = [c for c in GAP_INPUTS if c in visits]
    first = pd.Series(_first_visit(visits), index=visits.index)

    def counts(g: pd.DataFrame, label: str) -> dict:
        on = g[g["on_treatment"]]
        return {"Visit": label, "Recorded": len(g), "Excluded (off drug)": len(g) - len(on),
                "Assessed": len(on), "Missing an input": int(on[inputs].isna().any(axis=1).sum()),
                "Unknown: SLE-DAS": int(on["sle_das"].isna().sum()), "Unknown: LLDAS": int(on["lldas"].isna().sum()),
                "Unknown: DORIS": int(on["doris_remission"].isna().sum()),
                "Unknown: flare index": int((on["sfi_flare"].isna() & ~first.loc[on.index]).sum())}

    rows = [counts(g, "Baseline" if w == 0 else f"Week {int(w)}") for w, g in visits.groupby("week", sort=True)]
    rows.append(counts(visits, "All visits"))
    out = pd.DataFrame(rows)
    unknown = [c for c in out.columns if c.startswith("Unknown: ")]
    return out.drop(columns=[c for c in unknown if not out[c].any()])  # a column of zeros says nothing


def gap_input_labels() -> list[str]:
    """The gap inputs (:data:`lupus_utils.science.gaps.GAP_INPUTS`: optional, but a score or state needs
    them) in readers' words, in the codebook's order."""
    from .gaps import GAP_INPUTS

    return [label for label, _ in GAP_INPUTS.values()]


def input_gap_table(visits: pd.DataFrame) -> pd.DataFrame:
    """The gap inputs missing at one visit or more, among the visits assessed on anifrolumab:
    the input, the visits without it (n of N, %) and what is unknown there. Empty when nothing
    is missing."""
    from .gaps import input_gaps

    g = input_gaps(visits[visits["on_treatment"]])
    g = g[g["missing"] > 0]
    return pd.DataFrame({"Input": g["label"], "Visits without it": g["missing"], "Of": g["visits"],
                         "%": g["pct"].round(1), "Unknown at those visits": g["unknown_without_it"]}).reset_index(drop=True)
