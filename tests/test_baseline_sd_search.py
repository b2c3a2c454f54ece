"""data/synthetic/search/baseline_sd.py, the parts that need no solver: the baseline menus and
the published windows the model holds (OR-Tools itself is not installed by make test)."""
import importlib.util

import numpy as np
import pytest

from lupus_utils import read_cohort
from lupus_utils.paths import SYNTHETIC_DIR
from lupus_utils.results import derive_visits
from lupus_utils.scorecard import _verdict, load_targets

SCRIPT = SYNTHETIC_DIR / "search" / "baseline_sd.py"


@pytest.fixture(scope="module")
def search():
    spec = importlib.util.spec_from_file_location("baseline_sd", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def tables():
    return read_cohort(SYNTHETIC_DIR)


@pytest.fixture(scope="module")
def menus(search, tables):
    return search.menus(tables)


def test_menus_hold_each_shipped_baseline_and_keep_to_involvement(search, tables, menus):
    pids, opts = menus
    flags = tables["patients"].set_index("patient_id")
    base = tables["visits"].query("week == 0").set_index("patient_id")
    assert pids == sorted(flags.index)
    for pid in pids:
        shipped = [o for o in opts[pid] if o["changed"] == 0]
        assert len(shipped) == 1, pid
        assert shipped[0]["das_min"] - 1e-6 <= shipped[0]["das_now"] <= shipped[0]["das_max"] + 1e-6, pid
        for o in opts[pid]:
            s = set(o["set"])
            for col in ("sledai_arthritis", "sledai_proteinuria"):
                assert (col in s) == (base.loc[pid, col] == 1), (pid, col)
            if flags.loc[pid, "haematological_active"] != 1:
                assert not s & {"sledai_thrombocytopenia", "sledai_leukopenia"}, pid
            if flags.loc[pid, "mucocutaneous_active"] != 1:
                assert not s & {"sledai_rash", "sledai_alopecia", "sledai_mucosal_ulcers"}, pid
            else:
                assert s & {"sledai_rash", "sledai_alopecia", "sledai_mucosal_ulcers"}, pid


def test_menus_name_every_patient_whose_baseline_lies_outside_them(search, tables):
    bad = {k: v.copy() for k, v in tables.items()}
    v = bad["visits"]
    flags = bad["patients"].set_index("patient_id")
    no_haem = flags.index[flags["haematological_active"] == 0][0]
    no_muco = flags.index[flags["mucocutaneous_active"] == 0][0]
    v.loc[(v["patient_id"] == no_haem) & (v["week"] == 0), ["sledai_thrombocytopenia", "platelets_10e9_l"]] = [1, 80.0]
    v.loc[(v["patient_id"] == no_muco) & (v["week"] == 0), ["sledai_rash", "rash_extent"]] = [1, "localized"]
    with pytest.raises(ValueError) as err:
        search.menus(bad)
    msg = str(err.value)
    assert msg.startswith("2 baseline problem(s)")
    assert (f"visits {no_haem} week 0, sledai_thrombocytopenia: outside her involvement "
            "(haematological_active = 0)") in msg
    assert f"visits {no_muco} week 0, sledai_rash: outside her involvement (mucocutaneous_active = 0)" in msg


def test_published_windows_are_the_scorecards(search):
    """Every sum, count and SD bound the model uses is what the scorecard calls a match (or, for
    the SD, within tolerance), and the values just outside are not."""
    t = load_targets().set_index("target_id")
    c = search.published_constraints(26)
    verdict = lambda tid, x: _verdict(t.loc[tid], x)[0]  # noqa: E731
    totals = c["totals"]
    assert totals == list(range(totals[0], totals[-1] + 1))
    assert all(verdict("res_sledai2k_w0_mean", s / 26) == "match" for s in totals)
    assert verdict("res_sledai2k_w0_mean", (totals[0] - 1) / 26) != "match"
    assert verdict("res_sledai2k_w0_mean", (totals[-1] + 1) / 26) != "match"
    assert verdict("t1_active_serology_n", c["serology"]) == "match"
    k = c["normalised"]
    assert verdict("res_serology_normalised_last_pct", 100 * k / c["serology"]) == "match"
    assert verdict("res_serology_normalised_last_pct", 100 * (k + 1) / c["serology"]) == "miss"
    assert verdict("res_sledai2k_w0_sd", c["sd_tolerance"]) == "within_tolerance"
    assert verdict("res_sledai2k_w0_sd", c["sd_tolerance"] - 0.001) == "miss"
    for tid in ("t2_sle_das_w0_q1", "t2_sle_das_w0_median", "t2_sle_das_w0_q3"):
        low, high = search.window(tid)
        assert verdict(tid, low) == "match" and verdict(tid, high - 1e-6) == "match"
        assert verdict(tid, low - 1e-6) == "miss" and verdict(tid, high) == "miss"


@pytest.mark.parametrize("n", [9, 13, 24, 26])
def test_haverage_positions_give_the_books_quartiles(search, n):
    x = np.sort(np.random.default_rng(n).integers(0, 20, n).astype(float))
    for p in (.25, .5, .75):
        k, f = search.haverage(p, n)
        assert x[k - 1] + float(f) * (x[k] - x[k - 1]) == pytest.approx(np.percentile(x, 100 * p, method="weibull"))


def test_sledai2k_patterns_print_as_published(search, menus):
    t = load_targets().set_index("target_id")
    pairs = search.sledai2k_patterns(26, 20, "t2_sledai2k_w0_q1", .25)
    k, f = search.haverage(.25, 26)
    pids, opts = menus
    shipped = sorted(next(o["sledai2k"] for o in opts[p] if o["changed"] == 0) for p in pids)
    assert (shipped[k - 1], shipped[k]) in pairs   # the shipped cohort matches the published q1
    for a in range(21):
        for b in range(a, 21):
            q = a + float(f) * (b - a)
            assert ((a, b) in pairs) == (_verdict(t.loc["t2_sledai2k_w0_q1"], q)[0] == "match")


def test_moment_windows_are_the_scorecards(search):
    t = load_targets().set_index("target_id")
    for tolerance, inside in ((True, {"match", "within_tolerance"}), (False, {"match"})):
        for stat, (low, high) in search.moment_windows(tolerance).items():
            tid = f"res_sle_das_w0_{stat}"
            assert _verdict(t.loc[tid], low)[0] in inside and _verdict(t.loc[tid], low - 1e-3)[0] not in inside
            top = high if tolerance else high - 1e-6
            assert _verdict(t.loc[tid], top)[0] in inside and _verdict(t.loc[tid], high + 1e-3)[0] not in inside


def test_moment_limits_never_admit_an_sd_or_mean_outside_the_window(search, tables):
    """The tangent and chord bounds of moment_limits are sufficient: any scores they admit print a
    mean and SD within the window (checked with the scorecard's verdict on perturbations of the
    shipped baseline SLE-DAS); the shipped cohort itself is admitted within tolerance."""
    t = load_targets().set_index("target_id")
    d = derive_visits(tables)
    shipped = d.loc[d["week"] == 0, "sle_das"].to_numpy()
    assert search.moments_admitted(shipped, tolerance=True)
    # match mode is probed around the shipped scores moved to a matching mean and SD
    centre = {True: shipped, False: shipped.mean() + 0.07 + 0.99 * (shipped - shipped.mean())}
    rng = np.random.default_rng(7)
    admitted = {True: 0, False: 0}
    for _ in range(1500):
        noise = rng.normal(0, 0.08, shipped.size) * rng.integers(0, 2, shipped.size)
        for tolerance in (True, False):
            x = np.round(centre[tolerance] + noise, 3)
            if search.moments_admitted(x, tolerance):
                admitted[tolerance] += 1
                ok = {"match", "within_tolerance"} if tolerance else {"match"}
                assert _verdict(t.loc["res_sle_das_w0_mean"], x.mean())[0] in ok
                assert _verdict(t.loc["res_sle_das_w0_sd"], x.std(ddof=1))[0] in ok
    assert admitted[True] > 100 and admitted[False] > 10   # the check is not vacuous


def test_silent_menus_add_fever_and_sediment_without_touching_sle_das(search, tables, menus):
    _, plain = menus
    pids, silent = search.menus(tables, silent=True)
    flags = tables["patients"].set_index("patient_id")
    weights = search.SLEDAI2K_WEIGHTS
    for pid in pids:
        sediment = flags.loc[pid, "renal_active"] == 1
        offered = {c for o in silent[pid] for c in o["set"]} & set(search.SILENT)
        assert offered == ({*search.SILENT} if sediment else {"sledai_fever"}), pid
        assert len(silent[pid]) == len(plain[pid]) * 2 ** len(offered), pid
        def key(o):
            return tuple(sorted(set(o["set"]) - set(search.SILENT))), o["extent"]

        def silent_points(o):
            return sum(weights[c] for c in set(o["set"]) & set(search.SILENT))

        base = {key(o): o for o in plain[pid]}   # a shipped fever stays fixed in the plain menu
        for o in silent[pid]:
            twin = base[key(o)]
            assert (o["das_min"], o["das_max"]) == (twin["das_min"], twin["das_max"]), pid
            assert o["sledai2k"] - silent_points(o) == twin["sledai2k"] - silent_points(twin), pid


def test_arrangements_are_parsed_and_checked(search, menus):
    pids, opts = menus
    every = search.arrangements(len(pids), opts)
    assert every and all(search.arrangement(f"{s}:{a[0]},{a[1]}:{b[0]},{b[1]}:{c[0]},{c[1]}") == (s, a, b, c)
                         for s, a, b, c in every)
    assert search.arrangements(len(pids), opts, {every[0]}) == [every[0]]
    for bad in ("208:4,6", "208:4,6:7,8:10", "x:4,6:7,8:10,11", "208:4,6,1:7,8:10,11"):
        with pytest.raises(Exception, match="expected SUM:A,B:C,D:E,F"):
            search.arrangement(bad)
    wrong = [(0, (0, 0), (0, 0), (0, 0)), (every[0][0], every[0][1], every[0][2], (0, 1))]
    with pytest.raises(ValueError, match="2 arrangement"):
        search.arrangements(len(pids), opts, set(wrong) | {every[0]})
