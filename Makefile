# The two commands a fresh machine needs: `make run` (install, serve on SQLite with the seed)
# and `make test` (install test dependencies, then lint, type-check and run the whole suite).

VENV ?= .venv
PY := $(VENV)/bin/python
UV := $(VENV)/bin/uv
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run install install-test install-mutation test lint fmt bench mutation clean

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

$(VENV)/.installed-mutation: pyproject.toml | $(UV)
	$(UV) pip install --quiet -p $(PY) -e ".[test,mutation]"
	touch $(VENV)/.installed $(VENV)/.installed-test $@

install-mutation: $(VENV)/.installed-mutation

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

# Mutation testing of the core's decision modules against tests/core (README: "Mutation testing");
# not part of `test`: it takes minutes. MUTANTS="navigator.core.graph*" runs one module's mutants;
# MUTATION_CHILDREN caps the parallel workers (default: one a core).
MUTANTS ?=
MUTATION_CHILDREN ?=
mutation: install-mutation
	$(VENV)/bin/mutmut run $(if $(MUTATION_CHILDREN),--max-children $(MUTATION_CHILDREN)) $(MUTANTS)
	$(PY) tools/mutation_score.py --min 90 eligibility navigate graph

bench: install-test
	for f in bench/*.py; do $(PY) $$f || exit 1; done

clean:
	rm -rf $(VENV) data mutants .pytest_cache .mypy_cache .ruff_cache
