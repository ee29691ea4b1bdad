# Two entry points: `make run` (a crawl of the built-in sample archive) and `make test` (the test
# suite on two processes; the corpus gates, which read ../shared/corpus, are `make test-corpus`).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The extraction's unit tests, run a second time on the modules as Python.
EXTRACTION_TESTS := tests/test_citation.py tests/test_credits.py tests/test_dates.py tests/test_decode.py \
	tests/test_extract_hostile.py tests/test_golden_pages.py tests/test_header.py tests/test_navigation.py \
	tests/test_series.py tests/test_text.py tests/test_vocab.py tests/test_components.py

.PHONY: run test test-corpus bench native clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test,bench]'
	touch $(STAMP)

# Always run: it compiles only when the build is not of the sources as they are (see native.py).
native: $(STAMP)
	$(BIN)/python crawler/extract/native.py

run: $(STAMP) native
	$(BIN)/colophon crawl --sample --out data/sample

test: $(STAMP) native
	$(BIN)/python -m pytest -n 3 --dist loadfile --no-loadscope-reorder -m "not corpus"
	COLOPHON_EXTRACT_BUILD=python $(BIN)/python -m pytest -q -n 3 -m "not corpus" $(EXTRACTION_TESTS)

test-corpus: $(STAMP) native
	$(BIN)/python -m pytest -m corpus

bench: $(STAMP) native
	$(BIN)/python benchmarks/extract.py

clean:
	rm -rf $(VENV) data .pytest_cache crawler/extract/_native crawler/extract/_native.*
