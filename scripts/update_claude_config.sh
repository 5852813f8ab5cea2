#!/usr/bin/env bash
# Usage: update_claude_config.sh [--install] [--remove] [--dry-run]
#
# Put the token from .env into Claude Desktop's config, at
# mcpServers.<CLAUDE_MCP_SERVER_NAME>.env.ZOOM_ACCESS_TOKEN, changing nothing
# else. Without --install, a missing config file or entry is not an error.
#
#   --install    create or replace this server's entry: command = this
#                project's run.sh (on Windows: the bash.exe running this, with
#                run.sh as its argument, as Windows paths), env =
#                ZOOM_ENV_FILE and the token; creates the file and its folder
#                when absent
#   --remove     delete this server's entry only
#   --dry-run    print the resulting config (token masked); write nothing
#   -h, --help   show this help
#
# Settings, from the environment first, then .env: CLAUDE_CONFIG_FILE (default
# by OS: macOS ~/Library/Application Support/Claude/claude_desktop_config.json,
# Windows $APPDATA/Claude/claude_desktop_config.json, Linux
# ${XDG_CONFIG_HOME:-~/.config}/Claude/claude_desktop_config.json),
# CLAUDE_MCP_SERVER_NAME (zoom), ZOOM_ENV_FILE, ZOOM_LOCK_TIMEOUT (30: seconds
# to wait while another run updates the same config).
#
# One run at a time writes a config: each takes the lock <config>.lock beside
# it, then reads the config again, so concurrent runs (--install of several
# servers, the token monitor's update) all land.
#
# The config must hold exactly one JSON object (an empty file counts as {}).
# It is re-printed by jq: jq 1.6 normalises number literals (1.10 -> 1.1);
# jq 1.7 and later keep them as written. The previous content is kept as
# <file>.bak (mode 0600); the write is atomic and keeps the file's mode; a
# symlinked config stays a symlink; a read-only one (no write permission, or
# no write bit at all, even for root) is refused.
#
# Each run but a dry run adds what it did to the refresh history, zoom-token.log
# beside .env (check_zoom_token.sh --history shows it).
#
# Exit codes:
#   0  updated, or nothing to do
#   1  the config is not one valid JSON object, is read-only (left untouched)
#      or could not be written, or another run held its lock too long
#   2  usage or configuration error (e.g. no token in .env, jq missing)
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

mode=update
dry_run=0
zoom_opts '' '' "$@"
set -- ${_zargs[@]+"${_zargs[@]}"}
while [ "$#" -gt 0 ]; do
  case $1 in
    --install)
      [ "$mode" != remove ] || zoom_usage_error "--install and --remove exclude each other"
      mode=install
      ;;
    --remove)
      [ "$mode" != install ] || zoom_usage_error "--install and --remove exclude each other"
      mode=remove
      ;;
    --dry-run | -n) dry_run=1 ;;
    -h | --help) zoom_usage; exit 0 ;;
    *) zoom_usage_error "unknown option: $1" ;;
  esac
  shift
done

zoom_load_env
zoom_on_exit

# A failure after this point is logged at exit (config_failed), with the first ERROR line.
hist_on_exit() {
  [ "$1" != 0 ] && [ "$dry_run" = 0 ] || return 0
  zoom_history config_failed "exit:=$1" "reason=${_zoom_first_error:-exit code $1}"
}
ZOOM_EXIT_HOOK=hist_on_exit
zoom_require_cmd jq mktemp

name=${CLAUDE_MCP_SERVER_NAME:-zoom}
[ -n "$name" ] || zoom_die 2 "CLAUDE_MCP_SERVER_NAME is empty"
if [ -n "${CLAUDE_CONFIG_FILE:-}" ]; then
  zoom_root_path "$CLAUDE_CONFIG_FILE"
else
  zoom_claude_config_default || zoom_die 2 "HOME is not set; set CLAUDE_CONFIG_FILE (the path of claude_desktop_config.json)"
fi
config=$_zpath
zoom_resolve_symlink "$config"
target=$_zres # writes go to the symlink's target so the link stays a link
token=${ZOOM_ACCESS_TOKEN:-}
zoom_mask "$token"
token_masked=$_zmask

# What --install writes: this project's run.sh, and ZOOM_ENV_FILE absolute.
# Claude Desktop for Windows starts a program, not a script: there the
# command is the bash.exe running us and run.sh its argument, all three as
# Windows paths (the scripts read a drive path back through cygpath -u).
if [ "$mode" = install ]; then
  root=$(cd -P "$ZOOM_ROOT" && pwd -P) || zoom_die 2 "cannot resolve the project root $ZOOM_ROOT"
  envfile=$ZOOM_ENV_FILE
  zoom_dirname "$envfile"
  if envdir=$(cd -P "$_zdir" 2>/dev/null && pwd -P); then
    envfile=$envdir/${envfile##*/}
  fi
  [ -e "$root/run.sh" ] || zoom_warn "$root/run.sh does not exist yet"
  cmd=$root/run.sh arg=''
  zoom_os
  if [ "$_zos" = windows ]; then
    zoom_require_cmd cygpath
    zoom_windows_path "$BASH"
    cmd=$_zpath
    case $cmd in *.[Ee][Xx][Ee]) ;; *) cmd=$cmd.exe ;; esac
    zoom_windows_path "$root/run.sh"
    arg=$_zpath
    zoom_windows_path "$envfile"
    envfile=$_zpath
  fi
fi

# plan: read the config (-> current) and work out the new content (-> new);
# exits when there is nothing to do or the config is not one JSON object.
# Run once to decide and once more under the lock, for the write.
plan() {
  # The current content. Exactly one JSON object: jq reads a stream, so "{...}{...}" would pass a
  # plain `jq -e`; slurped, the documents are counted. No document at all (an
  # empty file) is an empty object.
  current='{}' servers_type=null
  if [ -e "$target" ]; then
    [ -f "$target" ] && [ -r "$target" ] || zoom_die 1 "cannot read $config; check its owner and mode (chmod 600 $config)"
    # One jq start (tens of ms each, and plan runs twice) for the check, the type of mcpServers and
    # the content: a first line "ok <type>[ entry]" or "error <why>", then the object itself.
    rc=0
    read_out=$(jq -s -r --arg n "$name" '
      if length > 1 then "error it holds \(length) JSON documents one after another, not one object"
      elif length == 1 and (.[0] | type) != "object" then "error the top level is not a JSON object but \(.[0] | type)"
      else (.[0] // {}) as $c
        | ("ok " + ($c.mcpServers | type)
           + (if ($c.mcpServers | type) == "object" and ($c.mcpServers | has($n)) then " entry" else "" end)),
          $c
      end' <"$target" 2>&1) || rc=$?
    case $rc:$read_out in
      "0:ok "*) ;;
      *)
        zoom_err "$config is not valid JSON; left untouched:"
        [ "$rc" = 0 ] && read_out=${read_out#error }
        printf '%s\n' "${read_out:-jq exit code $rc}" >&2
        exit 1
        ;;
    esac
    servers_type=${read_out%%$'\n'*}
    servers_type=${servers_type#ok }
    current=${read_out#*$'\n'}
  elif [ "$mode" != install ]; then
    zoom_say "Nothing to update: $config does not exist (use --install to add the $name server)"
    [ "$dry_run" = 1 ] || zoom_history config_unchanged "why=no Claude Desktop config"
    exit 0
  fi

  if [ "$mode" != install ] && [ "${servers_type#* }" != entry ]; then
    zoom_say "Nothing to update: no \"$name\" entry in mcpServers of $config (use --install to add it)"
    [ "$dry_run" = 1 ] || zoom_history config_unchanged "why=no \"$name\" server in the Claude Desktop config"
    exit 0
  fi
  case $servers_type in
    object* | null) ;;
    *) # --install would have to throw away whatever is there: the user decides
      zoom_die 1 "mcpServers in $config is ${servers_type% *}, not an object; left untouched (make it an object, e.g. {}, by hand, then run again)" ;;
  esac
  # Only now, with an entry to update, is a token needed.
  if [ "$mode" = update ] && [ -z "$token" ]; then
    zoom_die 2 "no ZOOM_ACCESS_TOKEN in $ZOOM_ENV_FILE; run $ZOOM_SCRIPTS_DIR/get_zoom_token.sh first"
  fi

  # The new content. The token reaches jq through its environment, never its command line.
  case $mode in
    update)
      new=$(printf '%s' "$current" | ZOOM_KIT_TOKEN=$token jq --arg n "$name" \
        '.mcpServers[$n].env.ZOOM_ACCESS_TOKEN = env.ZOOM_KIT_TOKEN') ||
        zoom_die 1 "cannot update $config"
      ;;
    install)
      new=$(printf '%s' "$current" | ZOOM_KIT_TOKEN=$token jq --arg n "$name" \
        --arg cmd "$cmd" --arg arg "$arg" --arg envfile "$envfile" '
        .mcpServers = ((if (.mcpServers | type) == "object" then .mcpServers else {} end)
          | .[$n] = {command: $cmd, args: (if $arg == "" then [] else [$arg] end),
                     env: ({ZOOM_ENV_FILE: $envfile}
                           + (if env.ZOOM_KIT_TOKEN != "" then {ZOOM_ACCESS_TOKEN: env.ZOOM_KIT_TOKEN} else {} end))})') ||
        zoom_die 1 "cannot build the new config for $config"
      ;;
    remove)
      new=$(printf '%s' "$current" | jq --arg n "$name" 'del(.mcpServers[$n])') ||
        zoom_die 1 "cannot update $config"
      ;;
  esac
}
plan

if [ "$dry_run" = 1 ]; then
  # Show the result with every secret-looking env value masked, then the
  # token itself wherever else it is. Done in jq, on the strings: a bash
  # ${shown//"$token"/...} would miss a token JSON-escaped in the text, and an
  # unquoted replacement there turns "&" into the whole token in bash 5.2.
  shown=$(printf '%s' "$new" | ZOOM_KIT_TOKEN=$token jq --arg masked "$token_masked" '
    def mask: if type != "string" or . == "" then .
              elif length < 12 then "****" else .[0:4] + "..." + .[-4:] end;
    (if (.mcpServers | type) == "object" then
      .mcpServers |= with_entries(
        if (.value | type) == "object" and (.value.env | type) == "object" then
          .value.env |= with_entries(
            if (.key | test("TOKEN|SECRET|PASSWORD|KEY"; "i")) then .value |= mask else . end)
        else . end)
    else . end)
    | if env.ZOOM_KIT_TOKEN == "" then . else (.. | strings) |= (split(env.ZOOM_KIT_TOKEN) | join($masked)) end') ||
    zoom_die 1 "cannot show the new config for $config"
  # (a key holding the token is not shown either)
  case $shown in *"$token"*) [ -z "$token" ] || zoom_die 1 "the new config holds the token where it cannot be masked; not shown" ;; esac
  printf '%s\n' "$shown"
  printf 'Dry run: %s not changed\n' "$config" >&2
  exit 0
fi

up_to_date() { # exits when there is nothing to write
  if [ -e "$target" ] && [ "$new" = "$current" ]; then
    case $mode in
      update) zoom_say "✅ \"$name\" in $config already has the current token ($token_masked); nothing to change" ;;
      *) zoom_say "✅ \"$name\" in $config is already up to date; nothing to change" ;;
    esac
    zoom_history config_unchanged "mode=$mode" "why=already up to date"
    exit 0
  fi
}
up_to_date

# --- write: backup, then an atomic replace that keeps the mode ----------------
# Read-only: no write permission, or (for root, whom permissions do not stop)
# no write bit at all. A file or folder without any write bit is read-only by
# intent: root refuses it too, rather than silently replacing it.
writable() { # writable PATH: true when we may, and are meant to, write it
  local l
  [ -w "$1" ] || return 1
  if [ "$EUID" = 0 ]; then
    l=$(ls -ld -- "$1" 2>/dev/null) || return 0
    case ${l:1:9} in *w*) ;; *) return 1 ;; esac
  fi
  return 0
}
if [ -e "$target" ]; then
  writable "$target" || zoom_die 1 "$config is read-only; chmod u+w it, then run again"
fi
zoom_dirname "$target"
if [ -d "$_zdir" ]; then
  writable "$_zdir" || zoom_die 1 "the folder $_zdir is read-only; chmod u+w it, then run again ($config left untouched)"
else
  mkdir -p "$_zdir" || zoom_die 1 "cannot create $_zdir; check the owner and mode of the folders above it, then run again"
fi
zoom_dirname "$config" # where the backup goes: beside the link, for a symlinked config
if [ -e "$target" ] && [ -d "$_zdir" ]; then
  writable "$_zdir" || zoom_die 1 "the folder $_zdir is read-only; chmod u+w it, then run again ($config left untouched)"
fi

# One writer at a time (the kit's lock, beside the config): two runs at once,
# e.g. --install of two servers, or the monitor's update and a hand-run one,
# would each write back what it read and lose the other's change. Under the
# lock the config is read again and the change worked out anew.
lock_wait=${ZOOM_LOCK_TIMEOUT:-30}
zoom_is_uint "$lock_wait" || zoom_die 2 "ZOOM_LOCK_TIMEOUT must be a whole number of seconds (got '$lock_wait')"
zoom_lock "$target.lock" "$lock_wait" ||
  zoom_die 1 "another update of $config still holds $target.lock after ${lock_wait}s; $config unchanged; try again once it has finished (or raise ZOOM_LOCK_TIMEOUT)"
plan
up_to_date

# Temp files left by a run killed with -9 hold a token: remove them first.
zoom_tmp_sweep "$target"
zoom_tmp_sweep "$config.bak"
backup=''
if [ -e "$target" ]; then
  backup=$config.bak
  zoom_tmp_beside "$backup"
  cat "$target" >"$_ztmp" || zoom_die 1 "cannot write the backup $backup (disk full?); $config unchanged; free some space and run again"
  chmod 600 "$_ztmp"
  zoom_commit "$_ztmp" "$backup"
fi
zoom_tmp_beside "$target"
if [ -e "$target" ]; then
  cp -p "$target" "$_ztmp" 2>/dev/null || chmod 600 "$_ztmp" # cp -p copies the mode bits
fi
printf '%s\n' "$new" >"$_ztmp" || zoom_write_failed "$config"
zoom_commit "$_ztmp" "$target"
zoom_unlock
case $mode in
  remove) zoom_history config_updated "mode=$mode" ;;
  *) zoom_history config_updated "mode=$mode" "token=$token_masked" ;;
esac

case $mode in
  update) zoom_say "✅ Updated ZOOM_ACCESS_TOKEN of the \"$name\" MCP server in $config ($token_masked)" ;;
  install) zoom_say "✅ Installed the \"$name\" MCP server in $config (command: $cmd${arg:+ $arg})" ;;
  remove) zoom_say "✅ Removed the \"$name\" MCP server from $config" ;;
esac
[ -z "$backup" ] || zoom_say "💾 Previous content kept as $backup"
