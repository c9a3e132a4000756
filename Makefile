# Transformers Lab Kit. Two commands do all the set-up on a fresh clone:
#   make lab    install, prepare the offline models, open the course in JupyterLab
#   make test   install, prepare, run every test (pytest + nbval on every notebook)
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
NBVAL := --nbval-lax --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg --nbval-cell-timeout 600
LAB_ARGS ?=
# The browser the e2e tests drive: Debian's Chromium (Playwright never downloads one here).
CHROMIUM ?= /usr/bin/chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: help install prepare lab test test-e2e test-fast doctor benchmark benchmark-notebooks tables lock clean

help:
	@echo "make lab      install, prepare offline models, open JupyterLab on notebooks/"
	@echo "make test     install, prepare, run all tests and every notebook under nbval"
	@echo "make test-e2e the notebooks in a real browser (JupyterLab + Chromium; installs chromium via apt)"
	@echo "make doctor   check the environment"
	@echo "make prepare  (re)build the offline models and data in the kit home"
	@echo "make benchmark          generation speed (ours vs model.generate, KV cache, widget redraw)"
	@echo "make benchmark-notebooks  time and peak memory of every notebook"

# The virtual environment, rebuilt when the lock or the package metadata change.
$(BIN)/.installed: requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $@

install: $(BIN)/.installed

prepare: install
	$(BIN)/labkit prepare

doctor: install
	$(BIN)/labkit doctor

lab: prepare
	$(BIN)/jupyter lab --ServerApp.root_dir=notebooks $(LAB_ARGS)

test: prepare
	LABKIT_QUIET=1 $(BIN)/python -m pytest tests notebooks --ignore=tests/e2e $(NBVAL)

# JupyterLab on localhost driven by Playwright in Debian's Chromium; screenshots kept in tests/e2e/screenshots/.
test-e2e: prepare $(CHROMIUM)
	LABKIT_E2E_REQUIRED=1 LABKIT_CHROMIUM=$(CHROMIUM) $(BIN)/python -m pytest tests/e2e -v

$(CHROMIUM):
	@echo "Installing Debian's chromium for the browser tests (apt)..."
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium || \
	  { $(SUDO) apt-get update && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium; }

# Library tests only, no notebooks.
test-fast: prepare
	LABKIT_QUIET=1 $(BIN)/python -m pytest tests --ignore=tests/e2e

# Generation speed: our loop vs model.generate, the KV cache, the explorer's redraw time.
benchmark: prepare
	$(BIN)/python benchmarks/generation.py

# Time and peak memory of every notebook (targets: <= 90 s each on 2 cores, < 1.5 GB).
benchmark-notebooks: prepare
	$(BIN)/python benchmarks/notebooks.py --save
	$(BIN)/python tools/course_tables.py

# The README's notebook table and badges, and the instructor guide's lesson plan, from the notebooks' metadata.
tables: install
	$(BIN)/python tools/course_tables.py

# Re-pin requirements.lock from the current environment (after changing versions on purpose).
lock: install
	{ echo "# Exact versions CI tests (Python 3.11, Linux, CPU). Ranges live in pyproject.toml."; \
	  echo "# Regenerate after an upgrade with: make lock"; \
	  $(BIN)/python -m pip freeze --exclude-editable | sed 's/+cpu$$//'; } > requirements.lock
	$(BIN)/python tools/binder_env.py

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
