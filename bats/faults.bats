#!/usr/bin/env bats
# Fault matrix, the by-hand entry point (issue 6): get_zoom_token.sh against a failing token
# endpoint, with a token still valid (-f, the documented recovery) or expired (a plain run).
# Also: .env edge cases, Claude config edge cases, a full disk, kill -9 mid-refresh.
# (The monitor and tool-call entry points are in tests/test_faults.py.)
#
# Root can read and write files whatever their mode, so "unreadable" and "read-only" are made
# for real: setpriv drops to nobody for a 0000 .env, chattr +i makes a config immutable (a
# read-only bind mount when chattr cannot), a directory stands in place of .env; a tiny tmpfs
# plays the full disk, and a mktemp shim handing out /dev/full plays it where mount is not allowed.

# shellcheck disable=SC2016,SC2030,SC2031
# SC2016: code for wait_until and stubs is single-quoted on purpose (it expands later);
# SC2030/SC2031: each @test runs in a subshell of its own, so exports there are meant to be local.

load test_helper

setup_file() {
  sim_start
}

teardown_file() {
  sim_stop
}

setup() {
  kit_setup
  sim_reset
  export ZOOM_HTTP_TIMEOUT=1
  # Anything that could restart Claude Desktop, on any OS, records the call and fails.
  local c
  for c in osascript open pgrep pkill killall taskkill tasklist claude-desktop; do
    stub "$c" 'exit 1'
  done
  UNDO=$BATS_TEST_TMPDIR/undo.sh # commands to run in teardown (chattr -i, umount, rm)
  : >"$UNDO"
}

teardown() {
  # Undo in reverse order; an immutable file or a mount would outlive the test otherwise.
  # (A loop, not tac: macOS has no tac.)
  local cmd cmds=() i
  [ -s "$UNDO" ] || return 0
  while IFS= read -r cmd; do cmds+=("$cmd"); done <"$UNDO"
  i=${#cmds[@]}
  while [ "$i" -gt 0 ]; do
    i=$((i - 1))
    eval "${cmds[i]}" || :
  done
}

undo_later() { printf '%s\n' "$*" >>"$UNDO"; }

now() { date +%s; }

# Token requests the simulator has logged since sim_reset (its stats count since it started).
token_requests() {
  sim_ctl GET '/_sim/requests?route=token' | jq '.requests | length'
}

closed_port_url() {
  printf 'http://127.0.0.1:%s/oauth/token\n' "$("$KIT_PYTHON" -c \
    'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
}

# The project folder's entries, without the (empty) lock file: temp files must not be left behind.
listing() {
  local f
  for f in "${1:-$PROJECT}"/* "${1:-$PROJECT}"/.[!.]*; do
    [ -e "$f" ] || [ -L "$f" ] || continue
    # flock's lock files stay; the refresh history is checked on its own
    case ${f##*/} in *.lock | zoom-token.log) ;; *) printf '%s\n' "${f##*/}" ;; esac
  done | LC_ALL=C sort
}

has_error_line() { # has_error_line [TEXT]: stderr has an "ERROR: ...TEXT..." line
  printf '%s\n' "$stderr" | grep -qF "ERROR: " || flunk "no ERROR line in: $stderr"
  [ "$#" -eq 0 ] || printf '%s\n' "$stderr" | grep '^ERROR: ' | grep -qF "$1" || flunk "no ERROR naming $1: $stderr"
}

assert_no_restart() {
  [ ! -s "$STUB_LOG" ] || flunk "something tried to restart Claude: $(cat "$STUB_LOG")"
}

assert_same_file() { # assert_same_file FILE COPY
  cmp -s "$1" "$2" || flunk "$1 changed:" "$(diff "$2" "$1" || :)"
}

# --- the matrix -------------------------------------------------------------------
# matrix_case STATE FAULT_JSON|closed CODE ERROR_TEXT
#   STATE valid: an hour left, run with -f; expired: a minute ago, run without options.
matrix_case() {
  local state=$1 fault=$2 code=$3 want=$4 token exp requests_before
  token=$(sim_valid_token)
  if [ "$state" = valid ]; then exp=$(($(now) + 3600)); else exp=$(($(now) - 60)); fi
  write_env "# zoom-mcp" "$(sim_env_lines)" "" "ZOOM_ACCESS_TOKEN=$token" "ZOOM_TOKEN_EXPIRES_AT=$exp" "# end"
  cp -p "$ENV_FILE" "$BATS_TEST_TMPDIR/env.before"
  listing >"$BATS_TEST_TMPDIR/listing.before"
  if [ "$fault" = closed ]; then
    ZOOM_OAUTH_URL=$(closed_port_url)
    export ZOOM_OAUTH_URL # the environment wins over .env
  else
    sim_fault "$fault"
  fi
  requests_before=$(token_requests)
  if [ "$state" = valid ]; then
    run --separate-stderr "$SCRIPTS/get_zoom_token.sh" -f
  else
    run --separate-stderr "$SCRIPTS/get_zoom_token.sh"
  fi
  assert_status "$code"
  [ -z "$output" ] || flunk "nothing belongs on stdout after a failure: $output"
  case $stderr in
    "ERROR: "*"$want"*) ;;
    *) flunk "expected an ERROR naming: $want" "stderr: $stderr" ;;
  esac
  case $stderr in *".env unchanged"*) ;; *) flunk "the message should say .env is unchanged: $stderr" ;; esac
  assert_same_file "$ENV_FILE" "$BATS_TEST_TMPDIR/env.before"
  assert_equal 600 "$(file_mode "$ENV_FILE")"
  assert_equal "$(cat "$BATS_TEST_TMPDIR/listing.before")" "$(listing)"
  if [ -e "$ENV_FILE.lock" ]; then [ ! -s "$ENV_FILE.lock" ] || flunk "the lock file holds data"; fi
  # the history's last line is this failure, with its exit code
  jq -e --argjson code "$code" 'select(.event == "fetch_failed" and .exit == $code)' \
    <<<"$(tail -n 1 "$PROJECT/zoom-token.log")" >/dev/null || flunk "no fetch_failed line: $(cat "$PROJECT/zoom-token.log")"
  assert_no_restart
  case $stderr in *"$ZOOMSIM_CLIENT_SECRET"* | *"$token"*) flunk "a secret in the message: $stderr" ;; esac
  if [ "$fault" != closed ]; then
    # exactly one request reached the endpoint (a slow one is counted once it is answered)
    wait_until 10 '[ "$(token_requests)" -ge $((requests_before + 1)) ]'
    assert_equal $((requests_before + 1)) "$(token_requests)"
  fi
}

@test "matrix: refused (connection reset), token still valid, -f: exit 1, nothing written" {
  matrix_case valid '{"target":"token","mode":"refused"}' 1 "Connection reset by peer"
}

@test "matrix: refused (connection reset), token expired: exit 1, nothing written" {
  matrix_case expired '{"target":"token","mode":"refused"}' 1 "Connection reset by peer"
}

@test "matrix: refused (nothing listening), token still valid, -f: exit 1, nothing written" {
  matrix_case valid closed 1 "(connection refused)"
}

@test "matrix: refused (nothing listening), token expired: exit 1, nothing written" {
  matrix_case expired closed 1 "(connection refused)"
}

@test "matrix: 500, token still valid, -f: exit 1, nothing written" {
  matrix_case valid '{"target":"token","mode":"error","status":500}' 1 "HTTP 500"
}

@test "matrix: 500, token expired: exit 1, nothing written" {
  matrix_case expired '{"target":"token","mode":"error","status":500}' 1 "HTTP 500"
}

@test "matrix: slow past ZOOM_HTTP_TIMEOUT, token still valid, -f: exit 1, nothing written" {
  matrix_case valid '{"target":"token","mode":"slow","delay":2.5}' 1 "timed out after 1s (ZOOM_HTTP_TIMEOUT)"
}

@test "matrix: slow past ZOOM_HTTP_TIMEOUT, token expired: exit 1, nothing written" {
  matrix_case expired '{"target":"token","mode":"slow","delay":2.5}' 1 "timed out after 1s (ZOOM_HTTP_TIMEOUT)"
}

@test "matrix: malformed answer, token still valid, -f: exit 1, nothing written" {
  matrix_case valid '{"target":"token","mode":"malformed"}' 1 "malformed answer"
}

@test "matrix: malformed answer, token expired: exit 1, nothing written" {
  matrix_case expired '{"target":"token","mode":"malformed"}' 1 "malformed answer"
}

@test "matrix: empty token, token still valid, -f: exit 1, nothing written" {
  matrix_case valid '{"target":"token","mode":"empty_token"}' 1 "empty access_token"
}

@test "matrix: empty token, token expired: exit 1, nothing written" {
  matrix_case expired '{"target":"token","mode":"empty_token"}' 1 "empty access_token"
}

@test "matrix: invalid_client, token still valid, -f: exit 3 with Zoom's reason" {
  matrix_case valid '{"target":"token","mode":"invalid_client"}' 3 "Invalid client_id or client_secret"
}

@test "matrix: invalid_client, token expired: exit 3 with Zoom's reason" {
  matrix_case expired '{"target":"token","mode":"invalid_client"}' 3 "Invalid client_id or client_secret"
}

@test "matrix: a still-valid token without -f makes no request, whatever the endpoint's state" {
  token=$(sim_valid_token)
  write_env "$(sim_env_lines)" "ZOOM_ACCESS_TOKEN=$token" "ZOOM_TOKEN_EXPIRES_AT=$(($(now) + 3600))"
  cp -p "$ENV_FILE" "$BATS_TEST_TMPDIR/env.before"
  sim_fault '{"target":"token","mode":"error","status":500}'
  run "$SCRIPTS/get_zoom_token.sh"
  assert_success
  assert_output_contains "no request made"
  assert_equal 0 "$(token_requests)"
  assert_same_file "$ENV_FILE" "$BATS_TEST_TMPDIR/env.before"
}

@test "matrix: every token-endpoint failure says what to do next" {
  # "the request failed" alone leaves a user stuck: each message must name an action
  # (try again / retry, or check something, or a command to run).
  local fault bad=''
  write_env "$(sim_env_lines)" "ZOOM_ACCESS_TOKEN=" "ZOOM_TOKEN_EXPIRES_AT="
  for fault in '{"target":"token","mode":"refused"}' closed '{"target":"token","mode":"error","status":500}' \
    '{"target":"token","mode":"slow","delay":2.5}' '{"target":"token","mode":"malformed"}' \
    '{"target":"token","mode":"empty_token"}' '{"target":"token","mode":"invalid_client"}'; do
    sim_reset
    unset ZOOM_OAUTH_URL
    if [ "$fault" = closed ]; then
      ZOOM_OAUTH_URL=$(closed_port_url)
      export ZOOM_OAUTH_URL
    else
      sim_fault "$fault"
    fi
    run --separate-stderr "$SCRIPTS/get_zoom_token.sh"
    [ "$status" -ne 0 ] || flunk "$fault: expected a failure"
    # an abandoned slow request is logged once answered: wait, or a later test would count it
    case $fault in *slow*) wait_until 10 '[ "$(token_requests)" -ge 1 ]' ;; esac
    if ! printf '%s\n' "$stderr" | grep -Eiq 'try again|retry|check |run .*get_zoom_token'; then
      bad="$bad"$'\n'"  $fault -> $stderr"
    fi
  done
  [ -z "$bad" ] || flunk "these failures do not say what to do:$bad"
}

# --- .env edge cases -----------------------------------------------------------------------

@test ".env missing: get exits 2 naming all three credentials, creates nothing, asks nothing" {
  rm -f "$ENV_FILE"
  ZOOM_OAUTH_URL=$SIM_URL/oauth/token run --separate-stderr "$SCRIPTS/get_zoom_token.sh" -f
  assert_status 2
  case $stderr in
    *"missing credentials: ZOOM_ACCOUNT_ID, ZOOM_CLIENT_ID, ZOOM_CLIENT_SECRET (set them in $ENV_FILE or the environment)"*) ;;
    *) flunk "stderr: $stderr" ;;
  esac
  [ ! -e "$ENV_FILE" ] || flunk ".env was created"
  assert_equal 0 "$(token_requests)"
  run "$SCRIPTS/check_zoom_token.sh"
  assert_status 1
  assert_output "🔑 Token Status: ❌ No token"
  printf '{"mcpServers":{"zoom":{"command":"x","env":{"ZOOM_ACCESS_TOKEN":"old"}}}}\n' >"$HOME/c.json"
  cp "$HOME/c.json" "$HOME/c.before"
  CLAUDE_CONFIG_FILE=$HOME/c.json run --separate-stderr "$SCRIPTS/update_claude_config.sh"
  assert_status 2
  case $stderr in *"no ZOOM_ACCESS_TOKEN in $ENV_FILE; run "*"get_zoom_token.sh first"*) ;; *) flunk "stderr: $stderr" ;; esac
  assert_same_file "$HOME/c.json" "$HOME/c.before"
}

# A world-traversable copy of the kit, so that nobody can run it (bats' folders are 0700).
public_project() {
  PUB=$(mktemp -d /tmp/zoom-faults.XXXXXX)
  undo_later "rm -rf '$PUB'"
  chmod 755 "$PUB"
  cp -R "$PROJECT/scripts" "$PUB/"
  chmod -R a+rX "$PUB/scripts"
}

as_nobody() {
  setpriv --reuid=65534 --regid=65534 --clear-groups -- "$@"
}

@test ".env unreadable (mode 0000, run as nobody): every script says it cannot read it, exit 2" {
  command -v setpriv >/dev/null || skip "setpriv is not installed (the directory case below still runs)"
  public_project
  printf '%s\n' "$(sim_env_lines)" "ZOOM_ACCESS_TOKEN=$(sim_valid_token)" "ZOOM_TOKEN_EXPIRES_AT=1" >"$PUB/.env"
  chmod 000 "$PUB/.env"
  cp "$PUB/.env" "$BATS_TEST_TMPDIR/env.before"
  as_nobody true || skip "cannot drop privileges to nobody here"
  want="ERROR: cannot read $PUB/.env; check its owner and mode (chmod 600 $PUB/.env)"
  run --separate-stderr as_nobody "$PUB/scripts/get_zoom_token.sh" -f
  assert_status 2
  assert_equal "$want" "$stderr"
  run --separate-stderr as_nobody "$PUB/scripts/check_zoom_token.sh"
  assert_status 2
  assert_equal "$want" "$stderr"
  run --separate-stderr as_nobody env "CLAUDE_CONFIG_FILE=$PUB/c.json" "$PUB/scripts/update_claude_config.sh" --install
  assert_status 2
  assert_equal "$want" "$stderr"
  assert_equal 0 "$(token_requests)"
  assert_same_file "$PUB/.env" "$BATS_TEST_TMPDIR/env.before"
  [ ! -e "$PUB/c.json" ] || flunk "a config was written"
}

@test ".env unreadable (a directory in its place): a clear error, exit 2, not a shell crash" {
  mkdir "$ENV_FILE"
  for script in get_zoom_token.sh check_zoom_token.sh update_claude_config.sh; do
    CLAUDE_CONFIG_FILE=$HOME/c.json run --separate-stderr "$SCRIPTS/$script"
    [ "$status" -eq 2 ] || flunk "$script: expected exit 2, got $status; stderr: $stderr"
    case $stderr in
      "ERROR: cannot read $ENV_FILE"*) ;;
      *) flunk "$script: expected 'ERROR: cannot read $ENV_FILE', got: $stderr" ;;
    esac
  done
  assert_equal 0 "$(token_requests)"
}

@test ".env with CRLF line endings: read right, rewritten with CRLF kept, every other line intact" {
  printf '%s\r\n' "# saved on Windows" "ZOOM_ACCOUNT_ID=$ZOOMSIM_ACCOUNT_ID" "ZOOM_CLIENT_ID=$ZOOMSIM_CLIENT_ID" \
    "ZOOM_CLIENT_SECRET=$ZOOMSIM_CLIENT_SECRET" "ZOOM_OAUTH_URL=$SIM_URL/oauth/token" \
    "ZOOM_ACCESS_TOKEN=old-token-abcdefgh1234" "ZOOM_TOKEN_EXPIRES_AT=1000" "# end" >"$ENV_FILE"
  chmod 600 "$ENV_FILE"
  grep -v '^ZOOM_ACCESS_TOKEN=\|^ZOOM_TOKEN_EXPIRES_AT=' "$ENV_FILE" >"$BATS_TEST_TMPDIR/kept.before"
  run "$SCRIPTS/get_zoom_token.sh"
  assert_success
  assert_line 0 "📋 Token fetched successfully"
  grep -v '^ZOOM_ACCESS_TOKEN=\|^ZOOM_TOKEN_EXPIRES_AT=' "$ENV_FILE" >"$BATS_TEST_TMPDIR/kept.after"
  assert_same_file "$BATS_TEST_TMPDIR/kept.after" "$BATS_TEST_TMPDIR/kept.before"
  assert_equal 8 "$(grep -c $'\r$' "$ENV_FILE")"
  assert_equal 8 "$(wc -l <"$ENV_FILE" | tr -d ' ')"
  run "$SCRIPTS/check_zoom_token.sh"
  assert_success
  CLAUDE_CONFIG_FILE=$HOME/c.json run "$SCRIPTS/update_claude_config.sh" --install
  assert_success
  token=$(jq -r '.mcpServers.zoom.env.ZOOM_ACCESS_TOKEN' "$HOME/c.json")
  case $token in *$'\r'* | '' | old-token*) flunk "bad token in the config: $(printf '%q' "$token")" ;; esac
  assert_equal "$token" "$(sed -n 's/^ZOOM_ACCESS_TOKEN=\(.*\)\r$/\1/p' "$ENV_FILE")"
  assert_equal 1 "$(token_requests)"
}

@test ".env with export prefixes and quoted values: read right, rewritten in the same style" {
  write_env "export ZOOM_ACCOUNT_ID=\"$ZOOMSIM_ACCOUNT_ID\"" "export ZOOM_CLIENT_ID='$ZOOMSIM_CLIENT_ID'" \
    "ZOOM_CLIENT_SECRET=$ZOOMSIM_CLIENT_SECRET" "export ZOOM_OAUTH_URL=\"$SIM_URL/oauth/token\" # sim" \
    "export ZOOM_ACCESS_TOKEN=\"old-token-abcdefgh1234\"" "export ZOOM_TOKEN_EXPIRES_AT='1000'"
  run "$SCRIPTS/get_zoom_token.sh"
  assert_success
  assert_equal 1 "$(grep -c '^export ZOOM_ACCESS_TOKEN="eyJ[A-Za-z0-9._-]*"$' "$ENV_FILE")"
  assert_equal 1 "$(grep -c "^export ZOOM_TOKEN_EXPIRES_AT='[0-9]*'\$" "$ENV_FILE")"
  assert_equal 1 "$(grep -c "^export ZOOM_OAUTH_URL=\"$SIM_URL/oauth/token\" # sim\$" "$ENV_FILE")"
  run "$SCRIPTS/check_zoom_token.sh"
  assert_success
  assert_output_contains "✅ Expires in"
}

# --- Claude config edge cases -------------------------------------------------------

config_env() { # a .env with a fresh token; CONFIG is where the config goes
  TOKEN=$(sim_valid_token)
  write_env "$(sim_env_lines)" "ZOOM_ACCESS_TOKEN=$TOKEN" "ZOOM_TOKEN_EXPIRES_AT=$(($(now) + 3600))"
  CONFIG=$HOME/.config/Claude/claude_desktop_config.json
  export CLAUDE_CONFIG_FILE=$CONFIG
}

a_config() { # a_config FILE: another server, settings, and a stale zoom entry
  mkdir -p "${1%/*}"
  printf '%s\n' '{"globalShortcut":"Ctrl+Space","mcpServers":{"other":{"command":"/bin/true","env":{"K":"v"}},' \
    '"zoom":{"command":"/old/run.sh","env":{"ZOOM_ACCESS_TOKEN":"stale-token-000000"}}}}' >"$1"
  chmod 600 "$1"
}

@test "config missing: an update is a no-op, --install creates it (0600) with the entry" {
  config_env
  run "$SCRIPTS/update_claude_config.sh"
  assert_success
  assert_output_contains "Nothing to update: $CONFIG does not exist"
  [ ! -e "$CONFIG" ] || flunk "created by a plain update"
  run "$SCRIPTS/update_claude_config.sh" --install
  assert_success
  assert_equal 600 "$(file_mode "$CONFIG")"
  assert_equal "$TOKEN" "$(jq -r '.mcpServers.zoom.env.ZOOM_ACCESS_TOKEN' "$CONFIG")"
  assert_equal "$(cd "$PROJECT" && pwd -P)/run.sh" "$(jq -r '.mcpServers.zoom.command' "$CONFIG")"
  [ ! -e "$CONFIG.bak" ] || flunk "a backup of nothing"
}

@test "config empty (0 bytes): an update is a no-op, --install writes valid JSON and backs up" {
  config_env
  mkdir -p "${CONFIG%/*}"
  : >"$CONFIG"
  run "$SCRIPTS/update_claude_config.sh"
  assert_success
  assert_output_contains "Nothing to update"
  [ ! -s "$CONFIG" ] || flunk "changed by a plain update"
  run "$SCRIPTS/update_claude_config.sh" --install
  assert_success
  jq -e --arg t "$TOKEN" '.mcpServers.zoom.env.ZOOM_ACCESS_TOKEN == $t' "$CONFIG" >/dev/null
  [ -e "$CONFIG.bak" ] && [ ! -s "$CONFIG.bak" ] || flunk "expected an empty backup"
  assert_equal 600 "$(file_mode "$CONFIG.bak")"
}

@test "config invalid: refused with jq's message, exit 1, untouched, no backup, no temp file" {
  config_env
  mkdir -p "${CONFIG%/*}"
  printf '{"mcpServers": {"zoom": {"env": {}},}\n' >"$CONFIG"
  cp "$CONFIG" "$BATS_TEST_TMPDIR/config.before"
  for opt in '' --install --remove; do
    run --separate-stderr "$SCRIPTS/update_claude_config.sh" ${opt:+"$opt"}
    assert_status 1
    case $stderr in *"is not valid JSON; left untouched"*"parse error"*) ;; *) flunk "$opt: $stderr" ;; esac
    assert_same_file "$CONFIG" "$BATS_TEST_TMPDIR/config.before"
  done
  [ ! -e "$CONFIG.bak" ] || flunk "a backup was written"
  assert_equal "claude_desktop_config.json" "$(ls -A "${CONFIG%/*}")"
}

# make_read_only FILE|DIR: immutable (chattr +i), else a read-only bind mount of the folder.
make_read_only() {
  local target=$1 dir
  if chattr +i "$target" 2>/dev/null; then
    undo_later "chattr -i '$target'"
    return 0
  fi
  dir=$target
  [ -d "$dir" ] || dir=${target%/*}
  if mount --bind "$dir" "$dir" 2>/dev/null; then
    undo_later "umount '$dir'"
    mount -o remount,bind,ro "$dir" 2>/dev/null && return 0
  fi
  skip "neither chattr +i nor a read-only bind mount works here (root ignores file modes)"
}

@test "config read-only (immutable file): exit 1 with a message, unchanged, no temp file left" {
  config_env
  a_config "$CONFIG"
  cp "$CONFIG" "$BATS_TEST_TMPDIR/config.before"
  make_read_only "$CONFIG"
  run --separate-stderr "$SCRIPTS/update_claude_config.sh"
  assert_status 1
  has_error_line "$CONFIG"
  assert_same_file "$CONFIG" "$BATS_TEST_TMPDIR/config.before"
  run ls -A "${CONFIG%/*}"
  refute_output_contains ".claude_desktop_config.json."
  assert_no_restart
}

@test "config read-only (immutable folder): exit 1 with a message, unchanged" {
  config_env
  a_config "$CONFIG"
  cp "$CONFIG" "$BATS_TEST_TMPDIR/config.before"
  make_read_only "${CONFIG%/*}"
  run --separate-stderr "$SCRIPTS/update_claude_config.sh"
  assert_status 1
  has_error_line
  assert_same_file "$CONFIG" "$BATS_TEST_TMPDIR/config.before"
  assert_equal "claude_desktop_config.json" "$(ls -A "${CONFIG%/*}")"
}

# nobody_config MODE: a config owned by nobody, mode MODE, in a folder nobody may write; the
# kit in a world-traversable copy whose .env (with a token) nobody can read.
nobody_config() {
  command -v setpriv >/dev/null || skip "setpriv is not installed"
  as_nobody true || skip "cannot drop privileges to nobody here"
  public_project
  cp -p "$PROJECT/run.sh" "$PUB/"
  printf '%s\n' "ZOOM_ACCESS_TOKEN=$(sim_valid_token)" "ZOOM_TOKEN_EXPIRES_AT=$(($(now) + 3600))" >"$PUB/.env"
  chmod 644 "$PUB/.env"
  CONFIG=$PUB/claude/claude_desktop_config.json
  a_config "$CONFIG"
  chown -R 65534:65534 "$PUB/claude"
  chmod "$1" "$CONFIG"
  cp -p "$CONFIG" "$BATS_TEST_TMPDIR/config.before"
}

history_warning() {
  printf 'WARNING: cannot write the refresh history to %s (%s); going on without it (ZOOM_HISTORY=0 turns it off)\n' \
    "$PUB/zoom-token.log" "check that its folder is writable and has free space"
}

@test "config read-only for the user (0444, run as nobody): exit 1, says chmod u+w, untouched" {
  nobody_config 444
  for opt in '' --install --remove; do
    run --separate-stderr as_nobody env "CLAUDE_CONFIG_FILE=$CONFIG" "$PUB/scripts/update_claude_config.sh" ${opt:+"$opt"}
    assert_status 1
    # (nobody cannot write the history beside .env either: one warning, the failure stays)
    assert_equal "ERROR: $CONFIG is read-only; chmod u+w it, then run again
$(history_warning)" "$stderr"
    assert_same_file "$CONFIG" "$BATS_TEST_TMPDIR/config.before"
    assert_equal claude_desktop_config.json "$(ls -A "${CONFIG%/*}")"
  done
  # the advice works
  as_nobody chmod u+w "$CONFIG"
  run as_nobody env "CLAUDE_CONFIG_FILE=$CONFIG" "$PUB/scripts/update_claude_config.sh"
  assert_success
  assert_no_restart
}

@test "config folder read-only for the user (run as nobody): exit 1, names the folder, untouched" {
  nobody_config 644
  chown 0:0 "${CONFIG%/*}"
  chmod 755 "${CONFIG%/*}"
  run --separate-stderr as_nobody env "CLAUDE_CONFIG_FILE=$CONFIG" "$PUB/scripts/update_claude_config.sh"
  assert_status 1
  assert_equal "ERROR: the folder ${CONFIG%/*} is read-only; chmod u+w it, then run again ($CONFIG left untouched)
$(history_warning)" "$stderr"
  assert_same_file "$CONFIG" "$BATS_TEST_TMPDIR/config.before"
  assert_equal claude_desktop_config.json "$(ls -A "${CONFIG%/*}")"
}

@test "config a symlink: the target is updated, the link stays a link, others kept" {
  config_env
  real=$HOME/dotfiles/claude.json
  a_config "$real"
  mkdir -p "${CONFIG%/*}"
  ln -s ../../dotfiles/claude.json "$CONFIG" # relative, as dotfile managers make them
  run "$SCRIPTS/update_claude_config.sh"
  assert_success
  [ -L "$CONFIG" ] || flunk "the symlink was replaced by a file"
  assert_equal ../../dotfiles/claude.json "$(readlink "$CONFIG")"
  assert_equal "$TOKEN" "$(jq -r '.mcpServers.zoom.env.ZOOM_ACCESS_TOKEN' "$real")"
  jq -e '.globalShortcut == "Ctrl+Space" and .mcpServers.other == {"command":"/bin/true","env":{"K":"v"}}
    and .mcpServers.zoom.command == "/old/run.sh"' "$real" >/dev/null || flunk "$(cat "$real")"
  assert_equal 600 "$(file_mode "$real")"
  [ -e "$CONFIG.bak" ] || flunk "no backup"
  grep -q stale-token-000000 "$CONFIG.bak" || flunk "the backup does not hold the old content"
  assert_equal 600 "$(file_mode "$CONFIG.bak")"
}

@test "config a dangling symlink: --install creates the target and keeps the link" {
  config_env
  mkdir -p "${CONFIG%/*}" "$HOME/dotfiles"
  ln -s "$HOME/dotfiles/claude.json" "$CONFIG"
  run "$SCRIPTS/update_claude_config.sh" --install
  assert_success
  [ -L "$CONFIG" ] || flunk "the symlink was replaced by a file"
  assert_equal "$TOKEN" "$(jq -r '.mcpServers.zoom.env.ZOOM_ACCESS_TOKEN' "$HOME/dotfiles/claude.json")"
}

# --- disk full ------------------------------------------------------------------------

# full_tmpfs: a 64 KiB tmpfs at $FULL, mounted for this test, or skip.
full_tmpfs() {
  FULL=$BATS_TEST_TMPDIR/full
  mkdir -p "$FULL"
  mount -t tmpfs -o size=64k,mode=700 tmpfs "$FULL" 2>/dev/null ||
    skip "mount -t tmpfs is not permitted here (the /dev/full shim test covers a failing write)"
  undo_later "umount '$FULL'"
}

fill_up() { # fill the file system of $1 to the last block
  dd if=/dev/zero of="$1/filler" bs=4096 2>/dev/null || :
  if dd if=/dev/zero of="$1/probe" bs=4096 count=1 2>/dev/null; then flunk "$1 is not full"; fi
  rm -f "$1/probe"
}

@test "disk full (tmpfs): get_zoom_token.sh fails, exit 1, the old .env whole, no temp file" {
  full_tmpfs
  export ZOOM_ENV_FILE=$FULL/.env
  printf '%s\n' "# on a small disk" "$(sim_env_lines)" "ZOOM_ACCESS_TOKEN=old-token-abcdefgh1234" \
    "ZOOM_TOKEN_EXPIRES_AT=1000" >"$ZOOM_ENV_FILE"
  chmod 600 "$ZOOM_ENV_FILE"
  cp "$ZOOM_ENV_FILE" "$BATS_TEST_TMPDIR/env.before"
  fill_up "$FULL"
  run --separate-stderr "$SCRIPTS/get_zoom_token.sh"
  assert_status 1
  has_error_line "$ZOOM_ENV_FILE unchanged; free some space and run again"
  assert_same_file "$ZOOM_ENV_FILE" "$BATS_TEST_TMPDIR/env.before"
  assert_equal ".env filler" "$(listing "$FULL" | tr '\n' ' ' | sed 's/ $//')"
  # room again: the next run works at once (no stale lock, nothing half done)
  rm -f "$FULL/filler"
  ZOOM_LOCK_TIMEOUT=1 run "$SCRIPTS/get_zoom_token.sh"
  assert_success
  assert_line 0 "📋 Token fetched successfully"
}

@test "disk full (tmpfs): update_claude_config.sh fails, exit 1, the old config whole" {
  config_env
  full_tmpfs
  export CLAUDE_CONFIG_FILE=$FULL/claude.json
  a_config "$CLAUDE_CONFIG_FILE"
  cp "$CLAUDE_CONFIG_FILE" "$BATS_TEST_TMPDIR/config.before"
  fill_up "$FULL"
  run --separate-stderr "$SCRIPTS/update_claude_config.sh"
  assert_status 1
  has_error_line "$CLAUDE_CONFIG_FILE unchanged; free some space and run again"
  assert_same_file "$CLAUDE_CONFIG_FILE" "$BATS_TEST_TMPDIR/config.before"
  jq -e . "$CLAUDE_CONFIG_FILE" >/dev/null
  assert_equal "claude.json filler" "$(listing "$FULL" | tr '\n' ' ' | sed 's/ $//')"
}

# A mktemp that hands out a path to /dev/full for temp files beside .env or the config (bats'
# own temp files are left alone): every write to such a temp file fails with ENOSPC.
stub_mktemp_dev_full() {
  local real
  real=$(PATH=$KIT_ORIG_PATH command -v mktemp)
  {
    printf '#!/usr/bin/env bash\n'
    printf 'case "$*" in %q/* | %q/*) ;; *) exec %q "$@" ;; esac\n' "$PROJECT" "$HOME" "$real"
    printf 'p=$(%q "$@") || exit\n' "$real"
    printf 'rm -f -- "$p" && ln -s /dev/full "$p" && printf "%%s\\n" "$p"\n'
  } >"$STUB_BIN/mktemp"
  chmod +x "$STUB_BIN/mktemp"
}

@test "disk full (failing write, /dev/full): .env and the config stay whole, exit 1" {
  [ -c /dev/full ] || skip "no /dev/full on this system (macOS has none); the file-size-limit test below runs everywhere"
  write_env "$(sim_env_lines)" "ZOOM_ACCESS_TOKEN=old-token-abcdefgh1234" "ZOOM_TOKEN_EXPIRES_AT=1000"
  cp "$ENV_FILE" "$BATS_TEST_TMPDIR/env.before"
  export CLAUDE_CONFIG_FILE=$HOME/claude.json
  a_config "$CLAUDE_CONFIG_FILE"
  cp "$CLAUDE_CONFIG_FILE" "$BATS_TEST_TMPDIR/config.before"
  stub_mktemp_dev_full
  run --separate-stderr "$SCRIPTS/get_zoom_token.sh"
  assert_status 1
  has_error_line "$ENV_FILE unchanged; free some space and run again"
  assert_same_file "$ENV_FILE" "$BATS_TEST_TMPDIR/env.before"
  write_env "$(sim_env_lines)" "ZOOM_ACCESS_TOKEN=$(sim_valid_token)" "ZOOM_TOKEN_EXPIRES_AT=$(($(now) + 3600))"
  run --separate-stderr "$SCRIPTS/update_claude_config.sh"
  assert_status 1
  has_error_line "$CLAUDE_CONFIG_FILE unchanged; free some space and run again"
  assert_same_file "$CLAUDE_CONFIG_FILE" "$BATS_TEST_TMPDIR/config.before"
  # no temp file (here: a link to /dev/full) is left behind
  assert_equal "$(printf '%s\n' .env run.sh scripts)" "$(listing)"
  assert_equal claude.json "$(listing "$HOME")"
}

# A write that fails on every system, macOS included: a file size limit (ulimit -f, in KiB
# here) below the new file's size, with SIGXFSZ ignored so that the write fails (EFBIG)
# instead of killing the writer. PAD makes any rewrite of .env or the config pass the limit.
PAD=$(printf '%08192d' 0)

under_size_limit() { # under_size_limit CMD...: CMD may write no file beyond 4 KiB
  "$KIT_BASH" -c 'trap "" XFSZ; ulimit -f 4 && exec "$@"' _ "$@"
}

@test "a failing write (file size limit, every OS): .env and the config stay whole, exit 1" {
  write_env "# $PAD" "$(sim_env_lines)" "ZOOM_ACCESS_TOKEN=old-token-abcdefgh1234" "ZOOM_TOKEN_EXPIRES_AT=1000"
  cp "$ENV_FILE" "$BATS_TEST_TMPDIR/env.before"
  export CLAUDE_CONFIG_FILE=$HOME/claude.json
  a_config "$CLAUDE_CONFIG_FILE"
  jq --arg pad "$PAD" '.padding = $pad' "$CLAUDE_CONFIG_FILE" >"$HOME/padded" && mv "$HOME/padded" "$CLAUDE_CONFIG_FILE"
  chmod 600 "$CLAUDE_CONFIG_FILE"
  cp "$CLAUDE_CONFIG_FILE" "$BATS_TEST_TMPDIR/config.before"
  run --separate-stderr under_size_limit "$SCRIPTS/get_zoom_token.sh"
  assert_status 1
  has_error_line "$ENV_FILE unchanged; free some space and run again"
  assert_same_file "$ENV_FILE" "$BATS_TEST_TMPDIR/env.before"
  assert_equal 1 "$(token_requests)" # the failure came after a good answer: at the write
  write_env "# $PAD" "$(sim_env_lines)" "ZOOM_ACCESS_TOKEN=$(sim_valid_token)" "ZOOM_TOKEN_EXPIRES_AT=$(($(now) + 3600))"
  run --separate-stderr under_size_limit "$SCRIPTS/update_claude_config.sh"
  assert_status 1
  has_error_line "$CLAUDE_CONFIG_FILE unchanged; free some space and run again"
  assert_same_file "$CLAUDE_CONFIG_FILE" "$BATS_TEST_TMPDIR/config.before"
  # no temp file is left behind, and without the limit the same runs succeed
  assert_equal "$(printf '%s\n' .env run.sh scripts)" "$(listing)"
  assert_equal claude.json "$(listing "$HOME")"
  run "$SCRIPTS/update_claude_config.sh"
  assert_success
}

# --- kill -9 mid-refresh -------------------------------------------------------------------

# start_refresh_in_group: get_zoom_token.sh -f in a session (and process group) of its own;
# PGID is its id. stdout/stderr to a file; fd 3 closed (bats waits for it otherwise).
start_refresh_in_group() {
  local pidfile=$BATS_TEST_TMPDIR/refresh.pid
  rm -f "$pidfile"
  new_session bash -c 'echo "$$" >"$1"; exec "$2" -f' _ "$pidfile" "$SCRIPTS/get_zoom_token.sh" \
    </dev/null >"$BATS_TEST_TMPDIR/refresh.out" 2>&1 3>&- &
  wait_until 10 '[ -s "$pidfile" ]'
  PGID=$(cat "$pidfile")
  undo_later "kill -9 -- -$PGID 2>/dev/null"
}

kill_group_and_wait() {
  kill -9 -- "-$PGID"
  wait_until 10 '! kill -0 -- "-$PGID" 2>/dev/null'
}

lock_is_held() { # flock(1) is how the kit locks where it exists
  ! flock -n "$ENV_FILE.lock" true
}

kill9_while_waiting_for_the_endpoint() {
  write_env "# keep me" "$(sim_env_lines)" "ZOOM_ACCESS_TOKEN=old-token-abcdefgh1234" "ZOOM_TOKEN_EXPIRES_AT=1000"
  cp -p "$ENV_FILE" "$BATS_TEST_TMPDIR/env.before"
  install_curl_wrapper
  sim_fault '{"target":"token","mode":"slow","delay":30,"count":1}'
  export ZOOM_HTTP_TIMEOUT=60
  start_refresh_in_group
  # mid-refresh: curl has started (and, with flock, the lock is held)
  wait_until 10 '[ -s "$CURL_ARGV_LOG" ]'
  if [ -z "${ZOOM_NO_FLOCK:-}" ]; then wait_until 5 lock_is_held; else wait_until 5 '[ -d "$ENV_FILE.lock.d" ]'; fi
  kill_group_and_wait
  assert_same_file "$ENV_FILE" "$BATS_TEST_TMPDIR/env.before"
  assert_equal "$(printf '%s\n' .env run.sh scripts)" "$(listing | grep -v '^\.env\.lock\.d$')"
  # no stale lock: the next run gets it (a stale one would time out after 1 s: exit 1)
  sim_reset
  export ZOOM_HTTP_TIMEOUT=5
  ZOOM_LOCK_TIMEOUT=1 run --separate-stderr "$SCRIPTS/get_zoom_token.sh"
  assert_success
  assert_line 0 "📋 Token fetched successfully"
  [ ! -e "$ENV_FILE.lock.d" ] || flunk "the fallback lock is still there"
  grep -q '^# keep me$' "$ENV_FILE" || flunk "lost a line"
}

@test "kill -9 mid-refresh (waiting on a slow endpoint, flock): no partial file, no stale lock" {
  command -v flock >/dev/null || skip "flock is not installed"
  kill9_while_waiting_for_the_endpoint
}

@test "kill -9 mid-refresh (waiting on a slow endpoint, portable mkdir lock): no stale lock" {
  export ZOOM_NO_FLOCK=1
  kill9_while_waiting_for_the_endpoint
}

@test "kill -9 of the script alone mid-refresh: the orphaned curl does not hold the lock (flock)" {
  command -v flock >/dev/null || skip "flock is not installed"
  write_env "$(sim_env_lines)" "ZOOM_ACCESS_TOKEN=old-token-abcdefgh1234" "ZOOM_TOKEN_EXPIRES_AT=1000"
  install_curl_wrapper
  sim_fault '{"target":"token","mode":"slow","delay":30,"count":1}'
  export ZOOM_HTTP_TIMEOUT=60
  start_refresh_in_group
  wait_until 10 '[ -s "$CURL_ARGV_LOG" ]'
  wait_until 5 lock_is_held
  kill -9 "$PGID" # the script only: its curl lives on, waiting for the slow answer
  wait_until 10 '! kill -0 "$PGID" 2>/dev/null'
  kill -0 -- "-$PGID" 2>/dev/null || flunk "curl is gone too; the test needs it alive"
  wait_until 3 '! lock_is_held' || flunk "the orphaned curl still holds $ENV_FILE.lock"
  kill_group_and_wait
}

@test "kill -9 between writing the temp file and the rename: .env stays whole and old" {
  write_env "$(sim_env_lines)" "ZOOM_ACCESS_TOKEN=old-token-abcdefgh1234" "ZOOM_TOKEN_EXPIRES_AT=1000"
  cp -p "$ENV_FILE" "$BATS_TEST_TMPDIR/env.before"
  real_mv=$(PATH=$KIT_ORIG_PATH command -v mv)
  # an mv that says it is about to rename, then waits (for the kill)
  stub mv ": >\"\$STUB_STATE/mv-waiting\"; while [ ! -e \"\$STUB_STATE/go\" ]; do sleep 0.05; done; exec $real_mv \"\$@\""
  start_refresh_in_group
  wait_until 20 '[ -e "$STUB_STATE/mv-waiting" ]'
  kill_group_and_wait
  assert_same_file "$ENV_FILE" "$BATS_TEST_TMPDIR/env.before"
  # A killed process runs no cleanup: its finished temp file may remain. It must not leak
  # (0600) and must not get in the way of the next run.
  for f in "$PROJECT"/.env.tmp.*; do # the kit names its temp files .env.tmp.<PID>.XXXXXX
    [ -e "$f" ] || continue
    assert_equal 600 "$(file_mode "$f")"
  done
  rm -f "$STUB_BIN/mv"
  ZOOM_LOCK_TIMEOUT=1 run "$SCRIPTS/get_zoom_token.sh"
  assert_success
  [ "$(sed -n 's/^ZOOM_ACCESS_TOKEN=//p' "$ENV_FILE")" != old-token-abcdefgh1234 ] || flunk "not refreshed"
}

@test "kill -9 between the temp write and the rename: the next run sweeps the dead writer's temp file" {
  write_env "$(sim_env_lines)" "ZOOM_ACCESS_TOKEN=old-token-abcdefgh1234" "ZOOM_TOKEN_EXPIRES_AT=1000"
  cp -p "$ENV_FILE" "$BATS_TEST_TMPDIR/env.before"
  real_mv=$(PATH=$KIT_ORIG_PATH command -v mv)
  stub mv ": >\"\$STUB_STATE/mv-waiting\"; while [ ! -e \"\$STUB_STATE/go\" ]; do sleep 0.05; done; exec $real_mv \"\$@\""
  start_refresh_in_group
  wait_until 20 '[ -e "$STUB_STATE/mv-waiting" ]'
  kill_group_and_wait
  assert_same_file "$ENV_FILE" "$BATS_TEST_TMPDIR/env.before"
  # the killed writer's finished temp file, named after its PID, holds the fetched token
  left=$(listing | grep "^\.env\.tmp\.$PGID\." || :)
  [ -n "$left" ] || flunk "no temp file of PID $PGID left to sweep: $(listing)"
  grep -q '^ZOOM_ACCESS_TOKEN=eyJ' "$PROJECT/$left" || flunk "the temp file holds no token"
  # one of a live writer (this test's shell stands in for it) and a look-alike stay untouched
  printf 'x\n' >"$PROJECT/.env.tmp.$$.AbCdEf"
  printf 'x\n' >"$PROJECT/.env.tmp.notapid"
  rm -f "$STUB_BIN/mv"
  ZOOM_LOCK_TIMEOUT=1 run "$SCRIPTS/get_zoom_token.sh"
  assert_success
  assert_equal "$(printf '%s\n' .env .env.tmp.$$.AbCdEf .env.tmp.notapid run.sh scripts)" "$(listing)"
}
