# The two commands of the README:
#   make run    installs everything and runs the demo pipeline (local broker, demo feed, poller, worker)
#   make test   installs everything and runs the whole test suite (unit + integration on a real broker)
# and, for the performance figures in docs/performance.md:
#   make bench  runs every benchmark with its same-run baseline (under 10 minutes on 2 cores)
# and, for Kubernetes:
#   make -s k8s | kubectl apply -f -   builds deploy/k8s with the package's own taxonomy
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: install system-deps run test lint bench k8s clean

$(BIN)/telex: requirements.lock requirements-model.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q -r requirements.lock
	$(BIN)/pip install -q --no-deps --require-hashes -r requirements-model.lock
	$(BIN)/pip install -q --no-deps -e .
	touch $@

system-deps:
	./scripts/install-system-deps.sh

install: system-deps $(BIN)/telex

run: install
	$(BIN)/telex --config deploy/demo/telex.yaml run

lint: $(BIN)/telex
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: install lint
	$(BIN)/python -m pytest -p no:cacheprovider

bench: install
	$(BIN)/python -m benchmarks.run_all --out docs/performance.md

# The taxonomy ConfigMap is generated from agents/tagging/taxonomy.yaml (one file, no copy),
# which lies outside the kustomization root: kustomize reads it only with this flag.
k8s:
	kubectl kustomize --load-restrictor LoadRestrictionsNone deploy/k8s

clean:
	rm -rf $(VENV) var
