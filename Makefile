# The two commands a newcomer needs:  make run   and   make test
# Everything else here is what they are made of.

SHELL := /bin/bash
VENV  := .venv
BIN   := $(VENV)/bin
PY    := $(BIN)/python
STAMP := $(VENV)/.installed
COURSE_DIR := content/selling-in-vs-selling-out
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run install migrate seed serve test lint format check-deploy worker beat clean bench fuzz

# Find a Python 3.12+ interpreter: the one pyenv selects from .python-version, else python3.13 /
# python3.12 / python3 on PATH. Say clearly when there is none.
define find_python
for cand in "$$(pyenv which python 2>/dev/null)" python3.13 python3.12 python3; do \
  [ -n "$$cand" ] || continue; \
  p=$$(command -v "$$cand" 2>/dev/null) || continue; \
  if "$$p" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' 2>/dev/null; then echo "$$p"; exit 0; fi; \
done; \
echo "error: Python 3.12 or newer is required (Django 6.1) and none was found." >&2; \
echo "       Install it (e.g. 'pyenv install 3.12') and run make again." >&2; exit 1
endef

$(STAMP): requirements.txt requirements-dev.txt .python-version
	@PYTHON=$$($(find_python)) || exit 1; \
	if [ ! -x $(PY) ] || ! $(PY) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)'; then \
	  echo "creating $(VENV) with $$PYTHON"; rm -rf $(VENV); "$$PYTHON" -m venv $(VENV) || exit 1; \
	fi
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@touch $(STAMP)

install: $(STAMP)

migrate: install
	$(PY) manage.py migrate --no-input

seed: migrate
	$(PY) manage.py import_course $(COURSE_DIR)

serve:
	$(PY) manage.py runserver $(HOST):$(PORT)

## Install, migrate, import the seed course and serve it on http://127.0.0.1:8000
run: seed
	@echo "Serving on http://$(HOST):$(PORT)/  (API docs: /api/docs/, admin: /admin/ - 'make superuser' creates a login)"
	DEBUG=$${DEBUG:-1} $(PY) manage.py runserver $(HOST):$(PORT)

superuser: migrate
	$(PY) manage.py createsuperuser

## Run the whole test suite (SQLite by default; PostgreSQL/Redis when DATABASE_URL/REDIS_URL are set)
test: install
	$(BIN)/pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

check-deploy: install
	DEBUG=0 SECRET_KEY=$${SECRET_KEY:-check-deploy-$$(head -c 32 /dev/urandom | base64 | tr -dc a-zA-Z0-9)} \
	DATABASE_URL=$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres} ALLOWED_HOSTS=$${ALLOWED_HOSTS:-courses.example.com} \
	$(PY) manage.py check --deploy --fail-level WARNING

worker: install
	$(BIN)/celery -A config worker -Q default,progress,email,webhooks -l info

beat: install
	$(BIN)/celery -A config beat -l info

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache

## Schemathesis over every operation of the OpenAPI schema, 200 examples each (the test run does 10).
fuzz: install
	FUZZ_EXAMPLES=200 $(BIN)/pytest tests/security/test_fuzz_schemathesis.py

## Load benchmark of the production stack (PostgreSQL DB courses_bench, Redis DBs 8/9, gunicorn, Celery, wrk)
## → bench/results.md.  BENCH_ARGS=--quick for a smoke run.
bench: install
	@command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk)
	$(PY) bench/run.py $(BENCH_ARGS)
