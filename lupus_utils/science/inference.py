"""Interval estimates, effect sizes, multiplicity adjustment and consistency checks of reported
numbers.

The paper reports proportions, medians and p-values without intervals; this module adds what a
reader needs to judge them. Every function is pure and returns plain numbers, a dict or a tidy
data frame, so a notebook can show the result, a test can assert it and a table can be built from
it. Each docstring states the method exactly and cites where it is defined.

- Proportions: Wilson score interval (no continuity correction) and the exact Clopper-Pearson
  interval (:func:`wilson_ci`, :func:`clopper_pearson_ci`, :func:`proportion_with_ci`).
- Paired change: Hodges-Lehmann estimate of the median difference with its distribution-free
  interval from the signed-rank distribution (:func:`hodges_lehmann_paired`), the effect size
  r = |Z| / sqrt(N) (:func:`wilcoxon_effect_size_r`), and both added to the SPSS-style table of
  :func:`lupus_utils.science.stats.wilcoxon_vs_baseline` (:func:`wilcoxon_table_with_effects`).
- Multiplicity: Holm step-down adjusted p-values (:func:`holm_adjust`).
- Event rates: exact Poisson (Garwood) interval of an incidence rate (:func:`poisson_rate_ci`).
- Reported numbers: the GRIM test of a mean and its analogue for a percentage
  (:func:`grim_consistent`, :func:`percentage_consistent`).
"""
from __future__ import annotations

import functools
import math
from fractions import Fraction

import numpy as np
import pandas as pd

from ..paths import ANALYSIS_SEED
from ..numbers import half_up_decimal
from .stats import _Lazy, paired_differences, visits_wide, wilcoxon_vs_baseline

_st = _Lazy("scipy.stats")

#: Largest number of pairs for which the Hodges-Lehmann interval takes its order statistics from
#: the exact null distribution of the signed-rank statistic; above it, the normal approximation.
HL_EXACT_MAX_N = 50
#: Above this many pairs the n(n+1)/2 Walsh averages are not all formed (memory grows with n^2):
#: the estimate and interval come from a fixed-seed sample of HL_SAMPLE Walsh averages.
HL_FULL_MAX_N = 3000
HL_SAMPLE = 2_000_000


def _check_level(level: float) -> float:
    level = float(level)
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must be strictly between 0 and 1, got {level}")
    return level


def _check_count(n: int, denominator: int) -> tuple[int, int]:
    if int(n) != n or int(denominator) != denominator:
        raise ValueError(f"counts must be whole numbers, got {n} of {denominator}")
    n, denominator = int(n), int(denominator)
    if denominator < 0 or n < 0 or n > denominator:
        raise ValueError(f"need 0 <= n <= denominator, got {n} of {denominator}")
    return n, denominator


# --------------------------------------------------------------------------------------------
# Proportions
# --------------------------------------------------------------------------------------------

def wilson_ci(n: int, denominator: int, level: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for the proportion ``n / denominator``, without continuity
    correction, as proportions in [0, 1].

    The limits are the two roots in p of (p_hat - p)^2 = z^2 p (1 - p) / N, with N the
    denominator and z the (1 + level)/2 standard normal quantile:
    (2 N p_hat + z^2 -/+ z sqrt(z^2 + 4 N p_hat (1 - p_hat))) / (2 (N + z^2)).
    At n = 0 the lower limit is exactly 0 and at n = N the upper limit is exactly 1.
    A denominator of 0 gives (nan, nan).

    References: Wilson EB. Probable inference, the law of succession, and statistical
    inference. J Am Stat Assoc 1927;22:209-12. Newcombe RG. Two-sided confidence intervals for
    the single proportion: comparison of seven methods. Stat Med 1998;17:857-72 (method 3).
    """
    level = _check_level(level)
    n, denominator = _check_count(n, denominator)
    if denominator == 0:
        return (np.nan, np.nan)
    z = float(_st.norm.ppf(0.5 + level / 2.0))
    p = n / denominator
    centre = 2.0 * denominator * p + z * z
    half = z * math.sqrt(z * z + 4.0 * denominator * p * (1.0 - p))
    scale = 2.0 * (denominator + z * z)
    low = 0.0 if n == 0 else max(0.0, (centre - half) / scale)
    high = 1.0 if n == denominator else min(1.0, (centre + half) / scale)
    return (float(low), float(high))


def clopper_pearson_ci(n: int, denominator: int, level: float = 0.95) -> tuple[float, float]:
    """Exact (Clopper-Pearson) interval for the proportion ``n / denominator``, as proportions
    in [0, 1].

    The limits invert two one-sided binomial tests, each at (1 - level)/2, which is expressed
    through beta quantiles: lower = Beta^-1(alpha/2; n, N - n + 1) (0 when n = 0), upper =
    Beta^-1(1 - alpha/2; n + 1, N - n) (1 when n = N), alpha = 1 - level. The coverage is at
    least ``level`` for every true proportion (conservative). A denominator of 0 gives
    (nan, nan).

    References: Clopper CJ, Pearson ES. The use of confidence or fiducial limits illustrated in
    the case of the binomial. Biometrika 1934;26:404-13. Newcombe RG. Stat Med
    1998;17:857-72 (method 5).
    """
    level = _check_level(level)
    n, denominator = _check_count(n, denominator)
    if denominator == 0:
        return (np.nan, np.nan)
    alpha = 1.0 - level
    low = 0.0 if n == 0 else float(_st.beta.ppf(alpha / 2.0, n, denominator - n + 1))
    high = 1.0 if n == denominator else float(_st.beta.ppf(1.0 - alpha / 2.0, n + 1, denominator - n))
    return (low, high)


def proportion_with_ci(n: int, denominator: int, level: float = 0.95) -> dict:
    """The count, its denominator and the percentage with both the Wilson score interval
    (:func:`wilson_ci`, Newcombe 1998 method 3) and the exact Clopper-Pearson interval
    (:func:`clopper_pearson_ci`, method 5), all as percentages (0-100).

    Keys: n, denominator, pct, wilson_low, wilson_high, exact_low, exact_high. A denominator
    of 0 gives NaN for the percentage and the limits.
    """
    n, denominator = _check_count(n, denominator)
    w_low, w_high = wilson_ci(n, denominator, level)
    e_low, e_high = clopper_pearson_ci(n, denominator, level)
    return {
        "n": n,
        "denominator": denominator,
        "pct": 100.0 * n / denominator if denominator else np.nan,
        "wilson_low": 100.0 * w_low,
        "wilson_high": 100.0 * w_high,
        "exact_low": 100.0 * e_low,
        "exact_high": 100.0 * e_high,
    }


# --------------------------------------------------------------------------------------------
# Paired change: Hodges-Lehmann estimate and the signed-rank effect size
# --------------------------------------------------------------------------------------------

def _signed_rank_null_cdf(n: int) -> np.ndarray:
    """P(T+ <= t), t = 0..n(n+1)/2, for the signed-rank statistic of n untied non-zero
    differences under the null hypothesis (each sign + or - with probability 1/2)."""
    total = n * (n + 1) // 2
    counts = np.zeros(total + 1, dtype=np.int64)  # 2^50 < 2^63: exact for n <= 50
    counts[0] = 1
    for rank in range(1, n + 1):
        counts[rank:] = counts[rank:] + counts[:-rank].copy()
    return np.cumsum(counts) / float(2 ** n)


def _walsh_averages(d: np.ndarray) -> np.ndarray:
    i, j = np.triu_indices(d.size)
    return np.sort((d[i] + d[j]) / 2.0)


def _sampled_walsh_averages(d: np.ndarray, size: int, rng) -> np.ndarray:
    """``size`` Walsh averages (d_i + d_j)/2 drawn uniformly from the n(n + 1)/2 pairs i <= j."""
    n = d.size
    parts, got = [], 0
    while got < size:
        i = rng.integers(0, n, size)
        j = rng.integers(0, n, size)
        keep = i <= j
        parts.append((d[i[keep]] + d[j[keep]]) / 2.0)
        got += int(keep.sum())
    return np.concatenate(parts)[:size]


def hodges_lehmann_paired(x, y, level: float = 0.95) -> dict:
    """Hodges-Lehmann estimate of the median of the paired differences d = y - x, with its
    distribution-free confidence interval (Hollander & Wolfe, section 3.3).

    Method. Pairs with a missing value are dropped; ``n`` counts the complete pairs. Zero
    differences are **kept** (unlike the signed-rank *test* of :mod:`lupus_utils.science.stats`, which
    drops them): the estimator and its interval are defined on all n differences. The estimate
    is the median of the M = n(n + 1)/2 Walsh averages (d_i + d_j)/2, i <= j. The interval is
    [W_(C), W_(M + 1 - C)], the C-th smallest and C-th largest Walsh averages, where C = 1 + the
    largest t with P0(T+ <= t) <= alpha/2, alpha = 1 - level, and P0 is the null distribution of
    the signed-rank statistic T+ of n untied differences (equivalently C = n(n+1)/2 + 1 -
    t_{alpha/2}, with t_{alpha/2} the upper alpha/2 critical value; the same index as R's
    ``wilcox.test(..., conf.int = TRUE)`` in the exact case). The distribution is computed
    exactly for n <= ``HL_EXACT_MAX_N`` (50); above it, C is the normal approximation
    n(n+1)/4 - z_{alpha/2} sqrt(n(n+1)(2n+1)/24), rounded down (the conservative choice).
    Ties in the data are not corrected for: the untied null distribution is the one the
    interval is derived from for continuous data. The achieved level of the exact interval,
    1 - 2 P0(T+ <= C - 1), is stated in ``method``. If even the widest interval
    [W_(1), W_(M)] cannot reach ``level`` (e.g. n <= 5 at 95%), the limits are NaN.

    Returns n (pairs), estimate, ci_low, ci_high, level, method.

    Reference: Hollander M, Wolfe DA, Chicken E. Nonparametric Statistical Methods, 3rd ed.
    Wiley 2014, section 3.2 (estimator) and 3.3 (interval). Hodges JL, Lehmann EL. Estimates of
    location based on rank tests. Ann Math Stat 1963;34:598-611.
    """
    level = _check_level(level)
    d, n = paired_differences(x, y, "hodges_lehmann_paired")
    out = {"n": n, "estimate": np.nan, "ci_low": np.nan, "ci_high": np.nan, "level": level}
    if n == 0:
        return out | {"method": "Hodges-Lehmann: no complete pairs"}
    alpha = 1.0 - level
    base = "Hodges-Lehmann median of the Walsh averages of y - x, zero differences kept; "
    if n > HL_FULL_MAX_N:
        # registry-sized samples: quantiles of a fixed-seed random sample of Walsh averages,
        # uniform over the pairs i <= j (ordered draws with i > j are rejected, so a difference
        # paired with itself weighs as much as any other pair)
        sample = _sampled_walsh_averages(d, HL_SAMPLE, np.random.default_rng(ANALYSIS_SEED))
        m = n * (n + 1) // 2
        z = float(_st.norm.ppf(1.0 - alpha / 2.0))
        c = max(1, int(math.floor(n * (n + 1) / 4.0 - z * math.sqrt(n * (n + 1) * (2 * n + 1) / 24.0))))
        lo, est, hi = np.quantile(sample, [(c - 1) / (m - 1), 0.5, (m - c) / (m - 1)])
        return out | {"estimate": float(est), "ci_low": float(lo), "ci_high": float(hi),
                      "method": base + f"{n} pairs: approximated from {HL_SAMPLE:,} sampled Walsh averages "
                                       f"(fixed seed), normal-approximation C = {c} (Hollander & Wolfe 3.3)"}
    walsh = _walsh_averages(d)
    m = walsh.size
    out["estimate"] = float(np.median(walsh))
    if n <= HL_EXACT_MAX_N:
        cdf = _signed_rank_null_cdf(n)
        below = np.flatnonzero(cdf <= alpha / 2.0 + 1e-12)
        if below.size == 0:
            return out | {"method": base + f"interval not available: level {level} cannot be "
                                           f"reached with {n} pairs"}
        c = int(below[-1]) + 1
        achieved = 1.0 - 2.0 * float(cdf[c - 1])
        how = (f"exact signed-rank distribution, C = {c} of {m} Walsh averages "
               f"(achieved level {achieved:.4f})")
    else:
        z = float(_st.norm.ppf(1.0 - alpha / 2.0))
        c = int(math.floor(n * (n + 1) / 4.0 - z * math.sqrt(n * (n + 1) * (2 * n + 1) / 24.0)))
        c = max(c, 1)
        how = f"normal approximation to the signed-rank distribution, C = {c} of {m} Walsh averages"
    return out | {"ci_low": float(walsh[c - 1]), "ci_high": float(walsh[m - c]),
                  "method": base + how + " (Hollander & Wolfe 3.3)"}


@functools.lru_cache(maxsize=256)
def _rank_sum_null_counts(m: int, n: int) -> tuple[int, ...]:
    """Counts of the Mann-Whitney U statistic (0..mn) under the null for untied samples of sizes m
    and n: the coefficients of the Gaussian binomial [m+n choose m]_q, built as
    prod_{i=1..m} (1 - q^(n+i)) / (1 - q^i) in exact integers."""
    size = m * n + 1
    poly = [0] * size
    poly[0] = 1
    for i in range(1, m + 1):  # multiply by (1 - q^(n+i)), highest powers first
        step = n + i
        for k in range(size - 1, step - 1, -1):
            poly[k] -= poly[k - step]
    for i in range(1, m + 1):  # divide by (1 - q^i): a running sum with stride i
        for k in range(i, size):
            poly[k] += poly[k - i]
    return tuple(poly)


def hodges_lehmann_two_sample(a, b, level: float = 0.95) -> dict:
    """Hodges-Lehmann estimate of the shift between two independent samples, b - a (the median
    of the m x n differences b_j - a_i), with its distribution-free confidence interval
    (Hollander & Wolfe, section 4.3).

    Method. Missing values are dropped; ``n_a`` and ``n_b`` count the rest. The interval is
    [D_(C), D_(mn + 1 - C)], the C-th smallest and C-th largest differences, where C = 1 + the
    largest t with P0(U <= t) <= alpha/2 under the null distribution of the Mann-Whitney U of
    untied samples (computed exactly for m, n <= ``HL_EXACT_MAX_N``; above, the normal
    approximation mn/2 - z sqrt(mn(m+n+1)/12), rounded down). The same index as R's
    ``wilcox.test(b, a, conf.int = TRUE, exact = TRUE)``, except that where ``level`` cannot be
    reached at all (for example 3 against 3 at 95%) the limits are NaN rather than a narrower
    interval. Ties are not corrected for. The achieved level is stated in ``method``.

    Returns n_a, n_b, estimate, ci_low, ci_high, level, method.

    Reference: Hollander M, Wolfe DA, Chicken E. Nonparametric Statistical Methods, 3rd ed.
    Wiley 2014, sections 4.2-4.3. Hodges JL, Lehmann EL. Ann Math Stat 1963;34:598-611.
    """
    level = _check_level(level)
    xa = np.asarray(pd.to_numeric(pd.Series(a), errors="coerce").dropna(), dtype="float64")
    xb = np.asarray(pd.to_numeric(pd.Series(b), errors="coerce").dropna(), dtype="float64")
    m, n = xa.size, xb.size
    out = {"n_a": m, "n_b": n, "estimate": np.nan, "ci_low": np.nan, "ci_high": np.nan, "level": level}
    if m == 0 or n == 0:
        return out | {"method": "Hodges-Lehmann: a group is empty"}
    diffs = np.sort((xb[None, :] - xa[:, None]).ravel())
    mn = diffs.size
    out["estimate"] = float(np.median(diffs))
    alpha = 1.0 - level
    base = "Hodges-Lehmann median of the differences b - a; "
    if max(m, n) <= HL_EXACT_MAX_N:
        counts = np.array(_rank_sum_null_counts(m, n), dtype="float64")
        cdf = np.cumsum(counts) / counts.sum()
        below = np.flatnonzero(cdf <= alpha / 2.0 + 1e-12)
        if below.size == 0:
            return out | {"method": base + f"interval not available: level {level} cannot be reached with {m} and {n}"}
        c = int(below[-1]) + 1
        how = f"exact Mann-Whitney distribution, C = {c} of {mn} differences (achieved level {1.0 - 2.0 * float(cdf[c - 1]):.4f})"
    else:
        z = float(_st.norm.ppf(1.0 - alpha / 2.0))
        c = max(1, int(math.floor(mn / 2.0 - z * math.sqrt(mn * (m + n + 1) / 12.0))))
        how = f"normal approximation to the Mann-Whitney distribution, C = {c} of {mn} differences"
    return out | {"ci_low": float(diffs[c - 1]), "ci_high": float(diffs[mn - c]), "method": base + how + " (Hollander & Wolfe 4.3)"}


def wilcoxon_effect_size_r(z: float, n: int) -> float:
    """Effect size r = |Z| / sqrt(N) of a Wilcoxon signed-rank test.

    N is the number of pairs the signed-rank Z was computed from, i.e. the **non-zero**
    differences (``n_nonzero`` of :func:`lupus_utils.science.stats.wilcoxon_signed_rank`). Z is
    standardised with the null variance n(n+1)(2n+1)/24 of those n ranked differences, so the
    same n is the sample size behind it; dividing by all pairs (zeros included) or by the number
    of observations (2 x pairs, as some authors do) would give a smaller r for the same test.
    Returns NaN when Z is NaN or N < 1. r is in [0, 1) in practice; 0.1, 0.3 and 0.5 are the
    conventional small, medium and large benchmarks.

    References: Rosenthal R. Meta-analytic procedures for social research, rev. ed. Sage 1991,
    p. 19. Fritz CO, Morris PE, Richler JJ. Effect size estimates: current use, calculations,
    and interpretation. J Exp Psychol Gen 2012;141:2-18.
    """
    if n is None or not np.isfinite(n) or n < 1 or z is None or not np.isfinite(z):
        return np.nan
    return float(abs(z) / math.sqrt(n))


# --------------------------------------------------------------------------------------------
# Multiplicity
# --------------------------------------------------------------------------------------------

def holm_adjust(pvalues) -> np.ndarray:
    """Holm-Bonferroni step-down adjusted p-values, in the order given.

    With the m non-missing p-values sorted p_(1) <= ... <= p_(m), the adjusted value of p_(i)
    is max over j <= i of min(1, (m - j + 1) p_(j)), so the adjusted values are monotone in the
    raw ones and capped at 1. Rejecting where the adjusted value is <= alpha is Holm's
    procedure at family-wise level alpha. NaN entries are passed through and not counted in m.

    Reference: Holm S. A simple sequentially rejective multiple test procedure. Scand J Stat
    1979;6:65-70. (Adjusted p-values: Wright SP. Biometrics 1992;48:1005-13.)
    """
    p = np.asarray(pvalues, dtype="float64").ravel()
    out = np.full(p.shape, np.nan)
    ok = np.flatnonzero(~np.isnan(p))
    m = ok.size
    if m == 0:
        return out
    if np.any((p[ok] < 0) | (p[ok] > 1)):
        raise ValueError("p-values must lie in [0, 1]")
    order = ok[np.argsort(p[ok], kind="stable")]
    stepped = np.minimum(1.0, (m - np.arange(m)) * p[order])
    out[order] = np.maximum.accumulate(stepped)
    return out


# --------------------------------------------------------------------------------------------
# Event rates
# --------------------------------------------------------------------------------------------

def poisson_rate_ci(events: int, exposure: float, per: float = 100.0, level: float = 0.95) -> dict:
    """Incidence rate per ``per`` units of exposure (e.g. events per 100 patient-years) with
    the exact Poisson (Garwood) interval.

    For k events in exposure E, alpha = 1 - level: rate = k / E x per; lower = chi2^-1(alpha/2;
    2k) / 2 / E x per (0 when k = 0); upper = chi2^-1(1 - alpha/2; 2k + 2) / 2 / E x per. The
    limits are the Poisson means at which P(X >= k) and P(X <= k) equal alpha/2, so the
    coverage is at least ``level``. Exposure must be positive.

    Returns events, exposure, rate, ci_low, ci_high (the rate and limits per ``per``).

    Reference: Garwood F. Fiducial limits for the Poisson distribution. Biometrika
    1936;28:437-42. Ulm K. A simple method to calculate the confidence interval of a
    standardized mortality ratio. Am J Epidemiol 1990;131:373-5.
    """
    level = _check_level(level)
    if int(events) != events or events < 0:
        raise ValueError(f"events must be a non-negative whole number, got {events}")
    if not exposure > 0:
        raise ValueError(f"exposure must be positive, got {exposure}")
    k = int(events)
    alpha = 1.0 - level
    lower = 0.0 if k == 0 else float(_st.chi2.ppf(alpha / 2.0, 2 * k)) / 2.0
    upper = float(_st.chi2.ppf(1.0 - alpha / 2.0, 2 * k + 2)) / 2.0
    scale = per / float(exposure)
    return {"events": k, "exposure": float(exposure), "rate": k * scale,
            "ci_low": lower * scale, "ci_high": upper * scale}


# --------------------------------------------------------------------------------------------
# Consistency of reported numbers
# --------------------------------------------------------------------------------------------

def _scaled(value: float, decimals: int) -> int:
    """A number rounded half-up to ``decimals`` as an integer count of 10^-decimals (5.19, 2 ->
    519): a float read from its decimal text so that binary floating point does not move it, a
    Fraction exactly (``numbers.half_up_decimal``)."""
    return int(half_up_decimal(value, decimals).scaleb(decimals))


def grim_consistent(mean: float, n: int, decimals: int, items: int = 1) -> bool:
    """GRIM test: could a mean of ``n`` whole-number responses (each the sum of ``items``
    whole-number items) be reported as ``mean`` at ``decimals`` decimals?

    True when some integer total T makes T / (n x items), rounded half-up to ``decimals``
    (exact rational arithmetic, no floating point), equal to ``mean``. Only the totals whose
    quotient can fall in the rounding window of ``mean`` are tried. When n x items >=
    10^decimals every reported mean is attainable and the test cannot detect anything.
    ``mean`` is read from its shortest decimal text (5.19 is 519 hundredths, not the binary
    float); a value given with more than ``decimals`` decimals is first rounded half-up to it.

    Reference: Brown NJL, Heathers JAJ. The GRIM test: a simple technique detects numerous
    anomalies in the reporting of results in psychology. Soc Psychol Personal Sci
    2017;8:363-9.
    """
    if n < 1 or items < 1 or decimals < 0:
        raise ValueError("grim_consistent needs n >= 1, items >= 1 and decimals >= 0")
    target = _scaled(mean, decimals)
    cells = int(n) * int(items)
    unit = 10 ** decimals
    low = math.floor(Fraction(cells * (abs(target) * 2 - 1), 2 * unit)) - 1
    high = math.ceil(Fraction(cells * (abs(target) * 2 + 1), 2 * unit)) + 1
    sign = -1 if target < 0 else 1
    return any(_scaled(Fraction(sign * t, cells), decimals) == target
               for t in range(max(low, 0), high + 1))


def percentage_consistent(pct: float, denominator: int, decimals: int = 0) -> tuple[bool, list[int]]:
    """Which whole counts k of ``denominator`` give a percentage 100 k / denominator that
    rounds half-up (exact rational arithmetic) to ``pct`` at ``decimals`` decimals.

    Returns (whether any count does, the counts in increasing order). This is the GRIM test
    applied to a percentage, i.e. a mean of 0/1 responses times 100. ``pct`` is read as in
    :func:`grim_consistent`.

    Reference: Brown NJL, Heathers JAJ. Soc Psychol Personal Sci 2017;8:363-9.
    """
    if denominator < 1 or decimals < 0:
        raise ValueError("percentage_consistent needs denominator >= 1 and decimals >= 0")
    target = _scaled(pct, decimals)
    counts = [k for k in range(int(denominator) + 1)
              if _scaled(Fraction(100 * k, int(denominator)), decimals) == target]
    return (bool(counts), counts)


# --------------------------------------------------------------------------------------------
# Table
# --------------------------------------------------------------------------------------------

def wilcoxon_table_with_effects(long: pd.DataFrame, value: str, weeks=None, baseline_week: int = 0,
                                patient: str = "patient_id", week: str = "week",
                                level: float = 0.95) -> pd.DataFrame:
    """:func:`lupus_utils.science.stats.wilcoxon_vs_baseline` (SPSS-style signed-rank test of each
    visit against baseline) with effect estimates added, one row per week.

    Added columns, on the same patients observed at both baseline and the visit:

    - hl_estimate, hl_ci_low, hl_ci_high: :func:`hodges_lehmann_paired` of visit - baseline
      (zero differences kept), interval at ``level``;
    - effect_size_r: :func:`wilcoxon_effect_size_r` of the row's Z with N = ``n_nonzero``;
    - p_holm: :func:`holm_adjust` of the asymptotic (SPSS) p-values across the weeks in this
      table (weeks without a p-value are not counted).
    """
    table = wilcoxon_vs_baseline(long, value, weeks=weeks, baseline_week=baseline_week,
                                 patient=patient, week=week)
    wide = visits_wide(long, value, patient, week)
    hl_rows = []
    for w in table["week"]:
        pair = wide[[baseline_week, w]].dropna()
        res = hodges_lehmann_paired(pair[baseline_week], pair[w], level=level)
        hl_rows.append({"hl_estimate": res["estimate"], "hl_ci_low": res["ci_low"],
                        "hl_ci_high": res["ci_high"]})
    hl = pd.DataFrame(hl_rows, columns=["hl_estimate", "hl_ci_low", "hl_ci_high"], index=table.index)
    out = pd.concat([table, hl], axis=1)
    out["effect_size_r"] = [wilcoxon_effect_size_r(z, n) for z, n in zip(out["z"], out["n_nonzero"])]
    out["p_holm"] = holm_adjust(out["p"].to_numpy(dtype="float64")) if len(out) else np.array([], dtype="float64")
    return out
