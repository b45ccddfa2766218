# org-backup: the commands a platform engineer runs (README "Commands").
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STACK ?= prod
FORMAT ?= text
OUTPUT ?=
# A git ref: `make preview BASE=origin/main` also says what the change does compared with it.
BASE ?=

.PHONY: install venv lint typecheck test preview demo bench bench-ops fuzz clean

# Two stamps: `make preview` installs only what the program, the pack and the `org-backup` command need;
# `make test` adds the test toolchain. Recipes write to stderr only, so `make preview FORMAT=json > f` is JSON.
$(BIN)/.runtime-installed: requirements-build.txt requirements.txt policies/requirements.txt pyproject.toml
	@echo "installing the program's dependencies into $(VENV) (once)" >&2
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV) >&2
	@$(BIN)/pip install --quiet --upgrade pip >&2
	@$(BIN)/pip install --quiet -r requirements-build.txt -r requirements.txt -r policies/requirements.txt >&2
	@$(BIN)/pip install --quiet --no-build-isolation --no-deps -e . >&2
	@touch $@

$(BIN)/.installed: $(BIN)/.runtime-installed requirements-dev.txt
	@echo "installing the test toolchain into $(VENV) (once)" >&2
	@$(BIN)/pip install --quiet -r requirements-dev.txt >&2
	@touch $@

install: $(BIN)/.runtime-installed

venv: $(BIN)/.installed

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# The policy pack runs with only policies/ on its path, so it is type-checked from there too.
typecheck: venv
	$(BIN)/mypy .
	cd policies && ../$(BIN)/mypy --config-file ../pyproject.toml --exclude '^$$' .

test: lint typecheck
	$(BIN)/pytest -n 2

preview: install
	@$(BIN)/org-backup preview --stack $(STACK) --format $(FORMAT) $(if $(OUTPUT),--output $(OUTPUT)) $(if $(BASE),--base $(BASE))

# The stack deployed into moto's emulator (no AWS account), then verify, coverage and the report against it:
# writes $(OUTPUT) (default demo-out/): verify.json, coverage.json, report.html. moto is a test dependency.
demo: venv
	@$(BIN)/org-backup demo --stack $(STACK) --output $(or $(OUTPUT),demo-out)

# Many more fuzzing examples than `make test` runs (50,000 for the loader), freshly drawn each time.
fuzz: venv
	HYPOTHESIS_PROFILE=fuzz $(BIN)/pytest -n 2 tests/hardening

bench: venv
	$(BIN)/python -m dev.bench --suite --json bench/results.json

# verify --coverage over a synthetic organization through a fake transport (latency and AWS's rate limits, no
# network): `make bench-ops ACCOUNTS=200 OUTPUT=bench/ops-200.json`.
ACCOUNTS ?= 1000
REGIONS ?= 3
LATENCY_MS ?= 100
bench-ops: venv
	$(BIN)/python -m tests.org_backup.ops.bench_ops --accounts $(ACCOUNTS) --regions $(REGIONS) \
		--latency-ms $(LATENCY_MS) --output $(or $(OUTPUT),bench/ops.json)

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .hypothesis
