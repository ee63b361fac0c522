# vstar-lite: set-up, tests and notebook tools. Needs only Python >= 3.10 and make.
# Every target that needs the environment creates it first (.venv, CPU build of torch).

PYTHON      ?= python3
VENV        ?= .venv
BIN         := $(VENV)/bin
CONSTRAINTS ?= constraints-cpu.txt
# Extra pip arguments, e.g. PIP_ARGS="--extra-index-url https://download.pytorch.org/whl/cpu"
# on a Linux machine without this project's local CPU wheel of torch.
PIP_ARGS    ?=
STAMP       := $(VENV)/.installed
SITE_STAMP  := $(VENV)/.installed-site
# JupyterLab refuses to run as root (containers, some cloud machines) unless told it may.
LAB_ARGS    ?= $(if $(filter 0,$(shell id -u)),--allow-root)
NBTOOLS     := $(BIN)/python tools/nbtools.py

.PHONY: help setup lab test unit lint bench notebooks execute prose check badges student grade site lab-test clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | expand -t 12

$(STAMP): pyproject.toml $(CONSTRAINTS)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -c $(CONSTRAINTS) $(PIP_ARGS) -e ".[notebooks,test]"
	touch $@

setup: $(STAMP)  ## create .venv with the package, notebook and test tools

lab: $(STAMP)  ## open the notebooks in JupyterLab
	$(BIN)/jupyter lab $(LAB_ARGS) notebooks/

test: $(STAMP)  ## run every test: unit tests, notebook consistency, nbval on every notebook
	$(BIN)/python -m pytest

unit: $(STAMP)  ## unit tests only (no notebooks), quick
	$(BIN)/python -m pytest tests -o addopts="-p no:cacheprovider"

# Playwright comes with the site's tools; it drives the system's Chromium (no browser download)
lab-test: $(SITE_STAMP)  ## run every notebook with an explorer in JupyterLab, headless Chromium (NB=03 for one)
	VSTAR_LAB_NOTEBOOKS=$(or $(NB),all) VSTAR_BROWSER_TESTS=1 $(BIN)/python -m pytest tests/test_jupyterlab.py -o addopts="-p no:cacheprovider"

lint: $(STAMP)  ## ruff: lint and format check of the package, tools and tests
	$(BIN)/ruff check vstar_lite tools tests
	$(BIN)/ruff format --check vstar_lite tools tests

bench: $(STAMP)  ## benchmark tables: TAR attention (16-256 frames), tiny-model sampling (16, 64)
	$(BIN)/vstar-lite bench
	$(BIN)/vstar-lite bench --sampling

execute: $(STAMP)  ## re-execute every notebook from its .py into the paired .ipynb (NB=00 for one)
	$(NBTOOLS) execute $(NB)

prose: $(STAMP)  ## copy edited markdown of a .py into its .ipynb, outputs kept (NB=05 for one)
	$(NBTOOLS) prose $(NB)

notebooks: $(STAMP)  ## run all notebooks headless into build/notebooks/*.html (no browser needed)
	$(NBTOOLS) execute --out build/notebooks --html $(NB)

check: $(STAMP)  ## check that every .py and .ipynb pair agrees and is executed
	$(NBTOOLS) check

badges: $(STAMP)  ## rewrite every Colab badge from the repository address in pyproject.toml
	$(NBTOOLS) badges

student: $(STAMP)  ## rewrite the student copies in notebooks/student/ (no solutions, no outputs; NB=05 for one)
	$(NBTOOLS) student $(NB)

grade: $(STAMP)  ## run a learner's notebook and score each exercise: make grade NB=path/to/copy.ipynb
	$(NBTOOLS) grade $(NB)

# the site's tools (Sphinx, myst-nb, the theme, Playwright for tests/test_site.py), torch kept
# on the same constraints as the set-up
$(SITE_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -c $(CONSTRAINTS) $(PIP_ARGS) -e ".[notebooks,test,site]"
	touch $@

site: $(SITE_STAMP)  ## build the course site into build/site/ from the stored notebooks (offline)
	$(BIN)/python tools/course_site.py build

clean:  ## remove .venv and build outputs
	rm -rf $(VENV) build
