"""After a generation: which scorecard verdicts moved against the committed cohort's."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..data.cohort import load_targets, read_cohort
from ..paths import SYNTHETIC_DIR
from ..science.results import compute_results
from ..presentation.scorecard import scorecard


def verdicts(folder: Path, targets: Path | None = None) -> pd.Series:
    """target_id -> verdict of the cohort in ``folder`` against ``targets`` (data/targets.csv when None)."""
    t = load_targets() if targets is None else load_targets(targets)
    return scorecard(compute_results(read_cohort(folder)), t).set_index("target_id")["verdict"]


def moved_verdicts(new_folder: Path, targets: Path | None = None, committed: Path = SYNTHETIC_DIR) -> pd.DataFrame:
    """One row per target whose verdict differs between the committed cohort scored against the
    committed targets and the cohort in ``new_folder`` scored against ``targets``: target_id,
    before, after (a target in one file only shows ``absent`` on the other side)."""
    before = verdicts(committed)
    after = verdicts(new_folder, targets)
    both = pd.concat([before.rename("before"), after.rename("after")], axis=1).fillna("absent")
    moved = both[both["before"] != both["after"]]
    return moved.rename_axis("target_id").reset_index()


def moved_text(moved: pd.DataFrame) -> str:
    """The moved verdicts as lines 'target_id: before -> after'."""
    if moved.empty:
        return "no scorecard verdict moved against the committed cohort"
    lines = [f"{r.target_id}: {r.before} -> {r.after}" for r in moved.itertuples()]
    return f"{len(lines)} scorecard verdicts moved against the committed cohort:\n" + "\n".join(lines)
