# `make build` and `make test` set up their own virtual environment (.venv) on first use.
# The archivist's everyday commands are here too: `make validate`, `make fmt`, `make manifest`, `make verify`.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
RECORDS ?= records
OUT ?= build
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml constraints.txt | cksum | cut -d' ' -f1)
# What the browser tests run in the page (axe-core) and what rebuilds the verifier page's script, pinned.
WEB_STAMP := web/node_modules/.installed-$(shell cksum < web/package-lock.json | cut -d' ' -f1)

.PHONY: build test check bench validate fmt manifest verify clean

build: $(STAMP)
	$(BIN)/appeal-archive build $(RECORDS) --out $(OUT) --bag

# Bytecode is cached even where PYTHONDONTWRITEBYTECODE is set: pytest keeps the test modules it rewrites (and
# hypothesis's, a plugin) only in __pycache__, and compiling them again costs each worker 2 s a run.
test: $(STAMP) $(WEB_STAMP)
	PYTHONDONTWRITEBYTECODE= $(BIN)/python -m pytest -n auto --dist loadscope --no-loadscope-reorder

# The static checks CI runs before the tests: ruff (its rules are in pyproject.toml) and mypy on src/.
check: $(STAMP)
	$(BIN)/ruff check src tests tools bench
	$(BIN)/mypy

# make bench: every benchmark at full size (about half an hour); make bench BENCH=--smoke: a small run (CI).
bench: $(STAMP)
	$(BIN)/python bench/run.py $(BENCH)

validate: $(STAMP)
	$(BIN)/appeal-archive validate $(RECORDS)

fmt: $(STAMP)
	$(BIN)/appeal-archive fmt $(RECORDS)

manifest: $(STAMP)
	$(BIN)/appeal-archive manifest $(RECORDS)

verify: $(STAMP)
	$(BIN)/appeal-archive verify $(OUT)/*-bag

$(STAMP): pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "appeal-archive needs Python 3.11 or newer (set PYTHON=python3.12, for example)"; exit 1; }
	@$(PYTHON) -m venv --help >/dev/null 2>&1 || \
		{ echo "Python's venv module is missing: on Debian/Ubuntu run 'sudo apt-get install python3-venv'"; exit 1; }
	@pkg-config --exists icu-uc 2>/dev/null && command -v g++ >/dev/null 2>&1 || \
		{ echo "PyICU (Unicode's confusable letters, for the privacy check) is built against the system's ICU:" \
		"on Debian/Ubuntu run 'sudo apt-get install libicu-dev pkg-config g++'"; exit 1; }
	@echo "==> setting up $(VENV)/ (first run, or the pins changed): about a minute, once"
	rm -f $(VENV)/.installed-*
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	@echo "==> installing $$(grep -c '==' constraints.txt) pinned packages into $(VENV)/"
	set -o pipefail; $(BIN)/python -m pip install --disable-pip-version-check --progress-bar off \
		-c constraints.txt -e '.[test]' 2>&1 | { grep --line-buffered -E '^(Collecting|Successfully installed|ERROR)' \
		| sed -u 's/^/    /'; true; }
	touch $(STAMP)
	@echo "==> ready: run the commands as $(BIN)/appeal-archive, or '. $(BIN)/activate' first"

$(WEB_STAMP): web/package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
		echo "==> installing web/'s pinned packages (axe-core, the verifier's libraries)"; \
		npm ci --prefix web --no-audit --no-fund --loglevel=error && touch $@; \
	else echo "npm is missing: the browser tests run without axe-core and the verifier's rebuild is skipped" \
		"(on Debian/Ubuntu: sudo apt-get install npm)"; fi

clean:
	rm -rf $(VENV) build/* .pytest_cache .hypothesis
