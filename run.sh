#!/usr/bin/env bash
# Usage: ./run.sh [-h|--help]
#   Starts the Zoom MCP server (zoom_mcp.py) with its token monitor.
#   stdio by default; ZOOM_MCP_TRANSPORT=http serves streamable HTTP on
#   127.0.0.1:$ZOOM_MCP_PORT. Takes no other arguments.
#   Makes sure a valid token exists first (scripts/get_zoom_token.sh -q, with
#   the monitor's ZOOM_AUTO_REFRESH_THRESHOLD, default 300 s).
#   ZOOM_ENV_FILE (default .env) is taken from the project root when relative.
#   The venv's Python is .venv/bin/python, or .venv/Scripts/python.exe as
#   Python for Windows makes it (Git Bash): that one is handed Windows paths.
#   stdout carries only JSON-RPC: everything else goes to stderr.
#   Clients (Claude Desktop, an MCP client) should launch this file directly,
#   not `make run`: make may print to stdout ("Entering directory ...").
set -euo pipefail # the token check's failure is caught below (`|| rc=$?`)
umask 077

# Claude Desktop starts us with a minimal environment (PATH may be just
# /usr/bin:/bin): add the usual places of curl, jq and Homebrew.
PATH="${PATH:-/usr/bin:/bin}:/usr/local/bin:/opt/homebrew/bin:/usr/bin:/bin:/usr/sbin:/sbin"
# Windows: Claude Desktop starts Git's bash.exe directly, with the Windows
# PATH; Git for Windows keeps curl in /mingw64/bin.
case $(uname -s 2>/dev/null || :) in
  MINGW* | MSYS* | CYGWIN*) windows=1 PATH="$PATH:/mingw64/bin" ;;
  *) windows=0 ;;
esac
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

usage() { # the `# Usage:` header above, without the "# "
  local line started=0
  while IFS= read -r line; do
    if [ "$started" = 0 ]; then
      case $line in '# Usage:'*) started=1 ;; *) continue ;; esac
    fi
    case $line in '#'*) ;; *) break ;; esac
    line=${line#\#}
    printf '%s\n' "${line# }"
  done <"$ROOT/run.sh"
}

if [ "$#" -gt 0 ]; then
  case $1 in
    -h | --help)
      [ "$#" -eq 1 ] || { echo "ERROR: unexpected argument: $2" >&2; usage >&2; exit 2; }
      usage
      exit 0
      ;;
    *)
      echo "ERROR: unknown argument: $1" >&2
      usage >&2
      exit 2
      ;;
  esac
fi

# The venv's Python, in either layout: bin/python (macOS, Linux, MSYS2's own
# Python) or Scripts/python.exe (Python for Windows).
if [ -x "$ROOT/.venv/bin/python" ]; then
  PY="$ROOT/.venv/bin/python"
elif [ -x "$ROOT/.venv/Scripts/python.exe" ]; then
  PY="$ROOT/.venv/Scripts/python.exe"
else
  echo "ERROR: $ROOT/.venv is missing (no .venv/bin/python or .venv/Scripts/python.exe); run make setup (in $ROOT) first" >&2
  exit 2
fi

# Relative paths are taken from the project root, as the scripts do
# (scripts/lib/common.sh) and token_monitor.py does; exported absolute so that
# every reader agrees whatever its working directory. A Windows drive path
# (C:\Users\...\.env, as --install writes it on Windows) is read here as Git
# Bash names it.
ZOOM_ENV_FILE="${ZOOM_ENV_FILE:-$ROOT/.env}"
case $ZOOM_ENV_FILE in
  /*) ;;
  [A-Za-z]:[\\/]*) [ "$windows" = 0 ] || ZOOM_ENV_FILE=$(cygpath -u -- "$ZOOM_ENV_FILE") ;;
  *) ZOOM_ENV_FILE="$ROOT/$ZOOM_ENV_FILE" ;;
esac
export ZOOM_ENV_FILE

# The monitor's refresh threshold, read as the monitor reads it: the
# environment when set and not empty, else .env's ZOOM_AUTO_REFRESH_THRESHOLD
# (as python-dotenv reads it: the kit's reader, in a subshell), else 300.
# Checking with the kit's default (60 s) instead would leave a token with 1-5
# minutes left alone here and make the monitor refresh it the moment it starts.
# No Python: start-up stays fast. A value that is not a whole number is left
# to the monitor, which refuses it with a clear error.
threshold=${ZOOM_AUTO_REFRESH_THRESHOLD:-}
if [ -z "${threshold//[[:space:]]/}" ] && [ -f "$ZOOM_ENV_FILE" ] && [ -r "$ZOOM_ENV_FILE" ]; then
  # shellcheck source=scripts/lib/common.sh
  threshold=$(. "$ROOT/scripts/lib/common.sh" && zoom_env_value "$ZOOM_ENV_FILE" ZOOM_AUTO_REFRESH_THRESHOLD) ||
    threshold=''
fi
threshold=${threshold//[[:space:]]/}
case $threshold in '' | *[!0-9]*) threshold=300 ;; esac

# Make sure a valid token exists. The token and its expiry come from .env:
# a ZOOM_ACCESS_TOKEN in the environment (Claude Desktop's config holds a copy
# that goes stale after each refresh) must not hide the file's. stdin is the
# JSON-RPC stream, so the script gets /dev/null; its stdout goes to stderr.
# The refresh history names run.sh as the one who ran it.
rc=0
(
  unset ZOOM_ACCESS_TOKEN ZOOM_TOKEN_EXPIRES_AT
  ZOOM_HISTORY_BY=run.sh
  export ZOOM_HISTORY_BY
  exec "$ROOT/scripts/get_zoom_token.sh" -q -t "$threshold"
) </dev/null >&2 || rc=$?
# The monitor counts a failure here as its own first one and waits its cooldown
# before trying again: no second request right behind this one (with rejected
# credentials, two invalid_client answers back to back).
ZOOM_STARTUP_FETCH_EXIT=$rc
export ZOOM_STARTUP_FETCH_EXIT
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

# Python for Windows knows nothing of Git Bash's /c/...: Windows paths for it.
server="$ROOT/zoom_mcp.py"
if [ "$windows" = 1 ] && [ "$PY" = "$ROOT/.venv/Scripts/python.exe" ]; then
  server=$(cygpath -w -- "$server")
  # ...and cannot run the kit's .sh scripts itself: the token monitor runs them with this bash.
  ZOOM_KIT_BASH=$(cygpath -w -- "$BASH")
  export ZOOM_KIT_BASH
  # shellcheck disable=SC2031 # (the threshold's subshell above set only its own copy)
  ZOOM_ENV_FILE=$(cygpath -w -- "$ZOOM_ENV_FILE")
fi
exec "$PY" "$server"
