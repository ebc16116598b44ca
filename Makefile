# Flagpost: every command the project runs lives here. `make run` and `make test` work on a fresh
# machine with nothing but python3 (and root apt for the browser tests).

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
PORT ?= 8787
CREDENTIALS ?= .flagpost/credentials.json
PYTEST_FLAGS ?= -q
# aws-sam-cli and checkov pin boto3, pydantic and more: each lives in a tool venv of its own, pinned
# exactly so that a new release cannot change CI's verdict on an unchanged template.
SAM_VENV ?= .venv-sam
SAM_CLI_VERSION ?= 1.170.0
SAM := $(SAM_VENV)/bin/sam
SAM_STAMP := $(SAM_VENV)/.installed-$(SAM_CLI_VERSION)
CHECKOV_VENV ?= .venv-checkov
CHECKOV_VERSION ?= 3.3.30
CHECKOV_STAMP := $(CHECKOV_VENV)/.installed-$(CHECKOV_VERSION)
# `sam build` needs the functions' runtime (python3.13) on PATH; pyenv provides it next to 3.11.
SAM_PYENV ?= 3.11.7:3.13.0
REGION ?= eu-west-1
SAM_CONFIG ?= infra/samconfig.toml
export SAM_CLI_TELEMETRY = 0

.PHONY: help setup browser run test lint typecheck cfn-lint checkov validate build deploy dashboard unit integration e2e bench fuzz openapi clean

help:
	@echo "make run      - set up and start the whole stack on 127.0.0.1:$(PORT) (flagpost local)"
	@echo "make test     - set up and run linters, type checks, cfn-lint and every test tier"
	@echo "make setup    - only create $(VENV) and install Flagpost with its dev tools"
	@echo "make lint     - ruff, mypy and cfn-lint"
	@echo "make checkov  - scan template.yaml with checkov (0 failed checks; skips are inline with reasons)"
	@echo "make validate - sam validate --lint"
	@echo "make build    - sam build (functions and the layer, arm64, into .aws-sam/build)"
	@echo "make deploy   - build and sam deploy with $(SAM_CONFIG) (guided on first use; see docs/deploy.md)"
	@echo "make dashboard - (re)publish the deployed stack's CloudWatch dashboard (infra/dashboard.py)"
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
	$(BIN)/mypy shared functions tests infra
	$(BIN)/lint-imports
	# Each function's handler.py is a top-level module of its own, as Lambda imports it.
	for fn in functions/*/; do $(BIN)/mypy $$fn/handler.py || exit 1; done

cfn-lint: setup
	$(BIN)/cfn-lint template.yaml

$(SAM_STAMP):
	test -x $(SAM_VENV)/bin/python || $(PYTHON) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(SAM_VENV)/bin/python -m pip install --quiet 'aws-sam-cli==$(SAM_CLI_VERSION)'
	rm -f $(SAM_VENV)/.installed-*
	touch $@

$(CHECKOV_STAMP):
	test -x $(CHECKOV_VENV)/bin/python || $(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(CHECKOV_VENV)/bin/python -m pip install --quiet 'checkov==$(CHECKOV_VERSION)'
	rm -f $(CHECKOV_VENV)/.installed-*
	touch $@

# --skip-download: no calls to the vendor's platform; every check runs locally.
checkov: $(CHECKOV_STAMP)
	$(CHECKOV_VENV)/bin/checkov -f template.yaml --framework cloudformation --skip-download --compact --quiet

# Lint and transform need a region but no credentials.
validate: $(SAM_STAMP)
	$(SAM) validate --lint --template template.yaml --region $(REGION)

build: $(SAM_STAMP)
	PYENV_VERSION=$(SAM_PYENV) $(SAM) build --template template.yaml --build-dir .aws-sam/build \
		--cached --cache-dir .aws-sam/cache --parallel

# The first deploy of a config without a region asks every question and saves the answers there.
# (sam reads --config-file relative to the template's folder, hence the absolute path.)
deploy: build
	if grep -q '^region' $(SAM_CONFIG); then \
		$(SAM) deploy --config-file $(abspath $(SAM_CONFIG)) --template-file .aws-sam/build/template.yaml; \
	else \
		$(SAM) deploy --guided --config-file $(abspath $(SAM_CONFIG)) --template-file .aws-sam/build/template.yaml; \
	fi
	$(MAKE) --no-print-directory dashboard

# The dashboard follows the template (every function, queue, table and alarm) with the stack's
# physical names; it is named after the stack. Stack and region come from $(SAM_CONFIG).
dashboard: setup
	$(BIN)/python infra/dashboard.py --publish \
		--stack-name "$$(sed -n 's/^stack_name = "\(.*\)"/\1/p' $(SAM_CONFIG) | head -1)" \
		--region "$$(sed -n 's/^region = "\(.*\)"/\1/p' $(SAM_CONFIG) | head -1 | grep . || echo $(REGION))" >/dev/null

unit: setup
	$(BIN)/pytest tests/unit $(PYTEST_FLAGS)

integration: setup
	$(BIN)/pytest tests/integration $(PYTEST_FLAGS)

e2e: setup browser
	$(BIN)/pytest tests/e2e $(PYTEST_FLAGS)

# The template's checks run before the tests: cfn-lint (in lint), checkov, sam validate --lint and
# sam build (about 20 s together once the tool venvs exist, which takes about a minute once).
test: lint checkov validate build browser
	$(BIN)/pytest tests/unit tests/integration tests/e2e $(PYTEST_FLAGS)

bench: setup
	$(BIN)/python tests/bench/run.py

# A long schemathesis run against a fresh `flagpost local` (make test runs a bounded one).
fuzz: setup
	FLAGPOST_FUZZ_EXAMPLES=$${FLAGPOST_FUZZ_EXAMPLES:-200} $(BIN)/pytest tests/e2e/test_fuzz.py $(PYTEST_FLAGS)

openapi: setup
	$(BIN)/python infra/scripts/openapi.py docs/openapi.json

clean:
	rm -rf $(VENV) $(SAM_VENV) $(CHECKOV_VENV) .aws-sam .mypy_cache .pytest_cache .ruff_cache .flagpost
