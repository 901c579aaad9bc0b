# Two entry points for a fresh machine with Python 3.11 and pip:
#   make demo   sets up .venv and writes the weekly report on the bundled Milan data
#   make test   sets up .venv with the dev extras and runs the tests
#   make demo-paris   plans a 2023 Paris protest day over a SYNTHETIC cell grid (real calendar)
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DEMO_DATA ?= data/milan
DEMO_WEEK ?= 2013-W48

.PHONY: demo demo-paris test venv clean pdf-deps

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

venv: $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .

demo: venv pdf-deps
	$(BIN)/planner report --data $(DEMO_DATA) --week $(DEMO_WEEK) --out reports

demo-paris: venv pdf-deps
	$(BIN)/planner report --data data/paris-2023 --week 2023-W12 --out reports --lang en

test: $(BIN)/python pdf-deps
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	$(BIN)/python -m pytest

clean:
	rm -rf $(VENV) reports .pytest_cache

# WeasyPrint renders report.pdf with the Pango library; install it from Debian where it is missing.
# Without root or apt-get this only warns: the HTML, XLSX and CSV outputs do not need Pango.
pdf-deps:
	@if ! ldconfig -p | grep -q 'libpangoft2-1.0.so.0'; then \
		(apt-get update -qq && apt-get install -y -qq libpango-1.0-0 libpangoft2-1.0-0) || \
		echo "warning: could not install Pango (libpango-1.0-0, libpangoft2-1.0-0); report.pdf will be missing"; \
	fi
