"""Statistics against reference values: published SPSS output, hand arithmetic and brute-force
enumeration (an independent computation, not the code under test)."""
import itertools
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lupus_utils.science.stats import (describe, describe_by, mann_whitney, mann_whitney_by, n_percent, quartiles,
                                       wilcoxon_signed_rank, wilcoxon_signed_rank_p, wilcoxon_vs_baseline)

HSB2 = pd.read_csv(Path(__file__).parent / "data" / "hsb2.csv")  # UCLA OARC hsb2, 200 students
MPG1 = [20, 23, 21, 25, 18, 17, 18, 24, 20, 24, 23, 19]
MPG2 = [24, 25, 21, 22, 23, 18, 17, 28, 24, 27, 21, 23]


def test_wilcoxon_matches_published_spss_output_with_ties_and_a_zero():
    # Statology, "How to Perform a Wilcoxon Signed Rank Test in SPSS": SPSS prints
    # Z = -2.013, Asymp. Sig. (2-tailed) = .044 for these 12 cars (one zero difference, ties).
    r = wilcoxon_signed_rank(MPG1, MPG2)
    assert r["n"] == 12 and r["n_nonzero"] == 11
    assert (r["w_minus"], r["w_plus"]) == (10.5, 55.5)
    assert round(r["z"], 3) == -2.013
    assert round(r["p"], 3) == 0.044


def test_wilcoxon_hand_arithmetic():
    # |d| ranks: d = (4,2,0,-3,5,1,-1,4,4,3,-2,4) -> zero dropped, n = 11;
    # variance = 11*12*23/24 - sum(t^3-t)/48 with ties t = 2,2,2,4 -> 126.5 - (6+6+6+60)/48 = 124.875
    r = wilcoxon_signed_rank(MPG1, MPG2)
    z = (10.5 - 11 * 12 / 4) / math.sqrt(124.875)
    assert r["z"] == pytest.approx(z, abs=1e-12)
    assert r["p"] == pytest.approx(math.erfc(abs(z) / math.sqrt(2)), abs=1e-12)


def test_wilcoxon_exact_p_equals_brute_force_enumeration():
    d = np.array(MPG2, float) - np.array(MPG1, float)
    d = d[d != 0]
    ranks = pd.Series(np.abs(d)).rank().to_numpy()
    observed = ranks[d > 0].sum()
    sums = [sum(r for r, s in zip(ranks, signs) if s) for signs in itertools.product([0, 1], repeat=len(d))]
    sums = np.array(sums)
    p = min(1.0, 2 * min((sums <= observed).mean(), (sums >= observed).mean()))
    assert wilcoxon_signed_rank(MPG1, MPG2)["p_exact"] == pytest.approx(p, abs=1e-12)
    assert p == pytest.approx(0.046875)


def test_wilcoxon_hsb2_write_vs_read_large_sample():
    r = wilcoxon_signed_rank(HSB2["write"], HSB2["read"])
    assert r["n_nonzero"] == 185
    assert round(r["z"], 3) == -0.903 and round(r["p"], 3) == 0.366


def test_mann_whitney_matches_published_spss_output():
    # UCLA OARC, "What statistical analysis should I use? (SPSS)": npar test /m-w = write by
    # female(0 1) prints z = -3.329, Asymp. Sig. (2-tailed) = .001; U = 3606, W = 7792.
    r = mann_whitney(HSB2.loc[HSB2.female == 0, "write"], HSB2.loc[HSB2.female == 1, "write"])
    assert (r["n1"], r["n2"], r["u"], r["w"]) == (91, 109, 3606.0, 7792.0)
    assert round(r["z"], 3) == -3.329 and round(r["p"], 3) == 0.001


def test_mann_whitney_exact_p_equals_enumeration_with_ties():
    a, b = [1, 2, 2, 5], [2, 3, 5, 6, 7]
    pooled = np.array(a + b, float)
    ranks = pd.Series(pooled).rank().to_numpy()
    observed = ranks[:4].sum()
    sums = np.array([ranks[list(c)].sum() for c in itertools.combinations(range(9), 4)])
    p = min(1.0, 2 * min((sums <= observed + 1e-9).mean(), (sums >= observed - 1e-9).mean()))
    r = mann_whitney(a, b)
    assert r["p_exact"] == pytest.approx(p, abs=1e-12)
    # U by hand: rank sum of a = 1 + 3 + 3 + 6.5 = 13.5 -> U1 = 13.5 - 10 = 3.5
    assert r["u"] == 3.5 and r["w"] == 13.5


def test_mann_whitney_no_ties_exact_matches_table():
    # complete separation of 4 vs 5: exact two-sided p = 2 / C(9,4) = 2/126
    assert mann_whitney([1, 2, 3, 4], [5, 6, 7, 8, 9])["p_exact"] == pytest.approx(2 / 126)


def test_describe_uses_spss_haverage_quartiles():
    # SPSS HAVERAGE: 25th percentile of 1..10 is at (n+1)*0.25 = 2.75 -> 2.75; 75th at 8.25
    d = describe(list(range(1, 11)) + [np.nan])
    assert (d["n"], d["n_missing"], d["median"], d["q1"], d["q3"]) == (10, 1, 5.5, 2.75, 8.25)
    assert d["mean"] == 5.5 and d["sd"] == pytest.approx(math.sqrt(55 / 6))
    assert (d["min"], d["max"]) == (1, 10)


def test_describe_small_sample_quartiles():
    # n = 7 -> positions 2 and 6: q1 = 2nd value, q3 = 6th
    d = describe([0, 1, 2, 2, 4, 6, 9])
    assert (d["q1"], d["median"], d["q3"]) == (1, 2, 6)


def test_quartiles_are_numpys_weibull_percentiles():
    """stats.quartiles (plain Python, for the synthetic cohort's search) against numpy's "weibull"
    method, SPSS HAVERAGE, on 1 to 40 values with ties and halves; missing values left out."""
    rng = np.random.default_rng(11)
    for n in range(1, 41):
        a = rng.integers(0, 20, n) / rng.choice([1, 2, 4])
        q1, med, q3 = np.percentile(a, [25, 50, 75], method="weibull")
        assert quartiles(a) == pytest.approx((med, q1, q3), abs=1e-12)
    assert quartiles([0, 1, 2, 2, 4, 6, 9, None]) == (2, 1, 6)
    assert all(math.isnan(q) for q in quartiles([np.nan]))


def test_midranks_are_scipys_with_the_tie_sum():
    """The one ranking both tests use: mid-ranks as scipy's rankdata gives them, and sum(t^3 - t)
    over the runs of ties, on 1 to 40 values and on none."""
    from scipy.stats import rankdata

    from lupus_utils.science.stats import _midranks
    rng = np.random.default_rng(5)
    for n in range(41):
        a = rng.integers(0, 6, n) / rng.choice([1, 3])
        ranks, ties = _midranks(a)
        _, t = np.unique(a, return_counts=True)
        assert ranks.tolist() == rankdata(a).tolist() and ties == float((t ** 3 - t).sum())
    ranks, ties = _midranks(np.array([2.0, 1.0, 2.0, 2.0]))
    assert ranks.tolist() == [3.0, 1.0, 3.0, 3.0] and ties == 24.0


def test_wilcoxon_p_alone_is_the_tests_p_and_scipys():
    """wilcoxon_signed_rank_p is the p of wilcoxon_signed_rank, and scipy's asymptotic p without
    continuity correction (zero differences dropped), on integer and float scores; 0.1 + 0.2 and
    0.3 tie as equal changes."""
    from scipy.stats import wilcoxon
    rng = np.random.default_rng(3)
    for k in range(60):
        x = rng.integers(0, 20, 24).astype(float) / (1 if k % 2 else 10)
        y = np.maximum(0, x - rng.integers(-3, 8, 24) / (1 if k % 2 else 10))
        p = wilcoxon_signed_rank_p(x, y)
        assert p == wilcoxon_signed_rank(x, y)["p"]
        ref = wilcoxon(np.round(y - x, 9), zero_method="wilcox", correction=False, method="approx").pvalue
        assert p == pytest.approx(ref, rel=1e-9)
    x = np.array([0.0, 0.0, 1.0])
    assert (wilcoxon_signed_rank_p(x, x + np.array([0.1 + 0.2, 0.3, -0.3])) ==
            wilcoxon_signed_rank_p(x, x + np.array([0.3, 0.3, -0.3])))
    assert math.isnan(wilcoxon_signed_rank_p(x, x))


def test_n_percent_leaves_missing_out_and_counts_them():
    r = n_percent([True, False, None, True])
    assert (r["n"], r["denominator"], r["n_missing"]) == (2, 3, 1)
    assert r["pct"] == pytest.approx(200 / 3)


def test_wilcoxon_vs_baseline_pairs_only_patients_seen_at_both():
    long = pd.DataFrame({
        "patient_id": ["a", "b", "c", "d", "a", "b", "c", "a", "b"],
        "week": [0, 0, 0, 0, 4, 4, 4, 12, 12],
        "score": [8, 6, 10, 4, 4, 6, 5, 2, 2],
    })
    out = wilcoxon_vs_baseline(long, "score").set_index("week")
    assert out.loc[4, "n"] == 3 and out.loc[4, "n_nonzero"] == 2
    assert out.loc[12, "n"] == 2 and out.loc[12, "median_baseline"] == 7.0
    # week 4: d = (-4, 0, -5): ranks 1, 2 both negative -> W+ = 0, z = (0 - 1.5)/sqrt(1.25)
    assert out.loc[4, "z"] == pytest.approx(-1.5 / math.sqrt(1.25))


def test_mann_whitney_by_and_describe_by():
    f = pd.DataFrame({"g": ["x", "x", "y", "y", "y"], "v": [1, 2, 3, 4, 5]})
    row = mann_whitney_by(f, "v", "g").iloc[0]
    assert (row["level_1"], row["n1"], row["n2"], row["u"]) == ("x", 2, 3, 0.0)
    assert describe_by(f, "v", "g")["median"].tolist() == [1.5, 4.0]
    with pytest.raises(ValueError, match="exactly two groups"):
        mann_whitney_by(f.assign(g=["x", "y", "z", "z", "z"]), "v", "g")


def test_equal_differences_tie_despite_floating_point():
    # 1.2 - 0.9 and 0.6 - 0.3 are both 0.3 but differ in binary: they must share a mid-rank
    r = wilcoxon_signed_rank([0.9, 0.3, 0.0], [1.2, 0.6, 0.5])
    assert (r["w_plus"], r["w_minus"]) == (6.0, 0.0)
    var = 3 * 4 * 7 / 24 - (2 ** 3 - 2) / 48          # one tie of size 2
    assert r["z"] == pytest.approx((0 - 3) / math.sqrt(var))


def test_duplicate_patient_week_is_an_error_not_a_silent_choice():
    long = pd.DataFrame({"patient_id": ["a", "a", "a", "b", "b"], "week": [0, 4, 4, 0, 4], "score": [8, 4, 5, 6, 6]})
    with pytest.raises(ValueError, match="a week 4"):
        wilcoxon_vs_baseline(long, "score")
