# The two commands: `make site` builds and shows the wiki; `make test` runs the whole suite.
VENV ?= .venv
PY := $(VENV)/bin/python
KGWIKI := $(VENV)/bin/kgwiki
STAMP := $(VENV)/.installed

.PHONY: site test check cite bench screenshots clean

site: $(STAMP)
	$(KGWIKI) build

test: $(STAMP)
	@bash scripts/ensure-chromium.sh
	$(PY) -m pytest -q

check: $(STAMP)
	$(KGWIKI) check --strict

cite: $(STAMP)
	$(KGWIKI) cite

bench: $(STAMP)
	$(PY) bench/bench_check.py
	$(PY) bench/bench_build.py
	$(PY) bench/bench_explorer.py

screenshots: $(STAMP)
	$(PY) scripts/screenshots.py

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

clean:
	rm -rf site build .pytest_cache
