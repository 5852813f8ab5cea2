# shellcheck shell=bash
# Shared helpers for the token kit's bats suites, in rbenv's manner: assertions,
# a private HOME/project/PATH per test, stubs on PATH, and the Zoom simulator.
# SC2154: status, output, lines and stderr are set by bats' `run`; SC2034: the
# variables set here are read by the .bats files; SC2016: code for stubs and
# wait_until is single-quoted on purpose (it expands later).
# shellcheck disable=SC2154,SC2034,SC2016

bats_require_minimum_version 1.5.0

KIT_SRC_ROOT=$(cd "$BATS_TEST_DIRNAME/.." && pwd)
KIT_PYTHON=${KIT_PYTHON:-$KIT_SRC_ROOT/.venv/bin/python}
ZOOM_PYTHON=$KIT_PYTHON # older name, kept for suites that use it (kit_setup spares it)
# The PATH and curl bats started with, before any stub directory is added.
export KIT_ORIG_PATH=${KIT_ORIG_PATH:-$PATH}
REAL_CURL=$(PATH=$KIT_ORIG_PATH command -v curl)
export REAL_CURL
# The bash under test: the one the scripts' `#!/usr/bin/env bash` finds (3.2 under the
# macOS-like runner). A test that sets its own PATH must keep finding this one.
KIT_BASH=$(PATH=$KIT_ORIG_PATH command -v bash)

# Credentials the simulator accepts; the secret is grepped for in argv and output.
export ZOOMSIM_ACCOUNT_ID=bats-account
export ZOOMSIM_CLIENT_ID=bats-client-id
export ZOOMSIM_CLIENT_SECRET='bats-S3cr3t"7f\3a&9c1e-never-printed' # quote, backslash, ampersand: curl's config quoting

# --------------------------------------------------------------- assertions
flunk() {
  {
    if [ "$#" -eq 0 ]; then cat -; else printf '%s\n' "$*"; fi
  } >&2
  return 1
}

assert_success() {
  if [ "$status" -ne 0 ]; then
    flunk "command failed with exit status $status" "output: $output"
  elif [ "$#" -gt 0 ]; then
    assert_output "$1"
  fi
}

assert_failure() {
  if [ "$status" -eq 0 ]; then
    flunk "expected a failed exit status; output: $output"
  elif [ "$#" -gt 0 ]; then
    assert_output "$1"
  fi
}

assert_status() {
  [ "$status" -eq "$1" ] || flunk "expected exit status $1, got $status; output: $output"
}

assert_equal() {
  if [ "$1" != "$2" ]; then
    flunk "expected: $1" "actual:   $2"
  fi
}

assert_output() {
  local expected
  if [ "$#" -eq 0 ]; then expected=$(cat -); else expected=$1; fi
  assert_equal "$expected" "$output"
}

refute_output() {
  if [ "$#" -eq 0 ]; then
    [ -z "$output" ] || flunk "expected no output, got: $output"
  else
    [ "$output" != "$1" ] || flunk "expected output other than: $1"
  fi
}

assert_output_contains() {
  case $output in
    *"$1"*) ;;
    *) flunk "expected output to contain: $1" "actual: $output" ;;
  esac
}

refute_output_contains() {
  case $output in
    *"$1"*) flunk "expected output not to contain: $1" "actual: $output" ;;
    *) ;;
  esac
}

# assert_line [INDEX] LINE: the line at INDEX, or any line, equals LINE.
assert_line() {
  local line
  if [ "$1" -ge 0 ] 2>/dev/null; then
    assert_equal "$2" "${lines[$1]:-}"
  else
    for line in "${lines[@]}"; do
      [ "$line" != "$1" ] || return 0
    done
    flunk "expected line '$1'" "actual output: $output"
  fi
}

refute_line() {
  local line
  if [ "$1" -ge 0 ] 2>/dev/null; then
    [ "${lines[$1]:-}" != "$2" ] || flunk "expected line $1 not to be: $2"
  else
    for line in "${lines[@]}"; do
      [ "$line" != "$1" ] || flunk "expected no line '$1'" "actual output: $output"
    done
  fi
}

# ---------------------------------------------------------- the test sandbox
# Each test gets a copy of scripts/ in its own project folder (so the default
# .env is the test's own), its own HOME, and a stub directory first on PATH.
kit_setup() {
  local v
  for v in $(compgen -v | grep -E '^(ZOOM_|CLAUDE_)' | grep -v '^ZOOM_PYTHON$' || true); do
    unset "$v"
  done
  unset XDG_CONFIG_HOME APPDATA LOCALAPPDATA
  PROJECT=$BATS_TEST_TMPDIR/project
  mkdir -p "$PROJECT"
  PROJECT=$(cd -P "$PROJECT" && pwd -P) # the scripts name their root physically
  cp -R "$KIT_SRC_ROOT/scripts" "$PROJECT/"
  printf '#!/bin/sh\nexit 0\n' >"$PROJECT/run.sh"
  chmod +x "$PROJECT/run.sh"
  ENV_FILE=$PROJECT/.env
  SCRIPTS=$PROJECT/scripts
  export HOME=$BATS_TEST_TMPDIR/home
  mkdir -p "$HOME"
  export STUB_BIN=$BATS_TEST_TMPDIR/bin
  export STUB_LOG=$BATS_TEST_TMPDIR/stub.log
  export STUB_STATE=$BATS_TEST_TMPDIR/state
  mkdir -p "$STUB_BIN" "$STUB_STATE"
  : >"$STUB_LOG"
  export PATH=$STUB_BIN:$KIT_ORIG_PATH
}

# The smallest PATH (as in Claude Desktop: /usr/bin:/bin) that still finds the same bash,
# date, curl and jq as the tests do: never a system bash in place of the bash under test.
minimal_path() {
  local d p=/usr/bin:/bin t
  for t in jq curl date bash; do
    d=$(PATH=$KIT_ORIG_PATH command -v "$t")
    d=${d%/*}
    case ":$p:" in *":$d:"*) ;; *) p=$d:$p ;; esac
  done
  printf '%s\n' "$p"
}

# stub NAME [BODY]: a fake command on PATH that logs "NAME ARGS..." to
# $STUB_LOG (one line per call, in one write: stubs running at once, e.g. a
# started app and the poll that waits for it, never mix their lines), then
# runs BODY (shell code; default: exit 0).
stub() {
  local name=$1 body=${2:-exit 0}
  {
    printf '#!/usr/bin/env bash\n'
    printf '_stub_line=%q; for _stub_a in "$@"; do _stub_line="$_stub_line $_stub_a"; done\n' "$name"
    printf 'printf "%%s\\n" "$_stub_line" >>"$STUB_LOG"\n'
    printf '%s\n' "$body"
  } >"$STUB_BIN/$name"
  chmod +x "$STUB_BIN/$name"
}

# A curl on PATH that records its argv (one call per line) and runs the real one.
install_curl_wrapper() {
  export CURL_ARGV_LOG=$BATS_TEST_TMPDIR/curl-argv.log
  : >"$CURL_ARGV_LOG"
  {
    printf '#!/usr/bin/env bash\n'
    printf 'printf "%%s\\n" "curl $*" >>"$CURL_ARGV_LOG"\n'
    printf 'exec %q "$@"\n' "$REAL_CURL"
  } >"$STUB_BIN/curl"
  chmod +x "$STUB_BIN/curl"
}

# write_env LINE...: the test's .env, mode 0600.
write_env() {
  printf '%s\n' "$@" >"$ENV_FILE"
  chmod 600 "$ENV_FILE"
}

# The credentials and the simulator's token URL, as .env lines.
sim_env_lines() {
  printf '%s\n' \
    "ZOOM_ACCOUNT_ID=$ZOOMSIM_ACCOUNT_ID" \
    "ZOOM_CLIENT_ID=$ZOOMSIM_CLIENT_ID" \
    "ZOOM_CLIENT_SECRET=$ZOOMSIM_CLIENT_SECRET" \
    "ZOOM_OAUTH_URL=$SIM_URL/oauth/token"
}

file_mode() { # portable: GNU stat, then BSD stat
  stat -c %a "$1" 2>/dev/null || stat -f %Lp "$1"
}

# new_session CMD...: CMD in a session and process group of its own, so that kill -- -PID
# reaches it and all its children. setsid(1) is Linux-only; Python's os.setsid is everywhere.
new_session() {
  "$KIT_PYTHON" -c 'import os, sys; os.setsid(); os.execvp(sys.argv[1], sys.argv[1:])' "$@"
}

# bounded SECONDS CMD...: CMD's exit status, or 124 (and CMD killed) if it still runs after
# SECONDS. A bound on a hang, never a speed check: make it generous. `run bounded 30 cmd`.
bounded() {
  local seconds=$1 pid rc=0
  shift
  "$@" 3>&- &
  pid=$!
  if ! wait_until "$seconds" '! kill -0 "$pid" 2>/dev/null'; then
    kill -9 "$pid" 2>/dev/null || :
    return 124
  fi
  wait "$pid" || rc=$?
  return "$rc"
}

# Poll CONDITION (shell code) every 50 ms for at most SECONDS; fail on timeout.
wait_until() {
  local seconds=$1 cond=$2 deadline=$((SECONDS + $1))
  until eval "$cond"; do
    [ "$SECONDS" -le "$deadline" ] || flunk "timed out after ${seconds}s waiting for: $cond" || return 1
    sleep 0.05
  done
}

# -------------------------------------------------------------- the simulator
# Started once per file (setup_file); its URL is the first line it prints.
sim_start() {
  local out=$BATS_FILE_TMPDIR/sim.out err=$BATS_FILE_TMPDIR/sim.err line=''
  [ -x "$KIT_PYTHON" ] || flunk "no Python at $KIT_PYTHON (run make setup)" || return 1
  : >"$out"
  # fd 3 closed: bats waits for it otherwise.
  PYTHONPATH=$KIT_SRC_ROOT "$KIT_PYTHON" -m zoomsim --port 0 >"$out" 2>"$err" 3>&- &
  SIM_PID=$!
  export SIM_PID
  wait_until 20 '[ -s "$out" ] && IFS= read -r line <"$out" && [ -n "$line" ] || ! kill -0 "$SIM_PID" 2>/dev/null' || return 1
  case $line in
    'Zoom simulator listening on http://127.0.0.1:'*) ;;
    *) flunk "the simulator did not start: ${line:-no output}; $(cat "$err")" || return 1 ;;
  esac
  SIM_URL=${line#Zoom simulator listening on }
  export SIM_URL
}

sim_stop() {
  [ -n "${SIM_PID:-}" ] || return 0
  kill "$SIM_PID" 2>/dev/null || return 0
  wait_until 10 '! kill -0 "$SIM_PID" 2>/dev/null' || kill -9 "$SIM_PID" 2>/dev/null || :
}

# sim_ctl METHOD PATH [JSON]: the simulator's control API (the real curl; -q:
# not the ~/.curlrc a test may have written).
sim_ctl() {
  if [ "$#" -ge 3 ]; then
    "$REAL_CURL" -q -fsS -X "$1" -H 'Content-Type: application/json' --data "$3" "$SIM_URL$2"
  else
    "$REAL_CURL" -q -fsS -X "$1" "$SIM_URL$2"
  fi
}

sim_reset() {
  sim_ctl DELETE /_sim/faults >/dev/null
  sim_ctl DELETE /_sim/requests >/dev/null
}

sim_fault() { # sim_fault JSON
  sim_ctl POST /_sim/faults "$1" >/dev/null
}

sim_token_requests() { # how many token requests the simulator has answered
  sim_ctl GET /_sim/stats | jq -r '.token_requests'
}

# A valid token from the simulator, without recording a token request.
sim_valid_token() {
  sim_ctl POST /_sim/token | jq -r '.access_token'
}

# ------------------------------------------------------------ Windows (Git Bash)
# stub_windows: uname says Git Bash on Windows, and cygpath converts both ways with
# C:\ standing for $WIN_C (this test's folder, so the files really exist there):
# C:\project\.env <-> $WIN_C/project/.env. Other POSIX paths become C:\Program Files\Git\...
# as in Git for Windows (/usr/bin/bash -> C:\Program Files\Git\usr\bin\bash).
stub_windows() {
  export WIN_C=$BATS_TEST_TMPDIR
  stub uname 'echo MINGW64_NT-10.0-19045'
  stub cygpath 'mode="" p="" bs="\\"
for a in "$@"; do case $a in -u | -w) mode=$a ;; --) ;; *) p=$a ;; esac; done
case $mode:$p in
  -u:[A-Za-z]:[\\/]*) r=${p:2}; r=${r//"$bs"//}; printf "%s\n" "$WIN_C$r" ;;
  -u:*) printf "%s\n" "$p" ;;
  -w:"$WIN_C" | -w:"$WIN_C"/*) r=${p#"$WIN_C"}; r=${r:-/}; r=${r//\//"$bs"}; printf "C:%s\n" "$r" ;;
  -w:/*) r=${p//\//"$bs"}; printf "C:\\\\Program Files\\\\Git%s\n" "$r" ;;
  *) echo "cygpath: bad arguments: $*" >&2; exit 1 ;;
esac'
}

# windows_path POSIX_PATH: what the cygpath stub makes of it (C:\...).
windows_path() {
  local r bs=\\
  case $1 in
    "$WIN_C" | "$WIN_C"/*) r=${1#"$WIN_C"}; r=${r:-/}; r=${r//\//"$bs"}; printf 'C:%s\n' "$r" ;;
    *) r=${1//\//"$bs"}; printf 'C:\\Program Files\\Git%s\n' "$r" ;;
  esac
}
