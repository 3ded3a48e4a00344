# dotcloud-emulator: `make help` lists the targets.
SHELL := /bin/bash
VENV ?= .venv
PYTHON ?= python3
PY := $(VENV)/bin/python
APP_PORT ?= 8080
APP ?= tutorial
CLI := $(PY) tools/dotcloud_emulator.py

.DEFAULT_GOAL := help
.PHONY: help setup runtime engine docker base-images browser up down status dashboard test unit integration lint bench generate clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

# The emulator alone (what `up` needs), then its test tools on top.
$(VENV)/.runtime: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet -e .
	touch $@

$(VENV)/.installed: $(VENV)/.runtime
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

runtime: $(VENV)/.runtime

setup: $(VENV)/.installed ## create the virtualenv .venv with the emulator and its test tools

engine:
	bash scripts/ensure-docker.sh

docker: engine ## make a Docker engine, Compose v2 and the base images available (installs them if missing)
	bash scripts/ensure-base-image.sh
	bash scripts/ensure-base-image.sh debian:bullseye-slim

# Only the base images the sample is built on (`images base` lists them).
base-images: runtime engine
	for image in $$($(CLI) images base .); do bash scripts/ensure-base-image.sh "$$image"; done

browser: ## make Debian's headless Chromium available for the browser test (installs it if missing)
	bash scripts/ensure-browser.sh

# The default base image (every application's gateway is built on it) is made while the virtualenv
# is: the two are independent, and on a bare machine each takes tens of seconds.
up: engine ## run the sample application (dotcloud.yml) and print its URL
	@bash scripts/ensure-base-image.sh & base=$$!; \
	$(MAKE) --no-print-directory runtime || { wait $$base; exit 1; }; \
	wait $$base || exit 1
	for image in $$($(CLI) images base .); do bash scripts/ensure-base-image.sh "$$image"; done
	$(CLI) up . -A $(APP) --port $(APP_PORT)

down: runtime ## stop the sample application, keeping its data
	$(CLI) down $(APP)

status: runtime ## show the sample application's instances
	$(CLI) status $(APP)

dashboard: runtime ## serve the dashboard on http://127.0.0.1:8181/ until Ctrl-C
	$(CLI) dashboard

generate: runtime ## regenerate docker-compose.yml from dotcloud.yml
	$(CLI) generate .

unit: setup ## run the unit tests (no Docker)
	$(PY) -m pytest tests/unit -q

integration: setup docker browser ## run the integration tests against a real Docker engine
	$(PY) -m pytest tests/integration -q --durations=25

test: setup docker browser ## run every test: integration, then unit (installs Docker and Chromium if missing)
	$(PY) -m pytest tests -q --durations=25

lint: setup ## ruff and mypy
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

bench: setup docker ## run the benchmarks under bench/ and print their figures (about 15 minutes)
	$(PY) bench/validate_bench.py
	$(PY) bench/generate_bench.py
	$(PY) bench/up_bench.py
	$(PY) bench/http_bench.py
	$(PY) bench/py2_bench.py
	$(PY) bench/idle_bench.py

clean: ## remove the virtualenv and caches
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
