# Presspass: `make demo` starts the demo, `make test` runs the whole test suite.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: demo test install lint messages check-deploy

$(VENV)/.installed: requirements/dev.lock
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet --require-hashes -r requirements/dev.lock
	touch $@

install: $(VENV)/.installed

demo: install
	$(PY) manage.py migrate --verbosity 0
	SITE_URL=http://$(HOST):$(PORT) $(PY) manage.py seed_demo $(SEED_ARGS)
	@echo "E-mails are printed below (console backend); stop with Ctrl-C."
	SITE_URL=http://$(HOST):$(PORT) $(PY) manage.py runserver $(HOST):$(PORT)

test: install
	$(PY) scripts/run_tests.py $(ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

messages: install
	$(PY) manage.py makemessages --all --no-obsolete --ignore=.venv --ignore=var --ignore=staticfiles
	$(PY) manage.py compilemessages --ignore=.venv

check-deploy: install
	PRESSPASS_ENV=production SECRET_KEY=check-$$(head -c 48 /dev/urandom | base64 | tr -d '/+=') \
	ALLOWED_HOSTS=press.example.org DATABASE_URL=sqlite:///var/deploy-check.sqlite3 \
	REDIS_URL=redis://127.0.0.1:6379/0 PRESSPASS_DATA_KEYS=k1:$$(head -c 32 /dev/urandom | base64) \
	BADGE_SIGNING_KEY=$$($(PY) -c "from accreditation.badges.signing import generate_keypair, private_key_b64; print(private_key_b64(generate_keypair()[0]))") \
	$(PY) manage.py check --deploy --fail-level WARNING
