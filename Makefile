# Two entry points for a fresh machine with Python 3.11 and make:
#   make book   set up .venv, then build the book from the bundled (synthetic) data
#               (make book DATA=path/to/cohort NAME="My centre" [PUBLISHED=1] for a centre's own data)
#   make test   set up .venv, then run every test (unit, notebooks with nbval, browser)
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

# Write the library's bytecode (some machines set PYTHONDONTWRITEBYTECODE=1): every chapter's
# kernel would otherwise compile lupus_utils again.
export PYTHONDONTWRITEBYTECODE =

.PHONY: book test setup browser bench golden synthetic template clean explore redcap

setup: $(STAMP)

# Re-install only when the pins change.
$(STAMP): pyproject.toml constraints.txt
	@echo "==> setting up $(VENV) with $(PYTHON)"
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install --quiet --upgrade "pip>=24"
	@$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[book,dev]"
	@touch $(STAMP)

# Debian's Chromium for the browser test (never a browser downloaded by a test tool).
browser:
	@test -x "$${CHROMIUM:-/usr/bin/chromium}" || command -v chromium >/dev/null 2>&1 || { echo "==> installing Debian's chromium"; \
	  (apt-get update -qq && apt-get install -y -qq chromium >/dev/null) || echo "could not install chromium: the browser test will be skipped"; }

# With DATA (one or more workbooks or CSV folders, space-separated): check for identifiers,
# validate (report in build/own_data/), pseudonymise, then build that cohort's own book.
OWN := build/own_data
book: $(STAMP)
	@$(if $(DATA),$(BIN)/python -m lupus_utils.data.ingest "$(DATA)" --out $(OWN) &&) \
	 $(BIN)/python book/build.py $(if $(DATA),--data $(OWN)/data --name "$(or $(NAME),Own cohort)") $(if $(filter 1 yes true,$(PUBLISHED)),--published)

# The live explorer (Voila) on 127.0.0.1:$(PORT); with DATA, on a centre's cohort after the same
# ingest and validation as `make book DATA=...`. Ctrl-C stops it.
PORT ?= 8866
EXPLORE_OWN := build/explore_data
explore: $(STAMP)
	@$(if $(DATA),$(BIN)/python -m lupus_utils.data.ingest "$(DATA)" --out $(EXPLORE_OWN) &&) \
	 echo "==> the explorer of $(or $(NAME),$(if $(DATA),Own cohort,the synthetic cohort)): http://127.0.0.1:$(PORT)/ (Ctrl-C stops it)" && \
	 LUPUS_EXPLORER_DATA="$(if $(DATA),$(abspath $(EXPLORE_OWN))/data)" LUPUS_EXPLORER_NAME="$(or $(NAME),$(if $(DATA),Own cohort,Synthetic cohort))" \
	 JUPYTER_PATH="$(abspath book/voila)" exec $(BIN)/voila notebooks/explorer.ipynb --no-browser --port=$(PORT) \
	   --Voila.ip=127.0.0.1 --template=offline \
	   --show_tracebacks=False --VoilaConfiguration.file_allowlist='[]'

# A REDCap project generated from the codebook: data dictionary, events, designations, repeating
# adverse events (build/redcap/*.csv).
redcap: $(STAMP)
	@$(BIN)/python -m lupus_utils.data.redcap build/redcap

# An Excel template generated from the codebook, to fill with a centre's data.
template: $(STAMP)
	@$(BIN)/python -m lupus_utils.data.template build/cohort_template.xlsx

# The browser test opens the book built from the current sources (make book skips when up to date).
# The generator's byte-for-byte check regenerates the cohort, and the wheel check installs the
# library into a fresh venv, in the background meanwhile; pytest runs on two workers, a file (a
# notebook) per worker at a time.
test: $(STAMP) browser
	@$(BIN)/python tests/regenerate_cohort.py
	@$(BIN)/python tests/test_wheel.py
	@$(BIN)/python book/build.py
	@$(BIN)/python tests/own_data_book.py
	@$(BIN)/python -m pytest tests notebooks --nbval-lax -n 2 --dist loadfile

bench: $(STAMP)
	@$(BIN)/python benchmarks/bench_instruments.py

# After an intended change of results: rebuild, then copy the golden outputs into notebooks/.
golden: book
	@$(BIN)/python book/refresh_golden.py

# Regenerate the synthetic cohort (deterministic; tests check the committed files are its output).
synthetic: $(STAMP)
	@$(BIN)/python -m lupus_utils.generator

clean:
	rm -rf build
