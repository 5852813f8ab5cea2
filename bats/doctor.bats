#!/usr/bin/env bats
# scripts/doctor.sh (make doctor) against the simulator, in a private project
# copy, HOME, .env and Claude config per test. uname, pgrep and tasklist are
# stubs on PATH: no test looks at (or signals) a real process.

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
  # The doctor checks the project's .venv and lock files: borrow the real ones.
  ln -s "$KIT_SRC_ROOT/.venv" "$PROJECT/.venv"
  cp "$KIT_SRC_ROOT/requirements.txt" "$KIT_SRC_ROOT/requirements-dev.txt" \
    "$KIT_SRC_ROOT/.env.example" "$PROJECT/"
  PROJECT=$(cd "$PROJECT" && pwd -P)
  ENV_FILE=$PROJECT/.env
  SCRIPTS=$PROJECT/scripts
  CONFIG=$HOME/.config/Claude/claude_desktop_config.json
  export ZOOM_HTTP_TIMEOUT=5
  # A fixed clock for the token's status (common.sh's test hook).
  ZOOM_FAKE_NOW=$(date +%s)
  export ZOOM_FAKE_NOW
  stub uname 'echo Linux'
  stub pgrep 'exit 1'
  stub tasklist 'echo "INFO: No tasks are running which match the specified criteria."'
}

# A fresh token (valid for an hour) from the simulator, without a token request.
fresh_env() {
  local token
  token=$(sim_valid_token)
  [ -n "$token" ] && [ "$token" != null ] || flunk "no token from the simulator" || return 1
  TOKEN=$token
  write_env "$(sim_env_lines)" "ZOOM_ACCESS_TOKEN=$token" "ZOOM_TOKEN_EXPIRES_AT=$((ZOOM_FAKE_NOW + 3000))"
}

install_config() {
  "$SCRIPTS/update_claude_config.sh" --install >/dev/null
  [ -f "$CONFIG" ] || flunk "update_claude_config.sh --install wrote no $CONFIG"
}

all_green() {
  fresh_env
  install_config
}

# The line after the first line that starts with PREFIX.
line_after() {
  local i
  for i in "${!lines[@]}"; do
    case ${lines[$i]} in
      "$1"*) printf '%s\n' "${lines[$((i + 1))]:-}"; return 0 ;;
    esac
  done
  flunk "no line starting with '$1' in: $output"
}

assert_fix() { # assert_fix LINE_PREFIX EXPECTED_FIX
  local next
  next=$(line_after "$1") || return 1
  assert_equal "    fix: $2" "$next"
}

assert_no_secrets() {
  refute_output_contains "$ZOOMSIM_CLIENT_SECRET"
  [ -z "${TOKEN:-}" ] || refute_output_contains "$TOKEN"
}

closed_port() {
  "$ZOOM_PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# A PATH directory holding only the commands the doctor needs, minus $1.
path_without() {
  local dir=$BATS_TEST_TMPDIR/tools t p
  mkdir -p "$dir"
  for t in bash env curl jq flock stat mktemp cat cksum cut head tr dirname basename rm mv cp ls \
    readlink grep sed date chmod mkdir sleep python3; do
    [ "$t" != "$1" ] || continue
    p=$(PATH=$KIT_ORIG_PATH command -v "$t") || continue
    ln -sf "$p" "$dir/$t"
  done
  printf '%s\n' "$STUB_BIN:$dir"
}

# ------------------------------------------------------------------ usage

@test "--help prints the usage header and exits 0" {
  run "$SCRIPTS/doctor.sh" --help
  assert_success
  assert_line 0 "Usage: doctor.sh [--online] [-h|--help]"
  assert_output_contains "--online"
}

@test "an unknown option is a usage error: exit 2, usage on stderr" {
  run --separate-stderr "$SCRIPTS/doctor.sh" --bogus
  assert_status 2
  [ -z "$output" ] || flunk "expected nothing on stdout, got: $output"
  case $stderr in
    "ERROR: unknown option: --bogus"*"Usage: doctor.sh"*) ;;
    *) flunk "unexpected stderr: $stderr" ;;
  esac
}

# ---------------------------------------------------------------- all green

@test "all green: exit 0, every check passes, no token request for a fresh token" {
  all_green
  before=$(sim_token_requests)
  run "$SCRIPTS/doctor.sh"
  assert_success
  assert_line "✅ .env found, mode 0600: $ENV_FILE"
  assert_line "✅ credentials set: ZOOM_ACCOUNT_ID, ZOOM_CLIENT_ID, ZOOM_CLIENT_SECRET"
  assert_line "✅ token valid for 50m 0s (fresh)"
  assert_line "ℹ️  token endpoint not contacted (the token is still valid; --online checks it)"
  assert_line "✅ Claude Desktop config has mcpServers.zoom → $PROJECT/run.sh ($CONFIG)"
  assert_line "✅ All checks passed."
  refute_output_contains "❌"
  assert_equal "$before" "$(sim_token_requests)"
  assert_no_secrets
}

@test "--online makes exactly one token request, never saves the token, keeps the secret off argv" {
  all_green
  install_curl_wrapper
  cp "$ENV_FILE" "$BATS_TEST_TMPDIR/env.before"
  before=$(sim_token_requests)
  run "$SCRIPTS/doctor.sh" --online
  assert_success
  assert_line "✅ token endpoint reachable, credentials accepted ($SIM_URL/oauth/token; the test token was not saved)"
  assert_equal "$((before + 1))" "$(sim_token_requests)"
  cmp "$BATS_TEST_TMPDIR/env.before" "$ENV_FILE"
  [ "$(wc -l <"$CURL_ARGV_LOG")" -eq 1 ] || flunk "expected one curl call: $(cat "$CURL_ARGV_LOG")"
  ! grep -qF "$ZOOMSIM_CLIENT_SECRET" "$CURL_ARGV_LOG" || flunk "the secret was on curl's command line"
  ! grep -qF "$ZOOMSIM_CLIENT_ID" "$CURL_ARGV_LOG" || flunk "the client id was on curl's command line"
  assert_no_secrets
  refute_output_contains "eyJ"
}

@test "works from / and in a minimal environment" {
  all_green
  cd /
  run env -i HOME="$HOME" PATH="$STUB_BIN:$(minimal_path)" "$SCRIPTS/doctor.sh"
  assert_success
  assert_line "✅ All checks passed."
}

@test "fix commands run from elsewhere carry a cd to the project" {
  fresh_env
  cd /
  run "$SCRIPTS/doctor.sh"
  assert_status 1
  assert_fix "❌ Claude Desktop config not found: $CONFIG" "cd $PROJECT && make install-claude"
}

# --------------------------------------------------------------- python, tools

@test "no .venv: ❌ with make setup" {
  all_green
  rm "$PROJECT/.venv"
  cd "$PROJECT"
  run "$SCRIPTS/doctor.sh"
  assert_status 1
  assert_output_contains "❌ Python "
  assert_fix "❌ Python " "make setup"
}

@test "a .venv older than the lock files: ❌ with make setup" {
  all_green
  echo "# changed" >>"$PROJECT/requirements.txt"
  cd "$PROJECT"
  run "$SCRIPTS/doctor.sh"
  assert_status 1
  assert_output_contains "the .venv is older than the lock files"
  assert_fix "❌ Python " "make setup"
}

@test "jq missing: ❌ with the apt and Homebrew commands" {
  all_green
  PATH=$(path_without jq) run "$SCRIPTS/doctor.sh"
  assert_status 1
  assert_line "❌ jq is not installed"
  assert_fix "❌ jq is not installed" "sudo apt-get install -y jq   # Debian/Ubuntu"
  assert_line "    fix: brew install jq   # macOS (Homebrew)"
}

@test "flock missing is a note, not a failure" {
  all_green
  PATH=$(path_without flock) run "$SCRIPTS/doctor.sh"
  assert_success
  assert_line "⚠️  flock is not installed (optional: the scripts use a portable lock instead)"
  assert_line "    fix: sudo apt-get install -y util-linux   # Debian/Ubuntu"
  assert_line "    fix: brew install flock   # macOS (Homebrew)"
}

# ---------------------------------------------------------------------- .env

@test "missing .env: ❌ with the command that creates it" {
  install_config
  run "$SCRIPTS/doctor.sh"
  assert_status 1
  assert_fix "❌ .env not found: $ENV_FILE" \
    "cp $PROJECT/.env.example $ENV_FILE && chmod 600 $ENV_FILE   # then fill in the three credentials"
  assert_line "❌ credentials missing: ZOOM_ACCOUNT_ID, ZOOM_CLIENT_ID, ZOOM_CLIENT_SECRET"
}

@test ".env with mode 0644: ❌ with chmod 600" {
  all_green
  chmod 644 "$ENV_FILE"
  run "$SCRIPTS/doctor.sh"
  assert_status 1
  assert_fix "❌ .env has mode 0644, not 0600" "chmod 600 $ENV_FILE"
  assert_no_secrets
}

@test "a missing credential is named, and only that one" {
  all_green
  write_env "$(sim_env_lines | grep -v '^ZOOM_CLIENT_SECRET=')" \
    "ZOOM_ACCESS_TOKEN=$TOKEN" "ZOOM_TOKEN_EXPIRES_AT=$((ZOOM_FAKE_NOW + 3000))"
  run "$SCRIPTS/doctor.sh"
  assert_status 1
  assert_line "❌ credentials missing: ZOOM_CLIENT_SECRET"
  fix=$(line_after "❌ credentials missing:")
  case $fix in
    "    fix: "*"$ENV_FILE   # set ZOOM_CLIENT_SECRET "*) ;;
    *) flunk "unexpected fix line: $fix" ;;
  esac
}

@test "an empty credential in .env counts as missing; the environment fills a gap" {
  all_green
  write_env "$(sim_env_lines | sed 's/^ZOOM_ACCOUNT_ID=.*/ZOOM_ACCOUNT_ID=/')" \
    "ZOOM_ACCESS_TOKEN=$TOKEN" "ZOOM_TOKEN_EXPIRES_AT=$((ZOOM_FAKE_NOW + 3000))"
  run "$SCRIPTS/doctor.sh"
  assert_status 1
  assert_line "❌ credentials missing: ZOOM_ACCOUNT_ID"
  ZOOM_ACCOUNT_ID=$ZOOMSIM_ACCOUNT_ID run "$SCRIPTS/doctor.sh"
  assert_success
}

# --------------------------------------------------------------------- token

@test "expired token: ❌ with get_zoom_token.sh -f, and one token request checks the endpoint" {
  install_config
  token=$(sim_valid_token)
  write_env "$(sim_env_lines)" "ZOOM_ACCESS_TOKEN=$token" "ZOOM_TOKEN_EXPIRES_AT=$((ZOOM_FAKE_NOW - 125))"
  cp "$ENV_FILE" "$BATS_TEST_TMPDIR/env.before"
  before=$(sim_token_requests)
  cd "$PROJECT"
  run "$SCRIPTS/doctor.sh"
  assert_status 1
  assert_line "❌ token expired 2m 5s ago"
  assert_fix "❌ token expired" "./scripts/get_zoom_token.sh -f"
  assert_output_contains "✅ token endpoint reachable, credentials accepted"
  assert_equal "$((before + 1))" "$(sim_token_requests)"
  cmp "$BATS_TEST_TMPDIR/env.before" "$ENV_FILE"
  refute_output_contains "$token"
  assert_no_secrets
}

@test "no token: ❌ No token, and the endpoint is checked once" {
  install_config
  write_env "$(sim_env_lines)"
  cp "$ENV_FILE" "$BATS_TEST_TMPDIR/env.before"
  before=$(sim_token_requests)
  cd "$PROJECT"
  run "$SCRIPTS/doctor.sh"
  assert_status 1
  assert_fix "❌ no access token in .env" "./scripts/get_zoom_token.sh -f"
  assert_output_contains "✅ token endpoint reachable, credentials accepted"
  assert_equal "$((before + 1))" "$(sim_token_requests)"
  cmp "$BATS_TEST_TMPDIR/env.before" "$ENV_FILE"
  assert_no_secrets
}

@test "a token in its last 5 minutes, beyond the threshold: ⚠️ (not a failure), no request without --online" {
  install_config
  token=$(sim_valid_token)
  write_env "$(sim_env_lines)" "ZOOM_ACCESS_TOKEN=$token" "ZOOM_TOKEN_EXPIRES_AT=$((ZOOM_FAKE_NOW + 200))"
  before=$(sim_token_requests)
  cd "$PROJECT"
  run "$SCRIPTS/doctor.sh"
  assert_success
  assert_line "⚠️  token expires in 3m 20s (under 5 minutes; it is refreshed within ZOOM_TOKEN_THRESHOLD, 60s)"
  assert_fix "⚠️  token expires in" "./scripts/get_zoom_token.sh -f   # to refresh it now"
  refute_output_contains "❌"
  assert_equal "$before" "$(sim_token_requests)"
}

@test "a token within ZOOM_TOKEN_THRESHOLD needs a refresh: ❌ with get_zoom_token.sh -f" {
  install_config
  token=$(sim_valid_token)
  write_env "$(sim_env_lines)" "ZOOM_ACCESS_TOKEN=$token" "ZOOM_TOKEN_EXPIRES_AT=$((ZOOM_FAKE_NOW + 45))"
  cd "$PROJECT"
  run "$SCRIPTS/doctor.sh"
  assert_status 1
  assert_line "❌ token expires in 45s (within ZOOM_TOKEN_THRESHOLD, 60s: it needs a refresh)"
  assert_fix "❌ token expires in" "./scripts/get_zoom_token.sh -f"
  # the kit's threshold, whatever the state: 10 minutes left with a 15-minute threshold
  write_env "$(sim_env_lines)" "ZOOM_ACCESS_TOKEN=$token" "ZOOM_TOKEN_EXPIRES_AT=$((ZOOM_FAKE_NOW + 600))" \
    "ZOOM_TOKEN_THRESHOLD=900"
  run "$SCRIPTS/doctor.sh"
  assert_status 1
  assert_line "❌ token expires in 10m 0s (within ZOOM_TOKEN_THRESHOLD, 900s: it needs a refresh)"
}

@test "a token expiring within 15 minutes is still ✅" {
  all_green
  write_env "$(sim_env_lines)" "ZOOM_ACCESS_TOKEN=$TOKEN" "ZOOM_TOKEN_EXPIRES_AT=$((ZOOM_FAKE_NOW + 600))"
  run "$SCRIPTS/doctor.sh"
  assert_success
  assert_line "✅ token valid for 10m 0s (expiring)"
}

# ------------------------------------------------------------ token endpoint

@test "token endpoint refused (closed port): ❌ unreachable" {
  install_config
  write_env "$(sim_env_lines | grep -v '^ZOOM_OAUTH_URL=')" \
    "ZOOM_OAUTH_URL=http://127.0.0.1:$(closed_port)/oauth/token"
  run "$SCRIPTS/doctor.sh"
  assert_status 1
  assert_output_contains "❌ token endpoint unreachable: http://127.0.0.1:"
  assert_output_contains "(connection refused)"
  fix=$(line_after "❌ token endpoint unreachable")
  case $fix in "    fix: "*"make doctor ARGS=--online") ;; *) flunk "unexpected fix: $fix" ;; esac
  assert_no_secrets
}

@test "token endpoint resets the connection: ❌ unreachable" {
  all_green
  sim_fault '{"target": "token", "mode": "refused"}'
  run "$SCRIPTS/doctor.sh" --online
  assert_status 1
  assert_output_contains "❌ token endpoint unreachable: $SIM_URL/oauth/token (connection closed without an answer)"
}

@test "token endpoint answers 503: ❌ failing, retry later" {
  all_green
  sim_fault '{"target": "token", "mode": "error", "status": 503}'
  run "$SCRIPTS/doctor.sh" --online
  assert_status 1
  assert_line "❌ token endpoint failing: HTTP 503 from $SIM_URL/oauth/token (a problem on the server's side)"
  assert_no_secrets
}

@test "token endpoint answers 200 without a token: ❌" {
  all_green
  sim_fault '{"target": "token", "mode": "empty_token"}'
  run "$SCRIPTS/doctor.sh" --online
  assert_status 1
  assert_line "❌ token endpoint answered HTTP 200 without a usable token ($SIM_URL/oauth/token)"
}

@test "bad secret: ❌ credentials rejected with Zoom's reason, the bad secret never shown" {
  all_green
  bad_secret='bats-Wr0ng-5ecret-d00d'
  write_env "$(sim_env_lines | sed "s/^ZOOM_CLIENT_SECRET=.*/ZOOM_CLIENT_SECRET=$bad_secret/")"
  install_curl_wrapper
  cd "$PROJECT"
  run "$SCRIPTS/doctor.sh"
  assert_status 1
  assert_line "❌ credentials rejected by the token endpoint (HTTP 400 invalid_client): Invalid client_id or client_secret"
  fix=$(line_after "❌ credentials rejected")
  case $fix in
    "    fix: "*"$ENV_FILE   # correct ZOOM_ACCOUNT_ID, ZOOM_CLIENT_ID, ZOOM_CLIENT_SECRET; then: ./scripts/get_zoom_token.sh -f") ;;
    *) flunk "unexpected fix: $fix" ;;
  esac
  refute_output_contains "$bad_secret"
  ! grep -qF "$bad_secret" "$CURL_ARGV_LOG" || flunk "the secret was on curl's command line"
}

@test "invalid_client fault with --online: ❌ credentials rejected" {
  all_green
  sim_fault '{"target": "token", "mode": "invalid_client"}'
  run "$SCRIPTS/doctor.sh" --online
  assert_status 1
  assert_output_contains "❌ credentials rejected by the token endpoint (HTTP 400 invalid_client)"
  assert_no_secrets
}

# ------------------------------------------------------------- Claude config

@test "no Claude config: ❌ with make install-claude" {
  fresh_env
  cd "$PROJECT"
  run "$SCRIPTS/doctor.sh"
  assert_status 1
  assert_fix "❌ Claude Desktop config not found: $CONFIG" "make install-claude"
}

@test "invalid config JSON: ❌ with jq's message and the repair command" {
  fresh_env
  mkdir -p "${CONFIG%/*}"
  printf '{"mcpServers": {' >"$CONFIG"
  run "$SCRIPTS/doctor.sh"
  assert_status 1
  assert_output_contains "❌ Claude Desktop config is not valid JSON: $CONFIG ("
  fix=$(line_after "❌ Claude Desktop config is not valid JSON")
  case $fix in "    fix: "*"$CONFIG   # repair the JSON, then: "*"make install-claude") ;; *) flunk "unexpected fix: $fix" ;; esac
}

@test "a config holding two JSON documents is not valid: ❌, as update_claude_config.sh refuses it" {
  all_green
  cat "$CONFIG" "$CONFIG" >"$CONFIG.two"
  mv "$CONFIG.two" "$CONFIG"
  run "$SCRIPTS/doctor.sh"
  assert_status 1
  assert_output_contains "❌ Claude Desktop config is not valid JSON: $CONFIG (jq: error"
  assert_output_contains "it holds 2 JSON documents, not one object)"
}

@test "invalid config JSON with a good backup: the fix restores it" {
  all_green
  cp "$CONFIG" "$CONFIG.bak"
  printf 'not json' >"$CONFIG"
  cd "$PROJECT"
  run "$SCRIPTS/doctor.sh"
  assert_status 1
  assert_fix "❌ Claude Desktop config is not valid JSON" \
    "cp $CONFIG.bak $CONFIG   # restore the last good copy (or repair it by hand), then: make install-claude"
}

@test "config without this server's entry: ❌ with make install-claude" {
  fresh_env
  mkdir -p "${CONFIG%/*}"
  printf '{"mcpServers": {"other": {"command": "/bin/true"}}}\n' >"$CONFIG"
  cd "$PROJECT"
  run "$SCRIPTS/doctor.sh"
  assert_status 1
  assert_fix "❌ Claude Desktop config has no mcpServers.zoom entry: $CONFIG" "make install-claude"
}

@test "CLAUDE_MCP_SERVER_NAME and CLAUDE_CONFIG_FILE are honoured" {
  fresh_env
  export CLAUDE_CONFIG_FILE=$BATS_TEST_TMPDIR/claude.json CLAUDE_MCP_SERVER_NAME=zoom-test
  "$SCRIPTS/update_claude_config.sh" --install >/dev/null
  run "$SCRIPTS/doctor.sh"
  assert_success
  assert_line "✅ Claude Desktop config has mcpServers.zoom-test → $PROJECT/run.sh ($CLAUDE_CONFIG_FILE)"
}

@test "config entry pointing at another checkout: ❌ with make install-claude" {
  all_green
  jq '.mcpServers.zoom.command = "/elsewhere/zoom-mcp/run.sh"' "$CONFIG" >"$CONFIG.new"
  mv "$CONFIG.new" "$CONFIG"
  cd "$PROJECT"
  run "$SCRIPTS/doctor.sh"
  assert_status 1
  assert_fix "❌ mcpServers.zoom in the Claude Desktop config runs /elsewhere/zoom-mcp/run.sh, not this checkout's $PROJECT/run.sh" \
    "make install-claude"
}

@test "a stale token in the config is a note, never printed" {
  all_green
  jq '.mcpServers.zoom.env.ZOOM_ACCESS_TOKEN = "eyJzOLDOLDOLDOLDTOKEN1234"' "$CONFIG" >"$CONFIG.new"
  mv "$CONFIG.new" "$CONFIG"
  run "$SCRIPTS/doctor.sh"
  assert_success
  assert_line "⚠️  the entry holds an older token than .env (harmless: the server reads .env)"
  refute_output_contains "OLDTOKEN"
  assert_no_secrets
}

# ------------------------------------------------------------- Claude running

@test "Claude running on Linux: pgrep -u UID -x claude-desktop (this user's only)" {
  all_green
  stub pgrep 'echo 4242'
  run "$SCRIPTS/doctor.sh"
  assert_success
  assert_output_contains "✅ Claude Desktop is running (pid 4242)"
  grep -qx "pgrep -u $(id -u) -x claude-desktop" "$STUB_LOG" || flunk "pgrep calls: $(cat "$STUB_LOG")"
}

@test "Claude not running is information, not a failure" {
  all_green
  run "$SCRIPTS/doctor.sh"
  assert_success
  assert_line "ℹ️  Claude Desktop is not running (for information; start it to use the server)"
}

@test "macOS: pgrep -u UID -x Claude (this user's only)" {
  stub uname 'echo Darwin'
  CONFIG="$HOME/Library/Application Support/Claude/claude_desktop_config.json"
  all_green
  # shellcheck disable=SC2016 # the stub's own $2
  stub pgrep '[ "$4" = Claude ] && echo 777 || exit 1'
  run "$SCRIPTS/doctor.sh"
  assert_success
  assert_output_contains "✅ Claude Desktop is running (pid 777)"
  assert_line "✅ Claude Desktop config has mcpServers.zoom → $PROJECT/run.sh ($CONFIG)"
  grep -qx "pgrep -u $(id -u) -x Claude" "$STUB_LOG" || flunk "pgrep calls: $(cat "$STUB_LOG")"
}

@test "Windows (Git Bash): tasklist finds this user's Claude.exe" {
  stub_windows
  export APPDATA=$HOME/AppData/Roaming USERDOMAIN=DESKTOP-1 USERNAME=me
  CONFIG=$APPDATA/Claude/claude_desktop_config.json
  all_green
  stub tasklist 'echo "Claude.exe                   12345 Console                    1    210,000 K"'
  run "$SCRIPTS/doctor.sh"
  assert_success
  assert_output_contains "✅ Claude Desktop is running"
  grep -qx 'tasklist //FI IMAGENAME eq Claude.exe //FI USERNAME eq DESKTOP-1\\me //NH' "$STUB_LOG" ||
    flunk "tasklist calls: $(cat "$STUB_LOG")"
  ! grep -q '^pgrep' "$STUB_LOG" || flunk "pgrep was called on Windows"
}

# ------------------------------------------------------------- review fixes

@test "--online keeps the token endpoint's answer in memory: nothing with a token under TMPDIR" {
  all_green
  export TMPDIR=$BATS_TEST_TMPDIR/tmp LEAK_LOG=$BATS_TEST_TMPDIR/leaks
  mkdir -p "$TMPDIR"
  : >"$LEAK_LOG"
  # a curl that, once the real one has answered, looks for the answer on disk
  {
    printf '#!/usr/bin/env bash\n'
    printf '%q "$@"; rc=$?\n' "$REAL_CURL"
    printf 'grep -rl access_token "$TMPDIR" >>"$LEAK_LOG" 2>/dev/null\n'
    printf 'exit "$rc"\n'
  } >"$STUB_BIN/curl"
  chmod +x "$STUB_BIN/curl"
  run "$SCRIPTS/doctor.sh" --online
  assert_success
  assert_line "✅ token endpoint reachable, credentials accepted ($SIM_URL/oauth/token; the test token was not saved)"
  [ ! -s "$LEAK_LOG" ] || flunk "the token endpoint's answer was written to: $(cat "$LEAK_LOG")"
}

@test "the user's ~/.curlrc is not read by the endpoint check (-q first)" {
  unset CURL_HOME
  all_green
  install_curl_wrapper
  printf '%s\n' include "trace-ascii = $HOME/curl-trace.txt" >"$HOME/.curlrc"
  run "$SCRIPTS/doctor.sh" --online
  assert_success
  assert_line "✅ token endpoint reachable, credentials accepted ($SIM_URL/oauth/token; the test token was not saved)"
  [ ! -e "$HOME/curl-trace.txt" ] || flunk "curl read ~/.curlrc and traced the request"
  case $(head -n 1 "$CURL_ARGV_LOG") in "curl -q "*) ;; *) flunk "argv: $(cat "$CURL_ARGV_LOG")" ;; esac
}

@test "a lock file missing: ❌ naming it, and the other checks still run" {
  all_green
  rm "$PROJECT/requirements-dev.txt"
  cd "$PROJECT"
  run "$SCRIPTS/doctor.sh"
  assert_status 1
  assert_output_contains "but the lock file requirements-dev.txt is missing or unreadable"
  assert_fix "❌ Python " "git checkout -- requirements-dev.txt && make setup"
  assert_line "✅ credentials set: ZOOM_ACCOUNT_ID, ZOOM_CLIENT_ID, ZOOM_CLIENT_SECRET"
  assert_line "❌ 1 check failed: run its fix, then make doctor"
}

@test "-- is accepted; an operand after it is not" {
  all_green
  run "$SCRIPTS/doctor.sh" --
  assert_success
  run --separate-stderr "$SCRIPTS/doctor.sh" -- --online
  assert_status 2
  case $stderr in "ERROR: unexpected argument: --online"$'\n'"Usage: doctor.sh"*) ;; *) flunk "stderr: $stderr" ;; esac
}

# --- Windows through Git Bash (issue 14), with uname and cygpath stubbed -------------

@test "Windows (Git Bash): the bash.exe + run.sh entry --install writes is this checkout's; jq missing: winget and Chocolatey" {
  stub_windows
  export APPDATA='C:\Users\me\AppData\Roaming'
  CONFIG=$WIN_C/Users/me/AppData/Roaming/Claude/claude_desktop_config.json
  all_green
  jq -e '.mcpServers.zoom.command | endswith("bash.exe")' "$CONFIG" >/dev/null || flunk "$(cat "$CONFIG")"
  run "$SCRIPTS/doctor.sh"
  assert_success
  assert_line "✅ Claude Desktop config has mcpServers.zoom → $PROJECT/run.sh ($CONFIG)"
  refute_output_contains "ZOOM_ENV_FILE is"
  # an entry that starts another checkout's run.sh is still told apart
  jq '.mcpServers.zoom.args = ["C:\\elsewhere\\run.sh"]' "$CONFIG" >"$CONFIG.new" && mv "$CONFIG.new" "$CONFIG"
  run "$SCRIPTS/doctor.sh"
  assert_status 1
  assert_output_contains "runs $(jq -r .mcpServers.zoom.command "$CONFIG") C:\\elsewhere\\run.sh, not this checkout's $PROJECT/run.sh"
  PATH=$(path_without jq) run "$SCRIPTS/doctor.sh"
  assert_fix "❌ jq is not installed" "winget install --id jqlang.jq -e   # Windows (winget)"
  assert_line "    fix: choco install jq -y   # Windows (Chocolatey)"
}

# ---------------------------------------------------------------- the refresh history (issue 15)

@test "history: failed fetches in the last 24 h are a warning with how many and the last reason" {
  export ZOOM_FAKE_NOW=1800000000 TZ=UTC # 2027-01-15 08:00:00 UTC
  all_green
  cd "$PROJECT"
  # (all_green's --install wrote the first line: a history exists, with no failure)
  run "$SCRIPTS/doctor.sh"
  assert_success
  assert_line "✅ no failed token fetch in the last 24 h ($PROJECT/zoom-token.log)"
  cat >>"$PROJECT/zoom-token.log" <<'LOG'
{"ts":"2027-01-14T07:59:59Z","event":"fetch_failed","by":"monitor","exit":1,"reason":"HTTP 500","token_left_s":60}
{"ts":"2027-01-15T03:33:10Z","event":"fetch_failed","by":"monitor","exit":1,"reason":"HTTP 503","token_left_s":60}
{"ts":"2027-01-15T03:33:40Z","event":"reload_failed","by":"monitor","reason":"no valid token in .env after get_zoom_token.sh","token_left_s":30}
{"ts":"2027-01-15T07:00:00Z","event":"fetch_failed","by":"script","exit":1,"reason":"timeout after 15 s","token_left_s":null}
{"ts":"2027-01-15T07:00:01Z","event":"fetch_succeeded","by":"script","duration_s":0.1,"expires_at":1800000000}
LOG
  run "$SCRIPTS/doctor.sh"
  assert_success # a warning: the token is fine now
  assert_line "⚠️  3 token fetches failed in the last 24 h; the last at 07:00:00: timeout after 15 s"
  assert_fix "⚠️  3 token fetches" "make history   # what happened, in order"
  # one, and the history's rotated copy counts too
  mv "$PROJECT/zoom-token.log" "$PROJECT/zoom-token.log.1"
  printf '%s\n' '{"ts":"2027-01-15T07:50:00Z","event":"fetch_failed","by":"401","exit":3,"reason":"credentials rejected","token_left_s":null}' \
    >"$PROJECT/zoom-token.log"
  ZOOM_FAKE_NOW=$((1800000000 + 86400 - 3600)) run "$SCRIPTS/doctor.sh"
  assert_line "⚠️  1 token fetch failed in the last 24 h, at 07:50:00: credentials rejected"
  # off, or none yet: said for information
  ZOOM_HISTORY=0 run "$SCRIPTS/doctor.sh"
  assert_line "ℹ️  refresh history off (ZOOM_HISTORY=0)"
  rm "$PROJECT"/zoom-token.log*
  run "$SCRIPTS/doctor.sh"
  assert_line "ℹ️  no refresh history yet ($PROJECT/zoom-token.log)"
}
