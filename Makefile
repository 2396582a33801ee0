# goldwire developer and CI entry points. Every target sets up what it needs itself.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip
SEED_OUT ?= data/seed
# The demo needs goldwire and its [report] extra only: it runs in .venv when `make venv` made
# one, else in a venv of its own without the test tooling, the model adapters or Ray.
DEMO_VENV ?= $(if $(wildcard $(BIN)/goldwire),$(VENV),.venv-demo)
DEMO_BIN  := $(DEMO_VENV)/bin

.PHONY: help venv demo-venv doccano chromium demo wheel-check test test-fast lint format bench bench-scale benchmark clean

help:  ## list targets
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

$(BIN)/goldwire: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade "pip>=24" "setuptools>=77" wheel
	$(PIP) install -q -c constraints.txt -e ".[test,report,models,ray]"
	@touch $@

venv: $(BIN)/goldwire  ## create .venv with goldwire and its test dependencies

ifeq ($(DEMO_VENV),$(VENV))
demo-venv: venv
else
$(DEMO_BIN)/goldwire: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(DEMO_VENV)
	$(DEMO_BIN)/python -m pip install -q --upgrade "pip>=24" "setuptools>=77" wheel
	$(DEMO_BIN)/python -m pip install -q -c constraints.txt -e ".[report]"
	@touch $@

demo-venv: $(DEMO_BIN)/goldwire  ## the demo's venv: goldwire and [report] only (.venv when it exists)
endif

demo: demo-venv  ## the main job on the seed articles: corpus, Doccano with gold pre-annotations, benchmark
	$(DEMO_BIN)/goldwire annotate server install
	$(DEMO_BIN)/goldwire corpus build seeds/articles --out $(SEED_OUT) --name seed
	$(DEMO_BIN)/goldwire annotate server start
	$(DEMO_BIN)/goldwire annotate push $(SEED_OUT) --project seed --pre-annotate seeds/gold/seed.jsonl
	$(DEMO_BIN)/goldwire evaluate benchmark --gold seeds/gold/seed.jsonl --models rules-stance --out reports/seed
	$(DEMO_BIN)/goldwire annotate server status

doccano: venv  ## install the Doccano server's own venv (once; later runs are a no-op)
	$(BIN)/python -m goldwire.annotate.server install

chromium:  ## Debian's Chromium for the browser test (Playwright's own browser download does not work here)
	@command -v chromium >/dev/null 2>&1 || { \
	  [ "$$(id -u)" = 0 ] || { echo "the browser test needs Chromium: run 'sudo apt-get install -y chromium'"; exit 1; }; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

test: venv doccano chromium  ## run the whole test suite (the tests start the Doccano server they need)
	$(BIN)/python -m pytest -q

wheel-check:  ## the built wheel alone in fresh venvs: every command, then each group of extras (CI's second stage)
	bash .ci/wheel_smoke.sh

test-fast: venv  ## tests without the Doccano server or ../shared/data
	$(BIN)/python -m pytest -q -m "not doccano and not shared_data"

lint: venv  ## ruff: lint rules and formatting (`make format` fixes the formatting)
	$(BIN)/ruff check goldwire corpus annotate evaluate tests bench
	$(BIN)/ruff format --check goldwire corpus annotate evaluate tests bench

format: venv  ## ruff format (and the fixable lint rules, imports sorted)
	$(BIN)/ruff check --fix goldwire corpus annotate evaluate tests bench
	$(BIN)/ruff format goldwire corpus annotate evaluate tests bench

benchmark: venv  ## model benchmarks on ../shared/data (about 5 min); regenerates docs/benchmarks.md
	$(BIN)/python bench/models.py

bench: venv  ## benchmarks (minutes; figures printed with ratios to references)
	$(BIN)/python bench/corpus_build.py

bench-scale: venv  ## corpus build at 200,000 articles: local and Ray engines, memory per process (about 12 min; docs/scale.md)
	$(BIN)/python bench/corpus_scale.py

clean:  ## remove generated data (not the venvs)
	rm -rf data/ .pytest_cache .hypothesis
