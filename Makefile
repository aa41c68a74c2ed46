# The two commands a newcomer runs: `make demo` and `make test`.
# Everything they need is installed here, from PyPI and npm, into .venv and node_modules.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
MANAGE := $(BIN)/python manage.py
HOST ?= 127.0.0.1
PORT ?= 8000
# The suite runs in parallel, one worker per core (pytest-xdist); tests of one file stay on
# one worker, so a file's shared fixtures (an S3 server, a browser) start once.
PYTEST_WORKERS ?= auto

.PHONY: demo test setup messages lint format clean check-python

check-python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed (found %s); set PYTHON=python3.11" % sys.version.split()[0])'
	@command -v npm >/dev/null || { echo "npm (Node.js 18+) is needed to install the H5P player"; exit 1; }

$(BIN)/.installed: pyproject.toml | check-python
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $@

node_modules/.installed: package.json package-lock.json | check-python
	npm ci --no-audit --no-fund
	touch $@

# GNU gettext's msgfmt when the machine has it (it also checks placeholders); otherwise
# Babel from the venv, so a fresh machine needs no system package for this.
messages: $(BIN)/.installed
	@if command -v msgfmt >/dev/null; then \
		$(MANAGE) compilemessages --ignore=.venv --ignore=node_modules -v 0; \
	else \
		$(BIN)/pybabel -q compile -D django -d locale; \
	fi

setup: $(BIN)/.installed node_modules/.installed messages

demo: setup
	$(MANAGE) migrate --noinput
	$(MANAGE) collectstatic --noinput -v 0
	DJANGO_DEBUG=1 $(MANAGE) load_demo_data
	$(MANAGE) runserver $(HOST):$(PORT)

# Two passes: tests that commit for real empty the database when they end, so they run
# after all the others (see tests/conftest.py). Both passes always run; exit status 5
# ("no tests selected", e.g. PYTEST_ARGS names a file without such tests) is success.
PYTEST := $(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist loadfile

test: setup
	@status=0; \
	$(PYTEST) -m "not transactional" $(PYTEST_ARGS) || { rc=$$?; [ $$rc -eq 5 ] || status=$$rc; }; \
	$(PYTEST) -m transactional $(PYTEST_ARGS) || { rc=$$?; [ $$rc -eq 5 ] || status=$$rc; }; \
	exit $$status

lint: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(BIN)/.installed
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) node_modules static_collected db.sqlite3 media
