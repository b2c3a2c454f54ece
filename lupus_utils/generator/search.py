"""The search's scoring: the losses against published values, and the simulated annealing every
stage runs.

The statistics are the book's functions, not copies: ``stats.quartiles`` (SPSS HAVERAGE),
``stats.wilcoxon_signed_rank_p`` (the asymptotic p of the book's Wilcoxon) and
``numbers.half_up`` (the printed tables' rounding). The search reads two of them its own way,
each an explicit argument here, tested in tests/test_generator.py:

- **ties.** The book rounds paired differences to 9 decimals (``stats.TIE_DECIMALS``) so that
  equal changes of a float score tie; the search ranks them as computed
  (:data:`SEARCH_TIE_DECIMALS` = None). On integer scores (SLEDAI-2K, joints, CLASI-A) the two
  are the same; on SLE-DAS, PGA and prednisone the p-values differ in the second or third
  significant digit.
- **a hair below a half.** The search counts a value within floating-point error below a printed
  half (a mean of 0.05-steps summing to 0.44999999999999996) as the half: :func:`printed` adds
  :data:`FLOAT_ERROR` units of the last decimal before ``half_up``, which gives 0.5 there where
  the book prints 0.4.

And where the book has no Wilcoxon test (no non-zero difference, or a variance of 0: NaN), the
search reads p = 1, no evidence of change, a loss it can use (:func:`p_or_one`).

The book's readings would change the search's path and the cohort: tried on 2026-12-05, 82
scorecard verdicts moved and 50 of the 112 stage (e) repairs no longer fit
(data/synthetic/CALIBRATION.md, "The generator's own statistics"). The verdicts are always the
scorecard's, computed with the book's readings.
"""
from __future__ import annotations

import math

import numpy as np

from ..numbers import half_up
from ..science.stats import SIGNIFICANCE_LEVEL, quartiles, wilcoxon_signed_rank_p
from .items import W
from .targets import Published, Spec, table2_specs

#: The search ranks paired differences as computed (the book: ``stats.TIE_DECIMALS``).
SEARCH_TIE_DECIMALS = None
#: Floating-point error forgiven below a printed half, in units of the last printed decimal.
FLOAT_ERROR = 1e-9


def p_or_one(x: np.ndarray, y: np.ndarray) -> float:
    """The Wilcoxon p of ``y - x`` as the search reads it: the book's test with differences ranked
    as computed, and 1.0 (no evidence of change) where the book has no test."""
    p = wilcoxon_signed_rank_p(x, y, tie_decimals=SEARCH_TIE_DECIMALS)
    return 1.0 if math.isnan(p) else p


def printed(x: float, decimals: int) -> float:
    """``x`` as a table prints it (``numbers.half_up``), a value within :data:`FLOAT_ERROR` below a
    half counted as the half."""
    return half_up(x + FLOAT_ERROR * 10.0 ** -decimals, decimals)


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
            loss += ((abs(printed(got, spec.decimals) - spec.value) / unit) ** 0.5 * QUARTILE_WEIGHT
                     + abs(got - spec.value) / (unit * QUARTILE_PULL_UNITS))
    for got, spec in ((a.mean(), mean), (a.std(ddof=1) if a.size > 1 else 0.0, sd)):
        if spec is not None:
            unit = 10 ** -spec.decimals
            loss += (abs(printed(got, spec.decimals) - spec.value) / unit * MOMENT_WEIGHT
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
    side = P_SIGNIFICANCE_FLIP if (p < SIGNIFICANCE_LEVEL) != (spec.value < SIGNIFICANCE_LEVEL) else 0.0
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
            loss += self.cached((measure, "p", w, x.tobytes(), y.tobytes()), lambda: loss_p(p_or_one(x, y), spec))
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
