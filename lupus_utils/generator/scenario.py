"""The scenario the generator is told: which synthetic patient has which role the paper
describes, the four flares' weeks and values, the discontinuations and who has which ongoing
involvement and Table 1 characteristic. Read from ``data/synthetic/scenario.toml`` when a
generation starts; patients are named there by id and held here by position (0 = SYNTH-01)."""
from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from ..paths import SYNTHETIC_DIR
from .items import ID_PREFIX, W

SCENARIO_FILE = SYNTHETIC_DIR / "scenario.toml"


def patient_ids(n: int) -> list[str]:
    """SYNTH-01 ... SYNTH-nn."""
    return [f"{ID_PREFIX}{i + 1:02d}" for i in range(n)]


@dataclass(frozen=True)
class Scenario:
    roles: dict            # role -> patient position
    flare_weeks: dict      # role -> visit week of its flare
    flare_values: dict     # role -> {value name: value} at the flare visit
    discontinuations: tuple  # (role, week, reason)
    involvement: dict      # name -> list of patient positions
    characteristics: dict  # name -> list of patient positions (order kept)

    def flare_cell(self, role: str) -> tuple[int, int]:
        """(patient position, visit column) of one described flare."""
        return self.roles[role], W[self.flare_weeks[role]]


def load_scenario(n: int, path: Path = SCENARIO_FILE) -> Scenario:
    """The scenario file for a cohort of ``n`` patients; an unknown patient id is refused."""
    raw = tomllib.loads(Path(path).read_text())
    ids = patient_ids(n)

    def at(pid: str) -> int:
        if pid not in ids:
            raise ValueError(f"{path}: {pid!r} is not one of {ids[0]}..{ids[-1]}")
        return ids.index(pid)

    unknown = set(raw["flare_weeks"]) - set(raw["roles"])
    if unknown:
        raise ValueError(f"{path}: flare weeks for roles no patient has: {sorted(unknown)}")
    return Scenario(
        roles={role: at(pid) for role, pid in raw["roles"].items()},
        flare_weeks=dict(raw["flare_weeks"]),
        flare_values={role: dict(values) for role, values in raw.get("flare_values", {}).items()},
        discontinuations=tuple((d["role"], d["week"], d["reason"]) for d in raw["discontinuations"]),
        involvement={k: [at(p) for p in v] for k, v in raw["involvement"].items()},
        characteristics={k: [at(p) for p in v] for k, v in raw["characteristics"].items()},
    )
