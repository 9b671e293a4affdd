# The two commands of the README:
#   make run    installs everything and runs the demo pipeline (local broker, demo feed, poller, worker)
#   make test   installs everything and runs the whole test suite (unit + integration on a real broker)
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: install system-deps run test lint bench clean

$(BIN)/telex: requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q -r requirements.lock
	$(BIN)/pip install -q --no-deps -e .
	touch $@

system-deps:
	./scripts/install-system-deps.sh

install: system-deps $(BIN)/telex

run: install
	$(BIN)/telex --config deploy/demo/telex.yaml run

lint: $(BIN)/telex
	$(BIN)/ruff check .
	$(BIN)/mypy

test: install
	$(BIN)/python -m pytest -p no:cacheprovider

clean:
	rm -rf $(VENV) var
