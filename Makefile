# zoom-mcp — every target that needs Python depends on `setup`, so a fresh
# clone needs no separate set-up step. `make` alone lists the targets.
#
# Written for GNU make 3.81 (macOS's /usr/bin/make) and every later one, with the
# same result under each. 3.81 has no .SHELLFLAGS (recipes run with plain `bash -c`:
# no -e, no -u, no pipefail), so no recipe relies on it: each recipe line is one
# command, or chains with && / ||, and a line that pipes says `set -o pipefail;`.
# tests/test_make.py checks this and runs the targets under 3.81 and 4.x alike.

# .FEATURES came with 3.81: anything older stops here, saying why.
ifeq ($(origin .FEATURES),undefined)
$(error GNU make 3.81 or newer is needed (this is $(MAKE_VERSION)); install GNU make, e.g. brew install make and run gmake)
endif

SHELL := /bin/bash
.DEFAULT_GOAL := help

# Windows (Git Bash) has no python3 but the py launcher (python.org) or python (Microsoft Store).
ifeq ($(OS),Windows_NT)
PYTHON ?= $(if $(shell command -v py 2>/dev/null),py -3,python)
else
PYTHON ?= python3
endif
VENV   := .venv
# The venv's programs are in bin/, or in Scripts/ where a Windows Python made the venv
# (Git Bash). An existing venv decides; before there is one, the Python that will make it.
ifneq ($(wildcard $(VENV)/Scripts/python.exe),)
VENV_BIN := $(VENV)/Scripts
else ifneq ($(wildcard $(VENV)/bin/python),)
VENV_BIN := $(VENV)/bin
else
VENV_BIN := $(VENV)/$(shell $(PYTHON) -c 'import os; print("Scripts" if os.name == "nt" else "bin")' 2>/dev/null || echo bin)
endif
PY     := $(VENV_BIN)/python$(if $(filter %/Scripts,$(VENV_BIN)),.exe)
LOCKS  := requirements.txt requirements-dev.txt
# The stamp's name carries a checksum of the lock files: a changed lock means a
# new stamp, hence a reinstall; an unchanged one makes `setup` a no-op.
STAMP  := $(VENV)/.stamp-$(shell cat $(LOCKS) 2>/dev/null | cksum | cut -d' ' -f1)
# The bats files or folders `make test-bats` runs.
BATS_FILES ?= bats/
# The macOS-like runner (bash 3.2, make 3.81, BSD tools) that `make test-macos` uses.
MACOS_LIKE ?= ../shared/macos-like

export PATH := $(CURDIR)/$(VENV_BIN):$(PATH)

.PHONY: help setup check-tools test lint test-py test-bats test-macos run refresh refresh-force \
        status history install-claude monitor demo simulator soak doctor bench conformance bundle clean \
        mutate coverage

help: ## List the targets (this page)
	@echo "zoom-mcp — make targets:"
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  %-15s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

setup: $(STAMP) ## Create .venv and install the pinned dependencies (quick when nothing changed)

# The tool check is shell code here, not a recursive `$(MAKE) check-tools`: make runs lines
# naming $(MAKE) even under -q/-n, and `make -q setup` must only answer "up to date?" (0/1).
$(STAMP): $(LOCKS)
	@$(CHECK_TOOLS)
	@command -v $(firstword $(PYTHON)) >/dev/null 2>&1 || { echo "ERROR: '$(firstword $(PYTHON))' (Python 3.10 or newer) not found; install Python, or name it: make PYTHON=/path/to/python3" >&2; exit 1; }
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else "ERROR: Python 3.10 or newer is needed (found " + sys.version.split()[0] + ")")'
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@echo "Installing pinned dependencies into $(VENV) ..."
	@$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@rm -f $(VENV)/.stamp-* && touch $@
	@echo "✅ $(VENV) is ready"

# Each missing tool with the command that installs it on this system: apt and Homebrew, or
# winget and Chocolatey in Git Bash (uname -s: MINGW64_NT-..., MSYS_NT-...).
define CHECK_TOOLS
missing=0; \
case $$(uname -s 2>/dev/null) in MINGW* | MSYS* | CYGWIN*) os=windows ;; *) os=unix ;; esac; \
for t in bash curl jq; do \
  command -v $$t >/dev/null 2>&1 && continue; \
  missing=1; \
  echo "ERROR: '$$t' is not installed. Install it with:" >&2; \
  if [ $$os = windows ]; then \
    case $$t in bash) w=Git.Git c=git ;; curl) w=cURL.cURL c=curl ;; jq) w=jqlang.jq c=jq ;; esac; \
    echo "    winget install --id $$w -e      # Windows (winget)" >&2; \
    echo "    choco install $$c -y             # Windows (Chocolatey)" >&2; \
    echo "  then open a new Git Bash window, so that it finds $$t" >&2; \
  else \
    echo "    sudo apt-get install -y $$t      # Debian/Ubuntu" >&2; \
    echo "    brew install $$t                 # macOS (Homebrew)" >&2; \
  fi; \
done; \
if ! command -v flock >/dev/null 2>&1; then \
  if [ $$os = windows ]; then \
    echo "note: no 'flock' here; the scripts use a portable lock instead" >&2; \
  else \
    echo "note: 'flock' not found; the scripts use a portable lock instead (optional: sudo apt-get install -y util-linux / brew install flock)" >&2; \
  fi; \
fi; \
exit $$missing
endef

check-tools: ## Check the system tools the scripts need (bash, curl, jq; flock optional)
	@$(CHECK_TOOLS)

test: setup lint test-py test-bats ## Run every check: ruff, shellcheck, pytest, bats

lint: setup ## ruff on the Python, shellcheck on the scripts
	ruff check .
	shellcheck -x run.sh scripts/*.sh scripts/lib/*.sh bats/*.bash

test-py: setup ## pytest (tests/)
	$(PY) -m pytest

mutate: setup ## Mutation check: each mutation of dev/mutations.py alone, its tests, killed or not (slow; ARGS=NAME...)
	$(PY) dev/mutate.py $(ARGS)

coverage: setup ## Line and branch coverage of pytest, server and jq workers included (.cache/coverage/; ARGS=pytest args)
	$(PY) dev/coverage_run.py $(ARGS)

# pretty ends with bats' own "N tests, 0 failures"; its colour codes are stripped for logs
# with a literal ESC (BSD sed has no \x1b). pipefail: bats' status, not sed's, is the target's.
test-bats: setup ## bats suites (bats/; BATS_FILES=... runs others)
	@echo "bats $(BATS_FILES)"
	@set -o pipefail; esc=$$(printf '\033'); bats --formatter pretty $(BATS_FILES) | sed "s/$${esc}\[[0-9;]*[A-Za-z]//g"

# The runner puts its bash 3.2, make 3.81 and BSD tools first on PATH; MAKEFLAGS and MAKELEVEL
# are not handed on (a make 4.x jobserver flag means nothing to 3.81).
test-macos: setup ## bats and the Makefile's tests again under macOS's bash 3.2, make 3.81, BSD tools
	@test -x $(MACOS_LIKE)/run || { echo "ERROR: no macOS-like runner at $(MACOS_LIKE)/run (MACOS_LIKE=DIR names it)" >&2; exit 2; }
	MAKEFLAGS= MAKELEVEL= $(MACOS_LIKE)/run make --no-print-directory test-bats
	MAKEFLAGS= MAKELEVEL= $(MACOS_LIKE)/run $(PY) -m pytest -p no:cacheprovider tests/test_make.py

run: setup ## Start the MCP server (stdio; ZOOM_MCP_TRANSPORT=http for streamable HTTP)
	@./run.sh

refresh: ## Fetch a token unless the one in .env is still valid
	./scripts/get_zoom_token.sh

refresh-force: ## Fetch a new token now, whatever the old one's state (recovery)
	./scripts/get_zoom_token.sh -f

status: ## Show the token's status
	./scripts/check_zoom_token.sh

history: ## What the kit and the monitor did, last 20 events in local time (ARGS="50", ARGS=--json)
	./scripts/check_zoom_token.sh --history $(ARGS)

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
