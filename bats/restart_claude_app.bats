#!/usr/bin/env bats
# restart_claude_app.sh with every OS command stubbed: no test signals or
# starts a real process. A file in $STUB_STATE plays the Claude process.

load test_helper

setup() {
  kit_setup
  export ZOOM_RESTART_WAIT=1 ZOOM_RESTART_POLL=0.05
  RUNNING=$STUB_STATE/running
  # macOS
  stub osascript '[ -e "$STUB_STATE/ignore_quit" ] || rm -f "$STUB_STATE/running"'
  stub open '[ ! -e "$STUB_STATE/start_fails" ] || exit 1
[ -e "$STUB_STATE/never_starts" ] || touch "$STUB_STATE/running"'
  stub pgrep '[ -e "$STUB_STATE/running" ] || exit 1
echo 4242'
  stub pkill '[ -e "$STUB_STATE/ignore_kill" ] || rm -f "$STUB_STATE/running"'
  # never used by the script; here so that a slip could not reach a real process
  stub kill 'exit 1'
  stub killall 'exit 1'
  # Windows
  stub taskkill 'case " $* " in *" /F "*) [ -e "$STUB_STATE/ignore_kill" ] || rm -f "$STUB_STATE/running" ;;
  *) [ -e "$STUB_STATE/ignore_quit" ] || rm -f "$STUB_STATE/running" ;; esac'
  stub tasklist 'if [ -e "$STUB_STATE/running" ]; then echo "Claude.exe                   4242 Console    1    150,000 K"
else echo "INFO: No tasks are running which match the specified criteria."; fi'
  # Linux: claude-desktop is installed only when a test says so
  set_os Darwin
}

set_os() {
  stub uname "echo $1"
}

linux_installed() {
  stub claude-desktop '[ -e "$STUB_STATE/never_starts" ] || touch "$STUB_STATE/running"'
}

windows_installed() {
  export LOCALAPPDATA=$HOME/AppData/Local
  mkdir -p "$LOCALAPPDATA/AnthropicClaude"
  printf '#!/usr/bin/env bash\necho "claude.exe $*" >>"$STUB_LOG"\ntouch "$STUB_STATE/running"\n' \
    >"$LOCALAPPDATA/AnthropicClaude/claude.exe"
  chmod +x "$LOCALAPPDATA/AnthropicClaude/claude.exe"
}

calls() { # the stub calls, uname and the polling pgrep/tasklist left out
  grep -v -e '^uname' -e '^pgrep' -e '^tasklist' "$STUB_LOG" || true
}

no_broad_kill() {
  ! grep -E '^(kill|killall)( |$)|pkill .*-f|pkill( -[A-Z]+)? [^-]' "$STUB_LOG" || flunk "a broad or raw kill: $(cat "$STUB_LOG")"
}

@test "-h and --help print the usage header and exit 0" {
  run "$SCRIPTS/restart_claude_app.sh" --help
  assert_success
  assert_line 0 "Usage: restart_claude_app.sh [--if-running] [--dry-run]"
  run "$SCRIPTS/restart_claude_app.sh" -h
  assert_success
}

@test "an unknown option: usage on stderr, exit 2" {
  run --separate-stderr "$SCRIPTS/restart_claude_app.sh" --now
  assert_status 2
  refute_output
  case $stderr in "ERROR: unknown option: --now"$'\n'"Usage: restart_claude_app.sh"*) ;; *) flunk "stderr: $stderr" ;; esac
  assert_equal "" "$(cat "$STUB_LOG")"
}

@test "ZOOM_RESTART_CLAUDE=0 (environment or .env): exit 0, restart disabled, nothing run" {
  touch "$RUNNING"
  ZOOM_RESTART_CLAUDE=0 run "$SCRIPTS/restart_claude_app.sh"
  assert_success
  assert_output_contains "restart disabled"
  write_env "ZOOM_RESTART_CLAUDE=0"
  run "$SCRIPTS/restart_claude_app.sh"
  assert_success
  assert_output_contains "restart disabled"
  assert_equal "" "$(cat "$STUB_LOG")"
  [ -e "$RUNNING" ]
}

# --- macOS ----------------------------------------------------------------------

@test "macOS: quits gracefully, waits, reopens in the background" {
  touch "$RUNNING"
  run "$SCRIPTS/restart_claude_app.sh"
  assert_success
  assert_equal "⏳ Quitting Claude Desktop...
🚀 Starting Claude Desktop...
✅ Claude Desktop restarted" "$output"
  assert_equal "osascript -e quit app \"Claude\"
open -g -a Claude" "$(calls)"
  grep -qx 'pgrep -x Claude' "$STUB_LOG"
  [ -e "$RUNNING" ]
  no_broad_kill
}

@test "macOS: a Claude that ignores the quit is killed by exact name as a last resort" {
  touch "$RUNNING" "$STUB_STATE/ignore_quit"
  run --separate-stderr "$SCRIPTS/restart_claude_app.sh"
  assert_success
  assert_line 2 "✅ Claude Desktop restarted"
  assert_equal "WARNING: Claude Desktop did not quit within 1s; stopping the Claude process" "$stderr"
  assert_equal "osascript -e quit app \"Claude\"
pkill -x Claude
open -g -a Claude" "$(calls)"
  no_broad_kill
}

@test "macOS: a Claude that survives the kill too: exit 1, not started again" {
  touch "$RUNNING" "$STUB_STATE/ignore_quit" "$STUB_STATE/ignore_kill"
  # Its waits end by themselves (ZOOM_RESTART_WAIT=1): the 30 s only turn a hang into a failure.
  run bounded 30 "$SCRIPTS/restart_claude_app.sh"
  assert_status 1
  assert_output_contains "ERROR: Claude Desktop did not quit within 1s"
  ! grep -q '^open' "$STUB_LOG" || flunk "started again after it failed to quit: $(calls)"
  assert_equal "osascript -e quit app \"Claude\"
pkill -x Claude" "$(calls)"
}

@test "macOS: a Claude that does not start: exit 1" {
  touch "$RUNNING" "$STUB_STATE/never_starts"
  run "$SCRIPTS/restart_claude_app.sh"
  assert_status 1
  assert_output_contains "ERROR: Claude Desktop did not start within 1s"
  rm -f "$STUB_STATE/never_starts"
  touch "$RUNNING" "$STUB_STATE/start_fails"
  run "$SCRIPTS/restart_claude_app.sh"
  assert_status 1
  assert_output_contains "ERROR: could not start Claude Desktop (open -g -a Claude)"
}

@test "macOS: installed but closed: started; with --if-running left closed" {
  mkdir -p "$HOME/Applications/Claude.app"
  run "$SCRIPTS/restart_claude_app.sh" --if-running
  assert_success "Claude Desktop is not running; nothing to restart (--if-running)"
  assert_equal "" "$(calls)"
  [ ! -e "$RUNNING" ]
  run "$SCRIPTS/restart_claude_app.sh"
  assert_success
  assert_line 1 "✅ Claude Desktop started"
  assert_equal "open -g -a Claude" "$(calls)"
}

@test "macOS: not installed and not running: Claude Desktop not found, exit 0" {
  [ ! -d /Applications/Claude.app ] || skip "Claude is installed on this Mac"
  run "$SCRIPTS/restart_claude_app.sh"
  assert_success "Claude Desktop not found; nothing to restart"
  assert_equal "" "$(calls)"
}

@test "--dry-run signals and starts nothing" {
  touch "$RUNNING"
  run "$SCRIPTS/restart_claude_app.sh" --dry-run
  assert_success
  assert_line 0 "Dry run: would quit Claude Desktop: osascript -e 'quit app \"Claude\"'"
  assert_line "Dry run: would start Claude Desktop: open -g -a Claude"
  assert_equal "" "$(calls)"
  [ -e "$RUNNING" ]
}

# --- Windows --------------------------------------------------------------------

@test "Windows: taskkill /IM Claude.exe, then start it from its install folder" {
  set_os MINGW64_NT-10.0-19045
  windows_installed
  touch "$RUNNING"
  run "$SCRIPTS/restart_claude_app.sh"
  assert_success
  assert_line "✅ Claude Desktop restarted"
  assert_equal "taskkill /IM Claude.exe
claude.exe " "$(calls)"
  no_broad_kill
}

@test "Windows: a Claude that ignores the close is force-killed by image name" {
  set_os CYGWIN_NT-10.0
  windows_installed
  touch "$RUNNING" "$STUB_STATE/ignore_quit"
  run "$SCRIPTS/restart_claude_app.sh"
  assert_success
  assert_equal "taskkill /IM Claude.exe
taskkill /F /IM Claude.exe
claude.exe " "$(calls)"
}

@test "Windows: not installed: not found; running without its launcher: left alone, exit 1" {
  set_os MSYS_NT-10.0
  export LOCALAPPDATA=$HOME/AppData/Local
  run "$SCRIPTS/restart_claude_app.sh"
  assert_success "Claude Desktop not found; nothing to restart"
  touch "$RUNNING"
  run "$SCRIPTS/restart_claude_app.sh"
  assert_status 1
  assert_output_contains "its launcher ($LOCALAPPDATA/AnthropicClaude/claude.exe) was not found"
  assert_equal "" "$(calls)"
  [ -e "$RUNNING" ]
}

# --- Linux ------------------------------------------------------------------------

@test "Linux: claude-desktop is stopped by exact name and started again" {
  set_os Linux
  linux_installed
  touch "$RUNNING"
  run "$SCRIPTS/restart_claude_app.sh"
  assert_success
  assert_line "✅ Claude Desktop restarted"
  assert_equal "pkill -TERM -x claude-desktop
claude-desktop" "$(calls)"
  grep -qx 'pgrep -x claude-desktop' "$STUB_LOG"
  no_broad_kill
}

@test "Linux: --if-running leaves a closed claude-desktop closed; not installed: not found" {
  set_os Linux
  run "$SCRIPTS/restart_claude_app.sh"
  assert_success "Claude Desktop not found; nothing to restart"
  linux_installed
  run "$SCRIPTS/restart_claude_app.sh" --if-running
  assert_success "Claude Desktop is not running; nothing to restart (--if-running)"
  assert_equal "" "$(calls)"
}

@test "run from / in a minimal environment, it finds the project's .env" {
  touch "$RUNNING"
  write_env "ZOOM_RESTART_CLAUDE=0"
  cd /
  run env -i HOME="$HOME" PATH="$STUB_BIN:$(minimal_path)" STUB_LOG="$STUB_LOG" STUB_STATE="$STUB_STATE" \
    "$SCRIPTS/restart_claude_app.sh" --if-running
  assert_success
  assert_output_contains "restart disabled"
  write_env "ZOOM_RESTART_CLAUDE=1" "ZOOM_RESTART_WAIT=1" "ZOOM_RESTART_POLL=0.05"
  run env -i HOME="$HOME" PATH="$STUB_BIN:$(minimal_path)" STUB_LOG="$STUB_LOG" STUB_STATE="$STUB_STATE" \
    "$SCRIPTS/restart_claude_app.sh" --if-running
  assert_success
  assert_line "✅ Claude Desktop restarted"
}

@test "the wait settings must be numbers: exit 2" {
  ZOOM_RESTART_WAIT=soon run "$SCRIPTS/restart_claude_app.sh"
  assert_status 2
  assert_equal "" "$(calls)"
}

# --- review fixes -----------------------------------------------------------------

@test "a Claude that will not quit or start: the message says what to do by hand" {
  touch "$RUNNING" "$STUB_STATE/ignore_quit" "$STUB_STATE/ignore_kill"
  run --separate-stderr "$SCRIPTS/restart_claude_app.sh"
  assert_status 1
  assert_equal "ERROR: Claude Desktop did not quit within 1s; quit it by hand, then start it again (ZOOM_RESTART_CLAUDE=0 skips this restart)" \
    "${stderr_lines[1]}"
  rm -f "$STUB_STATE/ignore_quit" "$STUB_STATE/ignore_kill"
  touch "$RUNNING" "$STUB_STATE/never_starts"
  run --separate-stderr "$SCRIPTS/restart_claude_app.sh"
  assert_status 1
  assert_equal "ERROR: Claude Desktop did not start within 1s; start it by hand (or raise ZOOM_RESTART_WAIT; ZOOM_RESTART_CLAUDE=0 skips this restart)" "$stderr"
  rm -f "$STUB_STATE/never_starts"
  touch "$RUNNING" "$STUB_STATE/start_fails"
  run --separate-stderr "$SCRIPTS/restart_claude_app.sh"
  assert_status 1
  assert_equal "ERROR: could not start Claude Desktop (open -g -a Claude); start it by hand (ZOOM_RESTART_CLAUDE=0 skips this restart)" "$stderr"
}

@test "HOME unset: no 'unbound variable' crash (macOS looks in /Applications; Windows says what to set, exit 2)" {
  run --separate-stderr env -u HOME "$SCRIPTS/restart_claude_app.sh" --if-running
  assert_success
  refute_output_contains "unbound"
  case $stderr in *unbound*) flunk "stderr: $stderr" ;; esac
  set_os MINGW64_NT-10.0-19045
  run --separate-stderr env -u HOME -u LOCALAPPDATA "$SCRIPTS/restart_claude_app.sh"
  assert_status 2
  assert_equal "ERROR: HOME is not set; set LOCALAPPDATA (or CLAUDE_APP_EXE, the path of claude.exe)" "$stderr"
  windows_installed
  touch "$RUNNING"
  run env -u HOME "$SCRIPTS/restart_claude_app.sh"
  assert_success
  assert_line "✅ Claude Desktop restarted"
}

@test "combined short flags and -- are accepted" {
  touch "$RUNNING"
  run "$SCRIPTS/restart_claude_app.sh" -n --
  assert_success
  assert_line "Dry run: would start Claude Desktop: open -g -a Claude"
  assert_equal "" "$(calls)"
  run --separate-stderr "$SCRIPTS/restart_claude_app.sh" -- --if-running
  assert_status 2
  case $stderr in "ERROR: unexpected argument: --if-running"$'\n'"Usage: restart_claude_app.sh"*) ;; *) flunk "stderr: $stderr" ;; esac
  assert_equal "" "$(calls)"
}
