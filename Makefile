# Centrala: `make run` for a demo PBX on this machine, `make test` for the whole suite.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
SANDBOX := bin/asterisk-sandbox

.PHONY: run test call check bench soak lint typecheck sandbox test-tools audio-tools venv clean-sandbox images test-images

$(VENV)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

venv: $(VENV)/.installed

sandbox:
	$(SANDBOX) provision

# Debian packages the tests use: Chromium for the browser tests (driven by Playwright, no
# browser download) and docker-compose to validate docker/compose.yaml.
test-tools:
	@missing=""; command -v chromium >/dev/null || missing="$$missing chromium"; \
	command -v docker-compose >/dev/null || missing="$$missing docker-compose"; \
	if [ -n "$$missing" ]; then echo "installing$$missing for the tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; fi

# Debian's ffmpeg (any audio in, the files Asterisk plays out) and espeak-ng (Polish text to
# speech, also for the built-in messages): the prompts the office uploads or types need them.
audio-tools:
	@missing=""; command -v ffmpeg >/dev/null || missing="$$missing ffmpeg"; \
	command -v espeak-ng >/dev/null || missing="$$missing espeak-ng"; \
	if [ -n "$$missing" ]; then echo "installing$$missing for the prompts"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; fi

run: venv sandbox audio-tools
	bin/run-dev

call: venv
	. bin/dev-env && $(PY) manage.py place_demo_call

# PostgreSQL: DATABASE_URL, else the server on 127.0.0.1:5432, else a private one under
# var/postgres (installed from Debian when missing): bin/test-database says which.
# Two processes (pytest-xdist): the real-Asterisk tier, which mostly waits for calls to play
# out, in one; every other test beside it in the other (tests/conftest.py groups them).
test: venv sandbox audio-tools test-tools lint typecheck
	url=$$($(PY) bin/test-database) && DATABASE_URL=$$url $(PY) -m pytest -n 2 --dist loadgroup

# The production images (docker/), built here with podman from Debian's base images, which are
# themselves built by debootstrap when no registry is reachable (bin/base-images).
images:
	bin/build-images

# docker/compose.yaml booted from those images and a call placed through it (SIPp as the
# carrier from the sandbox's chroot). About ten minutes on a fresh machine; .ci/run runs it
# after `make test`.
test-images: venv sandbox test-tools images
	$(PY) -m pytest -m images tests/images

# Style, and the layers of docs/architecture.md (import-linter's contracts in pyproject.toml).
lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-cache

typecheck: venv
	$(VENV)/bin/mypy

# The fast check to run every few minutes: lint, types, and the tiers that need neither
# PostgreSQL nor Asterisk (call flow, ARI adapters). `make test` is the whole suite.
check: venv lint typecheck
	$(PY) -m pytest -q tests/callflow tests/ari

# Figures, not tests (docs/benchmark.md): calls through Centrala against plain dialplan, what
# ARI's transport costs without Centrala, the Stasis app's CPU per call alone (against a scripted
# Asterisk), then a million calls in PostgreSQL. Needs PostgreSQL like the tests; bounded in
# calls and time.
bench: venv sandbox
	$(PY) bench/calls.py
	$(PY) bench/ari_transport.py
	$(PY) bench/app_cpu.py
	$(PY) bench/data_scale.py

soak: venv sandbox
	$(PY) bench/soak.py

clean-sandbox:
	$(SANDBOX) stop dev || true
	$(SANDBOX) stop test || true
