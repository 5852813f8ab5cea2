#!/usr/bin/env bats
# run.sh, the server's launcher, with a stand-in venv Python that records how it was started
# (no real server here: tests/test_server.py drives that one).

load test_helper

setup() {
  kit_setup
  cp "$KIT_SRC_ROOT/run.sh" "$PROJECT/run.sh"
  NOW=1900000000
  export ZOOM_FAKE_NOW=$NOW
  write_env "$TOKEN_LINE" "ZOOM_TOKEN_EXPIRES_AT=$((NOW + 3600))"
}

TOKEN_LINE=ZOOM_ACCESS_TOKEN=eyJzdiI6IjAwMDAwMSJ9.still-valid.sig-abcdNTMz

# make_python PATH: the venv's Python at PATH (under the project), recording its argv, ZOOM_ENV_FILE,
# the start-up fetch's exit code and PATH in $STUB_STATE/python.out.
make_python() {
  mkdir -p "$PROJECT/${1%/*}"
  cat >"$PROJECT/$1" <<'EOF'
#!/usr/bin/env bash
{
  printf 'argv:'
  printf ' %s' "$@"
  printf '\nZOOM_ENV_FILE=%s\nZOOM_STARTUP_FETCH_EXIT=%s\nPATH=%s\nZOOM_KIT_BASH=%s\n' "$ZOOM_ENV_FILE" \
    "$ZOOM_STARTUP_FETCH_EXIT" "$PATH" "${ZOOM_KIT_BASH:-}"
} >"$STUB_STATE/python.out"
EOF
  chmod +x "$PROJECT/$1"
}

started() { # started KEY: what the stand-in Python recorded for KEY (argv, ZOOM_ENV_FILE, ...)
  sed -n "s/^$1[:=] *//p" "$STUB_STATE/python.out"
}

# get_zoom_token.sh replaced by a stand-in that records its arguments.
record_fetch() {
  printf '#!/usr/bin/env bash\nprintf "%%s\\n" "$*" >"$STUB_STATE/fetch.args"\n' >"$PROJECT/scripts/get_zoom_token.sh"
  chmod +x "$PROJECT/scripts/get_zoom_token.sh"
}

@test "-h prints the usage header; an argument is refused (exit 2)" {
  run "$PROJECT/run.sh" -h
  assert_success
  assert_line 0 "Usage: ./run.sh [-h|--help]"
  run --separate-stderr "$PROJECT/run.sh" --port 1
  assert_status 2
  case $stderr in "ERROR: unknown argument: --port"$'\n'"Usage: ./run.sh"*) ;; *) flunk "stderr: $stderr" ;; esac
}

@test "the venv's .venv/bin/python runs zoom_mcp.py, with ZOOM_ENV_FILE absolute from the project root" {
  make_python .venv/bin/python
  cd /
  ZOOM_ENV_FILE=.env run "$PROJECT/run.sh"
  assert_success
  assert_equal "$PROJECT/zoom_mcp.py" "$(started argv)"
  assert_equal "$PROJECT/.env" "$(started ZOOM_ENV_FILE)"
  assert_equal 0 "$(started ZOOM_STARTUP_FETCH_EXIT)"
}

@test "no venv in either layout: exit 2, saying to run make setup" {
  run --separate-stderr "$PROJECT/run.sh"
  assert_status 2
  assert_equal "ERROR: $PROJECT/.venv is missing (no .venv/bin/python or .venv/Scripts/python.exe); run make setup (in $PROJECT) first" "$stderr"
}

@test "Windows (Git Bash): .venv/Scripts/python.exe gets Windows paths; a C:\\ ZOOM_ENV_FILE is read through cygpath" {
  stub_windows
  make_python .venv/Scripts/python.exe
  # A token with 200 s left, and a threshold of 100 s in .env: kept, proof that run.sh and
  # get_zoom_token.sh both read the file the drive path names (with the default 300 s, the
  # fetch would be tried, and fail: no credentials).
  write_env "$TOKEN_LINE" "ZOOM_TOKEN_EXPIRES_AT=$((NOW + 200))" ZOOM_AUTO_REFRESH_THRESHOLD=100
  ZOOM_ENV_FILE='C:\project\.env' run --separate-stderr "$PROJECT/run.sh"
  assert_success
  assert_equal "" "$stderr"
  assert_equal 'C:\project\zoom_mcp.py' "$(started argv)"
  assert_equal 'C:\project\.env' "$(started ZOOM_ENV_FILE)"
  assert_equal 0 "$(started ZOOM_STARTUP_FETCH_EXIT)"
  case :$(started PATH): in *:/mingw64/bin:*) ;; *) flunk "no /mingw64/bin (Git for Windows' curl) on PATH" ;; esac
  # Python for Windows cannot run a .sh: the monitor is told which bash runs the kit
  assert_equal "$(windows_path "$(command -v "$KIT_BASH" || echo "$KIT_BASH")")" "$(started ZOOM_KIT_BASH)"
  # the default .env too
  ZOOM_AUTO_REFRESH_THRESHOLD=100 run "$PROJECT/run.sh"
  assert_success
  assert_equal 'C:\project\.env' "$(started ZOOM_ENV_FILE)"
}

@test "Windows layout outside Windows: .venv/Scripts/python.exe runs with POSIX paths" {
  make_python .venv/Scripts/python.exe
  run "$PROJECT/run.sh"
  assert_success
  assert_equal "" "$(started ZOOM_KIT_BASH)"
  assert_equal "$PROJECT/zoom_mcp.py" "$(started argv)"
  assert_equal "$PROJECT/.env" "$(started ZOOM_ENV_FILE)"
}

@test "the refresh threshold comes from .env as python-dotenv reads it: not from inside another key's value" {
  make_python .venv/bin/python
  record_fetch
  write_env 'NOTE="a multi-line note' 'ZOOM_AUTO_REFRESH_THRESHOLD=100' 'that ends here"'
  run "$PROJECT/run.sh"
  assert_success
  assert_equal "-q -t 300" "$(cat "$STUB_STATE/fetch.args")"
  write_env 'ZOOM_AUTO_REFRESH_THRESHOLD = "120" # seconds' 'ZOOM_AUTO_REFRESH_THRESHOLD'
  run "$PROJECT/run.sh"
  assert_equal "-q -t 300" "$(cat "$STUB_STATE/fetch.args")"
  write_env 'export ZOOM_AUTO_REFRESH_THRESHOLD = "120" # seconds'
  run "$PROJECT/run.sh"
  assert_equal "-q -t 120" "$(cat "$STUB_STATE/fetch.args")"
  ZOOM_AUTO_REFRESH_THRESHOLD=90 run "$PROJECT/run.sh"
  assert_equal "-q -t 90" "$(cat "$STUB_STATE/fetch.args")"
}

@test "the start-up token check is written to the history as run.sh's; the server is not told so" {
  make_python .venv/bin/python
  printf 'printf "ZOOM_HISTORY_BY=%%s\\n" "${ZOOM_HISTORY_BY:-}" >>"$STUB_STATE/python.out"\n' >>"$PROJECT/.venv/bin/python"
  run "$PROJECT/run.sh"
  assert_success
  assert_equal '{"ts":"2030-03-17T17:46:40Z","event":"token_valid","by":"run.sh","token_left_s":3600}' \
    "$(cat "$PROJECT/zoom-token.log")"
  assert_equal "" "$(started ZOOM_HISTORY_BY)" # the monitor names itself
}
