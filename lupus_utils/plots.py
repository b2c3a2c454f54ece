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
