"""The search's scoring: fast summary statistics, the losses against published values, and the
simulated annealing every stage runs.

The statistics here are fast copies of ``lupus_utils.science.stats`` (the search evaluates them millions
of times); the scorecard then checks every published number with the book's own code. Where they
differ, it is said and tested (tests/test_generator.py):

- :func:`rounded` rounds half-up with a tolerance of 1e-9 for floating-point error, where
  ``numbers.half_up`` (which the scorecard uses) reads the float's shortest text: they disagree
  only on values a hair below a half, such as 0.44999999999999996 to one decimal (0.5 here, 0.4
  in the book).
- :func:`quartiles` is SPSS HAVERAGE, as ``stats.describe`` (numpy's "weibull" percentiles), on a
  sorted list: the same values to rounding error.
- :func:`wilcoxon_p` ranks the differences as they are; ``stats.wilcoxon_signed_rank`` rounds them
  to 9 decimals first, so that equal changes of a float score tie. On integer scores (SLEDAI-2K,
  joints, CLASI) the two agree exactly; on SLE-DAS, PGA and prednisone the shipped cohort's
  p-values move in the second or third significant digit. ``tie_decimals=9`` gives the book's
  ranking; the search keeps ``None`` because the book's ranking changes the search's path, and
  with it the cohort (data/synthetic/CALIBRATION.md, "The generator's own statistics").
- when no difference is non-zero, or the variance is 0, :func:`wilcoxon_p` says 1.0 (no evidence of
  change, a loss the search can use) where the book says NaN (no test).
"""
from __future__ import annotations

import math

import numpy as np

from .items import W
from .targets import Published, Spec, table2_specs


# ----------------------------------------------------------------------------- fast statistics
def _quantile(s: list, p: float) -> float:
    """SPSS HAVERAGE percentile (numpy 'weibull') of the sorted list ``s``."""
    n = len(s)
    h = p * (n + 1)
    if h <= 1:
        return s[0]
    if h >= n:
        return s[-1]
    k = int(h)
    return s[k - 1] + (h - k) * (s[k] - s[k - 1])


def quartiles(a: np.ndarray):
    """median, q1, q3 with SPSS HAVERAGE."""
    s = sorted(a.tolist())
    return _quantile(s, 0.5), _quantile(s, 0.25), _quantile(s, 0.75)


def _norm_sf2(z: float) -> float:
    return math.erfc(abs(z) / math.sqrt(2))


def wilcoxon_p(x: np.ndarray, y: np.ndarray, tie_decimals: int | None = None) -> float:
    """Two-sided asymptotic Wilcoxon signed-rank p of ``y - x`` (zero differences dropped,
    tie-corrected variance, no continuity correction: SPSS, as ``stats.wilcoxon_signed_rank``).
    ``tie_decimals`` rounds the differences first, as the book does with 9; the search ranks
    them unrounded (module docstring)."""
    d = y - x
    if tie_decimals is not None:
        d = np.round(d, tie_decimals)
    d = d[d != 0]
    n = d.size
    if n == 0:
        return 1.0
    a = np.abs(d)
    order = np.argsort(a, kind="mergesort")
    s = a[order]
    ranks = np.empty(n)
    i = 0
    ties = 0.0
    while i < n:
        j = i
        while j + 1 < n and s[j + 1] == s[i]:
            j += 1
        ranks[order[i:j + 1]] = (i + j) / 2 + 1
        t = j - i + 1
        ties += t ** 3 - t
        i = j + 1
    wp = ranks[d > 0].sum()
    wm = ranks[d < 0].sum()
    var = n * (n + 1) * (2 * n + 1) / 24 - ties / 48
    if var <= 0:
        return 1.0
    return _norm_sf2((min(wp, wm) - n * (n + 1) / 4) / math.sqrt(var))


def rounded(x: float, decimals: int) -> float:
    """Half-up rounding, as printed tables round, with a tolerance of 1e-9 in units of the last
    decimal: a value that is a half up to floating-point error (a mean of 0.05-steps summing to
    0.44999999999999996) rounds up, to 0.5. The book's ``numbers.half_up`` reads the float's
    shortest text and gives 0.4 there. Using ``half_up`` here changes stage (d)'s path (tried
    2026-12-04: the cohort changes), so the search keeps this one; the scorecard, which decides
    the verdicts, uses ``half_up``. Module docstring; tests/test_generator.py pins the case."""
    f = 10 ** decimals
    return math.floor(x * f + 0.5 + 1e-9) / f


# ----------------------------------------------------------------------------- losses
# Why these weights. A loss of 0 means every scored statistic prints as published. The terms are
# in "printed units" (10^-decimals of the target), so one loss unit is about one printed unit
# whatever the statistic's scale.
#: Medians and quartiles: the printed miss counts through its square root (x 3), so the last unit
#: to close still weighs 3 while large misses do not swamp the other statistics; a small pull on
#: the unrounded distance (1 per 5 units) keeps a gradient inside one printed unit, where the
#: rounded term is flat. Quartiles of integer scores move in steps of 0.25-1, which is why the
#: square root (steep near 0) rather than a linear term was kept.
QUARTILE_WEIGHT, QUARTILE_PULL_UNITS = 3, 5
#: Means and SDs (the Results text, weeks 0 and 4): linear in printed units (x 2) with a tenth of
#: that on the unrounded distance; they move by small amounts per move, so a linear term suffices.
MOMENT_WEIGHT, MOMENT_PULL = 2, 0.2
#: P-values compare on a log scale (a factor of 2 is what the scorecard tolerates). "<" and ">="
#: cost 3 per e-fold beyond the bound (and 2 more for landing on the wrong side of ">="); "=" costs
#: 1.5 per e-fold, 3 for landing on the other side of 0.05 than the paper (a reversed conclusion
#: weighs more than a digit) and 0.5 while more than 30% off.
P_BOUND_WEIGHT, P_WRONG_SIDE_OF_BOUND = 3, 2.0
P_LOG_WEIGHT, P_SIGNIFICANCE_FLIP, P_OFF_BY_30_PCT = 1.5, 3.0, 0.5


def loss_describe(a: np.ndarray, med=None, q1=None, q3=None, mean=None, sd=None) -> float:
    """Loss of the values ``a`` against the published median, quartiles, mean and SD (each a
    :class:`Spec` or None when not aimed at)."""
    if a.size == 0:
        return 100.0
    m, lo, hi = quartiles(a)
    loss = 0.0
    for got, spec in ((m, med), (lo, q1), (hi, q3)):
        if spec is not None:
            unit = 10 ** -spec.decimals
            loss += ((abs(rounded(got, spec.decimals) - spec.value) / unit) ** 0.5 * QUARTILE_WEIGHT
                     + abs(got - spec.value) / (unit * QUARTILE_PULL_UNITS))
    for got, spec in ((a.mean(), mean), (a.std(ddof=1) if a.size > 1 else 0.0, sd)):
        if spec is not None:
            unit = 10 ** -spec.decimals
            loss += (abs(rounded(got, spec.decimals) - spec.value) / unit * MOMENT_WEIGHT
                     + abs(got - spec.value) / unit * MOMENT_PULL)
    return loss


def loss_p(p: float, spec: Spec) -> float:
    """Loss of a p-value against its published value or bound (weights above)."""
    if spec.relation == "<":
        return max(0.0, math.log(p / spec.value)) * P_BOUND_WEIGHT
    if spec.relation == ">=":
        return (max(0.0, math.log(spec.value / p)) * P_BOUND_WEIGHT
                + (P_WRONG_SIDE_OF_BOUND if p < spec.value else 0.0))
    r = abs(math.log(p / spec.value))
    side = P_SIGNIFICANCE_FLIP if (p < 0.05) != (spec.value < 0.05) else 0.0
    return r * P_LOG_WEIGHT + side + (0.0 if r < math.log(1.3) else P_OFF_BY_30_PCT)


class Scoring:
    """Table 2's published specs and the memo of one generation's week statistics (the search
    revisits the same columns). Made by ``generate()`` and handed to the stages: nothing of it
    outlives the generation."""

    CACHE_LIMIT = 500_000

    def __init__(self, pub: Published):
        self.table2, self.p_values, self.moments = table2_specs(pub)
        self.cache: dict = {}

    def cached(self, key, compute):
        hit = self.cache.get(key)
        if hit is None:
            if len(self.cache) > self.CACHE_LIMIT:
                self.cache.clear()
            hit = self.cache[key] = compute()
        return hit

    def table2_loss(self, values: np.ndarray, mask: np.ndarray, measure: str, weight: float = 1.0) -> float:
        """Loss of one measure's (patients, visits) values against Table 2 on the patients in ``mask``."""
        loss = 0.0
        mom = self.moments.get(measure, {})
        for w, (med, q1, q3) in self.table2[measure].items():
            col = W[w]
            a = values[mask[:, col], col]
            mean, sd = mom.get(w, (None, None))
            loss += self.cached((measure, w, a.tobytes()), lambda: loss_describe(a, med, q1, q3, mean, sd))
        for w, spec in self.p_values[measure].items():
            col = W[w]
            both = mask[:, 0] & mask[:, col]
            x, y = values[both, 0], values[both, col]
            loss += self.cached((measure, "p", w, x.tobytes(), y.tobytes()), lambda: loss_p(wilcoxon_p(x, y), spec))
        return loss * weight


def anneal(state: dict, loss_fn, propose, rng, iters: int, t0: float = 2.0, t1: float = 0.01) -> float:
    """Simulated annealing over ``state`` (dict of numpy arrays, changed in place). ``propose``
    mutates one cell and returns an undo closure, or None when no valid move was found. The
    temperature falls geometrically from ``t0`` to ``t1``; the best state seen is kept."""
    cur = loss_fn(state)
    best = cur
    best_state = {k: v.copy() for k, v in state.items()}
    for it in range(iters):
        temp = t0 * (t1 / t0) ** (it / max(1, iters - 1))
        undo = propose(state, rng)
        if undo is None:
            continue
        new = loss_fn(state)
        if new <= cur or rng.random() < math.exp((cur - new) / temp):
            cur = new
            if cur < best - 1e-12:
                best = cur
                best_state = {k: v.copy() for k, v in state.items()}
                if best == 0:
                    break
        else:
            undo()
    for k in state:
        state[k][...] = best_state[k]
    return best


class VisitSearch:
    """What the searches over every patient's visits start from (stages a and d): the cohort, its
    scenario, who is assessed on the drug (``eff``) and seen (``attend``) at each visit, each
    patient's last visit, and the scoring with the published counts."""

    def __init__(self, cohort, scoring: Scoring, counts: dict):
        self.n = cohort.n
        self.scoring, self.counts = scoring, counts
        self.c = cohort
        self.eff = cohort.efficacy
        self.attend = cohort.attend
        self.last = np.array([cohort.attend[i].nonzero()[0].max() for i in range(cohort.n)])
