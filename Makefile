# Transformers Lab Kit. Two commands do all the set-up on a fresh clone:
#   make lab    install, prepare the offline models, open the course in JupyterLab
#   make test   install, prepare, run every test (pytest + nbval on every notebook)
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
NBVAL := --nbval-lax --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg --nbval-cell-timeout 600
LAB_ARGS ?=
# torch's version comes from the lock; on Linux with no NVIDIA GPU the CPU build comes from this index.
TORCH := $(shell sed -n 's/^torch==//p' requirements.lock)
TORCH_CPU_INDEX ?= https://download.pytorch.org/whl/cpu
# JupyterLab refuses to start as root unless told; containers, cloud VMs and classroom images often run as root.
ALLOW_ROOT := $(if $(filter 0,$(shell id -u)),--allow-root)
# The browser the e2e tests drive: Debian's Chromium (Playwright never downloads one here).
CHROMIUM ?= /usr/bin/chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: help install prepare lab test test-e2e test-fast test-latest doctor benchmark benchmark-deployment benchmark-first-run benchmark-notebooks tables lock clean \
	classroom test-classroom grade lock-classroom benchmark-grading benchmark-classroom

help:
	@echo "make lab      install, prepare what notebook 00 needs, open JupyterLab on notebooks/ (the rest builds behind)"
	@echo "make test     install, prepare, run all tests and every notebook under nbval"
	@echo "make test-fast          unit tests only (tiny models, no kit home, no network; under a minute)"
	@echo "make test-e2e the notebooks in a real browser (JupyterLab + Chromium; installs chromium via apt)"
	@echo "make test-latest        the tests and notebooks on the newest releases pyproject.toml admits (maintainers)"
	@echo "make classroom          the instructors' grading environment (nbgrader, in .venv-classroom)"
	@echo "make grade SUBMISSIONS=folder  autograde collected notebooks with nbgrader, sandboxed"
	@echo "make test-classroom     labkit grade on synthetic submissions, and a real JupyterHub with five learners"
	@echo "make benchmark-classroom  1, 3, 5 learners through the hub on 04/06/08: the sizing table's figures"
	@echo "make doctor   check the environment"
	@echo "make prepare  (re)build the offline models and data in the kit home"
	@echo "make benchmark          generation speed (ours vs model.generate, KV cache, widget redraw)"
	@echo "make benchmark-deployment  PyTorch vs ONNX Runtime fp32 vs int8: speed, size, accuracy (notebook 09)"
	@echo "make benchmark-notebooks  time and peak memory of every notebook"
	@echo "make benchmark-first-run  a fresh clone's make lab, timed to JupyterLab answering and notebook 00 done"

# $(call cpu_torch,PYTHON,REQUIREMENT): on Linux with no NVIDIA GPU, torch's CPU build (about 0.2 GB of wheel
# instead of several GB of CUDA libraries) from the PyTorch project's CPU index; when that index cannot be reached,
# the next pip install takes torch from the default index instead.
define cpu_torch
	@if [ "$$(uname -s)" = Linux ] && ! nvidia-smi -L >/dev/null 2>&1; then \
	  echo "No NVIDIA GPU: installing the CPU build of $(2) from $(TORCH_CPU_INDEX)"; \
	  $(1) -m pip install --quiet --disable-pip-version-check --timeout 20 --retries 1 \
	    --index-url $(TORCH_CPU_INDEX) "$(2)" || \
	  echo "The PyTorch CPU index could not be reached: torch comes from the default index (on Linux, the CUDA build)"; \
	fi
endef

# $(call server_extension,PREFIX): enable labkit's Jupyter server extension (notebook 09's Transformers.js page) in
# that Python prefix. A wheel install puts the same file there (pyproject's data-files); an editable one does not.
define server_extension
	mkdir -p $(1)/etc/jupyter/jupyter_server_config.d
	cp jupyter-config/labkit.json $(1)/etc/jupyter/jupyter_server_config.d/labkit.json
endef

# The lock is installed by uv, several times faster than pip (`make benchmark-first-run`): the uv on the PATH, else
# uv $(UV_PIN) bootstrapped into build/uv by the venv's pip (one wheel), else pip itself when that fails.
# UV=none forces pip. torch is always pip's (above): uv looks only at its own indexes, where torch would be the CUDA
# build, and it keeps the torch it finds installed.
UV_PIN := 0.13.9
UV ?= $(shell command -v uv)
UV_BOOTSTRAP := build/uv
PIP_INSTALL := $(BIN)/python -m pip install --quiet --disable-pip-version-check

# The virtual environment, rebuilt when the lock or the package metadata change.
$(BIN)/.installed: requirements.lock pyproject.toml
	@$(PYTHON) tools/check_python.py
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(call cpu_torch,$(BIN)/python,torch==$(TORCH))
	$(PIP_INSTALL) torch==$(TORCH)
	@uv="$(UV)"; \
	if [ -z "$$uv" ] && [ -x $(UV_BOOTSTRAP)/bin/uv ]; then uv=$(UV_BOOTSTRAP)/bin/uv; fi; \
	if [ -z "$$uv" ]; then \
	  echo "uv is not on the PATH: bootstrapping uv $(UV_PIN) into $(UV_BOOTSTRAP) with pip"; \
	  $(PIP_INSTALL) --target $(UV_BOOTSTRAP) uv==$(UV_PIN) \
	    && uv=$(UV_BOOTSTRAP)/bin/uv || { echo "uv could not be installed: pip installs the lock"; uv=none; }; \
	fi; \
	if [ "$$uv" = none ]; then install="$(PIP_INSTALL)"; else install="$$uv pip install --quiet --python $(BIN)/python"; fi; \
	echo "Installing requirements.lock with $$([ "$$uv" = none ] && echo pip || echo $$uv)"; \
	$$install -r requirements.lock && $$install --no-deps -e .
	$(call server_extension,$(VENV))
	touch $@

install: $(BIN)/.installed

prepare: install
	$(BIN)/labkit prepare

doctor: install
	$(BIN)/labkit doctor

# JupyterLab opens once what notebook 00 needs is ready (seconds); the rest (the sentiment classifier trains for
# about two minutes on 2 cores) builds in the background, and a cell that needs it waits for it.
lab: install
	$(BIN)/labkit prepare --first
	$(BIN)/labkit prepare --background
	@$(if $(ALLOW_ROOT),echo "Running as root (a container or VM?): starting JupyterLab with --allow-root")
	$(BIN)/jupyter lab --ServerApp.root_dir=notebooks $(ALLOW_ROOT) $(LAB_ARGS)

# Tests keep the exercise progress of the notebooks they run in build/, not in the tester's own folder.
TEST_ENV := LABKIT_QUIET=1 LABKIT_STRICT_WARNINGS=1 LABKIT_USER_DIR=$(CURDIR)/build/test-learner

# NOTEBOOKS= leaves nbval's executions out: .ci/run does, because test-e2e compares every notebook's outputs too.
# PYTEST_ARGS: more pytest options (.ci/run: -m "not browser_twin", the tests test-e2e proves again in a browser).
# TEST_JOBS: pytest-xdist workers (each file on one worker, torch's threads shared out: conftest.py); 1 for none.
NOTEBOOKS ?= notebooks
PYTEST_ARGS ?=
TEST_JOBS ?= 2
PARALLEL := $(if $(filter-out 1,$(TEST_JOBS)),-n $(TEST_JOBS) --dist loadfile)
test: prepare
	$(TEST_ENV) $(BIN)/python -m pytest $(NOTEBOOKS) tests --ignore=tests/e2e $(NBVAL) $(PARALLEL) $(PYTEST_ARGS)

# JupyterLab on localhost driven by Playwright in Debian's Chromium; screenshots kept in tests/e2e/screenshots/.
# Each notebook's Run All is saved in build/run-all/, then nbval compares those outputs with the committed ones in
# the same run (--outputs-from, after the browser tests): each notebook executes once for both proofs.
test-e2e: prepare $(CHROMIUM)
	rm -rf build/run-all
	$(TEST_ENV) LABKIT_E2E_REQUIRED=1 LABKIT_CHROMIUM=$(CHROMIUM) $(BIN)/python -m pytest tests/e2e notebooks -v \
	  $(NBVAL) --outputs-from=build/run-all

$(CHROMIUM):
	@echo "Installing Debian's chromium for the browser tests (apt)..."
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium || \
	  { $(SUDO) apt-get update && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium; }

# Maintainers, before raising the lock: a fresh environment with the newest releases pyproject.toml admits, the
# library tests and every notebook under nbval, and a report of what changed (build/latest-report.txt).
LATEST := build/venv-latest
test-latest: prepare
	rm -rf $(LATEST) && mkdir -p build && $(PYTHON) -m venv $(LATEST)
	$(call cpu_torch,$(LATEST)/bin/python,torch)
	$(LATEST)/bin/python -m pip install --quiet --disable-pip-version-check --upgrade --upgrade-strategy eager -e ".[test]"
	$(call server_extension,$(LATEST))
	-LABKIT_QUIET=1 LABKIT_STRICT_WARNINGS=1 $(LATEST)/bin/python -m pytest notebooks tests --ignore=tests/e2e \
	  $(NBVAL) $(PARALLEL) -q -rfE --junitxml=build/latest-junit.xml > build/latest-pytest.log 2>&1
	$(LATEST)/bin/python tools/latest_report.py $(LATEST)/bin/python build/latest-junit.xml | tee build/latest-report.txt

# Unit tests only (tiny models; no kit home, no network): seconds. The kit home is pointed at a folder that does not
# exist, so a test that needs the prepared models fails here instead of passing by chance.
test-fast: install
	$(TEST_ENV) LABKIT_HOME=$(CURDIR)/build/no-kit-home $(BIN)/python -m pytest tests \
	  --ignore=tests/e2e -m "not integration and not install and not network" -q

# Generation speed: our loop vs model.generate, the KV cache, the explorer's redraw time.
benchmark: prepare
	$(BIN)/python benchmarks/generation.py

# PyTorch vs ONNX Runtime fp32 vs int8, side by side (notebook 09's comparison).
benchmark-deployment: prepare
	$(BIN)/python benchmarks/deployment.py

# A new learner's first minutes: `make lab` on a fresh clone with an empty kit home, timed (benchmarks/first_run.py).
benchmark-first-run: install $(CHROMIUM)
	$(BIN)/python benchmarks/first_run.py $(FIRST_RUN_ARGS)

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

# Instructors and the classroom hub: nbgrader, JupyterHub 5 and nbgitpuller in an environment of their own (they add
# notebook 7 and server extensions); kernels run the course's own Python ($(BIN)/python): a submission's in a sandbox
# (bubblewrap, prlimit, setpriv). The hub's proxy, configurable-http-proxy, is pinned in classroom/proxy.
CLASSROOM ?= .venv-classroom
GRADER_USER ?= labkit-grader
SUBMISSIONS ?= submissions
GRADE_ENV := LABKIT_KERNEL_PYTHON=$(CURDIR)/$(BIN)/python
PROXY := classroom/proxy/node_modules/.bin/configurable-http-proxy

$(CLASSROOM)/.installed: requirements-classroom.lock pyproject.toml
	@$(PYTHON) tools/check_python.py
	test -x $(CLASSROOM)/bin/python || $(PYTHON) -m venv $(CLASSROOM)
	$(CLASSROOM)/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-classroom.lock
	$(CLASSROOM)/bin/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $@

/usr/bin/bwrap:
	@echo "Installing Debian's bubblewrap for the grading sandbox (apt)..."
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends bubblewrap || \
	  { $(SUDO) apt-get update && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends bubblewrap; }

/usr/bin/shellcheck:
	@echo "Installing Debian's ShellCheck for the classroom scripts' test (apt)..."
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends shellcheck || \
	  { $(SUDO) apt-get update && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends shellcheck; }

$(PROXY): classroom/proxy/package-lock.json
	npm ci --prefix classroom/proxy --no-audit --no-fund --loglevel=error
	touch $@

classroom: prepare $(CLASSROOM)/.installed /usr/bin/bwrap /usr/bin/shellcheck $(PROXY)
	@if [ "$$(id -u)" = 0 ] && ! id $(GRADER_USER) >/dev/null 2>&1; then \
	  echo "Creating the unprivileged user $(GRADER_USER) that submissions run as"; \
	  useradd --system --no-create-home --shell /usr/sbin/nologin $(GRADER_USER); fi

grade: classroom
	$(GRADE_ENV) $(CLASSROOM)/bin/labkit grade $(SUBMISSIONS) --user $(GRADER_USER) $(GRADE_ARGS)

test-classroom: classroom
	$(GRADE_ENV) LABKIT_QUIET=1 $(CLASSROOM)/bin/python -m pytest tests/test_grading.py tests/test_hub.py tests/test_nbgitpuller_merge.py \
	  tests/test_shell_scripts.py -v

# A class on one server: 1, 3 and 5 learners through a real hub on notebooks 04, 06, 08 (about an hour);
# saves assets/classroom_sizing.json, then docs/instructor.md's sizing table is rewritten from it.
benchmark-classroom: classroom
	$(GRADE_ENV) LABKIT_QUIET=1 $(CLASSROOM)/bin/python benchmarks/classroom.py --save
	$(BIN)/python tools/course_tables.py

# Grading time: 30 submissions of one notebook through labkit grade vs one plain execution.
benchmark-grading: classroom
	$(GRADE_ENV) GRADER_USER=$(GRADER_USER) $(CLASSROOM)/bin/python benchmarks/grading.py 30 02_tokenizers

lock-classroom: $(CLASSROOM)/.installed
	mkdir -p build && { sed -n 1,3p requirements-classroom.lock; $(CLASSROOM)/bin/python -m pip freeze --exclude-editable; } > build/classroom.lock
	mv build/classroom.lock requirements-classroom.lock

clean:
	rm -rf $(VENV) $(CLASSROOM) build *.egg-info .pytest_cache classroom/proxy/node_modules
