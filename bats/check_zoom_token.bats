#!/usr/bin/env bats
# check_zoom_token.sh: the status line, --json, the exit codes. No network.

load test_helper

setup() {
  kit_setup
  export TZ=UTC
  T0=1800000000 # 2027-01-15 08:00:00 UTC
  TOKEN=eyJzdiI6IjAwMDAwMSJ9.payload-for-tests.signature-NTMz
}

# env_with LEFT: a token expiring LEFT seconds after T0.
env_with() {
  write_env "# test" "ZOOM_ACCESS_TOKEN=$TOKEN" "ZOOM_TOKEN_EXPIRES_AT=$((T0 + $1))"
}

# A JWT whose payload carries CLAIMS (JSON), base64url without padding.
make_jwt() {
  local p
  p=$(printf '%s' "$1" | base64 | tr -d '\n=' | tr '/+' '_-')
  printf 'eyJzdiI6IjAwMDAwMSIsImFsZyI6IkhTNTEyIn0.%s.c2lnbmF0dXJl\n' "$p"
}

@test "-h and --help print the usage header and exit 0" {
  run "$SCRIPTS/check_zoom_token.sh" --help
  assert_success
  assert_line 0 "Usage: check_zoom_token.sh [-t SECONDS] [-v] [--json]"
  run "$SCRIPTS/check_zoom_token.sh" -h
  assert_success
  assert_line 0 "Usage: check_zoom_token.sh [-t SECONDS] [-v] [--json]"
}

@test "an unknown option or a bad -t: usage on stderr, exit 2" {
  run --separate-stderr "$SCRIPTS/check_zoom_token.sh" --nope
  assert_status 2
  refute_output
  case $stderr in "ERROR: unknown option: --nope"$'\n'"Usage: check_zoom_token.sh"*) ;; *) flunk "stderr: $stderr" ;; esac
  run "$SCRIPTS/check_zoom_token.sh" -t
  assert_status 2
  run "$SCRIPTS/check_zoom_token.sh" -t 1m
  assert_status 2
}

@test "the status line at each boundary, the same as token_monitor.format_status" {
  while IFS='|' read -r left text; do
    env_with "$left"
    ZOOM_FAKE_NOW=$T0 run "$SCRIPTS/check_zoom_token.sh"
    assert_output "🔑 Token Status: $text"
  done <<'EOF'
3605|✅ Expires in 1h 0m 5s (at 9:00:05 AM)
901|✅ Expires in 15m 1s (at 8:15:01 AM)
900|📊 Expires in 15m 0s (at 8:15:00 AM)
899|📊 Expires in 14m 59s (at 8:14:59 AM)
301|📊 Expires in 5m 1s (at 8:05:01 AM)
300|📊 Expires in 5m 0s (at 8:05:00 AM)
299|⚠️ Expires in 4m 59s (at 8:04:59 AM)
45|⚠️ Expires in 45s (at 8:00:45 AM)
1|⚠️ Expires in 1s (at 8:00:01 AM)
0|❌ Expired 0s ago
-1|❌ Expired 1s ago
-182|❌ Expired 3m 2s ago
-7384|❌ Expired 2h 3m 4s ago
EOF
}

@test "12-hour clock without a leading zero; noon and midnight; TZ respected" {
  env_with $((5 * 3600 + 51 * 60 + 23))
  ZOOM_FAKE_NOW=$((T0 + 5 * 3600 + 51 * 60 + 23 - 3449)) run "$SCRIPTS/check_zoom_token.sh"
  assert_output "🔑 Token Status: ✅ Expires in 57m 29s (at 1:51:23 PM)"
  env_with $((4 * 3600))
  ZOOM_FAKE_NOW=$T0 run "$SCRIPTS/check_zoom_token.sh"
  assert_output "🔑 Token Status: ✅ Expires in 4h 0m 0s (at 12:00:00 PM)"
  env_with $((16 * 3600))
  ZOOM_FAKE_NOW=$T0 run "$SCRIPTS/check_zoom_token.sh"
  assert_output "🔑 Token Status: ✅ Expires in 16h 0m 0s (at 12:00:00 AM)"
  env_with 3600
  TZ=America/New_York ZOOM_FAKE_NOW=$T0 run "$SCRIPTS/check_zoom_token.sh"
  assert_output "🔑 Token Status: ✅ Expires in 1h 0m 0s (at 4:00:00 AM)"
}

@test "the bash 3.2 path (date instead of printf %()T) prints the same lines" {
  for left in 3605 899 45 $((5 * 3600 + 51 * 60 + 23)); do
    env_with "$left"
    ZOOM_FAKE_NOW=$T0 run "$SCRIPTS/check_zoom_token.sh"
    expected=$output
    _ZOOM_NO_PRINTF_T=1 ZOOM_FAKE_NOW=$T0 run "$SCRIPTS/check_zoom_token.sh"
    assert_output "$expected"
  done
  assert_output "🔑 Token Status: ✅ Expires in 5h 51m 23s (at 1:51:23 PM)"
}

@test "byte-identical to token_monitor.format_status" {
  # The monitor is part of the product: missing or broken, it fails this test (no skip).
  [ -f "$KIT_SRC_ROOT/token_monitor.py" ] || flunk "token_monitor.py is missing"
  lefts="3605 901 900 299 1 0 -182 21083"
  py=$(cd "$KIT_SRC_ROOT" && TZ=UTC "$KIT_PYTHON" -c '
import sys, token_monitor as tm
t0 = int(sys.argv[1])
for left in sys.argv[2:]:
    print(tm.format_status(t0 + int(left), t0))
print(tm.format_status(None, t0))' "$T0" $lefts 2>&1) || flunk "token_monitor does not import: $py"
  sh=''
  for left in $lefts; do
    env_with "$left"
    sh=$sh$(ZOOM_FAKE_NOW=$T0 "$SCRIPTS/check_zoom_token.sh")$'\n' || :
  done
  write_env "ZOOM_ACCESS_TOKEN="
  sh=$sh$("$SCRIPTS/check_zoom_token.sh")$'\n' || :
  assert_equal "$py"$'\n' "$sh"
}

@test "no token: ❌ No token, exit 1; an expiry without a token is still no token" {
  write_env "ZOOM_ACCESS_TOKEN=" "ZOOM_TOKEN_EXPIRES_AT=$((T0 + 3600))"
  ZOOM_FAKE_NOW=$T0 run "$SCRIPTS/check_zoom_token.sh"
  assert_status 1
  assert_output "🔑 Token Status: ❌ No token"
  rm "$ENV_FILE"
  run "$SCRIPTS/check_zoom_token.sh"
  assert_status 1
  assert_output "🔑 Token Status: ❌ No token"
}

@test "exit codes: the threshold one second either side, -t and ZOOM_TOKEN_THRESHOLD" {
  env_with 61
  ZOOM_FAKE_NOW=$T0 run "$SCRIPTS/check_zoom_token.sh"
  assert_status 0
  env_with 60
  ZOOM_FAKE_NOW=$T0 run "$SCRIPTS/check_zoom_token.sh"
  assert_status 1
  env_with 59
  ZOOM_FAKE_NOW=$T0 run "$SCRIPTS/check_zoom_token.sh"
  assert_status 1
  env_with 301
  ZOOM_FAKE_NOW=$T0 run "$SCRIPTS/check_zoom_token.sh" -t 300
  assert_status 0
  ZOOM_FAKE_NOW=$T0 run "$SCRIPTS/check_zoom_token.sh" -t 301
  assert_status 1
  ZOOM_FAKE_NOW=$T0 ZOOM_TOKEN_THRESHOLD=302 run "$SCRIPTS/check_zoom_token.sh"
  assert_status 1
  write_env "ZOOM_ACCESS_TOKEN=$TOKEN" "ZOOM_TOKEN_EXPIRES_AT=$((T0 + 301))" "ZOOM_TOKEN_THRESHOLD=300"
  ZOOM_FAKE_NOW=$T0 run "$SCRIPTS/check_zoom_token.sh"
  assert_status 0
  env_with -5
  ZOOM_FAKE_NOW=$T0 run "$SCRIPTS/check_zoom_token.sh" -t 0
  assert_status 1
}

@test "--json prints only the state, expiry and seconds left" {
  while IFS='|' read -r left state; do
    env_with "$left"
    ZOOM_FAKE_NOW=$T0 run --separate-stderr "$SCRIPTS/check_zoom_token.sh" --json
    assert_output "{\"state\":\"$state\",\"expires_at\":$((T0 + left)),\"seconds_left\":$left}"
    assert_equal "" "$stderr"
    printf '%s' "$output" | jq -e . >/dev/null
  done <<'EOF'
901|fresh
900|expiring
300|expiring
299|critical
1|critical
0|expired
-3|expired
EOF
  write_env "ZOOM_ACCESS_TOKEN="
  run "$SCRIPTS/check_zoom_token.sh" --json
  assert_status 1
  assert_output '{"state":"missing","expires_at":null,"seconds_left":null}'
}

@test "without ZOOM_TOKEN_EXPIRES_AT, the JWT's exp claim (base64url, unpadded)" {
  # ">>>" and "???" make base64 emit + and /, which base64url writes as - and _
  for claims in "{\"aud\":\">>>???\",\"exp\":$((T0 + 1000)),\"iat\":$((T0 - 2600))}" \
    "{\"exp\":$((T0 + 1000))}" "{\"x\":1,\"exp\": $((T0 + 1000)) }"; do
    jwt=$(make_jwt "$claims")
    write_env "ZOOM_ACCESS_TOKEN=$jwt"
    ZOOM_FAKE_NOW=$T0 run "$SCRIPTS/check_zoom_token.sh" --json
    assert_output "{\"state\":\"fresh\",\"expires_at\":$((T0 + 1000)),\"seconds_left\":1000}"
  done
  ZOOM_FAKE_NOW=$T0 run "$SCRIPTS/check_zoom_token.sh" -v
  assert_line 0 "🔑 Token Status: ✅ Expires in 16m 40s (at 8:16:40 AM)"
  assert_line "   Expires at: $((T0 + 1000)) (from JWT exp claim)"
  # ZOOM_TOKEN_EXPIRES_AT comes first
  write_env "ZOOM_ACCESS_TOKEN=$jwt" "ZOOM_TOKEN_EXPIRES_AT=$((T0 + 100))"
  ZOOM_FAKE_NOW=$T0 run "$SCRIPTS/check_zoom_token.sh" --json
  assert_output "{\"state\":\"critical\",\"expires_at\":$((T0 + 100)),\"seconds_left\":100}"
  # not a JWT, or no exp: no expiry known
  write_env "ZOOM_ACCESS_TOKEN=not-a-jwt-token-at-all"
  run "$SCRIPTS/check_zoom_token.sh"
  assert_status 1
  assert_output "🔑 Token Status: ❌ No token"
  write_env "ZOOM_ACCESS_TOKEN=$(make_jwt '{"iat":1}')"
  run "$SCRIPTS/check_zoom_token.sh"
  assert_status 1
}

@test "-v adds the masked token, never the token itself" {
  env_with 3600
  ZOOM_FAKE_NOW=$T0 run "$SCRIPTS/check_zoom_token.sh" -v
  assert_success
  assert_line 0 "🔑 Token Status: ✅ Expires in 1h 0m 0s (at 9:00:00 AM)"
  assert_line "   Token:      eyJz...NTMz"
  assert_line "   Env file:   $ENV_FILE"
  refute_output_contains "$TOKEN"
}

@test ".env's token wins over the environment's; the environment's is used when .env has none" {
  env_with 3600
  ZOOM_FAKE_NOW=$T0 ZOOM_ACCESS_TOKEN=stale-from-claude-config ZOOM_TOKEN_EXPIRES_AT=$((T0 - 10)) \
    run "$SCRIPTS/check_zoom_token.sh" --json
  assert_output "{\"state\":\"fresh\",\"expires_at\":$((T0 + 3600)),\"seconds_left\":3600}"
  write_env "# no token here" "ZOOM_TOKEN_EXPIRES_AT="
  ZOOM_FAKE_NOW=$T0 ZOOM_ACCESS_TOKEN=$TOKEN ZOOM_TOKEN_EXPIRES_AT=$((T0 + 700)) \
    run "$SCRIPTS/check_zoom_token.sh" --json
  assert_output "{\"state\":\"expiring\",\"expires_at\":$((T0 + 700)),\"seconds_left\":700}"
  ZOOM_ENV_FILE=$BATS_TEST_TMPDIR/elsewhere.env ZOOM_FAKE_NOW=$T0 ZOOM_ACCESS_TOKEN=$TOKEN \
    ZOOM_TOKEN_EXPIRES_AT=$((T0 + 700)) run "$SCRIPTS/check_zoom_token.sh" --json
  assert_output "{\"state\":\"expiring\",\"expires_at\":$((T0 + 700)),\"seconds_left\":700}"
}

@test ".env values: CRLF, export, quotes and spaces are read like python-dotenv" {
  printf 'export ZOOM_ACCESS_TOKEN = "%s"\r\nZOOM_TOKEN_EXPIRES_AT='"'"'%s'"'"' # written by get\r\n' \
    "$TOKEN" "$((T0 + 1000))" >"$ENV_FILE"
  ZOOM_FAKE_NOW=$T0 run "$SCRIPTS/check_zoom_token.sh" --json
  assert_output "{\"state\":\"fresh\",\"expires_at\":$((T0 + 1000)),\"seconds_left\":1000}"
  printf 'ZOOM_ACCESS_TOKEN=%s\nZOOM_TOKEN_EXPIRES_AT=%s' "$TOKEN" "$((T0 + 10))" >"$ENV_FILE" # no final newline
  ZOOM_FAKE_NOW=$T0 run "$SCRIPTS/check_zoom_token.sh" --json
  assert_output "{\"state\":\"critical\",\"expires_at\":$((T0 + 10)),\"seconds_left\":10}"
}

@test "no Python, no network: curl, python, jq and friends are never run" {
  for c in curl python python3 jq wget nc; do
    stub "$c" 'exit 1'
  done
  env_with 3600
  run "$SCRIPTS/check_zoom_token.sh"
  assert_success
  write_env "ZOOM_ACCESS_TOKEN=$(make_jwt "{\"exp\":$((T0 + 1000))}")"
  ZOOM_FAKE_NOW=$T0 run "$SCRIPTS/check_zoom_token.sh" --json
  assert_output "{\"state\":\"fresh\",\"expires_at\":$((T0 + 1000)),\"seconds_left\":1000}"
  assert_equal "" "$(cat "$STUB_LOG")"
}

# What makes it cheap is that it starts no program (its speed is measured in bench/, kit group).
@test "forks nothing: no external command on bash >= 4.2, date alone on bash 3.2" {
  env_with 3600
  # A PATH of one folder holding only a date that logs its calls: any other external command
  # is "command not found", which fails the run (set -e). bash >= 4.2 formats the clock itself
  # (printf %()T); bash 3.2 has to ask date.
  local tools=$BATS_TEST_TMPDIR/only-date real_date version
  real_date=$(PATH=$KIT_ORIG_PATH command -v date)
  mkdir "$tools"
  printf '#!%s\nprintf "date %%s\\n" "$*" >>%q\nexec %q "$@"\n' "$KIT_BASH" "$STUB_LOG" "$real_date" >"$tools/date"
  chmod +x "$tools/date"
  version=$("$KIT_BASH" -c 'echo $((BASH_VERSINFO[0] * 100 + BASH_VERSINFO[1]))')
  for args in '' --json -v; do
    : >"$STUB_LOG"
    run env -i HOME="$HOME" PATH="$tools" TZ=UTC ZOOM_FAKE_NOW=$T0 "$KIT_BASH" "$SCRIPTS/check_zoom_token.sh" ${args:+"$args"}
    assert_success
    case $args in
      --json) assert_output '{"state":"fresh","expires_at":1800003600,"seconds_left":3600}' ;;
      *) assert_line 0 "🔑 Token Status: ✅ Expires in 1h 0m 0s (at 9:00:00 AM)" ;;
    esac
    if [ "$version" -ge 402 ]; then
      assert_equal "" "$(cat "$STUB_LOG")"
    else
      [ -s "$STUB_LOG" ] || flunk "bash $version formats the clock with date, which was not called"
      ! grep -v '^date ' "$STUB_LOG" || flunk "not date: $(cat "$STUB_LOG")"
    fi
  done
}

@test "run from / in a minimal environment, it finds the project's .env" {
  env_with 3600
  cd /
  run env -i HOME="$HOME" PATH="$(minimal_path)" TZ=UTC ZOOM_FAKE_NOW=$T0 "$SCRIPTS/check_zoom_token.sh"
  assert_success "🔑 Token Status: ✅ Expires in 1h 0m 0s (at 9:00:00 AM)"
}

# --- review fixes -----------------------------------------------------------------

@test "the help names exit 2 as a usage or configuration error" {
  run "$SCRIPTS/check_zoom_token.sh" --help
  assert_success
  assert_line "  2  usage or configuration error (a bad option or setting, an unreadable .env)"
}

@test "a bad ZOOM_TOKEN_THRESHOLD (environment or .env) is a configuration error: exit 2, no usage" {
  env_with 3600
  ZOOM_TOKEN_THRESHOLD=1m run --separate-stderr "$SCRIPTS/check_zoom_token.sh"
  assert_status 2
  refute_output
  assert_equal "ERROR: ZOOM_TOKEN_THRESHOLD must be a whole number of seconds (got '1m'); fix it in $ENV_FILE or the environment" "$stderr"
  write_env "ZOOM_ACCESS_TOKEN=$TOKEN" "ZOOM_TOKEN_EXPIRES_AT=$((T0 + 3600))" "ZOOM_TOKEN_THRESHOLD=-5"
  run --separate-stderr "$SCRIPTS/check_zoom_token.sh"
  assert_status 2
  assert_equal "ERROR: ZOOM_TOKEN_THRESHOLD must be a whole number of seconds (got '-5'); fix it in $ENV_FILE or the environment" "$stderr"
  # a bad -t stays a usage error
  run --separate-stderr "$SCRIPTS/check_zoom_token.sh" -t 1m
  assert_status 2
  case $stderr in "ERROR: the threshold must be a whole number of seconds (got '1m')"$'\n'"Usage: check_zoom_token.sh"*) ;; *) flunk "stderr: $stderr" ;; esac
}

@test "combined short flags (-vt 300, -t301) and -- are accepted" {
  env_with 301
  ZOOM_FAKE_NOW=$T0 run "$SCRIPTS/check_zoom_token.sh" -vt 300
  assert_success
  assert_line "   Threshold:  300s"
  ZOOM_FAKE_NOW=$T0 run "$SCRIPTS/check_zoom_token.sh" -t301 --json --
  assert_status 1
  assert_output "{\"state\":\"expiring\",\"expires_at\":$((T0 + 301)),\"seconds_left\":301}"
  run --separate-stderr "$SCRIPTS/check_zoom_token.sh" -- --json
  assert_status 2
  case $stderr in "ERROR: unexpected argument: --json"$'\n'"Usage: check_zoom_token.sh"*) ;; *) flunk "stderr: $stderr" ;; esac
}

@test "through a symlinked scripts folder, the project root is the real one" {
  env_with 3600
  mkdir -p "$BATS_TEST_TMPDIR/x"
  ln -s "$SCRIPTS" "$BATS_TEST_TMPDIR/x/zs"
  cd /
  ZOOM_FAKE_NOW=$T0 run "$BATS_TEST_TMPDIR/x/zs/check_zoom_token.sh" -v
  assert_success
  assert_line "   Env file:   $PROJECT/.env"
  # and a ".." after the link (x/zs/.. is the project, not x)
  ZOOM_FAKE_NOW=$T0 run "$BATS_TEST_TMPDIR/x/zs/../scripts/check_zoom_token.sh" -v
  assert_success
  assert_line "   Env file:   $PROJECT/.env"
}

@test "test hooks in .env are ignored: ZOOM_FAKE_NOW there does not fake the clock" {
  write_env "ZOOM_ACCESS_TOKEN=$TOKEN" "ZOOM_TOKEN_EXPIRES_AT=1000" "ZOOM_FAKE_NOW=500"
  run "$SCRIPTS/check_zoom_token.sh"
  assert_status 1
  case $output in "🔑 Token Status: ❌ Expired "*) ;; *) flunk "output: $output" ;; esac
  # the environment's still works
  ZOOM_FAKE_NOW=500 run "$SCRIPTS/check_zoom_token.sh" --json
  assert_success '{"state":"expiring","expires_at":1000,"seconds_left":500}'
}

# --- --history (issue 15) ---------------------------------------------------------------------

# Every event the kit and the monitor write, as they write it (2027-01-15, UTC).
history_log() {
  cat >"$PROJECT/zoom-token.log" <<'LOG'
{"ts":"2027-01-15T21:29:00Z","event":"token_valid","by":"run.sh","token_left_s":3420}
{"ts":"2027-01-15T21:32:11Z","event":"fetch_started","by":"monitor","forced":false,"token_left_s":299}
{"ts":"2027-01-15T21:32:11Z","event":"fetch_succeeded","by":"monitor","duration_s":0.140123,"expires_at":1800052331,"old":"eyJz...NTMz","new":"eyJz...AbCd"}
{"ts":"2027-01-15T21:32:11Z","event":"config_updated","by":"monitor","mode":"update","token":"eyJz...AbCd"}
{"ts":"2027-01-15T21:32:12Z","event":"restart_skipped","by":"monitor","why":"launched by Claude Desktop"}
not a line of ours
{"ts":"2027-01-15T22:02:40Z","event":"unauthorized","by":"401","followed":"refresh"}
{"ts":"2027-01-15T22:02:40Z","event":"fetch_started","by":"401","forced":true,"token_left_s":1740}
{"ts":"2027-01-15T22:02:40Z","event":"fetch_failed","by":"401","exit":1,"reason":"timeout after 15 s","token_left_s":1740}
{"ts":"2027-01-15T22:02:55Z","event":"unauthorized","by":"401","followed":"cooldown","retry_at":1800050590}
{"ts":"2027-01-15T22:03:10Z","event":"fetch_failed","by":"monitor","exit":null,"reason":"killed: timed out after 120 s","token_left_s":1710}
{"ts":"2027-01-15T22:03:40Z","event":"fetch_failed","by":"monitor","exit":3,"reason":"credentials rejected: HTTP 400 invalid_client","token_left_s":-20}
{"ts":"2027-01-15T22:03:40Z","event":"auto_refresh_disabled","by":"monitor","failures":3,"recover":"./scripts/get_zoom_token.sh -f"}
{"ts":"2027-01-15T22:04:00Z","event":"unauthorized","by":"401","followed":"disabled"}
{"ts":"2027-01-15T22:30:00Z","event":"fetch_started","by":"script","forced":true,"token_left_s":null}
{"ts":"2027-01-15T22:30:00Z","event":"fetch_succeeded","by":"script","duration_s":0.004,"expires_at":1800055800,"old":"(none)","new":"eyJz...WxYz"}
{"ts":"2027-01-15T22:30:05Z","event":"auto_refresh_enabled","by":"monitor","how":"env_token","token":"eyJz...WxYz"}
{"ts":"2027-01-15T22:31:00Z","event":"unauthorized","by":"401","followed":"env_token"}
{"ts":"2027-01-15T22:31:00Z","event":"reload_failed","by":"monitor","reason":"no valid token in .env after get_zoom_token.sh","token_left_s":null}
{"ts":"2027-01-15T22:32:00Z","event":"config_unchanged","by":"script","mode":"update","why":"already up to date"}
{"ts":"2027-01-15T22:33:00Z","event":"config_updated","by":"script","mode":"install","token":"eyJz...WxYz"}
{"ts":"2027-01-15T22:34:00Z","event":"config_failed","by":"script","exit":1,"reason":"the config is not valid JSON; left untouched:"}
{"ts":"2027-01-15T22:35:00Z","event":"config_skipped","by":"monitor","why":"extension"}
{"ts":"2027-01-15T22:35:00Z","event":"restart_skipped","by":"monitor","why":"extension"}
{"ts":"2027-01-15T22:36:00Z","event":"restart_done","by":"script","was_running":true}
{"ts":"2027-01-15T22:37:00Z","event":"restart_failed","by":"script","exit":1,"reason":"Claude Desktop did not start within 15s"}
{"ts":"2027-01-15T22:38:00Z","event":"something_new","by":"monitor"}
LOG
}

@test "--history: every event in words, at local time, a line for each day" {
  history_log
  TZ=Asia/Kolkata run --separate-stderr "$SCRIPTS/check_zoom_token.sh" --history 40
  assert_success
  [ -z "$stderr" ] || flunk "stderr: $stderr"
  assert_output "$(cat <<'OUT'
── Sat 16 Jan 2027 ──
02:59:00  💤 token still valid for 57m; no request (by run.sh)
03:02:11  ⏳ fetch started by monitor (token valid for 4m)
03:02:11  ✅ refreshed by monitor in 0.14 s, expires 04:02:11
03:02:11  📝 Claude Desktop config updated (by monitor)
03:02:12  🚀 Claude Desktop restart skipped: launched by Claude Desktop (by monitor)
03:32:40  🔒 Zoom answered 401: fetching a new token
03:32:40  ⏳ fetch started after a 401 (forced; token valid for 29m)
03:32:40  ❌ fetch failed (exit 1: timeout after 15 s); old token valid for 29m
03:32:55  🔒 Zoom answered 401: no request before 03:33:10 (cooldown)
03:33:10  ❌ fetch failed (killed: timed out after 120 s); old token valid for 28m
03:33:40  ❌ fetch failed (exit 3: credentials rejected: HTTP 400 invalid_client); old token expired 20s ago
03:33:40  ⛔ auto-refresh disabled after 3 failures; recover: ./scripts/get_zoom_token.sh -f
03:34:00  🔒 Zoom answered 401: auto-refresh is disabled; no request
04:00:00  ⏳ fetch started by hand (forced; no token)
04:00:00  ✅ refreshed by hand in <0.01 s, expires 05:00:00
04:00:05  🔁 auto-refresh re-enabled: a fresh token found in .env
04:01:00  🔒 Zoom answered 401: using the newer token in .env
04:01:00  ❌ no valid token in .env after the fetch; no token
04:02:00  📝 Claude Desktop config unchanged: already up to date (by hand)
04:03:00  📝 zoom server installed in the Claude Desktop config (by hand)
04:04:00  ⚠️  Claude Desktop config update failed (exit 1: the config is not valid JSON; left untouched:) (by hand)
04:05:00  📝 Claude Desktop config not updated: runs as an extension
04:05:00  🚀 Claude Desktop restart skipped: runs as an extension (by monitor)
04:06:00  🚀 Claude Desktop restarted (by hand)
04:07:00  ⚠️  Claude Desktop restart failed (exit 1: Claude Desktop did not start within 15s) (by hand)
04:08:00  • something_new (by monitor)
OUT
)"
  # UTC: the same events the day before, after its own day line
  TZ=UTC run "$SCRIPTS/check_zoom_token.sh" --history 2
  assert_success
  assert_output "── Fri 15 Jan 2027 ──
22:37:00  ⚠️  Claude Desktop restart failed (exit 1: Claude Desktop did not start within 15s) (by hand)
22:38:00  • something_new (by monitor)"
}

@test "--history N: the last N lines, from .1 too; --json passes them through as they are" {
  history_log
  mv "$PROJECT/zoom-token.log" "$PROJECT/zoom-token.log.1"
  printf '%s\n' '{"ts":"2027-01-16T00:00:00Z","event":"token_valid","by":"script","token_left_s":60}' >"$PROJECT/zoom-token.log"
  run "$SCRIPTS/check_zoom_token.sh" --history 2 --json
  assert_success
  assert_output '{"ts":"2027-01-15T22:38:00Z","event":"something_new","by":"monitor"}
{"ts":"2027-01-16T00:00:00Z","event":"token_valid","by":"script","token_left_s":60}'
  run "$SCRIPTS/check_zoom_token.sh" --json --history 1
  assert_output '{"ts":"2027-01-16T00:00:00Z","event":"token_valid","by":"script","token_left_s":60}'
  # default: the last 20 lines (1 of the log, 19 of .1), each day's line before its events
  run "$SCRIPTS/check_zoom_token.sh" --history
  assert_success
  assert_equal 22 "${#lines[@]}"
  assert_line 0 "── Fri 15 Jan 2027 ──"
  assert_line 1 "22:02:40  ❌ fetch failed (exit 1: timeout after 15 s); old token valid for 29m"
  assert_line 20 "── Sat 16 Jan 2027 ──"
  assert_line 21 "00:00:00  💤 token still valid for 1m; no request (by hand)"
  # a line that is not an event is left out of the words, kept in --json
  run "$SCRIPTS/check_zoom_token.sh" --history 23
  assert_equal 24 "${#lines[@]}" # 22 events and two day lines
  refute_line "not a line of ours"
  run "$SCRIPTS/check_zoom_token.sh" --history 23 --json
  assert_equal 23 "${#lines[@]}"
  assert_line 0 "not a line of ours"
}

@test "--history without a log says so (exit 0); a bad N is a usage error (exit 2)" {
  run "$SCRIPTS/check_zoom_token.sh" --history
  assert_success "No refresh history yet ($PROJECT/zoom-token.log)."
  run "$SCRIPTS/check_zoom_token.sh" --history --json
  assert_success ""
  run --separate-stderr "$SCRIPTS/check_zoom_token.sh" --history 0
  assert_status 2
  case $stderr in "ERROR: --history needs a number of events of 1 or more (got '0')"$'\n'"Usage:"*) ;; *) flunk "stderr: $stderr" ;; esac
  run --separate-stderr "$SCRIPTS/check_zoom_token.sh" --history five
  assert_status 2
  case $stderr in "ERROR: unknown option: five"$'\n'"Usage:"*) ;; *) flunk "stderr: $stderr" ;; esac
}

@test "--history with the history off shows what there is and says it is off; without jq: exit 2" {
  history_log
  ZOOM_HISTORY=0 run --separate-stderr "$SCRIPTS/check_zoom_token.sh" --history 1
  assert_success
  assert_line 1 "22:38:00  • something_new (by monitor)"
  assert_equal "WARNING: the history is off (ZOOM_HISTORY=0): nothing new is added to $PROJECT/zoom-token.log" "$stderr"
  # a PATH with everything the script needs but jq
  mkdir "$BATS_TEST_TMPDIR/nojq"
  for t in bash env tail cat; do ln -s "$(command -v "$t")" "$BATS_TEST_TMPDIR/nojq/$t"; done
  run --separate-stderr env PATH="$BATS_TEST_TMPDIR/nojq" "$KIT_BASH" "$SCRIPTS/check_zoom_token.sh" --history
  assert_status 2
  case $stderr in "ERROR: required command(s) not found: jq"*) ;; *) flunk "stderr: $stderr" ;; esac
}
