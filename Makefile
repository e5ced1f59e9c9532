# The README's two commands are `make run` and `make test`; everything else is reachable from them or .ci/run.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: run test install chromium lint format check-migrations check-deploy check-translations messages bench clean

# --- environment ---------------------------------------------------------------------------------------------
$(VENV)/.installed: requirements.txt requirements-dev.txt constraints.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt -c constraints.txt
	@touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

install: $(VENV)/.installed node_modules/.installed

# --- the two commands ------------------------------------------------------------------------------------------
## Start the portal with demo data: web server on $(PORT), a Celery worker and beat on the file-system broker.
run: install
	@mkdir -p var
	$(PY) manage.py migrate --noinput
	$(PY) manage.py load_reference
	$(PY) manage.py load_demo
	$(PY) manage.py load_demo_loop
	$(PY) manage.py rebuild_statistics
	$(PY) manage.py load_demo_exchange
	$(PY) manage.py load_demo_meetings
	$(VENV)/bin/honcho -f Procfile.dev start --port $(PORT)

## Run the whole suite (browser tests included) on the embedded default, or on DATABASE_URL / REDIS_URL when set.
test: install chromium
	$(VENV)/bin/pytest $(PYTEST_ARGS); status=$$?; if [ $$status -eq 5 ]; then echo "pytest collected no tests"; exit 1; fi; exit $$status

chromium:
	@if [ ! -x /usr/bin/chromium ]; then \
	  if [ "$$(id -u)" = "0" ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium poppler-utils; \
	  else echo "Browser tests need Debian's chromium at /usr/bin/chromium: sudo apt-get install chromium poppler-utils"; exit 1; fi; fi
	@command -v pdffonts >/dev/null || { if [ "$$(id -u)" = "0" ]; then DEBIAN_FRONTEND=noninteractive apt-get install -y -qq poppler-utils; else echo "PDF tests need poppler-utils"; exit 1; fi; }

# --- checks used by CI ---------------------------------------------------------------------------------------------
lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

check-migrations: install
	$(PY) manage.py makemigrations --check --dry-run

check-deploy: install
	DJANGO_DEBUG=false SECRET_KEY=$${SECRET_KEY:-ci-check-deploy-$$(head -c 32 /dev/urandom | base64 | tr -dc 'a-zA-Z0-9')} \
	  ALLOWED_HOSTS=$${ALLOWED_HOSTS:-portal.example.gov.cn} FIELD_ENCRYPTION_KEY=$${FIELD_ENCRYPTION_KEY:-$$($(PY) -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())')} \
	  $(PY) manage.py check --deploy --fail-level WARNING

check-translations:
	@pos=$$(find . -path ./.venv -prune -o -path ./node_modules -prune -o -name django.po -print); \
	test -n "$$pos" || { echo "no translation catalogue found"; exit 1; }; \
	for po in $$pos; do \
	  out=$$(msgfmt --check --statistics -o /dev/null $$po 2>&1); echo "$$po: $$out"; \
	  case "$$out" in *untranslated*|*fuzzy*) exit 1;; esac; done

## Extract messages into the zh_Hans catalogue (then translate and run `make test`, which compiles them).
messages: install
	$(PY) manage.py makemessages -l zh_Hans --ignore=.venv --ignore=node_modules --ignore=var --no-obsolete
	$(PY) manage.py compilemessages -l zh_Hans --ignore=.venv --ignore=node_modules

bench: install
	@ls bench/*.py | while read b; do echo "== $$b"; $(PY) $$b || exit 1; done

clean:
	rm -rf var .pytest_cache
