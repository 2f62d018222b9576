# Two commands matter: `make book` (build the course, executing every notebook) and `make test`
# (everything CI checks). Both create .venv from requirements.txt first when it is missing or stale.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := .venv
PY := $(VENV)/bin/python
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
# Executed notebooks store the numbers of a CPU run: pin the training demos to the CPU wherever
# notebooks are executed or compared, so strict nbval passes on a GPU machine too. Learners in
# JupyterLab still get cuda/mps from lrcourse.pick_device(); set LRCOURSE_DEVICE to override.
nbval nbval-kernels notebooks book book-strict: export LRCOURSE_DEVICE ?= cpu

NOTEBOOKS := $(sort $(wildcard notebooks/*.ipynb))

# Stored widget state would be embedded in the book (dead weight, and a CDN loader); jupytext's
# pairing metadata is an authoring detail, cells' run times are churn. None belongs in a committed
# notebook. The kernelspec does: without it a fresh JupyterLab asks "Select Kernel" before Run All.
define STRIP_NOTEBOOK_METADATA
import sys, nbformat
for path in sys.argv[1:]:
    nb = nbformat.read(path, as_version=4)
    for key in ("widgets", "jupytext"):
        nb.metadata.pop(key, None)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
    for cell in nb.cells:  # when each cell ran: churn that conflicts on every merge, read by nobody
        cell.metadata.pop("execution", None)
    nbformat.write(nb, path)
endef
export STRIP_NOTEBOOK_METADATA

.PHONY: help setup book test check lint unit nbval nbval-kernels book-strict browser lab serve bench notebooks clean quiz-verify

help:
	@echo "make book   - set up .venv, build the book executing every notebook"
	@echo "make test   - set up .venv, run ruff, unit tests, strict nbval (also on generic kernels), strict book build, browser tests"
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

book: $(STAMP) $(CACHE_STAMP)
	$(VENV)/bin/jupyter-book build . --path-output . 
	@echo "Book built: $(CURDIR)/$(HTML)"

book-strict: $(STAMP) $(CACHE_STAMP)
	$(VENV)/bin/jupyter-book build . --path-output . --warningiserror --nitpick --keep-going
	@echo "Book built with zero warnings: $(CURDIR)/$(HTML)"

lint: $(STAMP)
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports

unit: $(STAMP)
	$(VENV)/bin/pytest -m "not browser" -p no:cacheprovider

NBVAL = $(VENV)/bin/pytest -p no:cacheprovider --nbval --nbval-sanitize-with tests/nbval_sanitize.cfg \
		--nbval-current-env -n 2 --dist loadfile $(if $(NB),$(NB),$(NOTEBOOKS))

nbval: $(STAMP)
	$(NBVAL)

# The stored outputs must hold on any CPU, not only on the one that executed them. Two runs stand
# in for other machines: torch's generic kernels (no AVX2/AVX-512 paths) and MKL's reproducible
# code path. Both must pass strict nbval unchanged (training demos report seeds' means at the
# precision their spread justifies, and runs at the edge of stability as categories).
nbval-kernels: $(STAMP)
	ATEN_CPU_CAPABILITY=default $(NBVAL)
	MKL_CBWR=COMPATIBLE $(NBVAL)

browser: $(STAMP) book-strict
	bash tests/browser/ensure_chromium.sh
	$(VENV)/bin/pytest -p no:cacheprovider -m browser

# Every quiz key and reference solution, re-derived from the installed torch.
quiz-verify: $(STAMP)
	$(VENV)/bin/lrcourse quiz verify

test: lint quiz-verify unit nbval nbval-kernels browser
	@echo "All checks passed."

check: test

notebooks: $(STAMP)
	$(VENV)/bin/jupyter nbconvert --to notebook --execute --inplace \
		--ExecutePreprocessor.store_widget_state=False $(if $(NB),$(NB),$(NOTEBOOKS))
	$(PY) -c "$$STRIP_NOTEBOOK_METADATA" $(if $(NB),$(NB),$(NOTEBOOKS))

# JupyterLab opens on the notebooks without asking "Jupyter news?" and without looking for updates
# (no request leaves the machine); the answer is stored in the project's own settings folder.
LAB_NOTIFICATIONS := $(JUPYTER_CONFIG_DIR)/lab/user-settings/@jupyterlab/apputils-extension/notification.jupyterlab-settings

$(LAB_NOTIFICATIONS):
	mkdir -p $(@D)
	echo '{"fetchNews": "false", "checkForUpdates": false}' > $@

lab: $(STAMP) $(LAB_NOTIFICATIONS)
	$(VENV)/bin/jupyter lab --LabApp.news_url=None \
		--LabApp.check_for_updates_class=jupyterlab.handlers.announcements.NeverCheckForUpdate notebooks/

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
