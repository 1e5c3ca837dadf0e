# Account Portal: `make run` serves the portal with a Celery worker; `make test` runs the suite.
SHELL := /bin/bash
PORT ?= 8000
VENV := .venv
PY := $(VENV)/bin/python

# The first Python on PATH that is 3.12 or newer.
PYTHON := $(shell for p in python3.14 python3.13 python3.12 python3 python; do \
	if command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' >/dev/null 2>&1; \
	then echo $$p; break; fi; done)

.PHONY: run test bench lint format admin python-check clean messages translations

python-check:
	@if [ -z "$(PYTHON)" ]; then \
		echo "Account Portal needs Python 3.12 or newer; none was found on PATH (tried python3.14 ... python3)." >&2; \
		exit 1; fi
	@if [ -x $(PY) ] && ! $(PY) -c 'import sys; sys.exit(sys.version_info < (3, 12))'; then \
		echo "$(VENV) was made with Python < 3.12: remove it (make clean) and try again." >&2; exit 1; fi

# Every virtual environment gets the pip pinned in requirements-pip.lock first, then its own
# lock, all checked against their hashes (tools/venv.py): nothing rests on the interpreter's
# bundled pip or on what upstream released since the locks.
INSTALLER := requirements-pip.lock tools/venv.py

$(VENV)/.runtime: requirements.lock $(INSTALLER) | python-check
	$(PYTHON) tools/venv.py $(VENV) requirements.lock
	@touch $@

$(VENV)/.dev: requirements-dev.lock $(INSTALLER) | python-check
	$(PYTHON) tools/venv.py $(VENV) requirements-dev.lock
	@touch $@ $(VENV)/.runtime

run: export DEBUG ?= 1
run: export PUBLIC_BASE_URL ?= http://127.0.0.1:$(PORT)
run: $(VENV)/.runtime
	@$(PY) manage.py migrate --noinput
	@$(PY) manage.py collectstatic --noinput -v 0
	@echo ""
	@echo "  Account Portal: http://127.0.0.1:$(PORT)/"
	@echo "  Codes sent by SMS and email: http://127.0.0.1:$(PORT)/dev/outbox/"
	@echo "  Admin: http://127.0.0.1:$(PORT)/admin/  (create a staff account first: make admin)"
	@echo ""
	@( trap 'kill $$child 2>/dev/null; wait $$child 2>/dev/null; exit 0' TERM INT; \
	  while :; do \
	    $(PY) -m celery -A config worker --beat --pool=solo --loglevel=INFO \
	      --schedule=var/celerybeat-schedule & child=$$!; \
	    wait $$child; \
	    echo "The Celery worker exited ($$?): starting it again in 2 s." >&2; sleep 2; \
	  done ) & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM; \
	$(PY) manage.py runserver 127.0.0.1:$(PORT)

admin: export DEBUG ?= 1
admin: $(VENV)/.runtime
	@$(PY) manage.py migrate --noinput -v 0
	@$(PY) manage.py createadmin

# The web scanner lives in a virtual environment of its own (its pins never meet the portal's).
.venv-scan/.installed: requirements-scan.lock $(INSTALLER) | python-check
	$(PYTHON) tools/venv.py .venv-scan requirements-scan.lock
	@touch $@

# The benchmark's chart (matplotlib) also lives in a virtual environment of its own.
.venv-bench/.installed: requirements-bench.lock $(INSTALLER) | python-check
	$(PYTHON) tools/venv.py .venv-bench requirements-bench.lock
	@touch $@

test: $(VENV)/.dev .venv-scan/.installed .venv-bench/.installed
	$(PY) -m pytest $(PYTEST_ARGS)

# Translations (locale/<language>/LC_MESSAGES/django.po). `make messages` collects the texts
# marked for translation into the catalogues; translate what is new or marked fuzzy, then
# `make translations` compiles them (.mo, committed: `make run` needs no gettext). Both need
# GNU gettext (Debian: apt-get install gettext).
LANGUAGE_CATALOGUES := -l zh_Hans -l hi
MESSAGES_IGNORE := --ignore '.venv*' --ignore 'var/*' --ignore 'tests/*' --ignore 'static/vendor/*'

messages: $(VENV)/.runtime
	DEBUG=1 $(PY) manage.py makemessages $(LANGUAGE_CATALOGUES) $(MESSAGES_IGNORE) --no-obsolete

translations: $(VENV)/.runtime
	DEBUG=1 $(PY) manage.py compilemessages $(LANGUAGE_CATALOGUES) --ignore '.venv*'

# Load test of a production-like stack on loopback against a stock allauth site (bench/README.md).
# BENCH_QUICK=1 for a 1-2 minute run; BENCH_SECONDS per phase; results in bench/results/.
bench: $(VENV)/.runtime .venv-bench/.installed
	$(PY) -m bench.run $(if $(filter 1,$(BENCH_QUICK)),--quick,)

lint: $(VENV)/.dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy accounts verification devices cloud ecosystem config
	$(VENV)/bin/lint-imports
	$(VENV)/bin/lint-imports importlinter-production.toml

format: $(VENV)/.dev
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

clean:
	rm -rf $(VENV) .venv-scan .venv-bench var
