"""Interval estimates, effect sizes, Holm adjustment and consistency checks against reference
values: published worked examples (Newcombe 1998, Hollander & Wolfe, Garwood-type tables, Brown &
Heathers 2017), hand arithmetic, and independent computations (stdlib normal quantile, brute-force
enumeration, scipy's own binomial interval, Poisson tail probabilities), never values produced by
the code under test."""
import itertools
import math
from statistics import NormalDist

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from lupus_utils.science.inference import (clopper_pearson_ci, grim_consistent, hodges_lehmann_paired,
                                           holm_adjust, percentage_consistent, poisson_rate_ci,
                                           proportion_with_ci, wilcoxon_effect_size_r,
                                           wilcoxon_table_with_effects, wilson_ci)
from lupus_utils.science.stats import wilcoxon_signed_rank

# Newcombe RG, Stat Med 1998;17:857-72, Table I: 95% intervals for four worked examples.
# Method 3 (Wilson score, no continuity correction) and method 5 (Clopper-Pearson exact).
NEWCOMBE_WILSON = {(81, 263): (0.2553, 0.3662), (15, 148): (0.0624, 0.1605),
                   (0, 20): (0.0000, 0.1611), (1, 29): (0.0061, 0.1718)}
NEWCOMBE_EXACT = {(81, 263): (0.2527, 0.3676), (15, 148): (0.0578, 0.1617),
                  (0, 20): (0.0000, 0.1684), (1, 29): (0.0009, 0.1776)}

# Hollander & Wolfe, Nonparametric Statistical Methods, Hamilton depression scale factor IV,
# first (x) and second (y) visit of nine patients (also R's ?wilcox.test example).
HW_X = [1.83, 0.50, 1.62, 2.48, 1.68, 1.88, 1.55, 3.06, 1.30]
HW_Y = [0.878, 0.647, 0.598, 2.05, 1.06, 1.29, 1.06, 3.14, 1.29]


def _wilson_by_quadratic(k, n, level):
    """Roots in p of (1 + z^2/n) p^2 - (2 p_hat + z^2/n) p + p_hat^2 = 0, i.e.
    (p_hat - p)^2 = z^2 p (1 - p) / n, with z from the standard library."""
    z = NormalDist().inv_cdf(0.5 + level / 2)
    ph = k / n
    a, b, c = 1 + z * z / n, -(2 * ph + z * z / n), ph * ph
    disc = math.sqrt(b * b - 4 * a * c)
    return (-b - disc) / (2 * a), (-b + disc) / (2 * a)


# ---------------------------------------------------------------------------- proportions


@pytest.mark.parametrize(("k", "n"), list(NEWCOMBE_WILSON))
def test_wilson_matches_newcombe_table_1(k, n):
    low, high = wilson_ci(k, n)
    assert (round(low, 4), round(high, 4)) == NEWCOMBE_WILSON[(k, n)]


@pytest.mark.parametrize("level", [0.90, 0.95, 0.99])
@pytest.mark.parametrize(("k", "n"), [(81, 263), (15, 148), (1, 29), (7, 9), (28, 29), (5, 10)])
def test_wilson_equals_the_roots_of_the_score_quadratic(k, n, level):
    assert wilson_ci(k, n, level) == pytest.approx(_wilson_by_quadratic(k, n, level), abs=1e-12)


def test_wilson_edges():
    low, high = wilson_ci(0, 20)
    assert low == 0.0 and high == pytest.approx(_wilson_by_quadratic(0, 20, 0.95)[1], abs=1e-12)
    low, high = wilson_ci(20, 20)  # mirror image of 0/20
    assert high == 1.0 and low == pytest.approx(1 - 0.1611, abs=5e-5)
    assert all(math.isnan(v) for v in wilson_ci(0, 0))
    with pytest.raises(ValueError):
        wilson_ci(5, 4)
    with pytest.raises(ValueError):
        wilson_ci(1, 4, level=95)


@pytest.mark.parametrize(("k", "n"), list(NEWCOMBE_EXACT))
def test_clopper_pearson_matches_newcombe_table_1(k, n):
    low, high = clopper_pearson_ci(k, n)
    assert (round(low, 4), round(high, 4)) == NEWCOMBE_EXACT[(k, n)]


def test_clopper_pearson_closed_forms_at_zero_and_all():
    # 0/20: P(X = 0 | p) = (1 - p)^20 = 0.025  ->  upper = 1 - 0.025^(1/20) = 0.1684
    assert clopper_pearson_ci(0, 20) == (0.0, pytest.approx(1 - 0.025 ** (1 / 20), abs=1e-12))
    assert round(1 - 0.025 ** (1 / 20), 4) == 0.1684
    # 20/20: P(X = 20 | p) = p^20 = 0.025  ->  lower = 0.025^(1/20)
    assert clopper_pearson_ci(20, 20) == (pytest.approx(0.025 ** (1 / 20), abs=1e-12), 1.0)
    assert all(math.isnan(v) for v in clopper_pearson_ci(0, 0))


@pytest.mark.parametrize("level", [0.90, 0.95])
@pytest.mark.parametrize(("k", "n"), [(81, 263), (15, 148), (1, 29), (3, 7), (12, 13)])
def test_clopper_pearson_inverts_the_binomial_tails(k, n, level):
    low, high = clopper_pearson_ci(k, n, level)
    # definition: P(X >= k | low) = alpha/2 and P(X <= k | high) = alpha/2
    assert stats.binom.sf(k - 1, n, low) == pytest.approx((1 - level) / 2, abs=1e-9)
    assert stats.binom.cdf(k, n, high) == pytest.approx((1 - level) / 2, abs=1e-9)
    # and scipy's own implementation (binomtest) agrees
    ref = stats.binomtest(k, n).proportion_ci(confidence_level=level, method="exact")
    assert (low, high) == (pytest.approx(ref.low, abs=1e-10), pytest.approx(ref.high, abs=1e-10))


def test_proportion_with_ci_in_percent():
    r = proportion_with_ci(81, 263)
    assert set(r) == {"n", "denominator", "pct", "wilson_low", "wilson_high", "exact_low", "exact_high"}
    assert (r["n"], r["denominator"]) == (81, 263)
    assert r["pct"] == pytest.approx(100 * 81 / 263)
    assert (round(r["wilson_low"], 2), round(r["wilson_high"], 2)) == (25.53, 36.62)
    assert (round(r["exact_low"], 2), round(r["exact_high"], 2)) == (25.27, 36.76)
    empty = proportion_with_ci(0, 0)
    assert math.isnan(empty["pct"]) and math.isnan(empty["wilson_high"]) and math.isnan(empty["exact_low"])


# ---------------------------------------------------------------------------- Hodges-Lehmann


def _brute_force_hl(d, level):
    """Walsh averages by enumeration; C from the null distribution of T+ enumerated over all
    2^n sign vectors; interval [W_(C), W_(M + 1 - C)]."""
    n = len(d)
    walsh = sorted((a + b) / 2 for a, b in itertools.combinations_with_replacement(d, 2))
    t_plus = np.array([sum(r for r, s in zip(range(1, n + 1), signs) if s)
                       for signs in itertools.product([0, 1], repeat=n)])
    c = 1 + max(t for t in range(n * (n + 1) // 2 + 1) if (t_plus <= t).mean() <= (1 - level) / 2)
    return float(np.median(walsh)), walsh[c - 1], walsh[len(walsh) - c]


def test_hodges_lehmann_hollander_wolfe_example():
    # R: wilcox.test(y, x, paired = TRUE, conf.int = TRUE): (pseudo)median -0.46,
    # 95 percent confidence interval -0.786 -0.010
    r = hodges_lehmann_paired(HW_X, HW_Y)
    assert r["n"] == 9 and r["level"] == 0.95
    assert r["estimate"] == pytest.approx(-0.46, abs=1e-12)
    assert r["ci_low"] == pytest.approx(-0.786, abs=1e-12)
    assert r["ci_high"] == pytest.approx(-0.010, abs=1e-12)
    # n = 9: P(T+ <= 5) = 10/512 = 0.0195 <= 0.025 < P(T+ <= 6) = 14/512 -> C = 6, level 0.9609
    assert "C = 6 of 45" in r["method"] and "0.9609" in r["method"]
    flipped = hodges_lehmann_paired(HW_Y, HW_X)  # x - y
    assert (flipped["estimate"], flipped["ci_low"], flipped["ci_high"]) == (
        pytest.approx(0.46), pytest.approx(0.010), pytest.approx(0.786))


@pytest.mark.parametrize("level", [0.90, 0.95, 0.99])
def test_hodges_lehmann_equals_brute_force_enumeration(level):
    d = list(np.array(HW_Y) - np.array(HW_X))
    est, low, high = _brute_force_hl(d, level)
    r = hodges_lehmann_paired(HW_X, HW_Y, level=level)
    assert (r["estimate"], r["ci_low"], r["ci_high"]) == (
        pytest.approx(est, abs=1e-12), pytest.approx(low, abs=1e-12), pytest.approx(high, abs=1e-12))


def test_hodges_lehmann_keeps_zero_differences_and_drops_missing_pairs():
    x = [10, 10, 10, 10, 10, 10, 10, np.nan, 10]
    y = [10, 12, 9, 14, 10, 11, 16, 3, np.nan]
    # complete pairs: d = (0, 2, -1, 4, 0, 1, 6), zeros kept -> n = 7, 28 Walsh averages
    r = hodges_lehmann_paired(x, y)
    assert r["n"] == 7
    est, low, high = _brute_force_hl([0, 2, -1, 4, 0, 1, 6], 0.95)
    assert (r["estimate"], r["ci_low"], r["ci_high"]) == (est, low, high)
    # by hand, d sorted = (-1, 0, 0, 1, 2, 4, 6); the 28 Walsh averages sorted are
    # -1, -.5, -.5, 0, 0, 0, 0, .5, .5, .5, 1, 1, 1, 1.5, 1.5, 2, 2, 2, 2.5, 2.5, 3, 3, 3, 3.5, 4, 4, 5, 6
    # median = mean of the 14th and 15th = 1.5
    assert est == 1.5
    # n = 7: P(T+ <= 2) = 3/128 = 0.023 <= 0.025 < P(T+ <= 3) = 5/128 -> C = 3: 3rd smallest and
    # 3rd largest Walsh averages
    assert (low, high) == (-0.5, 4.0)
    # dropping the zeros instead would give d = (-1, 1, 2, 4, 6), median Walsh average 2.5
    assert hodges_lehmann_paired([0] * 5, [-1, 1, 2, 4, 6])["estimate"] == 2.5


def test_hodges_lehmann_small_n():
    # n = 6 at 95%: P(T+ <= 0) = 1/64 = 0.0156 <= 0.025 < P(T+ <= 1) = 2/64 -> C = 1:
    # the interval runs from the smallest to the largest difference
    r = hodges_lehmann_paired([0] * 6, [3, -1, 2, 5, 4, 1])
    assert (r["ci_low"], r["ci_high"]) == (-1.0, 5.0)
    # n = 5: even [min, max] only reaches 1 - 2/32 = 0.9375 < 0.95 -> no interval
    # Walsh averages of (3, -1, 2, 5, 4): -1, .5, 1, 1.5, 2, 2, 2.5, 3, 3, 3.5, 3.5, 4, 4, 4.5, 5
    r = hodges_lehmann_paired([0] * 5, [3, -1, 2, 5, 4])
    assert r["estimate"] == 3.0 and math.isnan(r["ci_low"]) and math.isnan(r["ci_high"])
    assert "cannot be reached" in r["method"]
    r = hodges_lehmann_paired([np.nan, 1.0], [2.0, np.nan])
    assert r["n"] == 0 and math.isnan(r["estimate"])


def test_hodges_lehmann_large_sample_normal_approximation():
    rng = np.random.default_rng(20240101)
    n = 60
    x, y = rng.normal(size=n), rng.normal(0.3, 1, size=n)
    r = hodges_lehmann_paired(x, y)
    d = np.round(y - x, 9)  # paired differences are rounded to 9 decimals so that equal ones tie
    walsh = np.sort([(d[i] + d[j]) / 2 for i in range(n) for j in range(i, n)])
    # H&W large-sample C = n(n+1)/4 - z sqrt(n(n+1)(2n+1)/24) = 915 - 1.959964 * sqrt(18452.5)
    # = 915 - 1.959964 * 135.8400 = 648.76 -> 648 rounded down
    c = 648
    assert r["estimate"] == pytest.approx(np.median(walsh), abs=1e-12)
    assert (r["ci_low"], r["ci_high"]) == (walsh[c - 1], walsh[walsh.size - c])
    assert "normal approximation" in r["method"]
    # the exact C (Python-int generating function of T+) is 649 for n = 60: the rounded-down
    # normal value is one step more conservative
    counts = [1] + [0] * (n * (n + 1) // 2)
    for rank in range(1, n + 1):
        counts = [counts[t] + (counts[t - rank] if t >= rank else 0) for t in range(len(counts))]
    cum = np.cumsum(counts) / 2 ** n
    assert 1 + max(t for t in range(len(cum)) if cum[t] <= 0.025) == 649


# ---------------------------------------------------------------------------- effect size r


def test_effect_size_r_hand_arithmetic():
    assert wilcoxon_effect_size_r(-2.013, 11) == pytest.approx(2.013 / math.sqrt(11))
    assert round(wilcoxon_effect_size_r(-2.013, 11), 4) == 0.6069
    assert wilcoxon_effect_size_r(3.0, 36) == pytest.approx(0.5)
    assert math.isnan(wilcoxon_effect_size_r(np.nan, 10))
    assert math.isnan(wilcoxon_effect_size_r(1.0, 0))


def test_effect_size_r_uses_the_non_zero_pairs_of_the_test():
    # Statology SPSS example (12 cars, one zero difference): Z = -2.013 on 11 non-zero pairs
    mpg1 = [20, 23, 21, 25, 18, 17, 18, 24, 20, 24, 23, 19]
    mpg2 = [24, 25, 21, 22, 23, 18, 17, 28, 24, 27, 21, 23]
    res = wilcoxon_signed_rank(mpg1, mpg2)
    assert res["n_nonzero"] == 11
    assert round(wilcoxon_effect_size_r(res["z"], res["n_nonzero"]), 3) == round(2.013 / math.sqrt(11), 3)


# ---------------------------------------------------------------------------- Holm


def test_holm_hand_example():
    # sorted: 0.005 x 4 = 0.02, 0.01 x 3 = 0.03, 0.03 x 2 = 0.06, 0.04 x 1 = 0.04 -> max so far 0.06
    assert holm_adjust([0.01, 0.04, 0.03, 0.005]) == pytest.approx([0.03, 0.06, 0.06, 0.02])


def test_holm_passes_nan_through_and_does_not_count_it():
    out = holm_adjust([0.01, np.nan, 0.04, 0.03, 0.005])
    assert np.isnan(out[1])
    assert out[[0, 2, 3, 4]] == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert np.isnan(holm_adjust([np.nan, np.nan])).all()
    assert holm_adjust([]).size == 0


def test_holm_caps_at_one_and_keeps_ties():
    # 0.5 x 2 = 1.0, 0.6 x 1 = 0.6 -> monotone: 1.0
    assert holm_adjust([0.6, 0.5]) == pytest.approx([1.0, 1.0])
    # 0.02 x 3 = 0.06 for both ties, 0.3 x 1 = 0.3
    assert holm_adjust([0.02, 0.3, 0.02]) == pytest.approx([0.06, 0.3, 0.06])
    assert holm_adjust([0.7]) == pytest.approx([0.7])


# ---------------------------------------------------------------------------- Poisson


# Exact 95% limits of a Poisson count (Garwood 1936; as tabulated e.g. in Ulm 1990 and in
# Breslow & Day vol. II, appendix table 2), per unit exposure.
GARWOOD_95 = {0: (0.0, 3.689), 1: (0.0253, 5.572), 2: (0.242, 7.225), 3: (0.619, 8.767),
              5: (1.623, 11.668), 10: (4.795, 18.390)}


@pytest.mark.parametrize("k", list(GARWOOD_95))
def test_poisson_matches_the_exact_table(k):
    r = poisson_rate_ci(k, 1.0, per=1.0)
    low, high = GARWOOD_95[k]
    digits = len(str(high).split(".")[1])
    assert round(r["ci_high"], digits) == high
    assert round(r["ci_low"], len(str(low).split(".")[1])) == low


def test_poisson_three_events_in_100_patient_years():
    r = poisson_rate_ci(3, 100.0)  # per 100
    assert set(r) == {"events", "exposure", "rate", "ci_low", "ci_high"}
    assert (r["events"], r["exposure"], r["rate"]) == (3, 100.0, 3.0)
    assert (round(r["ci_low"], 3), round(r["ci_high"], 3)) == (0.619, 8.767)
    # per 1000 with 250 patient-years: same count limits x 1000/250
    r = poisson_rate_ci(3, 250.0, per=1000.0)
    assert r["rate"] == pytest.approx(12.0) and r["ci_high"] == pytest.approx(8.7673 * 4, abs=1e-3)


@pytest.mark.parametrize("k", [1, 3, 7, 20])
def test_poisson_limits_invert_the_poisson_tails(k):
    r = poisson_rate_ci(k, 1.0, per=1.0)
    assert stats.poisson.sf(k - 1, r["ci_low"]) == pytest.approx(0.025, abs=1e-9)  # P(X >= k)
    assert stats.poisson.cdf(k, r["ci_high"]) == pytest.approx(0.025, abs=1e-9)  # P(X <= k)


def test_poisson_zero_events_and_bad_input():
    r = poisson_rate_ci(0, 50.0)
    assert r["rate"] == 0.0 and r["ci_low"] == 0.0
    # P(X = 0 | mu) = exp(-mu) = 0.025 -> mu = -ln 0.025 = 3.689 per unit, x 100/50
    assert r["ci_high"] == pytest.approx(-math.log(0.025) * 2, abs=1e-10)
    with pytest.raises(ValueError):
        poisson_rate_ci(2, 0.0)
    with pytest.raises(ValueError):
        poisson_rate_ci(-1, 10.0)


# ---------------------------------------------------------------------------- GRIM


def test_grim_brown_heathers_example():
    # n = 28: 145/28 = 5.1786 -> 5.18 and 146/28 = 5.2143 -> 5.21, nothing gives 5.19
    assert grim_consistent(5.19, 28, 2) is False
    assert grim_consistent(5.18, 28, 2) is True
    assert grim_consistent(5.21, 28, 2) is True


def test_grim_items_and_large_samples():
    # 3 items per person: granularity 1/84; 436/84 = 5.1905 -> 5.19
    assert grim_consistent(5.19, 28, 2, items=3) is True
    # n >= 10^decimals: every mean is attainable
    assert all(grim_consistent(m / 100, 100, 2) for m in range(400, 500))


def test_grim_rounds_half_up_not_to_even():
    # 41/8 = 5.125 exactly: half-up gives 5.13 (Python's round(5.125, 2) gives 5.12)
    assert grim_consistent(5.13, 8, 2) is True
    assert grim_consistent(5.12, 8, 2) is False


def test_percentage_consistency():
    # 23/26 = 88.46% -> 88, 24/26 = 92.31% -> 92: 89% is impossible with 26
    assert percentage_consistent(89, 26) == (False, [])
    assert percentage_consistent(88, 26) == (True, [23])
    assert percentage_consistent(43, 21) == (True, [9])  # 9/21 = 42.86%
    # 1/8 = 12.5% exactly -> 13 half-up
    assert percentage_consistent(13, 8) == (True, [1])
    assert percentage_consistent(12, 8) == (False, [])
    # with one decimal: 9/21 = 42.857 -> 42.9
    assert percentage_consistent(42.9, 21, 1) == (True, [9])
    # 100% and 0% of 200 at 0 decimals: 199/200 = 99.5 rounds up to 100 as well
    assert percentage_consistent(100, 200) == (True, [199, 200])
    assert percentage_consistent(0, 200) == (True, [0])


# ---------------------------------------------------------------------------- table


def test_wilcoxon_table_with_effects():
    pts = list("abcdefgh")
    base = [10, 8, 12, 9, 7, 11, 10, 6]
    wk4 = [7, 8, 9, 4, 6, 6, 12, np.nan]       # h missing at week 4; b has a zero difference
    wk12 = [5, 9, 4, 3, 2, 5, 8, 4]
    long = pd.DataFrame({"patient_id": pts * 3, "week": [0] * 8 + [4] * 8 + [12] * 8,
                         "score": base + wk4 + wk12}).dropna()
    out = wilcoxon_table_with_effects(long, "score").set_index("week")
    for col in ("n", "n_nonzero", "z", "p", "p_exact", "method", "hl_estimate", "hl_ci_low",
                "hl_ci_high", "effect_size_r", "p_holm"):
        assert col in out.columns
    # week 4: pairs a-g, d = (-3, 0, -3, -5, -1, -5, 2), zero kept for HL (n = 7)
    est, low, high = _brute_force_hl([-3, 0, -3, -5, -1, -5, 2], 0.95)
    row = out.loc[4]
    assert (row["n"], row["n_nonzero"]) == (7, 6)
    assert (row["hl_estimate"], row["hl_ci_low"], row["hl_ci_high"]) == (est, low, high)
    assert row["effect_size_r"] == pytest.approx(abs(row["z"]) / math.sqrt(6))
    # week 12: d = (-5, 1, -8, -6, -5, -6, -2, -2), n = 8
    est, low, high = _brute_force_hl([-5, 1, -8, -6, -5, -6, -2, -2], 0.95)
    row = out.loc[12]
    assert (row["hl_estimate"], row["hl_ci_low"], row["hl_ci_high"]) == (est, low, high)
    assert row["effect_size_r"] == pytest.approx(abs(row["z"]) / math.sqrt(8))
    # Holm over the two weeks, by hand
    p4, p12 = out.loc[4, "p"], out.loc[12, "p"]
    small, large = sorted([p4, p12])
    adj_small, adj_large = min(1, 2 * small), max(min(1, 2 * small), large)
    expected = {4: adj_small if p4 <= p12 else adj_large, 12: adj_small if p12 < p4 else adj_large}
    assert out.loc[4, "p_holm"] == pytest.approx(expected[4])
    assert out.loc[12, "p_holm"] == pytest.approx(expected[12])


def test_hodges_lehmann_large_sample_is_approximated_closely(monkeypatch):
    """Above HL_FULL_MAX_N pairs the Walsh averages are sampled: the estimate and both limits
    stay within 0.005 of the full computation's (interval width about 0.07 here)."""
    import numpy as np
    from lupus_utils.science import inference
    rng = np.random.default_rng(1)
    x = rng.normal(10, 2, 3500)
    y = x - 1.5 + rng.normal(0, 1, 3500)
    big = inference.hodges_lehmann_paired(x, y)
    assert "sampled" in big["method"]
    monkeypatch.setattr(inference, "HL_FULL_MAX_N", 4000)
    full = inference.hodges_lehmann_paired(x, y)
    assert "sampled" not in full["method"]
    for key in ("estimate", "ci_low", "ci_high"):
        assert big[key] == pytest.approx(full[key], abs=0.005), key


def test_sampled_walsh_averages_are_uniform_over_pairs_i_le_j():
    """d = (0, 1) has three Walsh averages, 0, 0.5 and 1, one pair each: a uniform sample gives
    each a third (drawing ordered pairs and folding i > j onto j < i would give 1/4, 1/2, 1/4)."""
    from lupus_utils.science.inference import _sampled_walsh_averages
    s = _sampled_walsh_averages(np.array([0.0, 1.0]), 60_000, np.random.default_rng(1))
    assert s.size == 60_000
    for v in (0.0, 0.5, 1.0):
        assert (s == v).mean() == pytest.approx(1 / 3, abs=0.01)


# ---- Hodges-Lehmann, two independent samples (the forest plot) --------------------------------

def test_rank_sum_null_counts_are_the_mann_whitney_distribution():
    from lupus_utils.science.inference import _rank_sum_null_counts
    # 3 and 3: the 20 arrangements of U = 0..9, by hand (Hollander & Wolfe, Table A.6 gives the tail)
    assert list(_rank_sum_null_counts(3, 3)) == [1, 1, 2, 3, 3, 3, 3, 2, 1, 1]
    c55 = _rank_sum_null_counts(5, 5)
    assert sum(c55) == 252 and list(c55[:4]) == [1, 1, 2, 3] and c55 == c55[::-1]
    # against scipy's exact Mann-Whitney p for an untied sample: P(U <= u) for the observed U
    from scipy.stats import mannwhitneyu
    a, b = [1.1, 2.3, 3.2, 4.8, 7.5, 8.1], [2.9, 5.2, 6.0, 9.3, 10.4, 11.7, 12.2]
    u = mannwhitneyu(a, b, method="exact", alternative="less")
    counts = _rank_sum_null_counts(6, 7)
    assert math.isclose(sum(counts[: int(u.statistic) + 1]) / sum(counts), u.pvalue, rel_tol=1e-12)


def test_hodges_lehmann_two_sample_by_hand():
    from lupus_utils.science.inference import hodges_lehmann_two_sample
    # differences b - a of a = 1..5, b = (3, 6, 8, 9, 12), sorted: -2 -1 0 1 1 2 2 3 3 4 4 4 5 5 5 6 6 7 7 7 8 8 9 10 11
    r = hodges_lehmann_two_sample([1, 2, 3, 4, 5], [3, 6, 8, 9, 12])
    # median (13th) 5; P0(U <= 2) = 4/252 <= 0.025 < P0(U <= 3) = 7/252, so C = 3: the 3rd smallest and largest
    assert (r["n_a"], r["n_b"], r["estimate"], r["ci_low"], r["ci_high"]) == (5, 5, 5.0, 0.0, 9.0)
    assert "achieved level 0.9683" in r["method"]          # 1 - 2 * 4/252
    # 3 against 3 cannot reach 95% (the smallest tail is 1/20): no interval, not a narrower one
    r = hodges_lehmann_two_sample([1, 2, 3], [4, 5, 6])
    assert r["estimate"] == 3.0 and math.isnan(r["ci_low"]) and math.isnan(r["ci_high"])
    # missing values are dropped and counted out; an empty group gives no estimate
    r = hodges_lehmann_two_sample([1, 2, None, 3, 4, 5], [3, 6, 8, float("nan"), 9, 12])
    assert (r["n_a"], r["n_b"], r["estimate"]) == (5, 5, 5.0)
    assert math.isnan(hodges_lehmann_two_sample([], [1, 2])["estimate"])
