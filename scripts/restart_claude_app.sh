#!/usr/bin/env bash
# Usage: restart_claude_app.sh [--if-running] [--dry-run]
#
# Restart Claude Desktop so it reloads its config (and the zoom server's token).
# Only the current user's Claude: another user's counts as not running, and
# is never signalled (not even when run as root).
#   macOS    quit gracefully (osascript), wait until `pgrep -u UID -x Claude`
#            finds nothing, then `open -g -a Claude` (in the background, no
#            focus steal)
#   Windows  (Git Bash/MSYS/Cygwin) `taskkill /FI "USERNAME eq DOMAIN\USER"
#            /IM Claude.exe` (USERDOMAIN, USERNAME), then start
#            $LOCALAPPDATA/AnthropicClaude/claude.exe (or CLAUDE_APP_EXE)
#   Linux    community builds: process and command `claude-desktop`
# The exact process name is force-killed only as a last resort, never a pattern.
#
#   --if-running  restart only a Claude that is running; never start a closed one
#   --dry-run     say what would be done; signal and start nothing
#   -h, --help    show this help
#
# Settings, from the environment first, then .env: ZOOM_RESTART_CLAUDE (1; 0
# never restarts), ZOOM_RESTART_WAIT (15: seconds to wait for Claude to quit,
# and again to start), ZOOM_RESTART_POLL (0.5: seconds between checks).
#
# Each run but a dry run adds what it did to the refresh history, zoom-token.log
# beside .env (check_zoom_token.sh --history shows it).
#
# Exit codes:
#   0  restarted, or nothing to do (disabled, not installed, not running)
#   1  Claude failed to quit or start within the bound
#   2  usage or configuration error
set -euo pipefail
umask 077

zoom_self=${BASH_SOURCE[0]}
while [ -L "$zoom_self" ]; do # follow symlinks to find lib/ beside the real script
  zoom_link=$(readlink "$zoom_self")
  case $zoom_link in /*) zoom_self=$zoom_link ;; *) zoom_self=$(dirname "$zoom_self")/$zoom_link ;; esac
done
case $zoom_self in */*) ;; *) zoom_self=./$zoom_self ;; esac
# shellcheck source=lib/common.sh source-path=SCRIPTDIR
. "${zoom_self%/*}/lib/common.sh"

if_running=0
dry_run=0
zoom_opts '' '' "$@"
set -- ${_zargs[@]+"${_zargs[@]}"}
while [ "$#" -gt 0 ]; do
  case $1 in
    --if-running) if_running=1 ;;
    --dry-run | -n) dry_run=1 ;;
    -h | --help) zoom_usage; exit 0 ;;
    *) zoom_usage_error "unknown option: $1" ;;
  esac
  shift
done

zoom_load_env

# A failure from here on is logged at exit (restart_failed), with the first ERROR line.
hist_on_exit() {
  [ "$1" != 0 ] && [ "$dry_run" = 0 ] || return 0
  zoom_history restart_failed "exit:=$1" "reason=${_zoom_first_error:-exit code $1}"
}
ZOOM_EXIT_HOOK=hist_on_exit
zoom_on_exit
skipped() { # skipped WHY MESSAGE: nothing to do, said and logged
  zoom_say "$2"
  [ "$dry_run" = 1 ] || zoom_history restart_skipped "why=$1"
  exit 0
}

if [ "${ZOOM_RESTART_CLAUDE:-1}" = 0 ]; then
  skipped "ZOOM_RESTART_CLAUDE=0" "Claude Desktop restart disabled (ZOOM_RESTART_CLAUDE=0)"
fi
wait_s=${ZOOM_RESTART_WAIT:-15}
poll=${ZOOM_RESTART_POLL:-0.5}
zoom_is_uint "$wait_s" || zoom_die 2 "ZOOM_RESTART_WAIT must be a whole number of seconds (got '$wait_s')"
case $poll in '' | *[!0-9.]* | *.*.*) zoom_die 2 "ZOOM_RESTART_POLL must be a number of seconds (got '$poll')" ;; esac

# --- one set of verbs per OS ------------------------------------------------------
# Every lookup and signal is filtered by user: pgrep/pkill -u with our
# effective uid; tasklist/taskkill /FI "USERNAME eq ..." on Windows.
uid=$EUID
zoom_os
case $_zos in
  macos)
    app_name=Claude
    claude_running() { pgrep -u "$uid" -x Claude >/dev/null 2>&1; }
    # (without a HOME, only /Applications can be looked at)
    claude_installed() { [ -d /Applications/Claude.app ] || { [ -n "${HOME:-}" ] && [ -d "$HOME/Applications/Claude.app" ]; }; }
    # (Apple events reach the apps of this user's session only)
    claude_quit() { osascript -e 'quit app "Claude"' >/dev/null 2>&1; }
    claude_kill() { pkill -u "$uid" -x Claude; }
    claude_start() { open -g -a Claude; }
    quit_cmd="osascript -e 'quit app \"Claude\"'"
    kill_cmd="pkill -u $uid -x Claude"
    start_cmd='open -g -a Claude'
    ;;
  windows)
    app_name=Claude.exe
    [ -n "${USERNAME:-}" ] ||
      zoom_die 2 "USERNAME is not set, so this user's Claude cannot be told from another user's; set USERNAME (and USERDOMAIN) as Windows does"
    user=${USERDOMAIN:+$USERDOMAIN\\}$USERNAME
    # Git Bash would turn /IM into a path; these stop its argument conversion.
    export MSYS_NO_PATHCONV=1 MSYS2_ARG_CONV_EXCL='*'
    if [ -n "${CLAUDE_APP_EXE:-}" ]; then
      zoom_unix_path "$CLAUDE_APP_EXE"
      exe=$_zpath
    else
      [ -n "${LOCALAPPDATA:-}" ] || [ -n "${HOME:-}" ] ||
        zoom_die 2 "HOME is not set; set LOCALAPPDATA (or CLAUDE_APP_EXE, the path of claude.exe)"
      zoom_unix_path "${LOCALAPPDATA:-$HOME/AppData/Local}"
      exe=$_zpath/AnthropicClaude/claude.exe
    fi
    claude_running() {
      local out
      out=$(tasklist /FI "IMAGENAME eq Claude.exe" /FI "USERNAME eq $user" /NH 2>/dev/null) || return 1
      case $out in *[Cc]laude.exe*) return 0 ;; *) return 1 ;; esac
    }
    claude_installed() { [ -f "$exe" ]; }
    claude_quit() { taskkill /FI "USERNAME eq $user" /IM Claude.exe >/dev/null 2>&1; }
    claude_kill() { taskkill /F /FI "USERNAME eq $user" /IM Claude.exe >/dev/null 2>&1; }
    claude_start() { ("$exe" </dev/null >/dev/null 2>&1 &); }
    quit_cmd="taskkill /FI \"USERNAME eq $user\" /IM Claude.exe"
    kill_cmd="taskkill /F /FI \"USERNAME eq $user\" /IM Claude.exe"
    start_cmd=$exe
    ;;
  *)
    app_name=claude-desktop
    claude_running() { pgrep -u "$uid" -x claude-desktop >/dev/null 2>&1; }
    claude_installed() { command -v claude-desktop >/dev/null 2>&1; }
    claude_quit() { pkill -TERM -u "$uid" -x claude-desktop; }
    claude_kill() { pkill -KILL -u "$uid" -x claude-desktop; }
    claude_start() { (claude-desktop </dev/null >/dev/null 2>&1 &); }
    quit_cmd="pkill -TERM -u $uid -x claude-desktop"
    kill_cmd="pkill -KILL -u $uid -x claude-desktop"
    start_cmd='claude-desktop'
    ;;
esac

# Poll until `claude_running` answers WANT (0 running, 1 gone), at most wait_s.
wait_for() {
  local want=$1 deadline=$((SECONDS + wait_s)) now
  while :; do
    now=1
    if claude_running; then now=0; fi
    [ "$now" != "$want" ] || return 0
    [ "$SECONDS" -lt "$deadline" ] || return 1
    sleep "$poll"
  done
}

running=0
if claude_running; then running=1; fi

if [ "$running" = 0 ] && ! claude_installed; then
  skipped "Claude Desktop not found" "Claude Desktop not found; nothing to restart"
fi
if [ "$running" = 0 ] && [ "$if_running" = 1 ]; then
  skipped "Claude Desktop not running" "Claude Desktop is not running; nothing to restart (--if-running)"
fi
if [ "$running" = 1 ] && ! claude_installed && [ "$_zos" != macos ]; then
  # We could stop it but not start it again: leave it alone.
  zoom_die 1 "Claude Desktop is running but its launcher ($start_cmd) was not found; not restarting it"
fi

if [ "$dry_run" = 1 ]; then
  if [ "$running" = 1 ]; then
    zoom_say "Dry run: would quit Claude Desktop: $quit_cmd"
    zoom_say "Dry run: would wait up to ${wait_s}s for it to quit, then as a last resort: $kill_cmd"
  fi
  zoom_say "Dry run: would start Claude Desktop: $start_cmd"
  exit 0
fi

if [ "$running" = 1 ]; then
  zoom_say "⏳ Quitting Claude Desktop..."
  claude_quit || :
  if ! wait_for 1; then
    zoom_warn "Claude Desktop did not quit within ${wait_s}s; stopping the $app_name process"
    claude_kill || :
    wait_for 1 || zoom_die 1 "Claude Desktop did not quit within ${wait_s}s; quit it by hand, then start it again (ZOOM_RESTART_CLAUDE=0 skips this restart)"
  fi
fi

zoom_say "🚀 Starting Claude Desktop..."
claude_start || zoom_die 1 "could not start Claude Desktop ($start_cmd); start it by hand (ZOOM_RESTART_CLAUDE=0 skips this restart)"
wait_for 0 || zoom_die 1 "Claude Desktop did not start within ${wait_s}s; start it by hand (or raise ZOOM_RESTART_WAIT; ZOOM_RESTART_CLAUDE=0 skips this restart)"
if [ "$running" = 1 ]; then
  zoom_say "✅ Claude Desktop restarted"
  zoom_history restart_done "was_running:=true"
else
  zoom_say "✅ Claude Desktop started"
  zoom_history restart_done "was_running:=false"
fi
