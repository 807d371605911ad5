# Centrala: `make run` for a demo PBX on this machine, `make test` for the whole suite.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
SANDBOX := bin/asterisk-sandbox

.PHONY: run test call check lint typecheck sandbox browser venv clean-sandbox

$(VENV)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

venv: $(VENV)/.installed

sandbox:
	$(SANDBOX) provision

# The browser tests drive Debian's Chromium with Playwright (no browser download).
browser:
	@command -v chromium >/dev/null || { echo "installing Debian's chromium for the browser tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

run: venv sandbox
	bin/run-dev

call: venv
	. bin/dev-env && $(PY) manage.py place_demo_call

test: venv sandbox browser lint typecheck
	$(PY) -m pytest

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: venv
	$(VENV)/bin/mypy

check: test

clean-sandbox:
	$(SANDBOX) stop dev || true
	$(SANDBOX) stop test || true
