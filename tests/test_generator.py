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
from lupus_utils.science.stats import describe, wilcoxon_signed_rank

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


def test_fast_wilcoxon_differs_from_the_book_only_by_the_rounding_of_float_differences():
    """On float scores two changes equal on paper (0.1 + 0.2 against 0.3) differ in binary; the book
    rounds differences to 9 decimals so that they tie, the search does not. With
    ``tie_decimals=9`` the fast copy gives the book's p; without it, a different one."""
    from lupus_utils.generator.search import wilcoxon_p
    x = np.array([0.0, 0.0, 1.0, 2.0, 5.0, 3.0, 0.0, 1.0])
    y = x + np.array([0.1 + 0.2, 0.3, -0.7, 0.3, 1.1, -0.4, 0.2, 0.3])
    book = wilcoxon_signed_rank(x, y)["p"]
    assert wilcoxon_p(x, y, tie_decimals=9) == pytest.approx(book, rel=1e-12)
    assert wilcoxon_p(x, y) != pytest.approx(book, rel=1e-12)
    # No non-zero difference: the search reads "no evidence of change" (1.0), the book "no test".
    assert wilcoxon_p(x, x) == 1.0 and math.isnan(wilcoxon_signed_rank(x, x)["p"])


def test_fast_rounding_differs_from_the_book_only_a_hair_below_a_half():
    """generator.search.rounded forgives 1e-9 of floating-point error; numbers.half_up reads the
    float's shortest text. They agree on ordinary values and on exact halves, and disagree on a
    sum that misses a half by one ulp."""
    from lupus_utils.generator.search import rounded
    rng = np.random.default_rng(7)
    for x in [*rng.uniform(0, 30, 500).round(6), 2.675, 0.145, 1.025, 6.25]:
        for d in (0, 1, 2, 3):
            assert rounded(x, d) == half_up(x, d), (x, d)
    assert (rounded(0.44999999999999996, 1), half_up(0.44999999999999996, 1)) == (0.5, 0.4)


def test_fast_quartiles_are_the_books():
    """SPSS HAVERAGE on a sorted list, as stats.describe computes it (numpy's "weibull")."""
    from lupus_utils.generator.search import quartiles
    rng = np.random.default_rng(11)
    for n in (1, 2, 5, 13, 24, 26):
        a = rng.integers(0, 20, n).astype(float)
        d = describe(a)
        assert quartiles(a) == pytest.approx((d["median"], d["q1"], d["q3"]), abs=1e-12)


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
    with pytest.raises(ValueError, match="repair 1: its rows disagree"):
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
