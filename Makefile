# Flagpost: every command the project runs lives here. `make run` and `make test` work on a fresh
# machine with nothing but python3 (and root apt for the browser tests).

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
PORT ?= 8787
CREDENTIALS ?= .flagpost/credentials.json
PYTEST_FLAGS ?= -q
SAM_VENV ?= .venv-sam
SAM_PYENV ?= 3.11.7:3.13.0

.PHONY: help setup browser run test lint typecheck cfn-lint unit integration e2e bench openapi clean

help:
	@echo "make run      - set up and start the whole stack on 127.0.0.1:$(PORT) (flagpost local)"
	@echo "make test     - set up and run linters, type checks, cfn-lint and every test tier"
	@echo "make setup    - only create $(VENV) and install Flagpost with its dev tools"
	@echo "make lint     - ruff, mypy and cfn-lint"
	@echo "make bench    - print the benchmark table (see docs/BENCHMARKS.md)"
	@echo "make openapi  - regenerate docs/openapi.json from the resolvers"
	@echo "make browser  - install Debian's chromium for the console's browser tests, if missing"

setup: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	rm -f $(VENV)/.installed-*
	touch $@

# The console's browser tests drive Debian's Chromium (never a downloaded one): install it if missing.
browser:
	command -v chromium >/dev/null || (apt-get update && apt-get install -y chromium)

run: setup
	$(BIN)/flagpost local --port $(PORT) --credentials-out $(CREDENTIALS)

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(MAKE) --no-print-directory typecheck cfn-lint

typecheck: setup
	$(BIN)/mypy shared tests infra
	# Each function's handler.py is a top-level module of its own, as Lambda imports it.
	for fn in functions/*/; do $(BIN)/mypy $$fn/handler.py || exit 1; done

cfn-lint: setup
	$(BIN)/cfn-lint template.yaml

unit: setup
	$(BIN)/pytest tests/unit $(PYTEST_FLAGS)

integration: setup
	$(BIN)/pytest tests/integration $(PYTEST_FLAGS)

e2e: setup browser
	$(BIN)/pytest tests/e2e $(PYTEST_FLAGS)

test: lint browser
	$(BIN)/pytest tests/unit tests/integration tests/e2e $(PYTEST_FLAGS)

bench: setup
	$(BIN)/python tests/bench/run.py

openapi: setup
	$(BIN)/python infra/scripts/openapi.py docs/openapi.json

clean:
	rm -rf $(VENV) $(SAM_VENV) .aws-sam .mypy_cache .pytest_cache .ruff_cache .flagpost
