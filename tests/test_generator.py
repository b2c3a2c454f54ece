"""The generator package (lupus_utils.generator): nothing happens at import, its own fast
statistics differ from the book's only where said, and a changed target can be tried in a copy."""
import math
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from lupus_utils.data.cohort import load_targets
from lupus_utils.numbers import half_up
from lupus_utils.science.stats import wilcoxon_signed_rank

GENERATOR_MODULES = ("items", "targets", "scenario", "search", "patients", "stage_a", "stages", "events",
                     "repairs", "assemble", "report", "__main__")

IMPORT_PROBE = """
import builtins, io, pathlib, sys
import pandas as pd
import lupus_utils, lupus_utils.data.cohort, lupus_utils.science.results, lupus_utils.presentation.scorecard, lupus_utils.codebook
read = []
real_open, real_read_csv = builtins.open, pd.read_csv
def spy_open(file, *a, **k):
    read.append(str(file)); return real_open(file, *a, **k)
def spy_csv(path, *a, **k):
    read.append(str(path)); return real_read_csv(path, *a, **k)
builtins.open, io.open, pd.read_csv = spy_open, spy_open, spy_csv
import importlib
for m in sys.argv[1:]:
    importlib.import_module("lupus_utils.generator." + m)
import lupus_utils.generator as g
print(repr([f for f in read if not f.endswith(".py") and "__pycache__" not in f]))
"""


def test_importing_the_generator_reads_nothing_and_holds_no_state():
    """Importing every module of the package opens no file (the library it uses is imported
    first: it is not the generator's to judge) and leaves no targets, counts or cache behind."""
    out = subprocess.run([sys.executable, "-c", IMPORT_PROBE, *GENERATOR_MODULES], capture_output=True,
                         text=True, check=True).stdout.strip().splitlines()[-1]
    assert out == "[]"
    import importlib
    for name in GENERATOR_MODULES:
        module = importlib.import_module(f"lupus_utils.generator.{name}")
        for attr in ("_TARGETS", "_PUBLISHED", "COUNTS", "_CACHE", "TABLE2", "P_VALUES", "MOMENTS", "N"):
            assert not hasattr(module, attr), f"{name}.{attr}"


def test_no_library_module_imports_the_generator():
    """The generator uses the library; nothing in the library uses it."""
    from pathlib import Path

    import lupus_utils
    root = Path(lupus_utils.__file__).parent
    users = [f.name for f in root.rglob("*.py") if "generator" not in f.relative_to(root).parts
             and any(s in f.read_text() for s in ("from .generator", "from . import generator", "lupus_utils.generator"))]
    assert users == []


def test_the_search_scores_with_the_books_statistics_read_its_own_way():
    """The search's quartiles, Wilcoxon p and rounding are the book's functions, not copies. It
    reads two of them its own way, each an explicit argument: differences ranked as computed
    (0.1 + 0.2 and 0.3 do not tie; the book's p differs), and a value a hair below a half counted
    as the half (0.44999999999999996 is 0.5 to the search, 0.4 printed). No non-zero difference:
    no test in the book (NaN), no evidence of change (p = 1) to the search."""
    from lupus_utils import numbers
    from lupus_utils.generator import search
    from lupus_utils.science import stats
    assert search.quartiles is stats.quartiles and search.half_up is numbers.half_up
    assert search.wilcoxon_signed_rank_p is stats.wilcoxon_signed_rank_p
    x = np.array([0.0, 0.0, 1.0, 2.0, 5.0, 3.0, 0.0, 1.0])
    y = x + np.array([0.1 + 0.2, 0.3, -0.7, 0.3, 1.1, -0.4, 0.2, 0.3])
    book = wilcoxon_signed_rank(x, y)["p"]
    assert search.p_or_one(x, y) == stats.wilcoxon_signed_rank_p(x, y, tie_decimals=None) != book
    assert stats.wilcoxon_signed_rank_p(x, y) == book
    assert search.p_or_one(x, x) == 1.0 and math.isnan(wilcoxon_signed_rank(x, x)["p"])
    z = np.arange(24.0)  # integer scores: the search's p is the book's
    w = np.maximum(0, z - np.random.default_rng(3).integers(-3, 8, 24))
    assert search.p_or_one(z, w) == wilcoxon_signed_rank(z, w)["p"]
    assert (search.printed(0.44999999999999996, 1), half_up(0.44999999999999996, 1)) == (0.5, 0.4)
    rng = np.random.default_rng(7)
    for v in [*rng.uniform(0, 30, 500).round(6), 2.675, 0.145, 1.025, 6.25]:
        for d in (0, 1, 2, 3):
            assert search.printed(v, d) == half_up(v, d), (v, d)


def test_scenario_names_patients_by_id_and_holds_them_by_position():
    """scenario.toml names SYNTH-02 for the pericarditis; the generator holds her as position 1."""
    from lupus_utils.generator.scenario import load_scenario
    sc = load_scenario(26)
    assert sorted(sc.flare_weeks) == ["arthritis", "cytopenia", "nephritis", "pericarditis"]
    assert sc.roles["pericarditis"] == 1 and sc.flare_cell("nephritis") == (7, 3)


def test_scenario_refuses_an_unknown_patient(tmp_path):
    from lupus_utils.generator.scenario import SCENARIO_FILE, load_scenario
    f = tmp_path / "scenario.toml"
    f.write_text(SCENARIO_FILE.read_text().replace('long = "SYNTH-26"', 'long = "SYNTH-27"'))
    with pytest.raises(ValueError, match="SYNTH-27"):
        load_scenario(26, f)


def test_scenario_lists_every_problem(tmp_path):
    """Three faults in one file, three lines in one error: an unknown patient, a patient named
    twice in one list, a flare week for a role no patient has, and a week that is not a visit."""
    from lupus_utils.generator.scenario import SCENARIO_FILE, load_scenario
    text = SCENARIO_FILE.read_text()
    text = text.replace('long = "SYNTH-26"', 'long = "SYNTH-27"')
    text = text.replace('mucocutaneous_inactive = ["SYNTH-02", "SYNTH-04"', 'mucocutaneous_inactive = ["SYNTH-02", "SYNTH-02"')
    text = text.replace("[flare_weeks]\npericarditis = 4", "[flare_weeks]\npericarditis = 5\ngout = 12")
    f = tmp_path / "scenario.toml"
    f.write_text(text)
    with pytest.raises(ValueError) as err:
        load_scenario(26, f)
    lines = str(err.value).splitlines()
    assert lines[0] == f"{f}:"
    assert lines[1:] == [
        "[roles] long: 'SYNTH-27' is not one of SYNTH-01..SYNTH-26",
        "[flare_weeks] gout: a role no patient has",
        "[flare_weeks] pericarditis: week 5 is not a visit week",
        "[involvement] mucocutaneous_inactive: named twice: SYNTH-02",
    ]
    f.write_text(text.replace("[discontinuations]", "[stops]"))
    with pytest.raises(ValueError, match="no \\[discontinuations\\] section"):
        load_scenario(26, f)


def test_repairs_file_lists_every_problem_by_line(tmp_path):
    """A cell named twice in one repair, an empty expected value and a week that is not a whole
    number: each named by its line of the file, all in one error."""
    from lupus_utils.generator.repairs import REPAIRS_FILE, load_repairs
    rows = pd.read_csv(REPAIRS_FILE, dtype=str, keep_default_na=False)
    rows.loc[1, "column"] = rows.loc[0, "column"]   # repair 1 names one cell twice (lines 2 and 3)
    rows.loc[4, "expected"] = ""                     # line 6
    rows.loc[rows["repair"] == rows.loc[6, "repair"], "week"] = "x"  # every row of line 8's repair
    f = tmp_path / "repairs.csv"
    rows.to_csv(f, index=False)
    with pytest.raises(ValueError) as err:
        load_repairs(f)
    text = str(err.value)
    assert "line 6: expected is empty" in text
    assert "line 8: week 'x' is not a whole number" in text
    assert f"repair 1 (lines 2, 3): {rows.loc[0, 'column']} named twice" in text


def test_repairs_file_round_trips_and_refuses_a_split_repair(tmp_path):
    """Every repair's rows share target, reason and visit; cells keep the visits' types."""
    from lupus_utils.generator.repairs import REPAIRS_FILE, load_repairs
    repairs = load_repairs()
    assert len(repairs) > 50
    assert all(isinstance(v, (int, float, str)) for r in repairs for v in [*r.expect.values(), *r.write.values()])
    rows = pd.read_csv(REPAIRS_FILE, dtype=str, keep_default_na=False)
    rows.loc[1, "week"] = "36"   # the second row of repair 1 moved to another visit
    f = tmp_path / "repairs.csv"
    rows.to_csv(f, index=False)
    with pytest.raises(ValueError, match=r"repair 1 \(lines 2, 3\): its rows disagree"):
        load_repairs(f)


def test_a_changed_target_is_reported_after_a_quick_generation(tmp_path, capsys):
    """README's recipe, in a copy: one published value changed in a copy of targets.csv, the
    generator run on it with a small iteration budget (repairs that no longer fit left out), and
    the report names the changed target among the verdicts that moved."""
    from lupus_utils.generator.__main__ import main
    targets = load_targets()
    changed = "t2_pga_w0_median"
    assert targets.loc[targets["target_id"] == changed, "value"].item() != 2.9
    targets.loc[targets["target_id"] == changed, "value"] = 2.9
    path = tmp_path / "targets.csv"
    targets.to_csv(path, index=False)
    out = tmp_path / "cohort"
    code = main(["--out", str(out), "--targets", str(path), "--iterations", "300,100,100,300",
                 "--stale-repairs", "drop", "--report"])
    text = capsys.readouterr().out
    assert code == 0
    assert sorted(p.name for p in out.iterdir()) == ["adverse_events.csv", "patients.csv", "visits.csv"]
    assert f"{changed}: match -> miss" in text


def test_stale_repairs_are_refused_by_default(tmp_path, capsys):
    """Without ``--stale-repairs drop`` a search that changed stops, naming the repairs' mismatches."""
    from lupus_utils.generator.__main__ import main
    code = main(["--out", str(tmp_path), "--iterations", "50,10,10,50"])
    assert code == 1
    assert "stage (e) repairs no longer fit" in capsys.readouterr().err
    assert not (tmp_path / "visits.csv").exists()
