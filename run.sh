#!/usr/bin/env bash
# Usage: ./run.sh [ARGS...]
#   Starts the Zoom MCP server (zoom_mcp.py) with its token monitor.
#   stdio by default; ZOOM_MCP_TRANSPORT=http serves streamable HTTP on
#   127.0.0.1:$ZOOM_MCP_PORT. ARGS are passed to zoom_mcp.py.
#   Makes sure a valid token exists first (scripts/get_zoom_token.sh -q).
#   stdout carries only JSON-RPC: everything else goes to stderr.
set -uo pipefail

# Claude Desktop starts us with a minimal environment (PATH may be just
# /usr/bin:/bin): add the usual places of curl, jq and Homebrew.
PATH="${PATH:-/usr/bin:/bin}:/usr/local/bin:/opt/homebrew/bin:/usr/bin:/bin:/usr/sbin:/sbin"
export PATH

# The project root is where this file lives, following symlinks by hand
# (macOS has no `readlink -f`); never $PWD.
src="${BASH_SOURCE[0]}"
while [ -h "$src" ]; do
  dir="$(cd -P "$(dirname "$src")" >/dev/null 2>&1 && pwd)"
  src="$(readlink "$src")"
  case "$src" in /*) ;; *) src="$dir/$src" ;; esac
done
ROOT="$(cd -P "$(dirname "$src")" >/dev/null 2>&1 && pwd)"

PY="$ROOT/.venv/bin/python"
if [ ! -x "$PY" ]; then
  echo "ERROR: $ROOT/.venv is missing; run make setup (in $ROOT) first" >&2
  exit 2
fi

ZOOM_ENV_FILE="${ZOOM_ENV_FILE:-$ROOT/.env}"
export ZOOM_ENV_FILE

# Make sure a valid token exists. The token and its expiry come from .env:
# a ZOOM_ACCESS_TOKEN in the environment (Claude Desktop's config holds a copy
# that goes stale after each refresh) must not hide the file's. stdin is the
# JSON-RPC stream, so the script gets /dev/null; its stdout goes to stderr.
rc=0
(
  unset ZOOM_ACCESS_TOKEN ZOOM_TOKEN_EXPIRES_AT
  exec "$ROOT/scripts/get_zoom_token.sh" -q
) </dev/null >&2 || rc=$?
if [ "$rc" -ne 0 ]; then
  case "$rc" in
    2) why="configuration error (see the message above)" ;;
    3) why="Zoom rejected the credentials (check ZOOM_ACCOUNT_ID, ZOOM_CLIENT_ID, ZOOM_CLIENT_SECRET)" ;;
    *) why="the token request failed" ;;
  esac
  echo "ERROR: could not get a Zoom access token (get_zoom_token.sh exit $rc: $why)." >&2
  echo "ERROR: starting the server anyway; the token monitor reports ❌ until a token exists." >&2
  echo "ERROR: to recover, run: $ROOT/scripts/get_zoom_token.sh -f" >&2
fi

exec "$PY" "$ROOT/zoom_mcp.py" "$@"
