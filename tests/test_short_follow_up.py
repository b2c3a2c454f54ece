"""A centre's cohort followed for at most 24 weeks: the results have no statistic at later visits
(not a zero), and the chapters that report those visits still run, showing them as not assessed."""
import math

import nbformat
import pandas as pd
import papermill as pm
import pytest

from lupus_utils.paths import NOTEBOOKS_DIR, SYNTHETIC_DIR


@pytest.fixture(scope="module")
def short_cohort(tmp_path_factory):
    folder = tmp_path_factory.mktemp("short")
    p = pd.read_csv(SYNTHETIC_DIR / "patients.csv", dtype=str, keep_default_na=False)
    v = pd.read_csv(SYNTHETIC_DIR / "visits.csv", dtype=str, keep_default_na=False)
    ae = pd.read_csv(SYNTHETIC_DIR / "adverse_events.csv", dtype=str, keep_default_na=False)
    v = v[v["week"].astype(int) <= 24]
    last = v.assign(week=v["week"].astype(int)).groupby("patient_id")["week"].max()
    p["follow_up_weeks"] = p["patient_id"].map(last).astype(str)
    stop = pd.to_numeric(p["anifrolumab_stop_week"], errors="coerce")
    late = stop > p["follow_up_weeks"].astype(int)
    p.loc[late, ["anifrolumab_stop_week", "anifrolumab_stop_reason"]] = ""
    ae = ae[ae["week"].astype(int) <= 24]
    p.to_csv(folder / "patients.csv", index=False)
    v.to_csv(folder / "visits.csv", index=False)
    ae.to_csv(folder / "adverse_events.csv", index=False)
    return folder


def test_later_visits_have_no_statistic_rather_than_zero(short_cohort):
    from lupus_utils import read_cohort
    from lupus_utils.science.results import compute_results, result_value
    res = compute_results(read_cohort(short_cohort))
    at24 = read_cohort(short_cohort)["visits"].query("week == 24 and treatment_status != 'discontinued'")
    assert result_value(res, "patients_at_visit", "observed_at_visit", 24, "n") == len(at24) > 0
    for week in (36, 48):
        for measure in ("patients_at_visit", "doris_remission"):
            assert math.isnan(result_value(res, measure, "observed_at_visit", week, "n")), (measure, week)


@pytest.mark.parametrize("chapter", ["02_efficacy.ipynb", "03_remission_flares.ipynb", "04_safety.ipynb", "07_uncertainty.ipynb"])
def test_chapter_runs_when_nobody_reached_week_36(short_cohort, chapter, tmp_path):
    out = tmp_path / chapter
    pm.execute_notebook(str(NOTEBOOKS_DIR / chapter), str(out), kernel_name="python3",
                        progress_bar=False, cwd=str(NOTEBOOKS_DIR),
                        parameters={"data_dir": str(short_cohort), "output_dir": str(tmp_path / "exports"),
                                    "cohort_name": "Short follow-up", "show_published": False})
    text = "\n".join(str(o.get("text", "")) + str(o.get("data", {}).get("text/plain", "")) + str(o.get("data", {}).get("text/html", ""))
                     for c in nbformat.read(out, 4).cells if c.cell_type == "code" for o in c.get("outputs", []))
    shown_as_not_assessed = {  # how each chapter shows week 48, which nobody reached
        "02_efficacy.ipynb": "nobody assessed",
        "03_remission_flares.ipynb": "nobody assessed",
        "04_safety.ipynb": "– (0)",
        "07_uncertainty.ipynb": "DORIS remission, week 48     –",
    }
    assert shown_as_not_assessed[chapter] in text
