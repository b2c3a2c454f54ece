"""Figures for the book: trajectories over visits (median and IQR, or mean and SD), exported as
PNG (300 dpi) and SVG. Every function returns a matplotlib Figure and draws nothing else."""
from __future__ import annotations

import io
import math
from pathlib import Path

import numpy as np
import pandas as pd
from IPython.display import Image

from ..science.stats import _Lazy, quartiles

plt = _Lazy("matplotlib.pyplot")

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
            mid, lo, hi = quartiles(a)
        else:
            mid = a.mean()
            sd = a.std(ddof=1) if a.size > 1 else 0.0
            lo, hi = mid - sd, mid + sd
        rows.append(dict(zip(keys, key)) | {"n": a.size, "centre": mid, "low": lo, "high": hi})
    return pd.DataFrame(rows)


#: Units of the per-visit measures, for axis labels.
UNITS = {
    "sledai2k": "points (0–105)", "sle_das": "points", "clasi_activity": "points (0–70)",
    "tender_joints": "joints (of 28)", "swollen_joints": "joints (of 28)", "pga": "points (0–3)",
    "prednisone_mg": "mg/day prednisone equivalent", "haemoglobin_g_l": "g/L", "platelets_10e9_l": "10⁹/L",
    "leukocytes_10e9_l": "10⁹/L", "proteinuria_g_24h": "g/24 h",
}
#: The book's figure style: seaborn's white-grid theme at a reading size, and the colour-blind-safe
#: palette (seaborn 'colorblind', the Okabe-Ito colours); applied per figure, never globally.
PALETTE = ["#0173B2", "#DE8F05", "#029E73", "#D55E00", "#CC78BC", "#CA9161", "#FBAFE4", "#949494", "#ECE133", "#56B4E9"]


def figure_style() -> dict:
    """Matplotlib rc parameters of the book's figures (seaborn ``whitegrid``, ``notebook`` context
    at 0.85, :data:`PALETTE`); use as ``with plt.rc_context(figure_style()):``."""
    import seaborn as sns
    from cycler import cycler

    rc = dict(sns.axes_style("whitegrid"))
    rc.update(sns.plotting_context("notebook", font_scale=0.85))
    rc.update({"axes.prop_cycle": cycler(color=PALETTE), "axes.spines.top": False, "axes.spines.right": False,
               "axes.titleweight": "bold", "axes.titlelocation": "left", "legend.frameon": False,
               "svg.hashsalt": "lupus_utils"})
    return rc


def axis_label(measures: list[str], statistic: str = "median") -> str:
    """'SLEDAI-2K, points (0–105): median (IQR)'; measures that share one unit share the label."""
    units = {UNITS.get(m, "") for m in measures}
    spread = "median (IQR)" if statistic == "median" else "mean ± SD"
    if len(measures) == 1:
        return f"{LABELS.get(measures[0], measures[0])}, {UNITS.get(measures[0], 'value')}: {spread}"
    unit = units.pop() if len(units) == 1 else "points"
    return f"{unit[0].upper() + unit[1:]}: {spread}"


def trajectory_figure(visits: pd.DataFrame, measures: list[str], group: str | None = None,
                      statistic: str = "median", title: str = "", note: str = SYNTHETIC_NOTE,
                      max_groups: int = 8, patients: bool = True):
    """Centre and spread of each measure over the visit weeks, one line per measure (or per group),
    with every patient's own course drawn faintly behind (``patients``; ``visits`` needs
    ``patient_id``), the unit on the y axis and, under the x axis, the n behind each point (one
    row per line). Groups beyond ``max_groups`` are refused."""
    from matplotlib.transforms import blended_transform_factory

    series = []
    for m in measures:
        s = trajectory_summary(visits, m, group, statistic)
        if group is None:
            series.append((LABELS.get(m, m), m, None, s))
        else:
            levels = list(s[group].unique())
            if len(levels) > max_groups:
                raise ValueError(f"{group} has {len(levels)} groups; at most {max_groups} can be drawn")
            for lv in levels:
                series.append((f"{LABELS.get(m, m)} — {lv}", m, lv, s[s[group] == lv]))
    weeks = sorted(visits["week"].unique())
    with plt.rc_context(figure_style()):
        fig, ax = plt.subplots(figsize=(6.8, 3.9 + 0.22 * len(series)))
        offsets = np.linspace(-0.9, 0.9, len(series)) if len(series) > 1 else [0.0]
        for i, ((label, m, lv, s), off) in enumerate(zip(series, offsets)):
            colour = PALETTE[i % len(PALETTE)]
            if patients and "patient_id" in visits:
                own = visits if lv is None else visits[visits[group] == lv]
                for _, course in own.dropna(subset=[m]).sort_values("week").groupby("patient_id", sort=False):
                    ax.plot(course["week"].to_numpy() + off, course[m].to_numpy(), color=colour, alpha=0.16,
                            linewidth=0.8, zorder=1)
            x = s["week"].to_numpy() + off
            ax.errorbar(x, s["centre"], yerr=[s["centre"] - s["low"], s["high"] - s["centre"]], marker="o",
                        capsize=3, label=label, color=colour, linewidth=2, zorder=3)
        ax.set_xticks(weeks)
        ax.set_xlim(min(weeks) - 2, max(weeks) + 2)
        ax.set_xlabel("Weeks since the first anifrolumab infusion")
        ax.set_ylabel(axis_label(measures, statistic))
        ax.set_title(title)
        ax.legend(fontsize=8, loc="upper right")
        # the n behind each point, a row per line, under the axis (as numbers at risk are printed)
        trans = blended_transform_factory(ax.transData, ax.transAxes)
        for i, (label, _, _, s) in enumerate(series):
            y = -0.22 - 0.07 * i
            ax.text(min(weeks) - 2, y, f"n {label}" if len(series) > 1 else "n", transform=trans, ha="right",
                    va="center", fontsize=7, color=PALETTE[i % len(PALETTE)])
            by_week = dict(zip(s["week"], s["n"]))
            for w in weeks:
                ax.text(w, y, str(int(by_week.get(w, 0))), transform=trans, ha="center", va="center", fontsize=7)
        if note:
            fig.text(0.99, 0.01, note, ha="right", va="bottom", fontsize=7, color="grey")
        fig.tight_layout()
    return fig


def export_figure(fig, name: str, out_dir: Path | str, formats=("png", "svg")) -> dict[str, Path]:
    """Save ``fig`` into ``out_dir`` as PNG (300 dpi) and/or SVG (``formats``, without dates, so
    that the same figure gives the same file); return the paths by format."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = {f: out / f"{name}.{f}" for f in formats}
    if "png" in paths:
        fig.savefig(paths["png"], dpi=300, metadata={"Software": None})
    if "svg" in paths:
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
    """In the book's figure style (:func:`lupus_utils.presentation.plots.figure_style`): see :func:`_context_figure`."""
    import matplotlib.pyplot as plt
    
    with plt.rc_context(figure_style()):
        return _context_figure(chart=chart, synthetic=synthetic, cohort_name=cohort_name)


def _context_figure(chart: pd.DataFrame, synthetic: bool, cohort_name: str):
    """The chart of :func:`lupus_utils.presentation.context.charted` rows: one panel per measure, a bar per
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


#: Colours of the patient states (:data:`lupus_utils.science.courses.STATES`), colour-blind safe.
STATE_COLOURS = {"DORIS remission": "#029E73", "LLDAS, not remission": "#56B4E9", "Neither": "#DE8F05",
                 "State unknown": "#FFFFFF", "Off anifrolumab": "#555555", "Not yet due": "#DDDDDD",
                 "Visit missed": "#CC78BC"}
#: A white marker needs an outline to be seen.
_STATE_EDGE = {"State unknown": "#333333"}
AE_MARKERS = {"infection": ("^", "#D55E00"), "cardiovascular": ("D", "#CC78BC"), "other": ("s", "#949494")}


def swimmer_figure(courses: pd.DataFrame, marks: pd.DataFrame, title: str = "", note: str = SYNTHETIC_NOTE):
    """A lane per patient (:func:`lupus_utils.science.courses.patient_courses`), longest follow-up at the
    top: a bar for the time on anifrolumab and a thin line for follow-up after stopping, with the
    reason written at the end; the state at each visit as a coloured dot; flares by Flare Index
    severity (open star mild/moderate, filled star severe, grey open star unknown); adverse events by category; temporary
    suspensions as a bar break (a white tick)."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    order = courses.sort_values(["follow_up_weeks", "patient_id"], ascending=[True, False]).reset_index(drop=True)
    lane = {pid: i for i, pid in enumerate(order["patient_id"])}
    with plt.rc_context(figure_style()):
        fig, ax = plt.subplots(figsize=(7.6, 1.6 + 0.26 * len(order)))
        end = float(order["follow_up_weeks"].max()) if len(order) else 1.0
        for r in order.itertuples(index=False):
            y = lane[r.patient_id]
            on_until = r.stop_week if pd.notna(r.stop_week) else r.follow_up_weeks
            ax.barh(y, max(on_until, 0.6), left=0, height=0.5, color="#B8C7D9", zorder=1)
            if pd.notna(r.stop_week) and r.follow_up_weeks > r.stop_week:
                ax.plot([r.stop_week, r.follow_up_weeks], [y, y], color="#555555", linewidth=1, zorder=1)
            if pd.notna(r.stop_week):
                ax.plot([r.stop_week], [y], marker="|", markersize=12, color="black", zorder=4)
                ax.text(r.follow_up_weeks + 1.2, y, f"stopped: {r.stop_reason or 'reason not recorded'}",
                        va="center", fontsize=7)
        states = marks[marks["kind"] == "state"]
        for state, colour in STATE_COLOURS.items():
            s = states[states["value"] == state]
            if len(s):
                ax.scatter(s["week"], s["patient_id"].map(lane), s=28, color=colour,
                           edgecolor=_STATE_EDGE.get(state, "white"), linewidth=0.5 if state not in _STATE_EDGE else 0.9,
                           zorder=3)
        susp = marks[marks["kind"] == "suspension"]
        ax.scatter(susp["week"] + 1.4, susp["patient_id"].map(lane), marker="|", s=90, color="white",
                   linewidth=2.2, zorder=2)
        fl = marks[marks["kind"] == "flare"]
        for sev, face in (("mild/moderate", "none"), ("severe", "#D55E00")):
            f = fl[fl["value"] == sev]
            ax.scatter(f["week"], f["patient_id"].map(lane) + 0.32, marker="*", s=90, facecolor=face,
                       edgecolor="#D55E00", linewidth=1, zorder=5)
        unknown = fl[fl["value"] == "unknown"]
        ax.scatter(unknown["week"], unknown["patient_id"].map(lane) + 0.32, marker="*", s=90, facecolor="none",
                   edgecolor="#777777", linewidth=1, zorder=5)
        ae = marks[marks["kind"] == "adverse event"]
        for cat, (marker, colour) in AE_MARKERS.items():
            a = ae[ae["value"] == cat]
            ax.scatter(a["week"], a["patient_id"].map(lane) - 0.32, marker=marker, s=16, color=colour, zorder=5)
        ax.set_yticks(range(len(order)), order["patient_id"], fontsize=7)
        ax.set_ylim(-0.8, len(order) - 0.2)
        ax.set_xlim(-2, end + 24)
        ax.set_xticks([w for w in (0, 4, 12, 24, 36, 48, 72) if w <= end])
        ax.set_xlabel("Weeks since the first anifrolumab infusion")
        ax.set_ylabel("Patient (pseudonym)")
        ax.grid(axis="y", visible=False)
        ax.set_title(title)
        handles = [Patch(color="#B8C7D9", label="On anifrolumab"),
                   Line2D([], [], color="#555555", label="Follow-up after stopping"),
                   Line2D([], [], marker="|", color="black", linestyle="", markersize=10, label="Stopped"),
                   Patch(facecolor="#B8C7D9", edgecolor="white", hatch="|", label="Temporary suspension (white gap)")]
        handles += [Line2D([], [], marker="o", color=c, markeredgecolor=_STATE_EDGE.get(s, c), linestyle="", label=s)
                    for s, c in STATE_COLOURS.items() if s in set(states["value"])]
        handles += [Line2D([], [], marker="*", markerfacecolor=face, markeredgecolor="#D55E00", color="#D55E00",
                           linestyle="", markersize=10, label=f"Flare, {sev}")
                    for sev, face in (("mild/moderate", "none"), ("severe", "#D55E00"))]
        if len(unknown):
            handles.append(Line2D([], [], marker="*", markerfacecolor="none", markeredgecolor="#777777",
                                  linestyle="", markersize=10, label="Flare index unknown (an input missing)"))
        handles += [Line2D([], [], marker=m, color=c, linestyle="", label=f"Adverse event: {cat}")
                    for cat, (m, c) in AE_MARKERS.items()]
        ax.legend(handles=handles, fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0))
        if note:
            fig.text(0.99, 0.01, note, ha="right", va="bottom", fontsize=7, color="grey")
        fig.tight_layout()
    return fig


def transitions_figure(counts: pd.DataFrame, title: str = "", note: str = SYNTHETIC_NOTE):
    """Stacked bars of :func:`lupus_utils.science.courses.state_counts`: at each scheduled week, the
    patients in each state, the count written in every segment of 2 or more (the whole cohort
    at every week: nobody leaves the chart)."""
    weeks = sorted(counts["week"].unique())
    wide = counts.pivot(index="week", columns="state", values="n").reindex(weeks).fillna(0)
    with plt.rc_context(figure_style()):
        fig, ax = plt.subplots(figsize=(7.2, 4.2))
        bottom = np.zeros(len(weeks))
        x = np.arange(len(weeks))
        for state, colour in STATE_COLOURS.items():
            if state not in wide or wide[state].sum() == 0:
                continue
            h = wide[state].to_numpy(dtype=float)
            ax.bar(x, h, bottom=bottom, color=colour, label=state, width=0.7, edgecolor=_STATE_EDGE.get(state, "white"),
                   hatch="//" if state in _STATE_EDGE else None)
            for xi, hi, bi in zip(x, h, bottom):
                if hi >= 2:
                    ax.text(xi, bi + hi / 2, f"{int(hi)}", ha="center", va="center", fontsize=8,
                            color="white" if state in ("DORIS remission", "Off anifrolumab") else "black")
            bottom += h
        ax.set_xticks(x, [f"Week {w}" for w in weeks])
        ax.set_ylabel("Patients, n")
        ax.set_xlabel("Scheduled visit")
        ax.grid(axis="x", visible=False)
        ax.set_title(title)
        ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0))
        if note:
            fig.text(0.99, 0.01, note, ha="right", va="bottom", fontsize=7, color="grey")
        fig.tight_layout()
    return fig


def forest_figure(diffs: pd.DataFrame, title: str = "", note: str = SYNTHETIC_NOTE):
    """A forest plot of :func:`lupus_utils.science.subgroups.subgroup_differences`: a panel per outcome,
    a row per grouping and week, the Hodges-Lehmann difference as a dot and its 95% CI as a
    line (an open dot where a group has fewer than the small-group limit; no line where the CI
    cannot be computed), zero as a dashed line."""
    outcomes = list(dict.fromkeys(diffs["outcome"]))
    rows = diffs[["grouping", "comparison", "week"]].drop_duplicates().reset_index(drop=True)
    labels = [f"{g}: {c}, week {w}" for g, c, w in rows.itertuples(index=False)]
    with plt.rc_context(figure_style()):
        fig, axes = plt.subplots(1, len(outcomes), figsize=(3.0 + 2.1 * len(outcomes), 1.4 + 0.24 * len(rows)),
                                 sharey=True, squeeze=False)
        for ax, outcome in zip(axes[0], outcomes):
            d = diffs[diffs["outcome"] == outcome].merge(rows.reset_index(), on=["grouping", "comparison", "week"])
            y = len(rows) - 1 - d["index"].to_numpy()
            colours = np.where(d["week"].to_numpy() == min(diffs["week"]), PALETTE[0], PALETTE[1])
            ax.hlines(y, d["ci_low"], d["ci_high"], color=colours, linewidth=1.4)
            ax.scatter(d["estimate"], y, c=np.where(d["small"], "white", colours), edgecolors=colours, s=22, zorder=3)
            ax.axvline(0, color="#555555", linestyle="--", linewidth=0.8)
            ax.set_title(outcome, fontsize=9)
            ax.set_xlabel(f"Difference, {UNITS.get(d['measure'].iloc[0], 'units')}", fontsize=7)
            ax.tick_params(axis="x", labelsize=7)
            ax.grid(axis="y", visible=False)
        from matplotlib.lines import Line2D

        first, last = min(diffs["week"]), max(diffs["week"])
        handles = [Line2D([], [], marker="o", color=PALETTE[0], label=f"Week {first}"),
                   Line2D([], [], marker="o", color=PALETTE[1], label=f"Week {last}"),
                   Line2D([], [], marker="o", markerfacecolor="white", color="#555555", label="A group under 5 patients")]
        axes[0][-1].legend(handles=handles, fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0))
        axes[0][0].set_yticks(range(len(rows)), labels[::-1], fontsize=7)
        axes[0][0].set_ylim(-0.7, len(rows) - 0.3)
        if title:
            fig.suptitle(title, x=0.01, ha="left", fontweight="bold", fontsize=10)
        if note:
            fig.text(0.99, 0.005, note, ha="right", va="bottom", fontsize=7, color="grey")
        fig.tight_layout()
    return fig


def axis_step(span: float, most_ticks: int = 6) -> float:
    """The tick step of an axis spanning ``span``: the smallest 1, 2, 2.5 or 5 times a power of
    ten that leaves at most ``most_ticks`` intervals (any span: platelets in the hundreds, a
    proportion, a count)."""
    if not span > 0 or not math.isfinite(span):
        return 1.0
    decade = 10.0 ** math.floor(math.log10(span / most_ticks))
    return next(m * decade for m in (1, 2, 2.5, 5, 10) if span / (m * decade) <= most_ticks + 1e-9)


def svg_chart(chart: pd.DataFrame, title: str, ylabel: str, note: str = SYNTHETIC_NOTE, width: int = 560,
              height: int = 300) -> str:
    """A small inline SVG of a :func:`lupus_utils.presentation.explorer.explore` chart (per group and week:
    centre with its spread as a whisker, a line per group, the n under each point), for the
    static explorer's hundreds of views, where a matplotlib figure each would take minutes to
    build and megabytes to ship. Text is escaped; nothing is loaded."""
    import html

    esc = lambda t: html.escape(str(t), quote=True)  # noqa: E731
    left, right, top, bottom = 56, 150, 28, 62
    weeks = sorted(chart["week"].unique()) if len(chart) else [0]
    groups = list(dict.fromkeys(chart["group"]))
    lo = min(0.0, float(chart["low"].min())) if len(chart) else 0.0
    hi = float(chart["high"].max()) if len(chart) else 1.0
    hi = hi if hi > lo else lo + 1
    span = hi - lo
    step = axis_step(span)
    ticks = np.arange(math.floor(lo / step) * step, hi + step * 0.999, step)
    y_top = float(ticks[-1])
    y_bottom = float(ticks[0])
    pw, ph = width - left - right, height - top - bottom
    wmin, wmax = min(weeks), max(weeks)
    xs = lambda w: left + (pw * (w - wmin) / (wmax - wmin) if wmax > wmin else pw / 2)  # noqa: E731
    ys = lambda v: top + ph * (y_top - v) / (y_top - y_bottom)  # noqa: E731
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="explorer-chart" viewBox="0 0 {width} {height}" '
           f'width="100%" style="max-width:{width}px" role="img" aria-label="{esc(title)}">',
           f'<text x="4" y="16" font-size="13" font-weight="bold">{esc(title)}</text>']
    for t in ticks:
        y = ys(t)
        out.append(f'<line x1="{left}" x2="{left + pw}" y1="{y:.1f}" y2="{y:.1f}" stroke="#e3e3e3"/>'
                   f'<text x="{left - 6}" y="{y + 4:.1f}" font-size="10" text-anchor="end">{t:g}</text>')
    out.append(f'<text x="12" y="{top + ph / 2:.0f}" font-size="10" text-anchor="middle" '
               f'transform="rotate(-90 12 {top + ph / 2:.0f})">{esc(ylabel)}</text>')
    for w in weeks:
        out.append(f'<text x="{xs(w):.1f}" y="{top + ph + 14}" font-size="10" text-anchor="middle">{w:g}</text>')
    out.append(f'<text x="{left + pw / 2:.0f}" y="{top + ph + 28}" font-size="10" text-anchor="middle">'
               'Weeks since the first anifrolumab infusion</text>')
    offsets = np.linspace(-4, 4, len(groups)) if len(groups) > 1 else [0.0]
    for i, (g, off) in enumerate(zip(groups, offsets)):
        colour = PALETTE[i % len(PALETTE)]
        d = chart[chart["group"] == g].sort_values("week")
        pts = [(xs(w) + off, ys(c)) for w, c in zip(d["week"], d["centre"])]
        if len(pts) > 1:
            out.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="'
                       + " ".join(f"{x:.1f},{y:.1f}" for x, y in pts) + '"/>')
        for (x, y), l, h in zip(pts, d["low"], d["high"]):
            out.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{ys(l):.1f}" y2="{ys(h):.1f}" stroke="{colour}"/>'
                       f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{colour}"/>')
        y_n = top + ph + 42 + 10 * i
        out.append(f'<text x="{left - 16}" y="{y_n}" font-size="9" text-anchor="end" fill="{colour}">n</text>')
        for w, n in zip(d["week"], d["n"]):
            out.append(f'<text x="{xs(w):.1f}" y="{y_n}" font-size="9" text-anchor="middle" fill="{colour}">{int(n)}</text>')
        out.append(f'<rect x="{left + pw + 12}" y="{top + 14 * i}" width="10" height="10" fill="{colour}"/>'
                   f'<text x="{left + pw + 26}" y="{top + 9 + 14 * i}" font-size="10">{esc(g)}</text>')
    if note:
        out.append(f'<text x="{width - 4}" y="{height - 4}" font-size="9" fill="grey" text-anchor="end">{esc(note)}</text>')
    out.append("</svg>")
    return "".join(out)


def km_figure(results: dict[str, dict], title: str = "", cumulative: bool = False,
              note: str | None = None, xlabel: str = "Weeks since anifrolumab start",
              ylabel: str | None = None):
    """In the book's figure style (:func:`lupus_utils.presentation.plots.figure_style`): see :func:`_km_figure`."""
    with plt.rc_context(figure_style()):
        return _km_figure(results=results, title=title, cumulative=cumulative, note=note, xlabel=xlabel, ylabel=ylabel)


def _km_figure(results: dict[str, dict], title: str = "", cumulative: bool = False,
              note: str | None = None, xlabel: str = "Weeks since anifrolumab start",
              ylabel: str | None = None):
    """Kaplan-Meier step curves with their CI bands and a numbers-at-risk table under the x axis.

    ``results`` maps a curve label to a :func:`lupus_utils.science.longitudinal.kaplan_meier` result. The curves are drawn from
    each result's fitter, as S(t) or, with ``cumulative=True``, as 1 - S(t) (CI flipped),
    whichever way the result was computed. The table has one text row per curve with the
    ``at_risk`` counts of the result at its ``week`` times (also the x ticks). A small grey
    ``note`` (e.g. "Synthetic data") is written in the bottom-right corner only if given.

    Returns a ``matplotlib.figure.Figure`` built without pyplot (no global figure state).
    """
    from matplotlib.figure import Figure
    from matplotlib.transforms import blended_transform_factory

    from ..science.longitudinal import km_curve_frame

    n = len(results)
    fig = Figure(figsize=(6.4, 4.0 + 0.28 * (n + 1)))
    bottom = (0.62 + 0.28 * (n + 1)) / fig.get_figheight()
    fig.subplots_adjust(left=0.22, right=0.97, top=0.9, bottom=bottom)
    ax = fig.add_subplot(1, 1, 1)
    ticks: list[float] = []
    colours = []
    for label, res in results.items():
        curve = km_curve_frame(res["fitter"], cumulative)
        (line,) = ax.step(curve["timeline"], curve["estimate"], where="post", label=label)
        colours.append(line.get_color())
        ax.fill_between(curve["timeline"], curve["ci_low"], curve["ci_high"], step="post",
                        alpha=0.2, color=line.get_color(), linewidth=0)
        ticks = sorted(set(ticks) | set(float(t) for t in res["at_risk"]["week"]))
    ax.set_ylim(-0.02, 1.02)
    if ticks:
        ax.set_xticks(ticks)
        ax.set_xlim(min(ticks) - 1, max(ticks) + 1)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel or ("Cumulative incidence" if cumulative else "Proportion without event"))
    if title:
        ax.set_title(title)
    if n:
        ax.legend(loc="best", fontsize=8, frameon=False)
    trans = blended_transform_factory(ax.transData, fig.transFigure)
    label_trans = blended_transform_factory(ax.transAxes, fig.transFigure)
    row_h = 0.28 / fig.get_figheight()
    top = bottom - 0.5 / fig.get_figheight()
    ax.text(-0.02, top, "Number at risk", transform=label_trans, ha="right", va="center",
            fontsize=8, fontweight="bold")
    for i, ((label, res), colour) in enumerate(zip(results.items(), colours)):
        y = top - (i + 1) * row_h
        ax.text(-0.02, y, label, transform=label_trans, ha="right", va="center", fontsize=8,
                color=colour)
        for t, k in zip(res["at_risk"]["week"], res["at_risk"]["at_risk"]):
            ax.text(float(t), y, str(int(k)), transform=trans, ha="center", va="center", fontsize=8)
    if note:
        fig.text(0.99, 0.01, note, ha="right", va="bottom", fontsize=7, color="grey")
    return fig
