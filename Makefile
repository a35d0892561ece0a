# The README's two commands: `make demo` and `make test`. Both bootstrap .venv when it is missing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint imports types view format bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/deskterm demo

test: lint
	$(BIN)/python -m pytest -n 2 -q

lint: $(STAMP) imports types
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python .ci/sizes.py src connectors

# deskterm.connectors lives in connectors/ (pyproject's package-dir), which the import graph and the
# type checker cannot follow; both read the package as Python sees it, through a tree of links.
VIEW := build/view
view:
	rm -rf $(VIEW)/deskterm && mkdir -p $(VIEW)/deskterm
	ln -s $(CURDIR)/src/deskterm/* $(VIEW)/deskterm/
	ln -s $(CURDIR)/connectors $(VIEW)/deskterm/connectors

imports: $(STAMP) view
	cd $(VIEW) && $(CURDIR)/$(BIN)/lint-imports --no-logo $(CURDIR)/pyproject.toml

types: $(STAMP) view
	cd $(VIEW) && $(CURDIR)/$(BIN)/mypy --config-file $(CURDIR)/pyproject.toml \
		--cache-dir $(CURDIR)/.mypy_cache -p deskterm

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: $(STAMP)
	for script in bench/bench_*.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done

clean:
	rm -rf $(VENV) build *.egg-info
