# The two commands a fresh machine needs: `make run` (install, serve on SQLite with the seed)
# and `make test` (install test dependencies, then lint, type-check and run the whole suite).

VENV ?= .venv
PY := $(VENV)/bin/python
UV := $(VENV)/bin/uv
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run install install-test test lint fmt bench clean

$(UV):
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check uv

$(VENV)/.installed: pyproject.toml | $(UV)
	$(UV) pip install --quiet -p $(PY) -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(UV)
	$(UV) pip install --quiet -p $(PY) -e ".[test]"
	touch $(VENV)/.installed $@

install: $(VENV)/.installed

install-test: $(VENV)/.installed-test

run: install
	$(VENV)/bin/navigator serve --host $(HOST) --port $(PORT)

lint: install-test
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

# Tests in parallel, one worker a core (PYTEST_XDIST_AUTO_NUM_WORKERS=N to choose). worksteal, not
# loadfile or loadscope: those key tests by node id, and schemathesis gives all its cases one, so
# they would run only one of its cases. Bytecode caches stay on where the environment turns them off
# (PYTHONDONTWRITEBYTECODE): otherwise every worker, and every server a test starts, compiles and
# rewrites every module again.
test: lint
	PYTHONDONTWRITEBYTECODE= $(PY) -m pytest -n auto --dist worksteal

fmt: install-test
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

bench: install-test
	for f in bench/*.py; do $(PY) $$f || exit 1; done

clean:
	rm -rf $(VENV) data .pytest_cache .mypy_cache .ruff_cache
