"""Pseudonymisation: the centre's patient and event ids replaced by ``P001``... and ``E001``...;
the key (original id -> pseudonym) goes back to the caller only, to keep with the source data,
never in the book.
"""
from __future__ import annotations

import pandas as pd

from ..paths import TABLES


def pseudonymise(tables: dict[str, pd.DataFrame]):
    """Replace ``patient_id`` by ``P001``, ``P002``... in order of first appearance in the
    patients table (then visits and adverse events, for ids only found there) in all three tables,
    and ``event_id`` by ``E001``... in table order. Returns ``(tables, mapping)`` with
    ``mapping = {"patient_id": {original: pseudonym}, "event_id": {...}}``; the mapping is for
    the caller to keep with the source data, never to publish."""
    out = {t: f.copy() for t, f in tables.items()}

    def codes(prefix, values):
        uniq = list(dict.fromkeys(x for x in values if pd.notna(x)))
        width = max(3, len(str(len(uniq))))
        return {old: f"{prefix}{i:0{width}d}" for i, old in enumerate(uniq, start=1)}

    order = [x for t in TABLES if t in out and "patient_id" in out[t] for x in out[t]["patient_id"]]
    pmap = codes("P", order)
    for t in TABLES:
        if t in out and "patient_id" in out[t]:
            out[t]["patient_id"] = out[t]["patient_id"].map(pmap).astype(out[t]["patient_id"].dtype)
    emap = {}
    if "adverse_events" in out and "event_id" in out["adverse_events"]:
        emap = codes("E", out["adverse_events"]["event_id"])
        out["adverse_events"]["event_id"] = out["adverse_events"]["event_id"].map(emap).astype(out["adverse_events"]["event_id"].dtype)
    return out, {"patient_id": pmap, "event_id": emap}


def mapping_frame(mapping: dict) -> pd.DataFrame:
    """The pseudonym key as a table (column, original, pseudonym)."""
    rows = [(col, old, new) for col, m in mapping.items() for old, new in m.items()]
    return pd.DataFrame(rows, columns=["column", "original", "pseudonym"])
