# The two commands: `make test` and `make demo`. Both create .venv when it is missing.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
VULNDB ?= ../shared/vulndb/pypa-advisory-database

.PHONY: test demo bench lint typecheck unit clean docs

$(STAMP): pyproject.toml setup.py
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff check auditor tests bench fixtures/*.py

typecheck: $(STAMP)
	$(BIN)/mypy auditor

unit: $(STAMP)
	$(BIN)/python -m pytest -q -n 2 --dist loadfile

test: lint typecheck unit

demo: $(STAMP)
	$(BIN)/python fixtures/gen_demo_binaries.py fixtures/demo-repo
	$(BIN)/python -m auditor.demo fixtures/demo-repo out --vuln-db $(VULNDB)

# docs/rules.md is generated from the rule catalog (a test fails when it is out of date)
docs: $(STAMP)
	$(BIN)/python -m auditor rules docs -o docs/rules.md

bench: $(STAMP)
	$(BIN)/python bench/run.py

clean:
	rm -rf out build dist *.egg-info
