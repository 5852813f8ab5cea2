#!/usr/bin/env bats
# get_zoom_token.sh against the Zoom simulator over real HTTP.

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
  SECRET=$ZOOMSIM_CLIENT_SECRET
  NOW=1900000000
}

# .env with the credentials, an expired token and lines that must survive.
write_expired_env() {
  write_env "# zoom-mcp settings" "$(sim_env_lines)" "" \
    "ZOOM_ACCESS_TOKEN=old-token-1234567890abcd" "ZOOM_TOKEN_EXPIRES_AT=1000" "# the end"
}

token_in_env() {
  sed -n 's/^ZOOM_ACCESS_TOKEN=//p' "$ENV_FILE"
}

expiry_in_env() {
  sed -n 's/^ZOOM_TOKEN_EXPIRES_AT=//p' "$ENV_FILE"
}

# --- usage --------------------------------------------------------------------

@test "-h and --help print the usage header and exit 0" {
  run "$SCRIPTS/get_zoom_token.sh" -h
  assert_success
  assert_line 0 "Usage: get_zoom_token.sh [-f] [-t SECONDS] [-q]"
  run "$SCRIPTS/get_zoom_token.sh" --help
  assert_success
  assert_line 0 "Usage: get_zoom_token.sh [-f] [-t SECONDS] [-q]"
}

@test "an unknown option prints the usage on stderr and exits 2" {
  run --separate-stderr "$SCRIPTS/get_zoom_token.sh" --bogus
  assert_status 2
  refute_output
  case $stderr in *"ERROR: unknown option: --bogus"*"Usage: get_zoom_token.sh"*) ;; *) flunk "stderr: $stderr" ;; esac
}

@test "-t needs a whole number of seconds: exit 2" {
  write_expired_env
  run "$SCRIPTS/get_zoom_token.sh" -t
  assert_status 2
  run "$SCRIPTS/get_zoom_token.sh" -t soon
  assert_status 2
  assert_output_contains "ERROR: the threshold must be a whole number of seconds"
}

@test "a bad ZOOM_HTTP_TIMEOUT is a configuration error: exit 2" {
  write_expired_env
  ZOOM_HTTP_TIMEOUT=fast run "$SCRIPTS/get_zoom_token.sh"
  assert_status 2
  assert_output_contains "ERROR: ZOOM_HTTP_TIMEOUT"
}

@test "missing credentials: exit 2 naming each missing variable" {
  write_env "ZOOM_CLIENT_ID=only-the-id" "ZOOM_OAUTH_URL=$SIM_URL/oauth/token"
  before=$(sim_token_requests)
  run --separate-stderr "$SCRIPTS/get_zoom_token.sh"
  assert_status 2
  case $stderr in
    "ERROR: missing credentials: ZOOM_ACCOUNT_ID, ZOOM_CLIENT_SECRET (set them in $ENV_FILE or the environment)") ;;
    *) flunk "stderr: $stderr" ;;
  esac
  assert_equal "$before" "$(sim_token_requests)"

  rm -f "$ENV_FILE"
  run "$SCRIPTS/get_zoom_token.sh" -f
  assert_status 2
  assert_output_contains "missing credentials: ZOOM_ACCOUNT_ID, ZOOM_CLIENT_ID, ZOOM_CLIENT_SECRET"
}

# --- fetching -----------------------------------------------------------------

@test "no token yet: fetches one, prints the masked old and new tokens, writes .env 0600" {
  write_env "# settings" "$(sim_env_lines)" "ZOOM_ACCESS_TOKEN=" "ZOOM_TOKEN_EXPIRES_AT="
  chmod 644 "$ENV_FILE"
  before=$(sim_token_requests)
  TZ=UTC ZOOM_FAKE_NOW=$NOW run --separate-stderr "$SCRIPTS/get_zoom_token.sh"
  assert_success
  assert_equal "" "$stderr"
  new=$(token_in_env)
  assert_line 0 "📋 Token fetched successfully"
  assert_line 1 "🔄 (none) → ${new:0:4}...${new: -4}"
  assert_line 2 "🔑 Token Status: ✅ Expires in 1h 0m 0s (at 6:46:40 PM)"
  case $new in eyJ*.*.*) ;; *) flunk "not a JWT: ${new:0:4}" ;; esac
  assert_equal "$((NOW + 3600))" "$(expiry_in_env)"
  assert_equal 600 "$(file_mode "$ENV_FILE")"
  assert_equal $((before + 1)) "$(sim_token_requests)"
  # the token itself is never printed
  refute_output_contains "$new"
}

@test "a valid token: exit 0 without a request, and says so" {
  write_expired_env
  "$SCRIPTS/get_zoom_token.sh" -q
  cp "$ENV_FILE" "$BATS_TEST_TMPDIR/before"
  before=$(sim_token_requests)
  run "$SCRIPTS/get_zoom_token.sh"
  assert_success
  case $output in "✅ Token still valid for "*"; no request made") ;; *) flunk "output: $output" ;; esac
  assert_equal "$before" "$(sim_token_requests)"
  cmp "$ENV_FILE" "$BATS_TEST_TMPDIR/before"
}

@test "-f fetches a new token even when the current one is valid" {
  write_expired_env
  "$SCRIPTS/get_zoom_token.sh" -q
  old=$(token_in_env)
  before=$(sim_token_requests)
  run "$SCRIPTS/get_zoom_token.sh" -f
  assert_success
  new=$(token_in_env)
  [ "$new" != "$old" ]
  assert_line 0 "📋 Token fetched successfully"
  assert_line 1 "🔄 ${old:0:4}...${old: -4} → ${new:0:4}...${new: -4}"
  assert_equal $((before + 1)) "$(sim_token_requests)"
}

@test "the threshold, one second either side (fake clock)" {
  write_env "$(sim_env_lines)" "ZOOM_ACCESS_TOKEN=current-token-abcdefgh" "ZOOM_TOKEN_EXPIRES_AT=$((NOW + 61))"
  before=$(sim_token_requests)
  ZOOM_FAKE_NOW=$NOW run "$SCRIPTS/get_zoom_token.sh" # 61 s left > 60: no request
  assert_success "✅ Token still valid for 1m 1s; no request made"
  assert_equal "$before" "$(sim_token_requests)"

  write_env "$(sim_env_lines)" "ZOOM_ACCESS_TOKEN=current-token-abcdefgh" "ZOOM_TOKEN_EXPIRES_AT=$((NOW + 60))"
  ZOOM_FAKE_NOW=$NOW run "$SCRIPTS/get_zoom_token.sh" # exactly 60 s left: refresh
  assert_success
  assert_line 0 "📋 Token fetched successfully"
  assert_equal $((before + 1)) "$(sim_token_requests)"

  write_env "$(sim_env_lines)" "ZOOM_ACCESS_TOKEN=current-token-abcdefgh" "ZOOM_TOKEN_EXPIRES_AT=$((NOW + 59))"
  ZOOM_FAKE_NOW=$NOW run "$SCRIPTS/get_zoom_token.sh"
  assert_success
  assert_line 0 "📋 Token fetched successfully"
  assert_equal $((before + 2)) "$(sim_token_requests)"
}

@test "-t and ZOOM_TOKEN_THRESHOLD set the threshold" {
  write_env "$(sim_env_lines)" "ZOOM_ACCESS_TOKEN=current-token-abcdefgh" "ZOOM_TOKEN_EXPIRES_AT=$((NOW + 301))"
  before=$(sim_token_requests)
  ZOOM_FAKE_NOW=$NOW run "$SCRIPTS/get_zoom_token.sh" -t 300
  assert_success "✅ Token still valid for 5m 1s; no request made"
  ZOOM_FAKE_NOW=$NOW ZOOM_TOKEN_THRESHOLD=300 run "$SCRIPTS/get_zoom_token.sh"
  assert_success "✅ Token still valid for 5m 1s; no request made"
  assert_equal "$before" "$(sim_token_requests)"
  ZOOM_FAKE_NOW=$NOW run "$SCRIPTS/get_zoom_token.sh" -t 302
  assert_success
  assert_line 0 "📋 Token fetched successfully"
  assert_equal $((before + 1)) "$(sim_token_requests)"
}

@test "without ZOOM_TOKEN_EXPIRES_AT the JWT's exp claim decides" {
  token=$(sim_valid_token)
  write_env "$(sim_env_lines)" "ZOOM_ACCESS_TOKEN=$token"
  before=$(sim_token_requests)
  run "$SCRIPTS/get_zoom_token.sh"
  assert_success
  assert_output_contains "no request made"
  assert_equal "$before" "$(sim_token_requests)"
}

@test "-q prints nothing on success but still prints errors" {
  write_expired_env
  run --separate-stderr "$SCRIPTS/get_zoom_token.sh" -q
  assert_success
  refute_output
  assert_equal "" "$stderr"
  run --separate-stderr "$SCRIPTS/get_zoom_token.sh" -q
  assert_success
  refute_output
  sim_fault '{"target":"token","mode":"error","status":503}'
  run --separate-stderr "$SCRIPTS/get_zoom_token.sh" -f -q
  assert_status 1
  refute_output
  case $stderr in "ERROR: the token request failed: HTTP 503"*) ;; *) flunk "stderr: $stderr" ;; esac
}

# --- faults: exit code, message, .env byte for byte unchanged ------------------

# fault_case EXIT FAULT_JSON|'' [VAR=VALUE...]: a forced run under the fault.
fault_case() {
  local want=$1 fault=$2
  shift 2
  write_expired_env
  printf 'ZOOM_TOKEN_THRESHOLD=60' >>"$ENV_FILE" # and no final newline
  cp -p "$ENV_FILE" "$BATS_TEST_TMPDIR/before"
  [ -z "$fault" ] || sim_fault "$fault"
  run --separate-stderr env "$@" "$SCRIPTS/get_zoom_token.sh" -f
  assert_status "$want"
  refute_output
  cmp "$ENV_FILE" "$BATS_TEST_TMPDIR/before"
  assert_equal 600 "$(file_mode "$ENV_FILE")"
  case $stderr in *"$SECRET"*) flunk "the secret was printed" ;; esac
  case $(cat "$PROJECT/zoom-token.log") in *"$SECRET"*) flunk "the secret in the history" ;; esac
  [ -z "$(ls -A "$PROJECT" | grep -v -e '^\.env$' -e '^\.env\.lock$' -e '^scripts$' -e '^run\.sh$' -e '^\.env\.lock\.d$' \
    -e '^zoom-token\.log$')" ] || flunk "leftover files: $(ls -A "$PROJECT")"
  # the history says it failed, and how
  jq -e --argjson code "$want" 'select(.event == "fetch_failed" and .exit == $code and .by == "script")' \
    <<<"$(tail -n 1 "$PROJECT/zoom-token.log")" >/dev/null || flunk "no fetch_failed line: $(cat "$PROJECT/zoom-token.log")"
}

# assert_failed_with WHAT HINT: stderr is exactly two lines, what failed (.env unchanged), then
# what to do and what the old (expired) token means meanwhile. WHAT may hold a * pattern.
assert_failed_with() {
  local what=$1 hint=$2
  # shellcheck disable=SC2027 # $what is left unquoted on purpose: a pattern
  case $stderr in
    "ERROR: "$what"; .env unchanged"$'\n'"ERROR: $hint; the current token expired "*" ago, so Zoom calls fail until a fetch succeeds") ;;
    *) flunk "expected: ERROR: $what; .env unchanged" "         ERROR: $hint; the current token expired ... ago, ..." "stderr: $stderr" ;;
  esac
  [ "$(printf '%s\n' "$stderr" | wc -l)" -eq 2 ] || flunk "not two lines: $stderr"
}
HINT_NETWORK="try again later, or check ZOOM_OAUTH_URL and your network (proxy, firewall, VPN)"
HINT_ANSWER="try again later; if it persists, check that ZOOM_OAUTH_URL is Zoom's token endpoint (https://zoom.us/oauth/token) and that no proxy alters the answer"

@test "fault: connection refused (reset by the simulator) -> exit 1, .env unchanged" {
  fault_case 1 '{"target":"token","mode":"refused"}'
  assert_failed_with "the token request to $SIM_URL/oauth/token failed: curl: (*)*" "$HINT_NETWORK"
}

@test "fault: closed port -> exit 1, .env unchanged" {
  port=$("$KIT_PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
  fault_case 1 '' "ZOOM_OAUTH_URL=http://127.0.0.1:$port/oauth/token"
  assert_failed_with "could not connect to http://127.0.0.1:$port/oauth/token (connection refused)" \
    "check ZOOM_OAUTH_URL and your network (proxy, firewall, VPN), then try again"
}

@test "fault: HTTP 500 -> exit 1, .env unchanged" {
  fault_case 1 '{"target":"token","mode":"error","status":500}'
  assert_failed_with "the token request failed: HTTP 500*" \
    "the token service failed on its side: try again in a few minutes"
}

@test "fault: slow past ZOOM_HTTP_TIMEOUT -> exit 1 within the bound, .env unchanged" {
  before=$(sim_token_requests)
  install_curl_wrapper
  fault_case 1 '{"target":"token","mode":"slow","delay":5}' ZOOM_HTTP_TIMEOUT=1
  # Within the bound, proved by order and argv rather than by a clock: the simulator counts a
  # request once it has answered it, and it had not yet answered this one when the script gave
  # up; the bound curl was given is ZOOM_HTTP_TIMEOUT's.
  assert_equal "$before" "$(sim_token_requests)"
  grep -q -e ' --max-time 1 ' "$CURL_ARGV_LOG" || flunk "curl was not bounded by ZOOM_HTTP_TIMEOUT: $(cat "$CURL_ARGV_LOG")"
  assert_failed_with "the token request to $SIM_URL/oauth/token timed out after 1s (ZOOM_HTTP_TIMEOUT)" \
    "try again later, or check ZOOM_OAUTH_URL and your network; on a slow link raise ZOOM_HTTP_TIMEOUT"
  # The simulator counts the abandoned request once it has answered it: wait for that, or
  # it would land in a later test's count.
  wait_until 10 '[ "$(sim_token_requests)" -ge $((before + 1)) ]'
}

@test "fault: malformed JSON -> exit 1, .env unchanged" {
  fault_case 1 '{"target":"token","mode":"malformed"}'
  assert_failed_with "malformed answer from $SIM_URL/oauth/token (HTTP 200 but not a JSON object)" "$HINT_ANSWER"
}

@test "fault: empty access_token -> exit 1, .env unchanged" {
  fault_case 1 '{"target":"token","mode":"empty_token"}'
  assert_failed_with "the answer from $SIM_URL/oauth/token has an empty access_token" "$HINT_ANSWER"
}

@test "fault: rate limited (429) -> exit 1, .env unchanged" {
  fault_case 1 '{"target":"token","mode":"rate_limit"}'
  assert_failed_with "the token request failed: HTTP 429*" "too many token requests: wait a minute, then try again"
}

@test "fault: HTTP 404 (a wrong ZOOM_OAUTH_URL) -> exit 1, says to check it" {
  fault_case 1 '' "ZOOM_OAUTH_URL=$SIM_URL/oauth/nowhere"
  assert_failed_with "the token request failed: HTTP 404*" \
    "check ZOOM_OAUTH_URL ($SIM_URL/oauth/nowhere; Zoom's is https://zoom.us/oauth/token) and that the app is an activated Server-to-Server OAuth app, then try again"
}

@test "a failure with a still-valid token says that token stays in use" {
  write_env "$(sim_env_lines)" "ZOOM_ACCESS_TOKEN=old-token-1234567890abcd" "ZOOM_TOKEN_EXPIRES_AT=$((NOW + 3600))"
  sim_fault '{"target":"token","mode":"error","status":502}'
  ZOOM_FAKE_NOW=$NOW run --separate-stderr "$SCRIPTS/get_zoom_token.sh" -f -q
  assert_status 1
  refute_output
  assert_equal "ERROR: the token service failed on its side: try again in a few minutes; the current token stays in use (valid for 1h 0m 0s)" "${stderr_lines[1]}"
}

@test "a failure with no token at all says there is none yet" {
  write_env "$(sim_env_lines)"
  sim_fault '{"target":"token","mode":"malformed"}'
  run --separate-stderr "$SCRIPTS/get_zoom_token.sh"
  assert_status 1
  case $stderr in *$'\n'"ERROR: $HINT_ANSWER; there is no token yet, so Zoom calls fail until a fetch succeeds") ;; *) flunk "stderr: $stderr" ;; esac
}

@test "a URL with user:password@ or a query is shown without them" {
  port=$("$KIT_PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
  fault_case 1 '' "ZOOM_OAUTH_URL=http://someone:hunter2-pass@127.0.0.1:$port/oauth/token?key=hunter2-key"
  assert_failed_with "could not connect to http://127.0.0.1:$port/oauth/token?... (connection refused)" \
    "check ZOOM_OAUTH_URL and your network (proxy, firewall, VPN), then try again"
  case $stderr in *hunter2*) flunk "a secret of the URL was printed: $stderr" ;; esac
  case $(cat "$PROJECT/zoom-token.log") in *hunter2*) flunk "a secret of the URL in the history" ;; esac
}

@test "fault: invalid_client -> exit 3 with Zoom's reason, .env unchanged" {
  fault_case 3 '{"target":"token","mode":"invalid_client"}'
  case $stderr in
    "ERROR: Zoom rejected the credentials (HTTP 400 invalid_client): Invalid client_id or client_secret"$'\n'"ERROR: check ZOOM_ACCOUNT_ID, ZOOM_CLIENT_ID and ZOOM_CLIENT_SECRET"*) ;;
    *) flunk "stderr: $stderr" ;;
  esac
}

@test "a wrong secret is rejected by the simulator itself: exit 3" {
  write_env "ZOOM_ACCOUNT_ID=$ZOOMSIM_ACCOUNT_ID" "ZOOM_CLIENT_ID=$ZOOMSIM_CLIENT_ID" \
    "ZOOM_CLIENT_SECRET=not-the-secret" "ZOOM_OAUTH_URL=$SIM_URL/oauth/token"
  cp "$ENV_FILE" "$BATS_TEST_TMPDIR/before"
  run "$SCRIPTS/get_zoom_token.sh"
  assert_status 3
  assert_output_contains "ERROR: Zoom rejected the credentials"
  refute_output_contains "not-the-secret"
  cmp "$ENV_FILE" "$BATS_TEST_TMPDIR/before"
}

# --- the .env rewrite ---------------------------------------------------------

@test "the rewrite keeps every other line, comment, order, CRLF, export and quotes" {
  {
    printf '# zoom-mcp\n\n'
    printf 'export ZOOM_ACCOUNT_ID=%s\r\n' "$ZOOMSIM_ACCOUNT_ID"
    printf 'ZOOM_CLIENT_ID="%s"\n' "$ZOOMSIM_CLIENT_ID"
    printf "ZOOM_CLIENT_SECRET='%s'\n" "$SECRET"
    printf '  ZOOM_ACCESS_TOKEN = "old-token-1234567890"\n'
    printf 'OTHER_SETTING=keep me # a comment\n'
    printf 'export ZOOM_TOKEN_EXPIRES_AT=1000\r\n'
    printf 'ZOOM_OAUTH_URL=%s/oauth/token\n' "$SIM_URL"
    printf '# last line without a newline'
  } >"$ENV_FILE"
  ZOOM_FAKE_NOW=$NOW run "$SCRIPTS/get_zoom_token.sh"
  assert_success
  new=$(sed -n 's/^  ZOOM_ACCESS_TOKEN = "\(.*\)"$/\1/p' "$ENV_FILE")
  [ -n "$new" ]
  {
    printf '# zoom-mcp\n\n'
    printf 'export ZOOM_ACCOUNT_ID=%s\r\n' "$ZOOMSIM_ACCOUNT_ID"
    printf 'ZOOM_CLIENT_ID="%s"\n' "$ZOOMSIM_CLIENT_ID"
    printf "ZOOM_CLIENT_SECRET='%s'\n" "$SECRET"
    printf '  ZOOM_ACCESS_TOKEN = "%s"\n' "$new"
    printf 'OTHER_SETTING=keep me # a comment\n'
    printf 'export ZOOM_TOKEN_EXPIRES_AT=%s\r\n' "$((NOW + 3600))"
    printf 'ZOOM_OAUTH_URL=%s/oauth/token\n' "$SIM_URL"
    printf '# last line without a newline'
  } >"$BATS_TEST_TMPDIR/expected"
  cmp "$BATS_TEST_TMPDIR/expected" "$ENV_FILE"
  assert_equal 600 "$(file_mode "$ENV_FILE")"
}

@test "the token lines are appended when absent, after a last line without a newline" {
  printf '%s\n# no newline here' "$(sim_env_lines)" >"$ENV_FILE"
  ZOOM_FAKE_NOW=$NOW run "$SCRIPTS/get_zoom_token.sh"
  assert_success
  new=$(token_in_env)
  { sim_env_lines; printf '# no newline here\nZOOM_ACCESS_TOKEN=%s\nZOOM_TOKEN_EXPIRES_AT=%s\n' "$new" "$((NOW + 3600))"; } >"$BATS_TEST_TMPDIR/expected"
  cmp "$BATS_TEST_TMPDIR/expected" "$ENV_FILE"
}

@test "no .env at all: credentials from the environment, .env created 0600" {
  rm -f "$ENV_FILE"
  ZOOM_ACCOUNT_ID=$ZOOMSIM_ACCOUNT_ID ZOOM_CLIENT_ID=$ZOOMSIM_CLIENT_ID ZOOM_CLIENT_SECRET=$SECRET \
    ZOOM_OAUTH_URL=$SIM_URL/oauth/token run "$SCRIPTS/get_zoom_token.sh"
  assert_success
  [ -n "$(token_in_env)" ]
  assert_equal 600 "$(file_mode "$ENV_FILE")"
  assert_equal 2 "$(wc -l <"$ENV_FILE" | tr -d ' ')"
}

@test "a symlinked .env stays a symlink; the target is rewritten" {
  mkdir -p "$BATS_TEST_TMPDIR/real"
  write_expired_env
  mv "$ENV_FILE" "$BATS_TEST_TMPDIR/real/zoom.env"
  ln -s ../real/zoom.env "$ENV_FILE"
  run "$SCRIPTS/get_zoom_token.sh"
  assert_success
  [ -L "$ENV_FILE" ]
  grep -q '^ZOOM_ACCESS_TOKEN=eyJ' "$BATS_TEST_TMPDIR/real/zoom.env"
  grep -q '^# the end$' "$BATS_TEST_TMPDIR/real/zoom.env"
}

@test "the environment wins over .env for settings; .env's token wins over the environment's" {
  write_expired_env
  sed -i.orig "s|^ZOOM_OAUTH_URL=.*|ZOOM_OAUTH_URL=http://127.0.0.1:1/oauth/token|" "$ENV_FILE"
  ZOOM_OAUTH_URL=$SIM_URL/oauth/token run "$SCRIPTS/get_zoom_token.sh"
  assert_success
  assert_line 0 "📋 Token fetched successfully"
  # a stale token in the environment (as Claude Desktop's config passes) does not hide .env's
  before=$(sim_token_requests)
  ZOOM_OAUTH_URL=$SIM_URL/oauth/token ZOOM_ACCESS_TOKEN=stale-env-token-abcdefgh ZOOM_TOKEN_EXPIRES_AT=1 \
    run "$SCRIPTS/get_zoom_token.sh"
  assert_success
  assert_output_contains "no request made"
  assert_equal "$before" "$(sim_token_requests)"
}

# --- secrets --------------------------------------------------------------------

@test "the secret is never on curl's command line nor in any output" {
  install_curl_wrapper
  write_expired_env
  run "$SCRIPTS/get_zoom_token.sh" -f
  assert_success
  refute_output_contains "$SECRET"
  for fault in invalid_client refused malformed empty_token error; do
    sim_reset
    sim_fault "{\"target\":\"token\",\"mode\":\"$fault\"}"
    run "$SCRIPTS/get_zoom_token.sh" -f
    assert_failure
    refute_output_contains "$SECRET"
  done
  [ "$(wc -l <"$CURL_ARGV_LOG")" -ge 6 ] || flunk "the curl wrapper was not used"
  ! grep -qF -- "$SECRET" "$CURL_ARGV_LOG" || flunk "the secret was on curl's command line"
  ! grep -qF -- "$ZOOMSIM_CLIENT_ID" "$CURL_ARGV_LOG" || flunk "the client id was on curl's command line"
}

@test "no process ever shows the secret in its argv (ps during a slow request)" {
  write_expired_env
  sim_fault '{"target":"token","mode":"slow","delay":1}'
  "$SCRIPTS/get_zoom_token.sh" -f -q &
  pid=$!
  scans=0 snap=$BATS_TEST_TMPDIR/ps
  while kill -0 "$pid" 2>/dev/null; do
    ps -eo args= >"$snap"
    ! grep -F -- "$SECRET" "$snap" || flunk "the secret is visible in ps"
    scans=$((scans + 1))
  done
  wait "$pid"
  [ "$scans" -ge 3 ] || flunk "only $scans scans"
}

# --- file modes -----------------------------------------------------------------

# mode_wrappers: a curl and an mv on PATH that note, in $MODES, the mode of the portable lock
# and its pid file (while the request runs) and of the temp file about to become .env.
mode_wrappers() {
  local real_mv stat_line
  MODES=$BATS_TEST_TMPDIR/modes
  : >"$MODES"
  real_mv=$(PATH=$KIT_ORIG_PATH command -v mv)
  # GNU stat, else BSD stat: "MODE NAME" per file
  stat_line='for f in "$@"; do [ ! -e "$f" ] || stat -c "%a %n" "$f" 2>/dev/null || stat -f "%Lp %N" "$f"; done'
  {
    printf '#!/usr/bin/env bash
modes() { %s; }
' "$stat_line"
    printf 'modes %q %q >>%q
' "$ENV_FILE.lock.d" "$ENV_FILE.lock.d/pid" "$MODES"
    printf 'exec %q "$@"
' "$REAL_CURL"
  } >"$STUB_BIN/curl"
  {
    printf '#!/usr/bin/env bash
modes() { %s; }
' "$stat_line"
    printf 'for a in "$@"; do case $a in */.env.tmp.*) modes "$a" >>%q ;; esac; done
' "$MODES"
    printf 'exec %q "$@"
' "$real_mv"
  } >"$STUB_BIN/mv"
  chmod +x "$STUB_BIN/curl" "$STUB_BIN/mv"
}

# refresh_under_umask_022 [VAR=VALUE...]: a first fetch (no .env yet; credentials from the
# environment) by a caller whose umask lets everyone read what it creates.
refresh_under_umask_022() {
  rm -f "$ENV_FILE"
  run env ZOOM_ACCOUNT_ID="$ZOOMSIM_ACCOUNT_ID" ZOOM_CLIENT_ID="$ZOOMSIM_CLIENT_ID" \
    ZOOM_CLIENT_SECRET="$ZOOMSIM_CLIENT_SECRET" ZOOM_OAUTH_URL="$SIM_URL/oauth/token" "$@" \
    "$KIT_BASH" -c 'umask 022 && exec "$0"' "$SCRIPTS/get_zoom_token.sh"
  assert_success
  assert_line 0 "📋 Token fetched successfully"
}

@test "under a caller's umask 022, .env, the temp file and the flock lock file are 0600" {
  command -v flock >/dev/null || skip "no flock here; the next test covers the portable lock"
  mode_wrappers
  refresh_under_umask_022
  assert_equal 600 "$(file_mode "$ENV_FILE")"
  assert_equal 600 "$(file_mode "$ENV_FILE.lock")" # empty, but beside the secrets: not world-readable
  assert_equal "600 $PROJECT/.env.tmp." "$(sed -n 's/\.env\.tmp\..*/.env.tmp./p' "$MODES")"
}

@test "under a caller's umask 022, the portable lock is 0700 with a 0600 pid file; .env 0600" {
  mode_wrappers
  refresh_under_umask_022 ZOOM_NO_FLOCK=1
  assert_equal "700 $ENV_FILE.lock.d
600 $ENV_FILE.lock.d/pid
600 $PROJECT/.env.tmp." "$(sed 's/\.env\.tmp\..*/.env.tmp./' "$MODES")"
  assert_equal 600 "$(file_mode "$ENV_FILE")"
  [ ! -e "$ENV_FILE.lock.d" ] || flunk "the lock was left behind"
}

# --- one refresh at a time ------------------------------------------------------

# twenty_at_once [VAR=VALUE...]: 20 non-forced runs on an expired token.
twenty_at_once() {
  local i pids=() failed=0
  write_expired_env
  before=$(sim_token_requests)
  for i in $(seq 1 20); do
    env "$@" "$SCRIPTS/get_zoom_token.sh" >"$BATS_TEST_TMPDIR/out.$i" 2>&1 &
    pids+=($!)
  done
  for i in "${pids[@]}"; do
    wait "$i" || failed=$((failed + 1))
  done
  assert_equal 0 "$failed"
  assert_equal $((before + 1)) "$(sim_token_requests)"
  assert_equal 1 "$(cat "$BATS_TEST_TMPDIR"/out.* | grep -c '^📋 Token fetched successfully$')"
  assert_equal 19 "$(cat "$BATS_TEST_TMPDIR"/out.* | grep -c 'no request made$')"
  grep -q '^# the end$' "$ENV_FILE"
}

@test "20 concurrent non-forced runs on an expired token make one token request (flock)" {
  command -v flock >/dev/null || skip "no flock here; the next test covers the portable lock"
  twenty_at_once
}

@test "20 concurrent non-forced runs make one token request (portable mkdir lock)" {
  twenty_at_once ZOOM_NO_FLOCK=1
  [ ! -e "$ENV_FILE.lock.d" ] || flunk "the lock was left behind"
}

@test "a portable lock left by a killed holder (kill -9) is taken over" {
  write_expired_env
  sleep 30 &
  dead=$!
  kill -9 "$dead"
  wait "$dead" || :
  mkdir "$ENV_FILE.lock.d"
  echo "$dead" >"$ENV_FILE.lock.d/pid"
  ZOOM_NO_FLOCK=1 run "$SCRIPTS/get_zoom_token.sh"
  assert_success
  assert_line 0 "📋 Token fetched successfully"
  [ ! -e "$ENV_FILE.lock.d" ]
}

@test "a portable lock with no PID in it (holder killed right after mkdir) is broken, not waited out" {
  write_expired_env
  mkdir "$ENV_FILE.lock.d"
  # Waiting the lock out would end in exit 1 ("another refresh still holds"): success means
  # the empty lock was broken.
  ZOOM_NO_FLOCK=1 ZOOM_LOCK_TIMEOUT=60 run "$SCRIPTS/get_zoom_token.sh"
  assert_success
  assert_line 0 "📋 Token fetched successfully"
  [ ! -e "$ENV_FILE.lock.d" ] || flunk "the lock was left behind"
}

@test "flock: a holder makes others wait; killed with -9 it frees the lock" {
  command -v flock >/dev/null || skip "no flock here"
  write_expired_env
  ready=$BATS_TEST_TMPDIR/holding
  # exec: the process that holds the lock is the one we kill
  bash -c 'exec 9>>"$1"; flock 9; : >"$2"; exec sleep 30' _ "$ENV_FILE.lock" "$ready" 3>&- &
  holder=$!
  wait_until 10 '[ -e "$ready" ]'
  ZOOM_LOCK_TIMEOUT=1 run "$SCRIPTS/get_zoom_token.sh"
  assert_status 1
  assert_output_contains "another refresh still holds"
  kill -9 "$holder"
  wait "$holder" || :
  run "$SCRIPTS/get_zoom_token.sh"
  assert_success
  assert_line 0 "📋 Token fetched successfully"
}

@test "a lock held by a live process past ZOOM_LOCK_TIMEOUT: exit 1, no request, .env unchanged" {
  write_expired_env
  cp "$ENV_FILE" "$BATS_TEST_TMPDIR/before"
  mkdir "$ENV_FILE.lock.d"
  echo "$$" >"$ENV_FILE.lock.d/pid" # this test's own shell: alive
  before=$(sim_token_requests)
  ZOOM_NO_FLOCK=1 ZOOM_LOCK_TIMEOUT=1 run "$SCRIPTS/get_zoom_token.sh"
  assert_status 1
  assert_output_contains "ERROR: another refresh still holds $ENV_FILE.lock"
  assert_equal "$before" "$(sim_token_requests)"
  cmp "$ENV_FILE" "$BATS_TEST_TMPDIR/before"
  [ -d "$ENV_FILE.lock.d" ] # not ours to remove
}

@test "a reader looping over .env during 50 refreshes never sees a partial file" {
  write_expired_env
  stop=$BATS_TEST_TMPDIR/stop
  result=$BATS_TEST_TMPDIR/reader
  (
    reads=0 bad=0
    while [ ! -e "$stop" ]; do
      c=$(cat "$ENV_FILE"; echo .) # the dot keeps the final newline
      c=${c%.}
      case $c in
        "# zoom-mcp settings"*"ZOOM_ACCESS_TOKEN=eyJ"*"ZOOM_TOKEN_EXPIRES_AT="[0-9]*"# the end"$'\n') ;;
        "# zoom-mcp settings"*"ZOOM_ACCESS_TOKEN=old-token-1234567890abcd"*"# the end"$'\n') ;;
        *) bad=$((bad + 1)); printf '%s\n----\n' "$c" >>"$result.bad" ;;
      esac
      reads=$((reads + 1))
    done
    echo "$reads $bad" >"$result"
  ) 3>&- &
  reader=$!
  for i in $(seq 1 50); do
    "$SCRIPTS/get_zoom_token.sh" -f -q || flunk "refresh $i failed"
  done
  touch "$stop"
  wait "$reader"
  read -r reads bad <"$result"
  [ "$bad" -eq 0 ] || flunk "$bad partial reads: $(head -20 "$result.bad")"
  [ "$reads" -ge 20 ] || flunk "only $reads reads"
}

# --- where it runs from ---------------------------------------------------------

@test "run from / in a minimal environment, it finds the project's .env" {
  write_expired_env
  cd /
  run env -i HOME="$HOME" PATH="$(minimal_path)" "$SCRIPTS/get_zoom_token.sh"
  assert_success
  assert_line 0 "📋 Token fetched successfully"
  grep -q '^ZOOM_ACCESS_TOKEN=eyJ' "$ENV_FILE"
}

@test "run through a symlink and by a relative path, it finds lib/ and the .env" {
  write_expired_env
  mkdir -p "$HOME/bin"
  ln -s "$SCRIPTS/get_zoom_token.sh" "$HOME/bin/get-zoom-token"
  cd /
  run "$HOME/bin/get-zoom-token"
  assert_success
  assert_line 0 "📋 Token fetched successfully"
  cd "$SCRIPTS"
  run ./get_zoom_token.sh
  assert_success
  assert_output_contains "no request made"
}

# --- review fixes -----------------------------------------------------------------

@test "the user's ~/.curlrc is not read: curl's first argument is -q" {
  unset CURL_HOME
  write_expired_env
  install_curl_wrapper
  # "include" would put the headers before the body; "trace-ascii" would write the
  # Basic credentials and the new token to a file.
  printf '%s\n' include "trace-ascii = $HOME/curl-trace.txt" >"$HOME/.curlrc"
  run --separate-stderr "$SCRIPTS/get_zoom_token.sh" -f
  assert_success
  assert_line 0 "📋 Token fetched successfully"
  [ ! -e "$HOME/curl-trace.txt" ] || flunk "curl read ~/.curlrc and traced the request"
  case $(head -n 1 "$CURL_ARGV_LOG") in
    "curl -q "*) ;;
    *) flunk "curl's first argument is not -q: $(head -n 1 "$CURL_ARGV_LOG")" ;;
  esac
}

@test "only .env's token decides: a valid token in the environment does not skip the fetch" {
  write_env "$(sim_env_lines)" "ZOOM_ACCESS_TOKEN=" "ZOOM_TOKEN_EXPIRES_AT="
  before=$(sim_token_requests)
  ZOOM_FAKE_NOW=$NOW ZOOM_ACCESS_TOKEN=env-token-abcdefgh1234 ZOOM_TOKEN_EXPIRES_AT=$((NOW + 3600)) \
    run "$SCRIPTS/get_zoom_token.sh"
  assert_success
  assert_line 0 "📋 Token fetched successfully"
  new=$(token_in_env)
  assert_line 1 "🔄 (none) → ${new:0:4}...${new: -4}"
  assert_equal $((before + 1)) "$(sim_token_requests)"
}

@test "test hooks are read from the environment only, never from .env (ZOOM_FAKE_NOW there is ignored)" {
  write_env "$(sim_env_lines)" "ZOOM_ACCESS_TOKEN=old-token-1234567890abcd" "ZOOM_TOKEN_EXPIRES_AT=1000" \
    "ZOOM_FAKE_NOW=500" "ZOOM_QUIET=1" "ZOOM_NO_FLOCK=1"
  start=$(date +%s)
  run "$SCRIPTS/get_zoom_token.sh"
  assert_success
  assert_line 0 "📋 Token fetched successfully"
  exp=$(expiry_in_env)
  [ "$exp" -ge $((start + 3600)) ] && [ "$exp" -le $(($(date +%s) + 3600)) ] ||
    flunk "the expiry was computed from a fake clock: $exp (now is about $start)"
}

@test "an inline comment after a token line is kept, with export and the quotes" {
  write_env "$(sim_env_lines)" \
    'export ZOOM_ACCESS_TOKEN="old-token-1234567890abcd"   # set by get_zoom_token' \
    "ZOOM_TOKEN_EXPIRES_AT=1000 # epoch seconds"
  ZOOM_FAKE_NOW=$NOW run "$SCRIPTS/get_zoom_token.sh"
  assert_success
  new=$(sed -n 's/^export ZOOM_ACCESS_TOKEN="\(eyJ.*\)"   # set by get_zoom_token$/\1/p' "$ENV_FILE")
  [ -n "$new" ] || flunk "the token line lost its comment: $(grep TOKEN= "$ENV_FILE")"
  grep -qx "ZOOM_TOKEN_EXPIRES_AT=$((NOW + 3600)) # epoch seconds" "$ENV_FILE" ||
    flunk "the expiry line lost its comment: $(grep EXPIRES "$ENV_FILE")"
  # an empty value followed by a comment ("KEY= #x") gets its value before the comment
  write_env "$(sim_env_lines)" "ZOOM_ACCESS_TOKEN= # none yet" "ZOOM_TOKEN_EXPIRES_AT='' # none yet"
  ZOOM_FAKE_NOW=$NOW run "$SCRIPTS/get_zoom_token.sh"
  assert_success
  grep -qx "ZOOM_ACCESS_TOKEN= eyJ[^ ]* # none yet" "$ENV_FILE" || flunk "$(grep TOKEN= "$ENV_FILE")"
  grep -qx "ZOOM_TOKEN_EXPIRES_AT='$((NOW + 3600))' # none yet" "$ENV_FILE" || flunk "$(grep EXPIRES "$ENV_FILE")"
  ZOOM_FAKE_NOW=$NOW run "$SCRIPTS/check_zoom_token.sh" --json
  assert_success "{\"state\":\"fresh\",\"expires_at\":$((NOW + 3600)),\"seconds_left\":3600}"
}

@test "combined short flags (-fq, -qt300) and -- are accepted; an operand after -- is not" {
  write_expired_env
  before=$(sim_token_requests)
  run --separate-stderr "$SCRIPTS/get_zoom_token.sh" -fq
  assert_success
  refute_output
  assert_equal "" "$stderr"
  assert_equal $((before + 1)) "$(sim_token_requests)"
  run --separate-stderr "$SCRIPTS/get_zoom_token.sh" -qt300 --
  assert_success
  refute_output
  run --separate-stderr "$SCRIPTS/get_zoom_token.sh" -qt 300
  assert_success
  assert_equal $((before + 1)) "$(sim_token_requests)"
  run --separate-stderr "$SCRIPTS/get_zoom_token.sh" -- -f
  assert_status 2
  case $stderr in "ERROR: unexpected argument: -f"$'\n'"Usage: get_zoom_token.sh"*) ;; *) flunk "stderr: $stderr" ;; esac
  run --separate-stderr "$SCRIPTS/get_zoom_token.sh" -fx
  assert_status 2
  case $stderr in "ERROR: unknown option: -x"$'\n'"Usage:"*) ;; *) flunk "stderr: $stderr" ;; esac
  assert_equal $((before + 1)) "$(sim_token_requests)"
}

@test "a bad ZOOM_TOKEN_THRESHOLD is a configuration error naming the setting: exit 2, no usage" {
  write_expired_env
  ZOOM_TOKEN_THRESHOLD=1m run --separate-stderr "$SCRIPTS/get_zoom_token.sh"
  assert_status 2
  assert_equal "ERROR: ZOOM_TOKEN_THRESHOLD must be a whole number of seconds (got '1m'); fix it in $ENV_FILE or the environment" "$stderr"
}

@test "run through a symlinked scripts folder, it finds the project's .env (root resolved physically)" {
  write_expired_env
  mkdir -p "$BATS_TEST_TMPDIR/elsewhere"
  ln -s "$SCRIPTS" "$BATS_TEST_TMPDIR/elsewhere/zs"
  cd /
  run "$BATS_TEST_TMPDIR/elsewhere/zs/get_zoom_token.sh"
  assert_success
  assert_line 0 "📋 Token fetched successfully"
  grep -q '^ZOOM_ACCESS_TOKEN=eyJ' "$ENV_FILE" || flunk "the project's .env was not updated"
  [ ! -e "$BATS_TEST_TMPDIR/elsewhere/.env" ] || flunk "wrote an .env beside the link"
}

# --- the refresh history (issue 15) -----------------------------------------------------------

LOG_LINES=() # set by read_log: the log's lines
read_log() {
  local line
  LOG_LINES=()
  while IFS= read -r line; do LOG_LINES+=("$line"); done <"$PROJECT/zoom-token.log"
}

@test "history: a fetch writes started and succeeded, masked, 0600; by is who ran it" {
  write_expired_env
  ZOOM_FAKE_NOW=$NOW run "$SCRIPTS/get_zoom_token.sh"
  assert_success
  new=$(token_in_env)
  read_log
  assert_equal 2 "${#LOG_LINES[@]}"
  assert_equal '{"ts":"2030-03-17T17:46:40Z","event":"fetch_started","by":"script","forced":false,"token_left_s":-1899999000}' "${LOG_LINES[0]}"
  jq -e --arg new "${new:0:4}...${new: -4}" '.event == "fetch_succeeded" and .by == "script"
    and .expires_at == 1900003600 and .old == "old-...abcd" and .new == $new
    and (.duration_s | type) == "number" and .duration_s > 0 and .duration_s < 15' <<<"${LOG_LINES[1]}" >/dev/null ||
    flunk "${LOG_LINES[1]}"
  assert_equal 600 "$(file_mode "$PROJECT/zoom-token.log")"
  case $(cat "$PROJECT/zoom-token.log") in *"$new"* | *"$SECRET"* | *old-token-1234567890abcd*) flunk "a secret in the log" ;; esac
  # the monitor, run.sh and the 401 path say who they are; anything else is a person
  ZOOM_FAKE_NOW=$NOW ZOOM_HISTORY_BY=monitor run "$SCRIPTS/get_zoom_token.sh"
  ZOOM_FAKE_NOW=$NOW ZOOM_HISTORY_BY=401 run "$SCRIPTS/get_zoom_token.sh" -t 5000
  ZOOM_FAKE_NOW=$NOW ZOOM_HISTORY_BY=nobody run "$SCRIPTS/get_zoom_token.sh"
  read_log
  assert_equal '{"ts":"2030-03-17T17:46:40Z","event":"token_valid","by":"monitor","token_left_s":3600}' "${LOG_LINES[2]}"
  assert_equal "fetch_started 401 fetch_succeeded 401 token_valid script" \
    "$(tail -n 3 "$PROJECT/zoom-token.log" | jq -r '"\(.event) \(.by)"' | tr '\n' ' ' | sed 's/ $//')"
}

@test "history: failures say their exit code, reason and what stays in use" {
  write_expired_env
  sim_fault '{"target":"token","mode":"error","status":503}'
  ZOOM_FAKE_NOW=$NOW run "$SCRIPTS/get_zoom_token.sh" -f
  assert_status 1
  assert_equal '{"ts":"2030-03-17T17:46:40Z","event":"fetch_failed","by":"script","exit":1,"reason":"HTTP 503: Service Unavailable","token_left_s":-1899999000}' \
    "$(tail -n 1 "$PROJECT/zoom-token.log")"
  sim_reset
  sim_fault '{"target":"token","mode":"invalid_client"}'
  write_env "$(sim_env_lines)" "ZOOM_ACCESS_TOKEN=still-good-token-1234" "ZOOM_TOKEN_EXPIRES_AT=$((NOW + 1740))"
  ZOOM_FAKE_NOW=$NOW run "$SCRIPTS/get_zoom_token.sh" -f
  assert_status 3
  assert_equal '{"ts":"2030-03-17T17:46:40Z","event":"fetch_failed","by":"script","exit":3,"reason":"credentials rejected: HTTP 400 invalid_client: Invalid client_id or client_secret","token_left_s":1740}' \
    "$(tail -n 1 "$PROJECT/zoom-token.log")"
  # a configuration error once a request is due: no fetch started, the failure logged
  write_env "ZOOM_ACCOUNT_ID=a" "ZOOM_CLIENT_ID=b"
  ZOOM_FAKE_NOW=$NOW run "$SCRIPTS/get_zoom_token.sh"
  assert_status 2
  assert_equal '{"ts":"2030-03-17T17:46:40Z","event":"fetch_failed","by":"script","exit":2,"reason":"missing credentials: ZOOM_CLIENT_SECRET","token_left_s":null}' \
    "$(tail -n 1 "$PROJECT/zoom-token.log")"
  # a usage error is no fetch at all
  lines_before=$(wc -l <"$PROJECT/zoom-token.log")
  run "$SCRIPTS/get_zoom_token.sh" --bogus
  assert_status 2
  assert_equal "$lines_before" "$(wc -l <"$PROJECT/zoom-token.log")"
}

@test "history: a run ended by a signal while it waits says so" {
  write_expired_env
  sim_fault '{"target":"token","mode":"slow","delay":2,"count":1}'
  ZOOM_FAKE_NOW=$NOW "$SCRIPTS/get_zoom_token.sh" -f 3>&- &
  pid=$!
  # fetch_started is written just before the request: then the script waits on curl
  wait_until 20 'grep -q fetch_started "$PROJECT/zoom-token.log" 2>/dev/null'
  kill -TERM "$pid"
  rc=0
  wait "$pid" || rc=$?
  assert_equal 143 "$rc"
  assert_equal '{"ts":"2030-03-17T17:46:40Z","event":"fetch_failed","by":"script","exit":143,"reason":"interrupted (signal 15)","token_left_s":-1899999000}' \
    "$(tail -n 1 "$PROJECT/zoom-token.log")"
}

@test "history: ZOOM_HISTORY=0 (environment or .env) writes nothing" {
  write_expired_env
  ZOOM_HISTORY=0 run "$SCRIPTS/get_zoom_token.sh"
  assert_success
  printf 'ZOOM_HISTORY=off\n' >>"$ENV_FILE"
  run "$SCRIPTS/get_zoom_token.sh" -f
  assert_success
  [ ! -e "$PROJECT/zoom-token.log" ] || flunk "a log was written: $(cat "$PROJECT/zoom-token.log")"
}

@test "history: a log that cannot be written: one warning, the refresh succeeds" {
  write_expired_env
  mkdir "$PROJECT/zoom-token.log" # a folder where the file should be
  run --separate-stderr "$SCRIPTS/get_zoom_token.sh"
  assert_success
  assert_line 0 "📋 Token fetched successfully"
  assert_equal "WARNING: cannot write the refresh history to $PROJECT/zoom-token.log (check that its folder is writable and has free space); going on without it (ZOOM_HISTORY=0 turns it off)" "$stderr"
  grep -q '^ZOOM_ACCESS_TOKEN=eyJ' "$ENV_FILE" || flunk ".env was not updated"
}

@test "history: past ZOOM_HISTORY_MAX_BYTES it rotates to .1 .2 .3, the oldest dropped" {
  write_env "$(sim_env_lines)" "ZOOM_ACCESS_TOKEN=valid-token-1234567890" "ZOOM_TOKEN_EXPIRES_AT=$((NOW + 3600))"
  # each run adds one token_valid line of 86 bytes: a file holds 2 (the write past 100 rotates)
  for i in 1 2 3 4 5 6 7 8 9; do
    ZOOM_FAKE_NOW=$((NOW + i)) ZOOM_HISTORY_MAX_BYTES=100 run "$SCRIPTS/get_zoom_token.sh" -q
    assert_success
  done
  left() { [ -e "$1" ] || return 0; jq -r '.token_left_s' "$1" | tr '\n' ' ' | sed 's/ $//'; }
  assert_equal "3591" "$(left "$PROJECT/zoom-token.log")"
  assert_equal "3593 3592" "$(left "$PROJECT/zoom-token.log.1")"
  assert_equal "3595 3594" "$(left "$PROJECT/zoom-token.log.2")"
  assert_equal "3597 3596" "$(left "$PROJECT/zoom-token.log.3")"
  [ ! -e "$PROJECT/zoom-token.log.4" ] || flunk "a fourth copy"
  [ ! -e "$PROJECT/zoom-token.log.lock.d" ] || flunk "the rotation's lock was left"
}
