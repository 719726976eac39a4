# Two commands: `make run` opens Overfit Lab, `make test` runs the whole suite.
# Both create (or reuse) a virtual environment in .venv; set VENV=... to keep it elsewhere.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
DEPS_HASH := $(shell sha256sum pyproject.toml | cut -c1-16)
RUN_STAMP := $(VENV)/.installed-run-$(DEPS_HASH)
DEV_STAMP := $(VENV)/.installed-dev-$(DEPS_HASH)

# `make catalogs`: the translations (resources/locale/*/LC_MESSAGES/*.po) compiled to .mo;
# `make catalogs-update`: after a shown string changed, the .pot extracted again and merged into each .po.
.PHONY: catalogs catalogs-update run test lint bench headless bundle bundle-check kits kits-check kits-lock clean-venv

run: $(RUN_STAMP)
	$(BIN)/python main.py

test: $(DEV_STAMP) catalogs
	$(BIN)/lint-imports
	$(BIN)/ruff check .
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest

lint: $(DEV_STAMP)
	$(BIN)/lint-imports
	$(BIN)/ruff check .

catalogs: $(DEV_STAMP)
	$(BIN)/python packaging/i18n/catalogs.py compile

catalogs-update: $(DEV_STAMP)
	$(BIN)/python packaging/i18n/catalogs.py extract
	$(BIN)/python packaging/i18n/catalogs.py update
	$(BIN)/python packaging/i18n/catalogs.py stats

bench: $(DEV_STAMP)
	$(BIN)/python benchmarks/engine_overhead.py

headless: $(RUN_STAMP)
	$(BIN)/python main.py train --preset overfit

# A one-folder, double-clickable build in dist/overfit-lab/ (3.41 GB on Linux: torch and the
# CUDA libraries it links, nothing else of CUDA's). Build it on the OS it is for.
bundle: $(DEV_STAMP) catalogs
	$(BIN)/pyinstaller --noconfirm --clean --log-level WARN --distpath dist --workpath build/pyinstaller packaging/overfit-lab.spec

# Start the built app with the system's CUDA hidden: the window trains an epoch, a search of
# `transfer` runs two trials in worker processes, SqueezeNet fine-tunes; no library missing.
bundle-check: $(DEV_STAMP)
	$(BIN)/python packaging/check_bundle.py

# Offline install kits for Windows x64 and macOS arm64 in dist/kits/ (wheels pinned by
# packaging/kits/*.lock, fetched from the package index once and kept in build/kits/).
kits: $(DEV_STAMP) catalogs
	$(BIN)/python packaging/kits.py build

# Install each kit offline for its own platform into a temporary folder; print its size.
kits-check: $(DEV_STAMP)
	$(BIN)/python packaging/kits.py check

# Resolve the kits' locks again (after a dependency in pyproject.toml changed); commit them.
kits-lock: $(DEV_STAMP)
	$(BIN)/python packaging/kits.py lock

$(BIN)/python:
	@$(PYTHON) -c 'import sys; v = sys.version_info[:2]; sys.exit(0 if (3, 10) <= v <= (3, 12) else "Overfit Lab needs Python 3.10 to 3.12; $(PYTHON) is %d.%d. Run: make PYTHON=python3.11" % v)'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

# pyproject.toml lists every dependency; a changed list reinstalls.
$(RUN_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e .
	touch $@

# The dev environment has the logger (packaging/logger, imported as overfit_lab) installed too.
$(DEV_STAMP): pyproject.toml packaging/logger/pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e ".[dev]" -e ./packaging/logger
	touch $@ $(RUN_STAMP)

clean-venv:
	rm -rf $(VENV)
