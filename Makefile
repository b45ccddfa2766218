# org-backup: the commands a platform engineer runs (README "Commands").
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STACK ?= prod
FORMAT ?= text
OUTPUT ?=

.PHONY: venv lint typecheck test preview bench fuzz clean

$(BIN)/.installed: requirements.txt requirements-dev.txt policies/requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

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

preview: venv
	$(BIN)/python -m tools.preview --stack $(STACK) --format $(FORMAT) $(if $(OUTPUT),--output $(OUTPUT))

# Many more fuzzing examples than `make test` runs (50,000 for the loader), freshly drawn each time.
fuzz: venv
	HYPOTHESIS_PROFILE=fuzz $(BIN)/pytest -n 2 tests/hardening

bench: venv
	$(BIN)/python -m tools.bench --suite --json bench/results.json

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .hypothesis
