# Two entry points for a fresh machine with Python 3.11 and make:
#   make book   set up .venv, then build the book from the bundled (synthetic) data
#   make test   set up .venv, then run every test
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: book test setup bench clean

setup: $(STAMP)

# Re-install only when the pins change.
$(STAMP): pyproject.toml
	@echo "==> setting up $(VENV) with $(PYTHON)"
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install --quiet --upgrade "pip>=24"
	@$(BIN)/python -m pip install --quiet -e ".[book,dev]"
	@touch $(STAMP)

book: $(STAMP)
	@$(BIN)/python book/build.py $(if $(DATA),--data $(DATA))

test: $(STAMP)
	@$(BIN)/python -m pytest

bench: $(STAMP)
	@$(BIN)/python benchmarks/bench_instruments.py

clean:
	rm -rf build _build
