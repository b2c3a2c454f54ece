"""Longitudinal views of the cohort: responder rates under three ways of handling missing visits,
a linear mixed model for a score's trajectory, and Kaplan-Meier analyses of time to a state and
time on anifrolumab.

Every function takes data frames (the derived visits of :func:`lupus_utils.science.results.derive_visits`
and the ``patients`` table of the codebook) and returns data frames or a dict of them; nothing is
printed and nothing is kept between calls. "Assessed on treatment" means what it means in
:mod:`lupus_utils.science.results`: a visit with ``on_treatment`` True (status "on" or "suspended"; a
"discontinued" visit is safety follow-up, not an efficacy assessment) and the state or measure
recorded (not missing).

Dependencies beyond the project's pins: ``statsmodels`` (MixedLM) and ``lifelines``
(Kaplan-Meier), both imported inside the functions that use them.
"""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from ..paths import ANALYSIS_SEED, EFFICACY_WEEKS, STATE_WEEKS, VISIT_WEEKS
from .stats import _Lazy

_sps = _Lazy("scipy.stats")

#: The study's scheduled visit weeks (codebook ``visits.week``; one source: :mod:`lupus_utils.paths`).
SCHEDULE = tuple(VISIT_WEEKS)

__all__ = [
    "SCHEDULE", "kaplan_meier", "mixed_model_trajectory", "responder_table",
    "time_on_drug", "time_to_first",
]


# --------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------

def _require(frame: pd.DataFrame, cols, name: str) -> None:
    missing = [c for c in cols if c not in frame.columns]
    if missing:
        raise KeyError(f"{name} lacks column(s) {missing}")


def _assessed(visits: pd.DataFrame, column: str) -> pd.DataFrame:
    """On-treatment visits with ``column`` recorded: patient_id, week (int), value."""
    _require(visits, ["patient_id", "week", "on_treatment", column], "visits")
    if visits["week"].isna().any():
        raise ValueError("visits has a missing week")
    on = visits["on_treatment"].astype("boolean").fillna(False).to_numpy(dtype=bool)
    value = visits[column]
    keep = on & value.notna().to_numpy()
    return pd.DataFrame({
        "patient_id": visits["patient_id"].to_numpy()[keep],
        "week": visits["week"].to_numpy(dtype="int64")[keep],
        "value": value.to_numpy()[keep],
    })


def _pct(n: int, den: int) -> float:
    return 100.0 * n / den if den else np.nan


# --------------------------------------------------------------------------------------------
# 1. responder rates: completers, non-responder imputation, last observation carried forward
# --------------------------------------------------------------------------------------------

def responder_table(visits: pd.DataFrame, patients: pd.DataFrame, state: str, weeks=STATE_WEEKS,
                    schedule=SCHEDULE) -> pd.DataFrame:
    """How many patients are in a per-visit state (e.g. ``"doris_remission"``, ``"lldas"``) at
    each week, under three handlings of missing visits, side by side.

    A visit is *assessed* when ``on_treatment`` is True and ``state`` is not missing.

    - **Completers (observed cases)**: ``completers_n`` patients in the state among the
      ``completers_den`` patients assessed at that week. This is the paper's denominator
      (``observed_at_visit`` in :mod:`lupus_utils.science.results`).
    - **Non-responder imputation (NRI)**: denominator ``nri_den`` = every patient in
      ``patients`` (all started anifrolumab). A patient not assessed on treatment at that week,
      for whatever reason (drug stopped, week not yet reached, lost to follow-up, missed visit),
      counts as not in the state. This is how the TULIP trials counted: patients who
      discontinued treatment or had missing assessments were non-responders (Furie RA et al.
      Lancet Rheumatol 2019;1:e208-19; Morand EF et al. N Engl J Med 2020;382:211-21). In this
      observational cohort, follow-up ends at different weeks, so **patients whose follow-up
      simply ended before that week (administrative censoring, not treatment failure) also
      count as failures** and NRI understates the rate. As a sensitivity analysis,
      ``nri_eligible_n`` / ``nri_eligible_den`` restrict NRI to patients whose follow-up could
      have reached that week: ``follow_up_weeks >= week``, or ``anifrolumab_stop_week <= week``
      (a discontinuation is a failure whatever the length of follow-up).
    - **Last observation carried forward (LOCF)**: each patient's state at their last assessed
      on-treatment visit at or before that week (baseline included); denominator ``locf_den`` =
      every patient with a week-0 visit. A patient with a baseline visit but no assessed state
      up to that week counts as not in the state. LOCF carries a state past the drug's stop and
      past the end of follow-up, so it is the most optimistic of the three (National Research
      Council. The Prevention and Treatment of Missing Data in Clinical Trials. National
      Academies Press, 2010, ch. 4, on the assumptions behind single imputation).

    Percentages are ``100 * n / den`` (NaN when the denominator is 0). ``weeks`` must be visit
    weeks of ``schedule`` and every visit must fall on it (ValueError otherwise, so a typo never
    yields an empty row). Every patient in ``visits`` must be in ``patients`` and each
    patient-week appears once (ValueError otherwise).

    Returns one row per week with columns week, completers_n, completers_den, completers_pct,
    nri_n, nri_den, nri_pct, nri_eligible_n, nri_eligible_den, nri_eligible_pct, locf_n,
    locf_den, locf_pct.
    """
    _require(patients, ["patient_id", "follow_up_weeks", "anifrolumab_stop_week"], "patients")
    bad = [w for w in weeks if w not in schedule]
    if bad:
        raise ValueError(f"weeks {bad} are not scheduled visit weeks {tuple(schedule)}")
    a = _assessed(visits, state)
    all_weeks = visits["week"].to_numpy(dtype="int64")
    off = sorted(set(all_weeks) - set(schedule))
    if off:
        raise ValueError(f"visits at weeks {off} are off the schedule {tuple(schedule)}")
    if visits.duplicated(["patient_id", "week"]).any():
        raise ValueError("visits has more than one row for a patient and week")
    ids = pd.Index(patients["patient_id"])
    unknown = set(visits["patient_id"]) - set(ids)
    if unknown:
        raise ValueError(f"visits has patients not in patients: {sorted(unknown)[:5]}")
    a["value"] = a["value"].astype(bool)

    follow_up = patients["follow_up_weeks"].to_numpy(dtype="float64", na_value=np.nan)
    stop = patients["anifrolumab_stop_week"].to_numpy(dtype="float64", na_value=np.nan)
    baseline_ids = set(visits.loc[all_weeks == 0, "patient_id"])
    rows = []
    for w in weeks:
        at = a[a["week"] == w]
        achieved = set(at.loc[at["value"], "patient_id"])
        eligible = ids[(follow_up >= w) | (stop <= w)]
        last = a[a["week"] <= w].sort_values("week", kind="stable").groupby("patient_id").tail(1)
        locf_yes = set(last.loc[last["value"], "patient_id"]) & baseline_ids
        c_n, c_den = int(at["value"].sum()), len(at)
        nri_n, nri_den = len(achieved), len(ids)
        e_n, e_den = len(achieved & set(eligible)), len(eligible)
        l_n, l_den = len(locf_yes), len(baseline_ids)
        rows.append({
            "week": int(w),
            "completers_n": c_n, "completers_den": c_den, "completers_pct": _pct(c_n, c_den),
            "nri_n": nri_n, "nri_den": nri_den, "nri_pct": _pct(nri_n, nri_den),
            "nri_eligible_n": e_n, "nri_eligible_den": e_den, "nri_eligible_pct": _pct(e_n, e_den),
            "locf_n": l_n, "locf_den": l_den, "locf_pct": _pct(l_n, l_den),
        })
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------------------------
# 2. linear mixed model for a score over the visits
# --------------------------------------------------------------------------------------------

#: Above this many patients the model is fitted on a fixed-seed random sample of patients (all
#: visits of each sampled patient), so that a registry-sized cohort stays usable.
MIXED_MODEL_MAX_PATIENTS = 3000



def responder_values(table: pd.DataFrame, state: str) -> pd.DataFrame:
    """The completers' counts of :func:`responder_table` as the results key them (``state``,
    population ``observed_at_visit``, week, n / denominator / pct) with the text the book shows
    (:func:`lupus_utils.numbers.stat_text`), for a chapter's ledger of values shown."""
    from ..numbers import shown_values

    rows = [{"measure": state, "population": "observed_at_visit", "week": w, "statistic": stat, "value": float(v)}
            for w, n, d, pct in zip(table["week"], table["completers_n"], table["completers_den"], table["completers_pct"])
            for stat, v in (("n", n), ("denominator", d), ("pct", pct))]
    return shown_values(pd.DataFrame(rows, columns=["measure", "population", "week", "statistic", "value"]))

def mixed_model_trajectory(visits: pd.DataFrame, measure: str, weeks=EFFICACY_WEEKS,
                           max_patients: int = MIXED_MODEL_MAX_PATIENTS) -> dict:
    """Model-based mean of ``measure`` at each week from a linear mixed model, which uses every
    assessed visit of every patient (valid under missing at random) instead of only the
    patients seen at that week.

    Model (Laird NM, Ware JH. Random-effects models for longitudinal data. Biometrics
    1982;38:963-74): ``measure_ij = mu + beta_week(j) + b_i + e_ij`` with a random intercept
    ``b_i ~ N(0, tau^2)`` per patient, independent errors ``e_ij ~ N(0, sigma^2)`` and week as a
    categorical fixed effect (reference = the earliest week present, normally baseline). Fitted
    by REML with statsmodels ``MixedLM`` (formula ``f"{measure} ~ C(week)"``, groups
    ``patient_id``) on the on-treatment visits at ``weeks`` where ``measure`` is recorded.

    The model mean at a week is ``L @ beta`` with the contrast vector ``L`` = that week's row of
    the fixed-effects design (1 for the intercept, 1 for the week's effect); its 95% CI is the
    Wald interval ``L @ beta +/- z_0.975 * sqrt(L @ V @ L)``, ``V`` the fixed-effects covariance
    (normal quantile, as statsmodels reports for MixedLM). With balanced data and no missing
    values the model means equal the observed week means.

    Robustness: the fit is tried with statsmodels' default optimisers, then L-BFGS, Powell and
    Nelder-Mead, keeping the first that converges. Warnings are captured, never re-emitted:
    ``ConvergenceWarning`` messages (including "on the boundary", a random-intercept variance
    estimated at 0) are listed in ``"warnings"`` and summarised in ``"method"``. If no optimiser
    converges, the last fit is still used and ``"method"`` says so; if every fit raised, the
    model columns are NaN and ``"method"`` gives the error.

    Returns a dict: ``"estimates"`` (DataFrame: week, model_mean, ci_low, ci_high, n_obs,
    completers_median, completers_mean), ``"n_patients"``, ``"n_obs"``, ``"method"`` (text), ``"converged"``
    (bool), ``"warnings"`` (list of str), ``"random_intercept_var"`` and ``"residual_var"``.
    """
    import statsmodels.formula.api as smf
    from statsmodels.tools.sm_exceptions import ConvergenceWarning

    a = _assessed(visits, measure)
    a = a[a["week"].isin(list(weeks))]
    data = pd.DataFrame({
        "patient_id": a["patient_id"].astype(str).to_numpy(),
        "week": a["week"].to_numpy(dtype="int64"),
        measure: pd.to_numeric(a["value"]).to_numpy(dtype="float64"),
    })
    sampled_note = ""
    ids = data["patient_id"].unique()
    if len(ids) > max_patients:
        keep = np.random.default_rng(ANALYSIS_SEED).choice(ids, max_patients, replace=False)
        sampled_note = f"fitted on a random sample of {max_patients} of {len(ids)} patients (fixed seed); "
        data = data[data["patient_id"].isin(keep)]
    term = measure if measure.isidentifier() else f'Q("{measure}")'
    formula = f"{term} ~ C(week)"
    present = sorted(data["week"].unique())
    n_obs, n_patients = len(data), int(data["patient_id"].nunique())

    caught_all: list[str] = []
    notes: list[str] = []
    result, model, used = None, None, None
    attempts = (("default", {}), ("lbfgs", {"method": "lbfgs"}), ("powell", {"method": "powell"}),
                ("nm", {"method": "nm", "maxiter": 5000}))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            model = smf.mixedlm(formula, data, groups=data["patient_id"])
        except Exception as exc:  # noqa: BLE001 - any failure is reported, never raised
            notes.append(f"model could not be built ({type(exc).__name__}: {exc})")
    caught_all += [f"{w.category.__name__}: {w.message}" for w in caught]
    if model is not None:
        for name, kw in attempts:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                try:
                    fit = model.fit(reml=True, **kw)
                except Exception as exc:  # noqa: BLE001
                    notes.append(f"optimiser {name} failed ({type(exc).__name__}: {exc})")
                    fit = None
            msgs = [f"{w.category.__name__}: {w.message}" for w in caught]
            ok = (fit is not None and bool(getattr(fit, "converged", False))
                  and np.all(np.isfinite(np.asarray(fit.fe_params))))
            if fit is not None:
                result, used = fit, name
                attempt_warnings = msgs
            if ok:
                break
            if fit is not None:
                notes.append(f"optimiser {name} did not converge")
        if result is not None:
            caught_all += attempt_warnings
    converged = result is not None and bool(result.converged)

    rows = []
    fe = cov = None
    if result is not None:
        k = model.k_fe
        fe = np.asarray(result.fe_params, dtype="float64")
        cov = np.asarray(result.cov_params(), dtype="float64")[:k, :k]
    z = _sps.norm.ppf(0.975)
    for w in weeks:
        at = data.loc[data["week"] == w, measure]
        row = {"week": int(w), "model_mean": np.nan, "ci_low": np.nan, "ci_high": np.nan,
               "n_obs": int(at.size), "completers_median": float(np.median(at)) if at.size else np.nan,
               "completers_mean": float(np.mean(at)) if at.size else np.nan}
        if fe is not None and at.size:
            L = model.exog[int(np.flatnonzero(data["week"].to_numpy() == w)[0])]
            mean = float(L @ fe)
            se = float(np.sqrt(max(L @ cov @ L, 0.0)))
            row.update(model_mean=mean, ci_low=mean - z * se, ci_high=mean + z * se)
        rows.append(row)

    conv_msgs = [m for m in caught_all if m.startswith(ConvergenceWarning.__name__)]
    method = (f"Linear mixed model (statsmodels MixedLM, REML): {formula}, random intercept per "
              f"patient, on-treatment visits at weeks {', '.join(map(str, weeks))}; reference week "
              f"{present[0] if present else 'none'}; model mean = intercept + week effect with "
              f"95% Wald CI from the fixed-effects covariance; {n_obs} visits of {n_patients} patients. ")
    method = sampled_note + method
    if result is None:
        method += "Fit failed: " + "; ".join(notes) + "; model estimates are missing."
    elif converged:
        method += f"Converged (optimiser: {used})."
    else:
        method += f"Did NOT converge with any optimiser; estimates from the last attempt ({used}) are shown."
    if conv_msgs:
        method += " Convergence warnings: " + " | ".join(dict.fromkeys(conv_msgs)) + "."
    return {
        "estimates": pd.DataFrame(rows),
        "n_patients": n_patients,
        "n_obs": n_obs,
        "method": method,
        "converged": converged,
        "warnings": list(dict.fromkeys(caught_all + notes)),
        "random_intercept_var": float(np.asarray(result.cov_re)[0, 0]) if result is not None else np.nan,
        "residual_var": float(result.scale) if result is not None else np.nan,
    }


# --------------------------------------------------------------------------------------------
# 3-4. durations for survival analysis
# --------------------------------------------------------------------------------------------

def time_to_first(visits: pd.DataFrame, patients: pd.DataFrame, state: str) -> pd.DataFrame:
    """Time to the first post-baseline on-treatment visit in ``state``, one row per patient of
    ``patients``.

    ``duration`` (weeks) is the week of the first assessed on-treatment visit with week > 0 at
    which ``state`` is True (``event`` = 1); otherwise the patient is censored (``event`` = 0) at
    their last assessed on-treatment visit (week 0 if only the baseline was assessed). A state
    present at baseline does not count: only visits after the start of anifrolumab do. Visits
    after a discontinuation are not used, so stopping the drug censors the patient. The state is
    seen only at visits, so an event time is the visit at which it was first observed
    (interval-censored in truth, recorded at the right end as is usual for visit-based
    outcomes). A patient with no assessed on-treatment visit gets a missing duration.

    Returns patient_id, duration (float), event (int 0/1).
    """
    _require(patients, ["patient_id"], "patients")
    a = _assessed(visits, state)
    a["value"] = a["value"].astype(bool)
    first = a[(a["week"] > 0) & a["value"]].groupby("patient_id")["week"].min()
    last = a.groupby("patient_id")["week"].max()
    ids = patients["patient_id"]
    event = ids.map(first).notna()
    duration = ids.map(first).where(event, ids.map(last)).astype("float64")
    return pd.DataFrame({"patient_id": ids.to_numpy(), "duration": duration.to_numpy(),
                         "event": event.astype(int).to_numpy()})


def time_on_drug(patients: pd.DataFrame) -> pd.DataFrame:
    """Time on anifrolumab (drug survival), one row per patient.

    ``duration`` = ``anifrolumab_stop_week`` with ``event`` = 1 when the drug was stopped, else
    ``follow_up_weeks`` with ``event`` = 0 (still on treatment at the last visit: censored).
    Every stop reason counts as the event (overall drug retention); ``stop_reason`` is kept for
    cause-specific analyses.

    Returns patient_id, duration (float), event (int 0/1), stop_reason.
    """
    _require(patients, ["patient_id", "follow_up_weeks", "anifrolumab_stop_week"], "patients")
    stop = patients["anifrolumab_stop_week"].to_numpy(dtype="float64", na_value=np.nan)
    fu = patients["follow_up_weeks"].to_numpy(dtype="float64", na_value=np.nan)
    event = ~np.isnan(stop)
    reason = (patients["anifrolumab_stop_reason"].to_numpy() if "anifrolumab_stop_reason" in patients
              else np.full(len(patients), None))
    return pd.DataFrame({"patient_id": patients["patient_id"].to_numpy(),
                         "duration": np.where(event, stop, fu), "event": event.astype(int),
                         "stop_reason": reason})


# --------------------------------------------------------------------------------------------
# 5. Kaplan-Meier
# --------------------------------------------------------------------------------------------

def km_curve_frame(fitter, cumulative: bool) -> pd.DataFrame:
    sf = fitter.survival_function_
    ci = fitter.confidence_interval_
    s = sf.iloc[:, 0].to_numpy(dtype="float64")
    lo = ci.iloc[:, 0].to_numpy(dtype="float64")
    hi = ci.iloc[:, 1].to_numpy(dtype="float64")
    if cumulative:
        s, lo, hi = 1.0 - s, 1.0 - hi, 1.0 - lo
    return pd.DataFrame({"timeline": sf.index.to_numpy(dtype="float64"), "estimate": s,
                         "ci_low": lo, "ci_high": hi})


def kaplan_meier(durations_frame: pd.DataFrame, label: str, at=SCHEDULE, cumulative: bool = False,
                 alpha: float = 0.05) -> dict:
    """Kaplan-Meier estimate from a frame with ``duration`` and ``event`` columns (as returned by
    :func:`time_to_first` or :func:`time_on_drug`).

    Method: product-limit estimator S(t) = prod_{t_j <= t} (1 - d_j / n_j) (Kaplan EL, Meier P.
    J Am Stat Assoc 1958;53:457-81), with ties handled as usual (events at t_j before
    censorings at t_j, censored patients at risk at their censoring time); pointwise
    ``1 - alpha`` CI from Greenwood's variance on the log(-log S) scale (Kalbfleisch JD,
    Prentice RL. The Statistical Analysis of Failure Time Data, 2nd ed. Wiley 2002), as
    computed by lifelines ``KaplanMeierFitter`` and by Stata's ``sts list``. Median = the
    smallest t with S(t) <= 0.5 (``inf`` if not reached); its CI
    (``lifelines.utils.median_survival_times``) is where the CI bands cross 0.5 (Brookmeyer R,
    Crowley J. Biometrics 1982;38:29-41, with the log-log band).

    ``cumulative=True`` returns the cumulative incidence 1 - S(t) (for "time to first LLDAS"
    the curve of interest), with the CI flipped: (1 - upper, 1 - lower). The median is the same
    (time by which half the patients had the event).

    Rows with a missing duration are dropped and counted in ``n_excluded``.

    Returns a dict: ``"survival"`` (DataFrame timeline, estimate, ci_low, ci_high), ``"median"``,
    ``"median_ci"`` (low, high), ``"at_risk"`` (DataFrame week, at_risk, events_cum,
    censored_cum at the times ``at``: at_risk = patients with duration >= t, the risk set n_j at
    t; events_cum and censored_cum = events and censorings with duration <= t, so an event at t
    is both in the risk set at t and in the cumulative count, as in 1 - S(t)), ``"fitter"`` (the
    fitted ``KaplanMeierFitter``), ``"label"``, ``"cumulative"``, ``"n"`` and ``"n_excluded"``.
    """
    from lifelines import KaplanMeierFitter
    from lifelines.utils import median_survival_times

    _require(durations_frame, ["duration", "event"], "durations_frame")
    d = pd.to_numeric(durations_frame["duration"]).to_numpy(dtype="float64", na_value=np.nan)
    e = pd.to_numeric(durations_frame["event"]).to_numpy(dtype="float64", na_value=np.nan)
    keep = ~np.isnan(d) & ~np.isnan(e)
    d, e = d[keep], e[keep].astype(bool)
    if not d.size:
        raise ValueError("no durations to analyse")
    if (d < 0).any():
        raise ValueError("negative durations")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fitter = KaplanMeierFitter(alpha=alpha).fit(d, event_observed=e, label=label)
        med_ci = median_survival_times(fitter.confidence_interval_)
    at_risk = pd.DataFrame({
        "week": list(at),
        "at_risk": [int((d >= t).sum()) for t in at],
        "events_cum": [int(((d <= t) & e).sum()) for t in at],
        "censored_cum": [int(((d <= t) & ~e).sum()) for t in at],
    })
    return {
        "survival": km_curve_frame(fitter, cumulative),
        "median": float(fitter.median_survival_time_),
        "median_ci": (float(med_ci.iloc[0, 0]), float(med_ci.iloc[0, 1])),
        "at_risk": at_risk,
        "fitter": fitter,
        "label": label,
        "cumulative": bool(cumulative),
        "n": int(d.size),
        "n_excluded": int((~keep).sum()),
    }


def km_time_text(weeks: float) -> str:
    """A Kaplan-Meier time as the reader should see it: 'not reached' for an infinite median or
    limit, '–' when unknown, else whole weeks."""
    if np.isnan(weeks):
        return "–"
    return "not reached" if np.isinf(weeks) else f"{weeks:.0f} weeks"


def km_medians(curves: dict) -> pd.DataFrame:
    """One row per :func:`kaplan_meier` result (a dict label -> result): the median with its 95%
    CI as text, the patients analysed and those left out for a missing duration or event."""
    return pd.DataFrame([{"Curve": label, "Median": km_time_text(r["median"]),
                          "95% CI": f"{km_time_text(r['median_ci'][0])} to {km_time_text(r['median_ci'][1])}",
                          "patients": r["n"], "left out (missing time or event)": r["n_excluded"]}
                         for label, r in curves.items()])


# --------------------------------------------------------------------------------------------
# 6. figure
# --------------------------------------------------------------------------------------------
