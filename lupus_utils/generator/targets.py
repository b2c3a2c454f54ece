"""The published numbers the generator aims at, read when a generation starts, never at import.

``load_published`` reads ``data/targets.csv`` (or another file, to try a changed target) into a
:class:`Published`, which every stage is handed: its values, whole counts, Table 2's specs and the
counts the search aims at. The ``check_*`` functions compare what the generator designs itself
(the flare weeks, Table 3's events) with those numbers and raise, naming every disagreement."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..data.cohort import load_targets
from ..paths import VISIT_WEEKS
from ..science.results import AE_CATEGORY_MEASURES, AE_TERM_MEASURES
from .items import TABLE2_MEASURES, TABLE2_WEEKS

#: Published values the search leaves out because its model cannot give them (see
#: data/synthetic/CALIBRATION.md): SLE-DAS q1 at week 36 needs a single swollen joint without the
#: SLEDAI-2K arthritis descriptor, which stage (a) does not model.
NOT_MODELLED = {("sle_das", 36, "q1")}
#: The search aims at one decimal where the paper printed a whole number (PGA mean at week 4,
#: printed "1"): a tighter aim, the same published value.
AIM_DECIMALS = {("pga", 4, "mean"): 1}


@dataclass
class Spec:
    """Published target for one statistic: value, printed decimals, relation for p-values."""
    value: float
    decimals: int = 0
    relation: str = "="


@dataclass(frozen=True)
class Published:
    """Every published number of one targets file (``targets``: its rows), looked up by id."""
    targets: pd.DataFrame
    by_id: pd.DataFrame = field(init=False, repr=False)

    def __post_init__(self):
        object.__setattr__(self, "by_id", self.targets.set_index("target_id"))

    def value(self, target_id: str) -> float:
        """One published value, as targets.csv types it."""
        return float(self.by_id.loc[target_id, "value"])

    def count(self, target_id: str) -> int:
        """One published whole count; a fractional value is refused."""
        value = self.value(target_id)
        if value != int(value):
            raise ValueError(f"targets.csv: {target_id} = {value} is not a whole count")
        return int(value)

    @property
    def n(self) -> int:
        """The paper's cohort size."""
        return self.count("t1_patients_n")


def load_published(path: Path | None = None) -> Published:
    """The targets file at ``path`` (data/targets.csv when None), read now."""
    return Published(load_targets() if path is None else load_targets(path))


def table2_specs(pub: Published):
    """Table 2's medians, quartiles and p-values and the Results text's means and SDs, as
    :class:`Spec` (None where :data:`NOT_MODELLED`): (table2, p_values, moments)."""
    t = pub.targets

    def spec(source, measure, week, statistic):
        if (measure, week, statistic) in NOT_MODELLED:
            return None
        row = t[(t["source"] == source) & (t["measure"] == measure) & (t["week"] == week) & (t["statistic"] == statistic)]
        if len(row) != 1:
            raise ValueError(f"targets.csv: expected one {source} {measure} week {week} {statistic}, found {len(row)}")
        r = row.iloc[0]
        decimals = AIM_DECIMALS.get((measure, week, statistic), 0 if pd.isna(r["decimals"]) else int(r["decimals"]))
        return Spec(float(r["value"]), decimals, r["relation"])

    table2 = {m: {w: tuple(spec("table2", m, w, s) for s in ("median", "q1", "q3")) for w in TABLE2_WEEKS}
              for m in TABLE2_MEASURES}
    p_values = {m: {w: spec("table2", m, w, "p") for w in TABLE2_WEEKS[1:]} for m in TABLE2_MEASURES}
    moments = {m: {w: (spec("results", m, w, "mean"), spec("results", m, w, "sd")) for w in (0, 4)}
               for m in ("sledai2k", "sle_das", "pga", "prednisone_mg")}
    return table2, p_values, moments


def search_counts(pub: Published) -> dict:
    """The counts the search aims at. Where the paper gives only a percentage, the count is that
    percentage of the patients assessed then (Table 2 or 3), rounded."""
    v = pub.by_id["value"]

    def share(pct_id, n_id):
        return int(round(v[pct_id] / 100 * v[n_id]))

    return {
        "active_serology": {0: int(v["t1_active_serology_n"]), 24: share("res_active_serology_w24_pct", "t2_n_w24"),
                            36: share("res_active_serology_w36_pct", "t2_n_w36"), 48: share("res_active_serology_w48_pct", "t3_n_w48")},
        "serology_normalised": int(round(v["res_serology_normalised_last_pct"] / 100 * v["t1_active_serology_n"])),
        "haematological_improved": int(v["res_haematological_improved_w12_n"]),
        "remission": {12: int(v["res_remission_w12_n"]), 24: int(v["res_remission_w24_n"]), 48: int(v["res_remission_w48_n"])},
        "lldas": {12: int(v["res_lldas_w12_n"]), 24: int(v["res_lldas_w24_n"])},
        "remission_failed_on_gc_only": int(v["res_remission_failed_gc_w48_n"]),
        "prednisone_le_5mg_w12": share("disc_prednisone_le_5mg_w12_pct", "t2_n_w12"),
        "on_gc_baseline": int(v["t1_concomitant_gc_n"]),
        "prednisone_max_baseline": float(v["res_prednisone_mg_w0_max"]),
    }


def last_visit_weeks(pub: Published):
    """Each patient's last visit, from Table 3's patients in follow-up per visit: as many patients
    stop after week w as are seen at w but not at the next visit."""
    t = pub.targets
    seen = t[(t["source"] == "table3") & (t["measure"] == "patients_at_visit")].set_index("week")["value"]
    weeks = [w for w in VISIT_WEEKS if w in seen.index]
    counts = [int(seen[w] - (seen[nxt] if nxt is not None else 0)) for w, nxt in zip(weeks, weeks[1:] + [None])]
    out = np.repeat(np.array(weeks), counts)
    if len(out) != pub.n:
        raise ValueError(f"targets.csv: Table 3 follow-up gives {len(out)} patients, not {pub.n}")
    return out


def check_flare_weeks(pub: Published, flare_weeks: dict) -> None:
    """The designed flare weeks give the published flares per visit, or this raises."""
    t = pub.targets
    per_week = t[(t["source"] == "results") & (t["measure"] == "flares") & t["week"].notna()]
    published = {int(w): int(v) for w, v in zip(per_week["week"], per_week["value"])}
    designed = {w: list(flare_weeks.values()).count(w) for w in set(flare_weeks.values())}
    if designed != published:
        raise AssertionError(f"FLARE_WEEKS gives flares per visit {designed}, targets.csv {published}")


def check_table3_events(pub: Published, events: list) -> None:
    """Tally ``events`` (TABLE3_EVENTS rows) the way the book reads Table 3 and compare with every
    per-visit count of Table 3; raise with the whole list of disagreements."""
    ev = pd.DataFrame(events, columns=["week", "category", "term", "serious", "hospitalised", "action"])
    ev["term_measure"] = ev["term"].str.lower().map(AE_TERM_MEASURES)
    ev["category_measure"] = ev["category"].map(AE_CATEGORY_MEASURES)
    if ev[["term_measure", "category_measure"]].isna().any(axis=None):
        raise AssertionError("TABLE3_EVENTS has a term or category results.AE_*_MEASURES does not know")
    tally: dict = {}
    for week, at in ev.groupby("week"):
        tally[("adverse_events", week)] = len(at)
        for col in ("term_measure", "category_measure"):
            for measure, n in at[col].value_counts().items():
                tally[(measure, week)] = int(n)
        for measure, action in (("discontinuations", "discontinuation"), ("temporary_suspensions", "temporary_suspension")):
            tally[(measure, week)] = int((at["action"] == action).sum())
    t = pub.targets
    t3 = t[(t["source"] == "table3") & t["week"].notna() & (t["measure"] != "patients_at_visit")]
    wrong = [f"{r.target_id}: TABLE3_EVENTS gives {tally.get((r.measure, int(r.week)), 0)}, targets.csv {r.value:g}"
             for r in t3.itertuples() if tally.get((r.measure, int(r.week)), 0) != r.value]
    if wrong:
        raise AssertionError("TABLE3_EVENTS disagrees with Table 3:\n" + "\n".join(wrong))
