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


#: The sections of scenario.toml; ``flare_values`` may be left out.
SECTIONS = ("roles", "flare_weeks", "discontinuations", "involvement", "characteristics")


def load_scenario(n: int, path: Path = SCENARIO_FILE) -> Scenario:
    """The scenario file for a cohort of ``n`` patients. Refused, with every problem listed: a
    missing section, a patient id outside SYNTH-01..nn, a patient named twice in one list, a
    flare, flare value or discontinuation for a role no patient has, a flare week that is not a
    visit week, a discontinuation without its role, week or reason."""
    try:
        raw = tomllib.loads(Path(path).read_text())
    except tomllib.TOMLDecodeError as err:
        raise ValueError(f"{path}: not TOML: {err}") from None
    ids = patient_ids(n)
    problems = [f"no [{name}] section" for name in SECTIONS if name not in raw]
    if problems:
        raise ValueError(f"{path}:\n" + "\n".join(problems))

    def at(pid, where: str):
        if pid not in ids:
            problems.append(f"{where}: {pid!r} is not one of {ids[0]}..{ids[-1]}")
            return None
        return ids.index(pid)

    def positions(section: str, name: str, pids: list) -> list:
        twice = sorted({p for p in pids if pids.count(p) > 1})
        if twice:
            problems.append(f"[{section}] {name}: named twice: {', '.join(twice)}")
        return [at(p, f"[{section}] {name}") for p in pids]

    roles = {role: at(pid, f"[roles] {role}") for role, pid in raw["roles"].items()}
    flare_values = {role: dict(values) for role, values in raw.get("flare_values", {}).items()}
    for section, named in (("flare_weeks", raw["flare_weeks"]), ("flare_values", flare_values)):
        problems += [f"[{section}] {role}: a role no patient has" for role in named if role not in roles]
    problems += [f"[flare_weeks] {role}: week {week} is not a visit week" for role, week in raw["flare_weeks"].items()
                 if week not in W]
    discontinuations = []
    for k, d in enumerate(raw["discontinuations"], start=1):
        missing = [key for key in ("role", "week", "reason") if key not in d]
        if missing:
            problems.append(f"[[discontinuations]] number {k}: no {', '.join(missing)}")
        elif d["role"] not in roles:
            problems.append(f"[[discontinuations]] number {k}: {d['role']!r} is a role no patient has")
        else:
            discontinuations.append((d["role"], d["week"], d["reason"]))
    involvement = {k: positions("involvement", k, v) for k, v in raw["involvement"].items()}
    characteristics = {k: positions("characteristics", k, v) for k, v in raw["characteristics"].items()}
    if problems:
        raise ValueError(f"{path}:\n" + "\n".join(problems))
    return Scenario(roles=roles, flare_weeks=dict(raw["flare_weeks"]), flare_values=flare_values,
                    discontinuations=tuple(discontinuations), involvement=involvement,
                    characteristics=characteristics)
