# Two commands do everything on a fresh machine:
#   make demo  — set up .venv and run the main job on bundled data
#   make test  — set up .venv (if needed) and run the test suite
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_OUT ?= demo-out

.PHONY: demo test venv docs bench clean chromium fuzz

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip "setuptools>=77" wheel

# torch first, pinned, so that the CPU build on this machine is used
$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -e '.[all,test,extract]'
	touch $(STAMP)

venv: $(STAMP)

demo: $(STAMP)
	@mkdir -p $(DEMO_OUT)
	@bash datasets/demo.sh $(BIN)/embgeo $(DEMO_OUT)

# Chromium renders the HTML report in one end-to-end test; installed when missing and
# possible (root with apt), otherwise that one test is skipped with the reason.
chromium:
	@command -v chromium >/dev/null 2>&1 || [ "$$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1 || \
	  (apt-get update -qq >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null 2>&1) || \
	  echo "chromium could not be installed: the report screenshot test will be skipped"

# the tests run in parallel processes (pytest-xdist), one per core up to 4: each test is seeded and
# uses its own temporary folder; a file's tests stay together, in order, in one process (--dist loadfile)
test: $(STAMP) chromium
	$(BIN)/python -m pytest -q -n auto --maxprocesses 4 --dist loadfile

# the CLI reference (docs/cli-reference.md) and the API reference from docstrings (docs/api/, HTML)
docs: $(STAMP)
	$(BIN)/python docs/gen_cli_reference.py
	$(BIN)/python -m pdoc --docformat numpy -o docs/api embgeo
	@echo "API reference: docs/api/index.html"

# the loader fuzz suite at length (make test runs 1000 cases in under 90 s); about 10 minutes
FUZZ_CASES ?= 8000
FUZZ_SEED ?= 1
fuzz: $(STAMP)
	EMBGEO_FUZZ_CASES=$(FUZZ_CASES) EMBGEO_FUZZ_SEED=$(FUZZ_SEED) $(BIN)/python -m pytest -q -s tests/test_fuzz_loaders.py

bench: $(STAMP)
	@for b in bench/bench_*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

clean:
	rm -rf build dist *.egg-info $(DEMO_OUT)
