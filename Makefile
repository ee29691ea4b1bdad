# Two entry points: `make run` (a crawl of the built-in sample archive) and `make test` (the test
# suite on two processes; the corpus gates, which read ../shared/corpus, are `make test-corpus`).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test test-corpus bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test,bench]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/colophon crawl --sample --out data/sample

test: $(STAMP)
	$(BIN)/python -m pytest -n 3 --dist loadfile --no-loadscope-reorder -m "not corpus"

test-corpus: $(STAMP)
	$(BIN)/python -m pytest -m corpus

bench: $(STAMP)
	$(BIN)/python benchmarks/extract.py

clean:
	rm -rf $(VENV) data .pytest_cache
