"""Figures for the book: trajectories over visits (median and IQR, or mean and SD), exported as
PNG (300 dpi) and SVG. Every function returns a matplotlib Figure and draws nothing else."""
from __future__ import annotations

from pathlib import Path

import io

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from IPython.display import Image

from .stats import SPSS_PERCENTILE_METHOD

LABELS = {
    "sledai2k": "SLEDAI-2K", "sle_das": "SLE-DAS", "clasi_activity": "CLASI-A", "tender_joints": "Tender joints",
    "swollen_joints": "Swollen joints", "pga": "PGA (0-3)", "prednisone_mg": "Prednisone (mg/day)",
}
SYNTHETIC_NOTE = "Synthetic data"


def trajectory_summary(visits: pd.DataFrame, measure: str, group: str | None = None, statistic: str = "median") -> pd.DataFrame:
    """Per week (and group): n, centre (median or mean) and spread (IQR bounds or mean ± SD)."""
    keys = ["week"] if group is None else [group, "week"]
    rows = []
    for key, g in visits.dropna(subset=[measure]).groupby(keys, observed=True):
        key = key if isinstance(key, tuple) else (key,)
        a = g[measure].to_numpy(dtype=float)
        if statistic == "median":
            lo, mid, hi = np.percentile(a, [25, 50, 75], method=SPSS_PERCENTILE_METHOD)
        else:
            mid = a.mean()
            sd = a.std(ddof=1) if a.size > 1 else 0.0
            lo, hi = mid - sd, mid + sd
        rows.append(dict(zip(keys, key)) | {"n": a.size, "centre": mid, "low": lo, "high": hi})
    return pd.DataFrame(rows)


def trajectory_figure(visits: pd.DataFrame, measures: list[str], group: str | None = None,
                      statistic: str = "median", title: str = "", note: str = SYNTHETIC_NOTE,
                      max_groups: int = 8):
    """Centre and spread of each measure over the visit weeks, one line per measure (or per group).
    Groups beyond ``max_groups`` are refused, so a large cohort never draws per-patient lines."""
    fig, ax = plt.subplots(figsize=(6.4, 3.8))
    series = []
    for m in measures:
        s = trajectory_summary(visits, m, group, statistic)
        if group is None:
            series.append((LABELS.get(m, m), s))
        else:
            levels = list(s[group].unique())
            if len(levels) > max_groups:
                raise ValueError(f"{group} has {len(levels)} groups; at most {max_groups} can be drawn")
            for lv in levels:
                series.append((f"{LABELS.get(m, m)} — {lv}", s[s[group] == lv]))
    offsets = np.linspace(-0.9, 0.9, len(series)) if len(series) > 1 else [0.0]
    for (label, s), off in zip(series, offsets):
        x = s["week"].to_numpy() + off
        ax.errorbar(x, s["centre"], yerr=[s["centre"] - s["low"], s["high"] - s["centre"]], marker="o",
                    capsize=3, label=label)
    ax.set_xticks(sorted(visits["week"].unique()))
    ax.set_xlabel("Weeks since the first anifrolumab infusion")
    ax.set_ylabel("median (IQR)" if statistic == "median" else "mean ± SD")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    if note:
        fig.text(0.99, 0.01, note, ha="right", va="bottom", fontsize=7, color="grey")
    fig.tight_layout()
    return fig


def export_figure(fig, name: str, out_dir: Path | str) -> dict[str, Path]:
    """Save ``fig`` as PNG (300 dpi) and SVG into ``out_dir``; return the two paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = {"png": out / f"{name}.png", "svg": out / f"{name}.svg"}
    fig.savefig(paths["png"], dpi=300, metadata={"Software": None})
    fig.savefig(paths["svg"], metadata={"Date": None, "Creator": None})
    return paths


def as_image(fig, dpi: int = 100) -> Image:
    """The figure as a PNG image object (and the figure closed), for views built ahead of time."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    plt.close(fig)
    return Image(buf.getvalue(), format="png")


#: Bar colours of the context chart (colour-blind safe: Okabe-Ito orange and blue, grey).
CONTEXT_COLOURS = {"this cohort": "#E69F00", "anifrolumab (published)": "#0072B2", "placebo (published)": "#BBBBBB"}


def context_figure(chart: pd.DataFrame, synthetic: bool, cohort_name: str):
    """The chart of :func:`lupus_utils.context.charted` rows: one panel per measure, a bar per
    figure labelled with its population, the Wilson 95% CI as a whisker and 'n/d, % (CI)' printed
    beside it; this cohort's bars hatched when the data are synthetic. A panel whose bars and
    whiskers stay below 45% gets its own scale (the zoster rates)."""
    from matplotlib.patches import Patch

    from .context import CHART_MEASURES, wrap

    kind = np.where(chart["source"] == "this cohort", "this cohort",
                    np.where(chart["arm"] == "placebo", "placebo (published)", "anifrolumab (published)"))
    panels = [m for m in CHART_MEASURES if (chart["measure"] == m).any()]
    rows = [int((chart["measure"] == m).sum()) for m in panels]
    fig, axes = plt.subplots(len(panels), 1, figsize=(11, 0.5 * sum(rows) + 0.75 * len(panels) + 0.8),
                             gridspec_kw={"height_ratios": rows}, squeeze=False)
    for ax, m in zip(axes[:, 0], panels):
        s = chart[chart["measure"] == m].iloc[::-1]
        k = kind[s.index]
        y = np.arange(len(s))
        ax.barh(y, s["pct"], height=0.6, color=[CONTEXT_COLOURS[x] for x in k], edgecolor="black", linewidth=0.4,
                hatch=["///" if (x == "this cohort" and synthetic) else "" for x in k])
        ax.errorbar(s["pct"], y, xerr=[s["pct"] - s["ci_low"], s["ci_high"] - s["pct"]],
                    fmt="none", ecolor="black", elinewidth=1, capsize=3)
        ax.set_yticks(y, [wrap(label, 52) for label in s["label"]], fontsize=8)
        for yi, text in zip(y, s["text"]):
            ax.text(1.02, yi, text, transform=ax.get_yaxis_transform(), va="center", fontsize=8)
        top = np.nanmax(np.r_[s["pct"], s["ci_high"]])
        ax.set_xlim(0, 100 if top > 45 else 10 * np.ceil(top * 1.25 / 10))
        ax.set_xlabel("% of patients", fontsize=8, labelpad=1)
        ax.set_ylim(-0.6, len(s) - 0.4)
        ax.set_title(CHART_MEASURES[m], loc="left", fontsize=10, fontweight="bold")
        ax.grid(axis="x", alpha=0.3)
        ax.tick_params(axis="x", labelsize=8)
    legend = [Patch(facecolor=CONTEXT_COLOURS["this cohort"], edgecolor="black", hatch="///" if synthetic else "",
                    label="this cohort (synthetic data)" if synthetic else f"this cohort ({cohort_name})"),
              Patch(facecolor=CONTEXT_COLOURS["anifrolumab (published)"], edgecolor="black", label="anifrolumab, published"),
              Patch(facecolor=CONTEXT_COLOURS["placebo (published)"], edgecolor="black", label="placebo, published"),
              Patch(facecolor="white", edgecolor="white", label="whisker: Wilson 95% CI")]
    fig.legend(handles=legend, loc="upper center", ncol=4, fontsize=8, frameon=False)
    fig.subplots_adjust(left=0.34, right=0.76, top=1 - 0.5 / fig.get_figheight(), bottom=0.6 / fig.get_figheight(),
                        hspace=0.38)
    if synthetic:
        fig.text(0.99, 0.005, SYNTHETIC_NOTE, ha="right", va="bottom", fontsize=7, color="grey")
    return fig
