"""A centre's cohort followed for at most 24 weeks: the chapters that report later visits still
run (those visits are shown as not assessed), instead of failing on the missing weeks."""
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
    v = v[~((v["treatment_status"] == "discontinued"))]
    ae = ae[ae["week"].astype(int) <= 24]
    p.to_csv(folder / "patients.csv", index=False)
    v.to_csv(folder / "visits.csv", index=False)
    ae.to_csv(folder / "adverse_events.csv", index=False)
    return folder


@pytest.mark.parametrize("chapter", ["02_efficacy.ipynb", "03_remission_flares.ipynb", "04_safety.ipynb", "07_uncertainty.ipynb"])
def test_chapter_runs_when_nobody_reached_week_36(short_cohort, chapter, tmp_path):
    pm.execute_notebook(str(NOTEBOOKS_DIR / chapter), str(tmp_path / chapter), kernel_name="python3",
                        progress_bar=False, cwd=str(NOTEBOOKS_DIR),
                        parameters={"data_dir": str(short_cohort), "output_dir": str(tmp_path / "exports"),
                                    "cohort_name": "Short follow-up", "show_published": False})
