"""Where things are: every path in the project comes from here, never from a notebook's cwd."""
from __future__ import annotations

from pathlib import Path

#: The project root (the folder holding ``pyproject.toml``).
PROJECT_ROOT = Path(__file__).resolve().parent.parent
#: The data the library reads (codebook, published targets, synthetic cohort): ``lupus_utils/_data``,
#: which in the repository is a link to the project's ``data/`` and in an installed wheel is the
#: package's own copy.
DATA_DIR = (Path(__file__).resolve().parent / "_data").resolve()
CODEBOOK_FILE = DATA_DIR / "codebook.csv"
TARGETS_FILE = DATA_DIR / "targets.csv"
SYNTHETIC_DIR = DATA_DIR / "synthetic"
NOTEBOOKS_DIR = PROJECT_ROOT / "notebooks"
BOOK_DIR = PROJECT_ROOT / "book"
BUILD_DIR = PROJECT_ROOT / "build"

#: The study's visit schedule, in weeks since the first anifrolumab infusion.
VISIT_WEEKS = (0, 4, 12, 24, 36, 48, 72)
#: The visits of the efficacy summaries (the paper's Table 2). Later visits, with few patients
#: still on anifrolumab, count for remission at week 48 and for safety, not for these summaries.
EFFICACY_WEEKS = (0, 4, 12, 24, 36)
#: The visits at which the paper reports DORIS remission (and LLDAS, at the first two).
STATE_WEEKS = (12, 24, 48)
LLDAS_WEEKS = STATE_WEEKS[:2]
#: The later visits at which the paper reports active serology (baseline: Table 1).
SEROLOGY_WEEKS = (24, 36, 48)
#: The visits of the paper's Table 3 (adverse events, patients in follow-up).
SAFETY_WEEKS = (4, 12, 24, 36, 48, 72)

#: The three tables of the data model, in the order they are read and validated.
TABLES = ("patients", "visits", "adverse_events")
#: Seed of the random samples an analysis draws from registry-sized data (Hodges-Lehmann Walsh
#: averages, mixed-model patients): fixed, so that the same cohort always gives the same book.
ANALYSIS_SEED = 20240053
