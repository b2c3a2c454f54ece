"""The codebook (``data/codebook.csv``): the one definition of every column of the data model.

Validation, the template and the book's data dictionary are all generated from it.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from .paths import CODEBOOK_FILE, TABLES

CODEBOOK_FIELDS = ("table", "column", "type", "unit", "allowed", "min", "max", "required", "required_because", "description",
                   "source")
COLUMN_TYPES = ("string", "integer", "number", "binary", "category", "date")


def load_codebook(path: Path | str = CODEBOOK_FILE) -> pd.DataFrame:
    """Read the codebook as a data frame; ``allowed`` becomes a tuple of strings (empty if free),
    ``min``/``max`` floats (NaN if open) and ``required`` a bool (a required column says why in
    ``required_because``; any other may be empty, a gap counted where it is used). Raises ``ValueError`` listing
    every malformed codebook row."""
    cb = pd.read_csv(path, dtype=str, keep_default_na=False)
    problems = []
    if tuple(cb.columns) != CODEBOOK_FIELDS:
        raise ValueError(f"{path}: codebook header must be {', '.join(CODEBOOK_FIELDS)}; found {', '.join(cb.columns)}")
    for i, r in cb.iterrows():
        where = f"{path}, row {i + 2}"
        if r["table"] not in TABLES:
            problems.append(f"{where}: table '{r['table']}' is not one of {', '.join(TABLES)}")
        if r["type"] not in COLUMN_TYPES:
            problems.append(f"{where}: type '{r['type']}' is not one of {', '.join(COLUMN_TYPES)}")
        if r["required"] not in ("yes", "no"):
            problems.append(f"{where}: required must be yes or no, not '{r['required']}'")
        elif r["required"] == "yes" and not r["required_because"].strip():
            problems.append(f"{where}: a required column says why in required_because (what cannot be computed or "
                            "counted without it); an input whose absence only leaves a score unknown is not required")
        if r["type"] in ("category", "binary") and not r["allowed"]:
            problems.append(f"{where}: a {r['type']} column needs its allowed values")
    dup = cb[cb.duplicated(["table", "column"], keep=False)]
    for _, r in dup.iterrows():
        problems.append(f"{path}: column {r['table']}.{r['column']} is defined more than once")
    if problems:
        raise ValueError("The codebook is malformed:\n" + "\n".join(problems))
    cb["allowed"] = cb["allowed"].map(lambda s: tuple(s.split("|")) if s else ())
    cb["min"] = pd.to_numeric(cb["min"].replace("", None), errors="raise").astype("float64")
    cb["max"] = pd.to_numeric(cb["max"].replace("", None), errors="raise").astype("float64")
    cb["required"] = cb["required"] == "yes"
    return cb


def table_spec(table: str, codebook: pd.DataFrame | None = None) -> pd.DataFrame:
    """The codebook rows of one table, in codebook order, indexed by column name."""
    cb = load_codebook() if codebook is None else codebook
    if table not in TABLES:
        raise KeyError(f"unknown table '{table}': the data model has {', '.join(TABLES)}")
    return cb[cb["table"] == table].set_index("column")


def columns(table: str, codebook: pd.DataFrame | None = None) -> list[str]:
    """Column names of ``table`` in codebook order."""
    return list(table_spec(table, codebook).index)
