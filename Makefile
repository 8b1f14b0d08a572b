# The two commands: `make site` builds and shows the wiki; `make test` runs the whole suite.
VENV ?= .venv
PY := $(VENV)/bin/python
KGWIKI := $(VENV)/bin/kgwiki
STAMP := $(VENV)/.installed

.PHONY: site test check cite bench screenshots clean

site: $(STAMP)
	$(KGWIKI) check
	@echo "(the site renderer is not built yet: kgwiki check ran instead)"

test: $(STAMP)
	@bash scripts/ensure-chromium.sh
	$(PY) -m pytest -q

check: $(STAMP)
	$(KGWIKI) check --strict

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

clean:
	rm -rf site build .pytest_cache
