# The two commands: `make run` and `make test`. Everything else supports them.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
PY_VERSION := $(shell cat .python-version)
# Python from .python-version: pyenv when present, else pythonX.Y on PATH.
BASE_PYTHON := $(shell (command -v pyenv >/dev/null 2>&1 && PYENV_VERSION=$(PY_VERSION) pyenv which python 2>/dev/null) || command -v python$(PY_VERSION) || echo python3)
STAMP := $(VENV)/.installed
PORT ?= 8000

.PHONY: run test lint format clean stop-embedded

$(PY):
	$(BASE_PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

## Serve the app at http://127.0.0.1:$(PORT) with a Celery worker (embedded PostgreSQL/Redis
## unless DATABASE_URL/REDIS_URL are set).
run: $(STAMP)
	DEBUG=$${DEBUG:-1} PORT=$(PORT) $(PY) manage.py serve

## Ruff, then the whole pytest suite.
test: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	SECRET_KEY=$${SECRET_KEY:-test-only-secret-key-not-for-production-use} DEBUG=0 \
		$(PY) -m crm.embedded run -- $(VENV)/bin/pytest -n $${PYTEST_WORKERS:-2} $(PYTEST_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(STAMP)
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

stop-embedded: $(STAMP)
	$(PY) -m crm.embedded stop

clean:
	rm -rf $(VENV) var/staticfiles
