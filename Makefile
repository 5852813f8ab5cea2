# zoom-mcp — every target that needs Python depends on `setup`, so a fresh
# clone needs no separate set-up step. `make` alone lists the targets.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
LOCKS  := requirements.txt requirements-dev.txt
# The stamp's name carries a checksum of the lock files: a changed lock means a
# new stamp, hence a reinstall; an unchanged one makes `setup` a no-op.
STAMP  := $(VENV)/.stamp-$(shell cat $(LOCKS) 2>/dev/null | cksum | cut -d' ' -f1)

export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)

.PHONY: help setup check-tools test lint test-py test-bats run refresh refresh-force \
        status install-claude monitor demo simulator soak doctor bench conformance bundle clean

help: ## List the targets (this page)
	@echo "zoom-mcp — make targets:"
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  %-15s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

setup: $(STAMP) ## Create .venv and install the pinned dependencies (quick when nothing changed)

$(STAMP): $(LOCKS)
	@$(MAKE) --no-print-directory check-tools
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else "ERROR: Python 3.10 or newer is needed (found " + sys.version.split()[0] + ")")'
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@echo "Installing pinned dependencies into $(VENV) ..."
	@$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@rm -f $(VENV)/.stamp-* && touch $@
	@echo "✅ $(VENV) is ready"

check-tools: ## Check the system tools the scripts need (bash, curl, jq; flock optional)
	@missing=0; \
	for t in bash curl jq; do \
	  if ! command -v $$t >/dev/null 2>&1; then \
	    echo "ERROR: '$$t' is not installed. Install it with:" >&2; \
	    echo "    sudo apt-get install -y $$t      # Debian/Ubuntu" >&2; \
	    echo "    brew install $$t                 # macOS (Homebrew)" >&2; \
	    missing=1; \
	  fi; \
	done; \
	if ! command -v flock >/dev/null 2>&1; then \
	  echo "note: 'flock' not found; the scripts use a portable lock instead (optional: sudo apt-get install -y util-linux / brew install flock)" >&2; \
	fi; \
	exit $$missing

test: setup lint test-py test-bats ## Run every check: ruff, shellcheck, pytest, bats

lint: setup ## ruff on the Python, shellcheck on the scripts
	ruff check .
	shellcheck -x run.sh scripts/*.sh scripts/lib/*.sh bats/*.bash

test-py: setup ## pytest (tests/)
	$(PY) -m pytest

test-bats: setup ## bats suites (bats/)
	@# pretty ends with bats' own "N tests, 0 failures"; strip its colour codes for logs.
	bats --formatter pretty bats/ | sed 's/\x1b\[[0-9;]*[A-Za-z]//g'

run: setup ## Start the MCP server (stdio; ZOOM_MCP_TRANSPORT=http for streamable HTTP)
	@./run.sh

refresh: ## Fetch a token unless the one in .env is still valid
	./scripts/get_zoom_token.sh

refresh-force: ## Fetch a new token now, whatever the old one's state (recovery)
	./scripts/get_zoom_token.sh -f

status: ## Show the token's status
	./scripts/check_zoom_token.sh

install-claude: setup ## Add this server to Claude Desktop's config
	./scripts/update_claude_config.sh --install
	@echo "Restart Claude Desktop to load the zoom server (./scripts/restart_claude_app.sh)."

monitor: setup ## Run the token monitor alone (display and auto-refresh, no server)
	$(PY) token_monitor.py

demo: setup ## The whole thing on the built-in Zoom simulator; no Zoom account needed
	$(PY) -m demo

simulator: setup ## Run the Zoom simulator on loopback (ZOOMSIM_* set its credentials)
	$(PY) -m zoomsim --host 127.0.0.1 --port $${ZOOMSIM_PORT:-0}

soak: setup ## Long soak: refreshes every few seconds under load and faults (SOAK_SECONDS, default 600)
	SOAK_SECONDS=$${SOAK_SECONDS:-600} $(PY) -m pytest -m soak -p no:cacheprovider tests/test_soak.py -s

doctor: ## Check the installation and configuration, with the fix for each problem (ARGS=--online)
	./scripts/doctor.sh $(ARGS)

bench: setup ## Benchmarks against the simulator (table, and JSON in bench/results/)
	$(PY) -m bench

conformance: setup ## The official MCP conformance suite against the server (ARGS=-v lists every scenario)
	$(PY) -m conformance $(ARGS)

BUNDLE_OUT ?= dist
bundle: setup ## Build dist/zoom-mcp-<version>.mcpb for Claude Desktop (needs npm; BUNDLE_OUT=dir)
	$(PY) -m bundle --out "$(BUNDLE_OUT)"

clean: ## Remove .venv and caches (never .env)
	rm -rf $(VENV) .pytest_cache .ruff_cache
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
