#!/usr/bin/env bats
# restart_claude_app.sh with every OS command stubbed: no test signals or
# starts a real process. A file in $STUB_STATE plays the Claude process.

load test_helper

setup() {
  kit_setup
  export ZOOM_RESTART_WAIT=1 ZOOM_RESTART_POLL=0.05
  export USERDOMAIN=DESKTOP-1 USERNAME=me # Windows: whose processes are ours
  RUNNING=$STUB_STATE/running
  OTHER=$STUB_STATE/other_running # another user's Claude (uid 54321, DESKTOP-1\other)
  # macOS (Apple events reach this user's session only: osascript quits ours)
  stub osascript '[ -e "$STUB_STATE/ignore_quit" ] || rm -f "$STUB_STATE/running"'
  stub open '[ ! -e "$STUB_STATE/start_fails" ] || exit 1
[ -e "$STUB_STATE/never_starts" ] || touch "$STUB_STATE/running"'
  # pgrep and pkill see both users' processes and honour -u as the real ones do: without
  # it, they match (and pkill signals, as root can) the other user's Claude too.
  stub pgrep "$UNIX_PROCS"'
hit=1
if sees mine && [ -e "$STUB_STATE/running" ]; then echo 4242; hit=0; fi
if sees other && [ -e "$STUB_STATE/other_running" ]; then echo 5353; hit=0; fi
exit $hit'
  stub pkill "$UNIX_PROCS"'
hit=1
if sees mine && [ -e "$STUB_STATE/running" ]; then
  hit=0
  [ -e "$STUB_STATE/ignore_kill" ] || rm -f "$STUB_STATE/running"
fi
if sees other && [ -e "$STUB_STATE/other_running" ]; then hit=0; rm -f "$STUB_STATE/other_running"; fi
exit $hit'
  # never used by the script; here so that a slip could not reach a real process
  stub kill 'exit 1'
  stub killall 'exit 1'
  stub cmd.exe 'exit 1'
  # Windows: tasklist and taskkill honour /FI "USERNAME eq [DOMAIN\]USER" (any case)
  stub taskkill "$WINDOWS_PROCS"'
hit=1
if sees mine && [ -e "$STUB_STATE/running" ]; then
  hit=0
  if [ "$force" = 1 ]; then [ -e "$STUB_STATE/ignore_kill" ] || rm -f "$STUB_STATE/running"
  else [ -e "$STUB_STATE/ignore_quit" ] || rm -f "$STUB_STATE/running"; fi
fi
if sees other && [ -e "$STUB_STATE/other_running" ]; then hit=0; rm -f "$STUB_STATE/other_running"; fi
exit $hit'
  stub tasklist "$WINDOWS_PROCS"'
rows=""
if sees mine && [ -e "$STUB_STATE/running" ]; then rows="Claude.exe                   4242 Console    1    150,000 K"; fi
if sees other && [ -e "$STUB_STATE/other_running" ]; then rows="$rows
Claude.exe                   5353 Console    2    150,000 K"; fi
if [ -n "$rows" ]; then echo "$rows"; else echo "INFO: No tasks are running which match the specified criteria."; fi'
  # Linux: claude-desktop is installed only when a test says so
  set_os Darwin
}

# Shared start of the pgrep/pkill stubs: `sees mine|other` after reading -u (uids or names).
UNIX_PROCS='users=""
while [ "$#" -gt 0 ]; do
  case $1 in -u) users=$2; shift ;; -u?*) users=${1#-u} ;; esac
  shift
done
sees() {
  [ -n "$users" ] || return 0
  case $1 in
    mine) case ",$users," in *",$(id -u),"* | *",$(id -un),"*) return 0 ;; esac ;;
    other) case ",$users," in *",54321,"* | *",other,"*) return 0 ;; esac ;;
  esac
  return 1
}'

# Shared start of the tasklist/taskkill stubs: `sees mine|other` after reading /FI USERNAME.
WINDOWS_PROCS='user="" force=0
while [ "$#" -gt 0 ]; do
  case $1 in
    /F) force=1 ;;
    /FI) case $2 in "USERNAME eq "*) user=$(printf %s "${2#USERNAME eq }" | tr "[:upper:]" "[:lower:]") ;; esac; shift ;;
  esac
  shift
done
sees() {
  [ -n "$user" ] || return 0
  case $1:$user in mine:me | "mine:desktop-1\\me" | other:other | "other:desktop-1\\other") return 0 ;; esac
  return 1
}'

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
  ! grep -E '^(kill|killall|cmd\.exe)( |$)|pkill .*-f|pkill( -[A-Z]+)? [^-]' "$STUB_LOG" || flunk "a broad or raw kill: $(cat "$STUB_LOG")"
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
  grep -qx "pgrep -u $(id -u) -x Claude" "$STUB_LOG"
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
pkill -u $(id -u) -x Claude
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
pkill -u $(id -u) -x Claude" "$(calls)"
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
  assert_equal "taskkill /FI USERNAME eq DESKTOP-1\\me /IM Claude.exe
claude.exe " "$(calls)"
  no_broad_kill
}

@test "Windows: a Claude that ignores the close is force-killed by image name" {
  set_os CYGWIN_NT-10.0
  windows_installed
  touch "$RUNNING" "$STUB_STATE/ignore_quit"
  run "$SCRIPTS/restart_claude_app.sh"
  assert_success
  assert_equal "taskkill /FI USERNAME eq DESKTOP-1\\me /IM Claude.exe
taskkill /F /FI USERNAME eq DESKTOP-1\\me /IM Claude.exe
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
  assert_equal "pkill -TERM -u $(id -u) -x claude-desktop
claude-desktop" "$(calls)"
  grep -qx "pgrep -u $(id -u) -x claude-desktop" "$STUB_LOG"
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

# --- only this user's Claude (issue 10, item 5) -------------------------------------

@test "macOS: another user's Claude counts as not running and is never signalled" {
  touch "$OTHER"
  mkdir -p "$HOME/Applications/Claude.app"
  run "$SCRIPTS/restart_claude_app.sh" --if-running
  assert_success "Claude Desktop is not running; nothing to restart (--if-running)"
  assert_equal "" "$(calls)"
  # without --if-running ours is started; theirs is left as it was
  run "$SCRIPTS/restart_claude_app.sh"
  assert_success
  assert_line "✅ Claude Desktop started"
  assert_equal "open -g -a Claude" "$(calls)"
  [ -e "$OTHER" ] || flunk "the other user's Claude was stopped"
  [ -e "$RUNNING" ]
}

@test "macOS: both users' Claudes running: ours restarted (killed as a last resort), theirs untouched" {
  touch "$RUNNING" "$OTHER" "$STUB_STATE/ignore_quit"
  run "$SCRIPTS/restart_claude_app.sh"
  assert_success
  assert_line "✅ Claude Desktop restarted"
  assert_equal "osascript -e quit app \"Claude\"
pkill -u $(id -u) -x Claude
open -g -a Claude" "$(calls)"
  [ -e "$OTHER" ] || flunk "the other user's Claude was stopped"
  ! grep -E '^(pgrep|pkill)( |$)' "$STUB_LOG" | grep -v -- " -u $(id -u) " || flunk "a call without the user filter"
}

@test "Linux: another user's claude-desktop is neither seen nor signalled" {
  set_os Linux
  linux_installed
  touch "$OTHER"
  run "$SCRIPTS/restart_claude_app.sh" --if-running
  assert_success "Claude Desktop is not running; nothing to restart (--if-running)"
  touch "$RUNNING"
  run "$SCRIPTS/restart_claude_app.sh"
  assert_success
  assert_line "✅ Claude Desktop restarted"
  assert_equal "pkill -TERM -u $(id -u) -x claude-desktop
claude-desktop" "$(calls)"
  [ -e "$OTHER" ] || flunk "the other user's claude-desktop was stopped"
}

@test "Windows: tasklist and taskkill are filtered by DOMAIN\\USER; another user's Claude is left alone" {
  set_os MINGW64_NT-10.0-19045
  windows_installed
  touch "$OTHER"
  run "$SCRIPTS/restart_claude_app.sh" --if-running
  assert_success "Claude Desktop is not running; nothing to restart (--if-running)"
  grep -qx 'tasklist /FI IMAGENAME eq Claude.exe /FI USERNAME eq DESKTOP-1\\me /NH' "$STUB_LOG"
  touch "$RUNNING" "$STUB_STATE/ignore_quit"
  run "$SCRIPTS/restart_claude_app.sh"
  assert_success
  assert_line "✅ Claude Desktop restarted"
  assert_equal "taskkill /FI USERNAME eq DESKTOP-1\\me /IM Claude.exe
taskkill /F /FI USERNAME eq DESKTOP-1\\me /IM Claude.exe
claude.exe " "$(calls)"
  [ -e "$OTHER" ] || flunk "the other user's Claude.exe was stopped"
  # no USERDOMAIN (a local account): the user name alone
  : >"$STUB_LOG"
  USERDOMAIN='' run "$SCRIPTS/restart_claude_app.sh" --dry-run
  assert_success
  assert_line 'Dry run: would quit Claude Desktop: taskkill /FI "USERNAME eq me" /IM Claude.exe'
  [ -e "$OTHER" ]
}

@test "Windows: USERNAME unset: a configuration error (exit 2), nothing looked up or signalled" {
  set_os MINGW64_NT-10.0-19045
  windows_installed
  touch "$RUNNING" "$OTHER"
  run --separate-stderr env -u USERNAME "$SCRIPTS/restart_claude_app.sh"
  assert_status 2
  assert_equal "ERROR: USERNAME is not set, so this user's Claude cannot be told from another user's; set USERNAME (and USERDOMAIN) as Windows does" "$stderr"
  assert_equal "" "$(calls)"
  ! grep -q '^tasklist' "$STUB_LOG" || flunk "tasklist was run: $(calls)"
  [ -e "$RUNNING" ] && [ -e "$OTHER" ]
}

# --- the refresh history (issue 15) -----------------------------------------------------------

@test "history: restarted, started, skipped (why), failed; nothing for a dry run" {
  export ZOOM_FAKE_NOW=1800000000
  mkdir -p "$HOME/Applications/Claude.app"
  touch "$RUNNING"
  ZOOM_HISTORY_BY=monitor run "$SCRIPTS/restart_claude_app.sh" --if-running
  assert_success
  run "$SCRIPTS/restart_claude_app.sh" --dry-run
  rm -f "$RUNNING"
  ZOOM_HISTORY_BY=monitor run "$SCRIPTS/restart_claude_app.sh" --if-running
  ZOOM_RESTART_CLAUDE=0 run "$SCRIPTS/restart_claude_app.sh"
  run "$SCRIPTS/restart_claude_app.sh"
  rm -f "$RUNNING"
  touch "$STUB_STATE/never_starts"
  run "$SCRIPTS/restart_claude_app.sh"
  assert_status 1
  rmdir "$HOME/Applications/Claude.app"
  run "$SCRIPTS/restart_claude_app.sh"
  assert_equal 'restart_done monitor true null null
restart_skipped monitor null "Claude Desktop not running" null
restart_skipped script null "ZOOM_RESTART_CLAUDE=0" null
restart_done script false null null
restart_failed script null null "Claude Desktop did not start within 1s; start it by hand (or raise ZOOM_RESTART_WAIT; ZOOM_RESTART_CLAUDE=0 skips this restart)"
restart_skipped script null "Claude Desktop not found" null' \
    "$(jq -r '"\(.event) \(.by) \(.was_running | tojson) \(.why | tojson) \(.reason | tojson)"' "$PROJECT/zoom-token.log")"
  assert_equal 1 "$(jq -r 'select(.event == "restart_failed") | .exit' "$PROJECT/zoom-token.log")"
}
