"""How the book rounds and prints a number: one half-up rounding and one text for each kind of
statistic, so that the same value never reads two ways. The results, the tables, the scorecard
and the paper audit all use these; it imports nothing of the library."""
from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction


def half_up_decimal(x: float | Fraction, decimals: int) -> Decimal:
    """``x`` rounded half-up (half away from zero) to ``decimals``: a float read from its shortest
    decimal text so that binary floating point does not move it (2.675 -> 2.68, not 2.67); an
    exact fraction (1/8 -> 0.13 at two decimals) in exact arithmetic."""
    if isinstance(x, Fraction):
        units = math.floor(abs(x) * 10 ** int(decimals) + Fraction(1, 2))
        return Decimal(units if x >= 0 else -units).scaleb(-int(decimals))
    return Decimal(repr(float(x))).quantize(Decimal(1).scaleb(-int(decimals)), rounding=ROUND_HALF_UP)


def half_up(x: float, decimals: int) -> float:
    """:func:`half_up_decimal` as a float; NaN for a missing value. Printed tables round this way
    (SPSS, the paper), Python's ``round`` does not (it rounds half to even)."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return float("nan")
    return float(half_up_decimal(x, decimals))


def pct_text(pct: float) -> str:
    """A computed percentage, one decimal, rounded half-up ('33.3'); '–' when missing."""
    if pct is None or (isinstance(pct, float) and math.isnan(pct)):
        return "–"
    return f"{half_up(pct, 1):.1f}"


def p_text(p: float) -> str:
    """A p-value as SPSS prints it and papers copy it: three decimals rounded half-up, and
    "<0.001" for what SPSS shows as ".000" (p below 0.0005); 0.00057 is "0.001"."""
    if p is None or (isinstance(p, float) and math.isnan(p)):
        return "–"
    shown = half_up(p, 3)
    return "<0.001" if shown == 0 else f"{shown:.3f}"


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
    text = f"{half_up(x, decimals):.{decimals}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def stat_text(value: float, statistic: str) -> str:
    """A computed statistic as every page of the book shows it, at its own precision, so that the
    same statistic never reads two ways: a p-value as SPSS prints it (:func:`p_text`), a
    percentage with one decimal (:func:`pct_text`), anything else by :func:`display_number`
    (counts whole, other values to three decimals without trailing zeros). Agreement with the
    paper's printed precision is judged in the scorecard, never by rounding here."""
    if statistic == "p":
        return p_text(value)
    if statistic == "pct":
        return pct_text(value)
    return display_number(value)


def iqr_text(med: float, q1: float, q3: float) -> str:
    """'7.5 (6–10)': a median and its quartiles as the book prints them."""
    return f"{stat_text(med, 'median')} ({stat_text(q1, 'q1')}–{stat_text(q3, 'q3')})"


def shown_values(frame):
    """``frame`` (columns measure, population, week, statistic, value) with the text the book
    shows for each value (:func:`stat_text`) in a column ``shown``: a chapter's ledger rows."""
    out = frame[["measure", "population", "week", "statistic", "value"]].copy()
    out["shown"] = [stat_text(v, s) for v, s in zip(out["value"], out["statistic"])]
    return out
