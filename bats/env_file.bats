#!/usr/bin/env bats
# The .env file as the scripts read and rewrite it (scripts/lib/dotenv*.sh), through the real
# scripts and the simulator, checked against python-dotenv, which is how the token monitor reads
# it. The exhaustive comparison (edge cases, thousands of generated files) is in
# tests/test_dotenv_parity.py; here, the cases of issue 10 item 8 end to end.

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
  NOW=1900000000
}

# What the token monitor reads: python-dotenv's dict as JSON (null for "KEY" alone).
dotenv_json() {
  "$KIT_PYTHON" -c 'import json, sys; from dotenv import dotenv_values
print(json.dumps(dotenv_values(sys.argv[1], interpolate=False), sort_keys=True))' "$ENV_FILE"
}

dotenv_get() { # dotenv_get KEY: the value python-dotenv reads ("null" for None, "absent")
  "$KIT_PYTHON" -c 'import sys; from dotenv import dotenv_values
d = dotenv_values(sys.argv[1], interpolate=False)
print("absent" if sys.argv[2] not in d else "null" if d[sys.argv[2]] is None else d[sys.argv[2]], end="")' \
    "$ENV_FILE" "$1"
}

@test "a multi-line quoted value holding ZOOM_ACCESS_TOKEN=... is one value: read as none, kept whole on refresh" {
  write_env "$(sim_env_lines)" 'MULTI="line one' 'ZOOM_ACCESS_TOKEN=inside-a-value-1234567890' \
    'ZOOM_TOKEN_EXPIRES_AT=4000000000' 'line three"' 'AFTER=kept'
  multi=$(dotenv_get MULTI)
  assert_equal "line one
ZOOM_ACCESS_TOKEN=inside-a-value-1234567890
ZOOM_TOKEN_EXPIRES_AT=4000000000
line three" "$multi"
  assert_equal absent "$(dotenv_get ZOOM_ACCESS_TOKEN)"
  # the reader: no token (python-dotenv sees none), not the text inside MULTI
  ZOOM_FAKE_NOW=$NOW run "$SCRIPTS/check_zoom_token.sh" --json
  assert_status 1
  assert_output '{"state":"missing","expires_at":null,"seconds_left":null}'
  before=$(dotenv_json)
  # the writer: a real refresh appends the token and leaves MULTI whole
  ZOOM_FAKE_NOW=$NOW run "$SCRIPTS/get_zoom_token.sh"
  assert_success
  assert_equal "$multi" "$(dotenv_get MULTI)"
  assert_equal kept "$(dotenv_get AFTER)"
  new=$(dotenv_get ZOOM_ACCESS_TOKEN)
  case $new in eyJ*) ;; *) flunk "ZOOM_ACCESS_TOKEN as python-dotenv reads it: $new" ;; esac
  assert_equal $((NOW + 3600)) "$(dotenv_get ZOOM_TOKEN_EXPIRES_AT)"
  # every other key exactly as before
  assert_equal "$before" "$("$KIT_PYTHON" -c 'import json, sys
d = json.loads(sys.argv[1]); [d.pop(k, None) for k in ("ZOOM_ACCESS_TOKEN", "ZOOM_TOKEN_EXPIRES_AT")]
print(json.dumps(d, sort_keys=True))' "$(dotenv_json)")"
  ZOOM_FAKE_NOW=$NOW run "$SCRIPTS/check_zoom_token.sh" --json
  assert_success "{\"state\":\"fresh\",\"expires_at\":$((NOW + 3600)),\"seconds_left\":3600}"
}

@test "a refresh replaces a multi-line ZOOM_ACCESS_TOKEN value, all its lines, and nothing after it" {
  write_env "$(sim_env_lines)" "ZOOM_ACCESS_TOKEN='old" "token'  # mine" 'ZOOM_TOKEN_EXPIRES_AT=1000' 'NEXT="a' 'b"'
  ZOOM_FAKE_NOW=$NOW run "$SCRIPTS/get_zoom_token.sh"
  assert_success
  new=$(dotenv_get ZOOM_ACCESS_TOKEN)
  grep -qx "ZOOM_ACCESS_TOKEN='$new'  # mine" "$ENV_FILE" || flunk "$(cat "$ENV_FILE")"
  ! grep -qx "token'  # mine" "$ENV_FILE" || flunk "the old value's second line stayed: $(cat "$ENV_FILE")"
  assert_equal "a
b" "$(dotenv_get NEXT)"
}

@test "a bare KEY line (no =) unsets the key as in python-dotenv; a refresh gives it a value in place" {
  valid=$(sim_valid_token)
  write_env "$(sim_env_lines)" "ZOOM_ACCESS_TOKEN=$valid" "ZOOM_TOKEN_EXPIRES_AT=4000000000" \
    "ZOOM_ACCESS_TOKEN" "ZOOM_TOKEN_EXPIRES_AT # later"
  assert_equal null "$(dotenv_get ZOOM_ACCESS_TOKEN)"
  ZOOM_FAKE_NOW=$NOW run "$SCRIPTS/check_zoom_token.sh" --json
  assert_status 1
  assert_output '{"state":"missing","expires_at":null,"seconds_left":null}'
  # a bare setting: unset, so the environment's value or the default applies
  write_env "ZOOM_TOKEN_THRESHOLD=4000000000" "ZOOM_TOKEN_THRESHOLD" "ZOOM_ACCESS_TOKEN=$valid" \
    "ZOOM_TOKEN_EXPIRES_AT=$((NOW + 120))"
  ZOOM_FAKE_NOW=$NOW run "$SCRIPTS/check_zoom_token.sh" -v
  assert_success
  assert_line "   Threshold:  60s"
  # the refresh writes the token where the bare lines were
  write_env "$(sim_env_lines)" "ZOOM_ACCESS_TOKEN=$valid" "ZOOM_ACCESS_TOKEN" "ZOOM_TOKEN_EXPIRES_AT # later" "LAST=1"
  ZOOM_FAKE_NOW=$NOW run "$SCRIPTS/get_zoom_token.sh"
  assert_success
  new=$(dotenv_get ZOOM_ACCESS_TOKEN)
  case $new in eyJ*) [ "$new" != "$valid" ] ;; *) flunk "token: $new" ;; esac
  assert_equal "ZOOM_ACCESS_TOKEN=$new
ZOOM_ACCESS_TOKEN=$new
ZOOM_TOKEN_EXPIRES_AT=$((NOW + 3600)) # later
LAST=1" "$(tail -n 4 "$ENV_FILE")"
}

@test "a .env holding a NUL byte: the refresh refuses before any request, naming the line; .env unchanged (exit 2)" {
  {
    sim_env_lines
    printf '# a comment with a NUL \0 byte\nZOOM_ACCESS_TOKEN=old-token-1234567890abcd\nZOOM_TOKEN_EXPIRES_AT=1000\n'
  } >"$ENV_FILE"
  chmod 600 "$ENV_FILE"
  cp "$ENV_FILE" "$BATS_TEST_TMPDIR/before"
  requests=$(sim_token_requests)
  ZOOM_FAKE_NOW=$NOW run --separate-stderr "$SCRIPTS/get_zoom_token.sh"
  assert_status 2
  assert_equal "ERROR: $ENV_FILE holds a NUL byte on line 5; the scripts cannot keep it, so it is left unchanged: remove that byte, then run again" "$stderr"
  cmp "$ENV_FILE" "$BATS_TEST_TMPDIR/before"
  assert_equal "$requests" "$(sim_token_requests)"
}
