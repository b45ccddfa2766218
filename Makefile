# org-backup: the commands a platform engineer runs (README "Commands").
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STACK ?= prod
FORMAT ?= text

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

typecheck: venv
	$(BIN)/mypy .

test: lint typecheck
	$(BIN)/pytest -n 2

preview: venv
	$(BIN)/python -m tools.preview --stack $(STACK) --format $(FORMAT)

bench: venv
	$(BIN)/python -m tools.bench --suite --json bench/results.json

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .hypothesis
