# The two commands: `make run` and `make test`. Both set up everything they need.
SHELL := /bin/bash
# uv from PATH when it runs (a pyenv shim may exist for another Python only), else the
# one `make install` puts in the user's site-packages of this directory's python3.
UV := $(shell uv --version >/dev/null 2>&1 && echo uv || echo "python3 -m uv")
PY := .venv/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
DEMO_MEMBERS ?= 500
DEMO_PURCHASES ?= 3000

.PHONY: install run test lint format worker clean messages

install: .venv/.installed

.venv/.installed: pyproject.toml uv.lock .python-version
	@$(UV) --version >/dev/null 2>&1 || \
		python3 -m pip install --user --quiet uv || \
		python3 -m pip install --user --quiet --break-system-packages uv
	$(UV) sync --locked
	@touch $@

run: install
	$(PY) manage.py compile_catalogs
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo --members $(DEMO_MEMBERS) --purchases $(DEMO_PURCHASES) --campaigns
	$(PY) manage.py rebuild_analytics demo
	@echo "Fideliza is starting on http://$(HOST):$(PORT)/ (Ctrl-C stops it)"
	$(PY) manage.py runserver $(HOST):$(PORT)

test: install
	@bin/ensure-browser
	@bin/ensure-pgbouncer
	@bin/ensure-gettext
	$(PY) manage.py compile_catalogs
	$(PY) -m pytest $(PYTEST_ARGS)

# After marking new strings: update locale/es and locale/ro (needs GNU gettext), translate the
# new entries, and `make test` checks that none is missing, fuzzy or out of date.
messages: install
	$(PY) manage.py update_catalogs
	$(PY) manage.py compile_catalogs

lint: install
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

format: install
	$(PY) -m ruff check --fix .
	$(PY) -m ruff format .

worker: install
	.venv/bin/celery -A config worker --loglevel=INFO

clean:
	rm -rf .venv db.sqlite3 staticfiles
