# Two commands matter: `make book` (build the course, executing every notebook) and `make test`
# (everything CI checks). Both create .venv from requirements.txt first when it is missing or stale.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := .venv
PY := $(VENV)/bin/python
# The pins (torch==2.13.0's CPU build among them) and the stored notebook outputs are made on
# Python 3.11: check it before anything else, with a message that says what to do.
PYTHON_VERSION := $(shell python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null)
ifneq ($(PYTHON_VERSION),3.11)
ifneq ($(MAKECMDGOALS),help)
$(error lrcourse needs Python 3.11 (python3 is $(or $(PYTHON_VERSION),missing)). Install 3.11 \
  (e.g. `uv python install 3.11`, pyenv, or your distribution's python3.11) and put it first on \
  PATH as python3; 3.10 is too old for the pins, and 3.12/3.13 have no torch==2.13.0 CPU build \
  in requirements.txt. To only use the course, `pip install lrcourse` works on 3.11 (README))
endif
endif
STAMP := $(VENV)/.installed
HTML := _build/html/index.html

# Keep every Jupyter/IPython/matplotlib directory inside the project: nothing depends on $HOME.
export JUPYTER_CONFIG_DIR := $(CURDIR)/.cache/jupyter/config
export JUPYTER_DATA_DIR := $(CURDIR)/.cache/jupyter/data
export JUPYTER_RUNTIME_DIR := $(CURDIR)/.cache/jupyter/runtime
export JUPYTER_PLATFORM_DIRS := 1
export IPYTHONDIR := $(CURDIR)/.cache/ipython
export MPLCONFIGDIR := $(CURDIR)/.cache/matplotlib
export MPLBACKEND := Agg
export PYTHONHASHSEED := 0
export PYDEVD_DISABLE_FILE_VALIDATION := 1
export LRCOURSE_PROGRESS_FILE_DIR := $(CURDIR)/.cache/progress
# Keys torch computed for assign/export, cached per snippet, torch and engine (lrcourse/grading/keycache.py).
export LRCOURSE_CACHE := $(CURDIR)/.cache/lrcourse
# Executed notebooks store the numbers of a CPU run: pin the training demos to the CPU wherever
# notebooks are executed or compared, so strict nbval passes on a GPU machine too. Learners in
# JupyterLab still get cuda/mps from lrcourse.pick_device(); set LRCOURSE_DEVICE to override.
nbval nbval-kernels notebooks book book-strict: export LRCOURSE_DEVICE ?= cpu

NOTEBOOKS := $(sort $(wildcard notebooks/*.ipynb))

# Stored widget state would be embedded in the book (dead weight, and a CDN loader); jupytext's
# pairing metadata is an authoring detail, cells' run times are churn. None belongs in a committed
# notebook; nbstripout drops them (its defaults: widgets, cells' execution times; jupytext added)
# and keeps the outputs, counts, cell ids and the kernelspec (without it a fresh JupyterLab asks
# "Select Kernel" before Run All).
STRIP_NOTEBOOK_METADATA = $(VENV)/bin/nbstripout --keep-output --keep-count --keep-id \
	--extra-keys "metadata.jupytext"

.PHONY: help setup book test test-all unit-slow browser-slow check lint typecheck unit nbval nbval-kernels wheelhouse wheel-test book-strict book-check browser lab serve bench notebooks clean quiz-verify

help:
	@echo "make book   - set up .venv, build the book executing every notebook"
	@echo "make test   - set up .venv, run ruff, mypy, unit tests, strict nbval (also on generic kernels and from the"
	@echo "              installed wheel outside the clone), strict book build, browser tests"
	@echo "make lab    - open the course in JupyterLab"
	@echo "make serve  - serve the built book on http://127.0.0.1:8000"
	@echo "make bench  - run the benchmarks in benchmarks/"
	@echo "make notebooks - re-execute the notebooks in place (after editing them)"

$(STAMP): requirements.txt pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet -r requirements.txt
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $(STAMP)

setup: $(STAMP)

# jupyter-cache re-runs a notebook only when its code cells change, but what a cell shows also
# depends on lrcourse/ (explorer twins, quiz widgets) and on the quiz banks: a change to either
# clears the execution cache and the parsed pages, so a cached build never serves stale output.
EXECUTION_INPUTS := $(shell find lrcourse quizzes -type f \( -name '*.py' -o -name '*.yaml' \) 2>/dev/null)
CACHE_STAMP := _build/.execution-inputs

$(CACHE_STAMP): $(EXECUTION_INPUTS) requirements.txt
	rm -rf _build/.jupyter_cache _build/.doctrees
	mkdir -p _build && touch $@

# The book's scripts and styles are copied by Sphinx only when some page is rebuilt: a change to
# one of them clears the parsed pages (not the execution cache), so the next build copies them.
STATIC_STAMP := _build/.static-inputs
$(STATIC_STAMP): $(wildcard lrcourse/static/*)
	rm -rf _build/.doctrees
	mkdir -p _build && touch $@

book: $(STAMP) $(CACHE_STAMP) $(STATIC_STAMP)
	$(VENV)/bin/jupyter-book build . --path-output . 
	@echo "Book built: $(CURDIR)/$(HTML)"

book-strict: $(STAMP) $(CACHE_STAMP) $(STATIC_STAMP)
	$(VENV)/bin/jupyter-book build . --path-output . --warningiserror --nitpick --keep-going
	@echo "Book built with zero warnings: $(CURDIR)/$(HTML)"

# make test's strict build. nbval has just shown that executing each notebook reproduces its
# stored outputs, so this build shows the stored outputs (execute_notebooks: off) instead of
# executing every notebook a fourth time; pages that set execution_mode: force (the generated
# pages, chapter 7's quiz twin) still run. make book and make book-strict (the publish workflow)
# execute everything. The derived config sits beside _config.yml's settings with the local
# extensions' folders made absolute (jupyter-book reads them relative to the config file).
STORED_OUTPUTS_CONFIG := _build/_config.stored-outputs.yml
define STORED_OUTPUTS
import pathlib, sys, yaml
config = yaml.safe_load(pathlib.Path("_config.yml").read_text())
config["execute"]["execute_notebooks"] = "off"
extensions = config["sphinx"]["local_extensions"]
config["sphinx"]["local_extensions"] = {k: str(pathlib.Path(v).resolve()) for k, v in extensions.items()}
pathlib.Path(sys.argv[1]).write_text(yaml.safe_dump(config, sort_keys=False))
endef
export STORED_OUTPUTS

book-check: $(STAMP) $(CACHE_STAMP) $(STATIC_STAMP)
	$(PY) -c "$$STORED_OUTPUTS" $(STORED_OUTPUTS_CONFIG)
	$(VENV)/bin/jupyter-book build . --path-output . --config $(STORED_OUTPUTS_CONFIG) \
		--warningiserror --nitpick --keep-going
	@echo "Book built from the stored outputs with zero warnings: $(CURDIR)/$(HTML)"

lint: $(STAMP)
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports

# mypy's settings (and the modules still waiting for their annotations) are in pyproject.toml.
typecheck: $(STAMP)
	$(VENV)/bin/mypy

# Suites marked slow (multi-seed claims over the chapters, class round trips through the CLI,
# the hostile corpus as an ordinary user, the wheel in a fresh venv) run in CI (CI=true, as
# .ci/run has it) and with `make test-all`; `make test` without them stays under 10 minutes on
# 2 quiet cores.
# Two workers, one test file each at a time (a file's fixtures, such as the isolation suite's
# runs, are set up once): on 2 cores the quick suite takes about half its serial time.
unit: $(STAMP)
	$(VENV)/bin/pytest -m "not browser and not wheel and not slow" -p no:cacheprovider \
		-n 2 --dist loadfile --durations=10

unit-slow: $(STAMP)
	$(VENV)/bin/pytest -m "slow and not browser and not wheel" -p no:cacheprovider --durations=10

NBVAL = $(VENV)/bin/pytest -p no:cacheprovider --nbval --nbval-sanitize-with tests/nbval_sanitize.cfg \
		--nbval-current-env -n 2 --dist loadfile $(if $(NB),$(NB),$(NOTEBOOKS))

nbval: $(STAMP)
	$(NBVAL)

# The stored outputs must hold on any CPU, not only on the one that executed them. Two runs stand
# in for other machines: torch's generic kernels (no AVX2/AVX-512 paths) and MKL's reproducible
# code path. Both must pass strict nbval unchanged (training demos report seeds' means at the
# precision their spread justifies, and runs at the edge of stability as categories). The MKL run
# is the wheel test's: the same strict nbval, from the installed wheel, each notebook alone.
nbval-kernels: $(STAMP)
	ATEN_CPU_CAPABILITY=default $(NBVAL)

# The wheel test installs offline (pip --no-index) from this folder, filled here at the pins of
# requirements.txt from pip's cache (make setup downloaded them) or the index, like make setup.
WHEELHOUSE := .cache/wheelhouse
$(WHEELHOUSE)/.filled: requirements.txt pyproject.toml | $(STAMP)
	$(PY) -m pip download --quiet --no-build-isolation -d $(WHEELHOUSE) -c requirements.txt \
		. nbval pytest pytest-xdist ipykernel
	rm -f $(WHEELHOUSE)/lrcourse-*
	touch $@

wheelhouse: $(WHEELHOUSE)/.filled

# Build the wheel, install it in a fresh venv outside the clone, use every command and run every
# notebook alone in an empty folder under strict nbval (MKL_CBWR=COMPATIBLE): tests/packaging/.
wheel-test: $(STAMP) $(WHEELHOUSE)/.filled
	$(VENV)/bin/pytest -p no:cacheprovider -m wheel -s tests/packaging/test_wheel.py

# Four workers on 2 cores: the browser tests mostly wait on Chromium's pages (about 70 % CPU with
# one worker), so four files at a time keep both cores busy (3:00 against 3:34 with two).
browser: $(STAMP) book-check
	bash tests/browser/ensure_chromium.sh
	$(VENV)/bin/pytest -p no:cacheprovider -m "browser and not slow" -n 4 --dist loadfile \
		--durations=15

browser-slow: $(STAMP) book-check
	bash tests/browser/ensure_chromium.sh
	$(VENV)/bin/pytest -p no:cacheprovider -m "browser and slow" --durations=15

# Every quiz key and reference solution, re-derived from the installed torch.
quiz-verify: $(STAMP)
	$(VENV)/bin/lrcourse quiz verify

# The slow suites: CI (CI=true, as .ci/run sets it) and make test-all run them after the quick
# ones; make test alone stays under 10 minutes on 2 quiet cores. The second kernel path
# (nbval-kernels) is among them: the quick set checks the stored outputs on this CPU's path.
SLOW_SUITES := nbval-kernels unit-slow wheel-test browser-slow
test: lint typecheck quiz-verify unit nbval browser $(if $(CI),$(SLOW_SUITES))
	@echo "All checks passed$(if $(CI), (the slow suites included),; CI and make test-all also run: $(SLOW_SUITES))."

test-all: lint typecheck quiz-verify unit nbval browser $(SLOW_SUITES)
	@echo "All checks passed, the slow suites included."

check: test

notebooks: $(STAMP)
	$(VENV)/bin/jupyter nbconvert --to notebook --execute --inplace \
		--ExecutePreprocessor.store_widget_state=False $(if $(NB),$(NB),$(NOTEBOOKS))
	$(STRIP_NOTEBOOK_METADATA) $(if $(NB),$(NB),$(NOTEBOOKS))

# JupyterLab opens on the notebooks without asking "Jupyter news?" and without looking for updates
# (no request leaves the machine); the answer is stored in the project's own settings folder.
LAB_NOTIFICATIONS := $(JUPYTER_CONFIG_DIR)/lab/user-settings/@jupyterlab/apputils-extension/notification.jupyterlab-settings

$(LAB_NOTIFICATIONS):
	mkdir -p $(@D)
	echo '{"fetchNews": "false", "checkForUpdates": false}' > $@

# Learners work on clean copies in lab/ (outputs cleared, so a prediction's answer is not already
# on screen; never overwritten, never committed); as root it adds --allow-root: tools/lab.py.
lab: $(STAMP) $(LAB_NOTIFICATIONS)
	$(PY) tools/lab.py

serve: $(STAMP)
	$(PY) -m http.server --bind 127.0.0.1 --directory _build/html 8000

# nbgrader, for the side-by-side grading benchmark, lives in its own venv (never in the course's).
NBGRADER := benchmarks/.venv-nbgrader/bin/nbgrader
$(NBGRADER):
	python3 -m venv benchmarks/.venv-nbgrader
	benchmarks/.venv-nbgrader/bin/pip install --quiet nbgrader==0.9.6

bench: $(STAMP) $(NBGRADER)
	@for script in benchmarks/*.py; do echo "== $$script"; $(PY) $$script || exit 1; done

clean:
	rm -rf _build .cache .pytest_cache
