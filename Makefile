# Executable lecture notes on neural networks: build, test and run the book.
#
#   make book      HTML into _build/html, the Chinese edition into _build/html/zh (no execution: the
#                  stored outputs, as verified by make test)
#   make test      nnlib unit tests + nbval over every chapter + the -W book build, in one pytest call
#   make test-perturbed  nbval under other BLAS/SIMD kernels: lists cells whose printouts depend on round-off
#   make execute   re-run the notebooks and store their outputs (NB=chapters/x.ipynb for one)
#   make lab       open the chapters in JupyterLab (widgets live)
#   make bench     nnlib vs PyTorch 2.13.0 CPU timings
#   make translations  re-extract the English messages into the Chinese catalogues (locales/)
#   make screenshots   after make book: every page of both editions in headless Chromium, 1280 px wide
#
# Every target first runs `setup`, which is cheap once done: it re-installs only when
# requirements.txt, pyproject.toml or the JS lock file change.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := book

PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
NB     ?=
EXECUTE_FLAGS ?=
JOBS   ?= 2
PORT   ?= 8888

# The numeric environment of `make test` and `make execute` (OpenBLAS Haswell kernels, numpy dispatch
# capped at X86_V3, one BLAS thread, PYTHONHASHSEED=0, plain progress) is defined once, in
# .ci/numeric_env.py, and applied by conftest.py and .ci/execute.py, not here: `make lab` readers get
# their machine's fastest kernels and live progress bars.

PY_STAMP := $(VENV)/.setup-stamp
JS_STAMP := _vendor/.setup-stamp

.PHONY: setup book test test-perturbed execute bench translations screenshots browser lab serve clean distclean help

help:
	@sed -n '3,12p' Makefile

setup: $(PY_STAMP) $(JS_STAMP)

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(PY_STAMP): requirements.txt pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m pip install --quiet -e . --no-deps
	touch $@

# Only the files the HTML loads at run time are copied out of node_modules:
#   MathJax 3: the tex-mml-chtml component, its CHTML woff-v2 fonts, and the TeX extensions its
#              autoloader may fetch (\boldsymbol, \cancel, \color, ...);
#   ipywidgets: html-manager's embed-amd.js (self-contained: base, controls, output) and RequireJS.
$(JS_STAMP): package.json package-lock.json
	npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	rm -rf _vendor
	mkdir -p _vendor/mathjax/output/chtml/fonts _vendor/mathjax/input/tex _vendor/html-manager
	cp node_modules/mathjax/es5/tex-mml-chtml.js node_modules/mathjax/LICENSE _vendor/mathjax/
	cp -r node_modules/mathjax/es5/output/chtml/fonts/woff-v2 _vendor/mathjax/output/chtml/fonts/
	cp -r node_modules/mathjax/es5/input/tex/extensions _vendor/mathjax/input/tex/
	cp node_modules/@jupyter-widgets/html-manager/dist/embed-amd.js _vendor/html-manager/
	cp node_modules/requirejs/require.js _vendor/require.js
	touch $@

book: setup
	$(BIN)/python .ci/glossary.py
	$(BIN)/jupyter-book build . -W -n --keep-going
	$(BIN)/python .ci/translations.py build

# One pytest call, so one summary line counts everything. Exit code 5 (nothing collected) is a failure
# like any other non-zero code.
test: setup
	$(BIN)/python -m pytest -n 2 --dist loadfile \
	  --nbval --nbval-current-env --nbval-sanitize-with tests/sanitize.cfg \
	  tests chapters

# Not part of `make test`: prints only cells that differ and are not listed in tests/perturbed_cells.txt.
test-perturbed: setup
	$(BIN)/python .ci/perturbed.py

execute: setup
	$(BIN)/python .ci/execute.py --jobs $(JOBS) $(EXECUTE_FLAGS) $(NB)

# New English messages arrive untranslated, changed ones fuzzy (the old translation kept as a draft).
translations: setup
	$(BIN)/python .ci/translations.py update
	$(BIN)/python .ci/translations.py status

# Debian's chromium and a CJK font (fonts-noto-cjk) are installed if missing (needs root or sudo).
screenshots: setup browser
	@test -f _build/html/chapters/preface.html || { echo "no book in _build/html: run make book first"; exit 1; }
	$(BIN)/python .ci/screenshots.py

# Debian's chromium (for make screenshots, and for make test's page checks) and a CJK font.
browser:
	@command -v chromium >/dev/null && fc-list :lang=zh | grep -q . || \
	  $$([ "$$(id -u)" = 0 ] || echo sudo) sh -c 'apt-get update -qq && apt-get install -y -qq chromium fonts-noto-cjk'

bench: setup
	$(BIN)/python -m pip install --quiet torch==2.13.0
	$(BIN)/python -m bench

# Readers: run the notebooks live (widgets respond; outputs you create are yours, `git diff` shows them).
lab: setup
	$(BIN)/jupyter lab --port $(PORT) --ServerApp.root_dir=. $$([ "$$(id -u)" = 0 ] && echo --allow-root) \
	  chapters/preface.ipynb

serve: lab

clean:
	rm -rf _build .pytest_cache

distclean: clean
	rm -rf $(VENV) node_modules _vendor *.egg-info
