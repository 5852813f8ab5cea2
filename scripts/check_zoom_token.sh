#!/usr/bin/env bash
# Usage: check_zoom_token.sh [-t SECONDS] [-v] [--json]
#        check_zoom_token.sh --history [N] [--json]
#
# Show the Zoom token's status in one line, the same line the token monitor
# prints, e.g.  🔑 Token Status: ✅ Expires in 57m 29s (at 1:51:23 PM)
# ✅ more than 15 min left, 📊 5-15 min, ⚠️ under 5 min, ❌ expired or no token.
# The expiry comes from ZOOM_TOKEN_EXPIRES_AT, else from the token's JWT exp.
# No network and no Python: fast enough to run from a prompt or a loop.
#
#   -t SECONDS   the threshold (default: ZOOM_TOKEN_THRESHOLD, 60)
#   -v           also show the masked token, the expiry's source and the .env path
#   --json       print only {"state":...,"expires_at":...,"seconds_left":...}
#                (state: fresh, expiring, critical, expired or missing)
#   --history [N]  instead, what the kit and the token monitor did: the last N
#                events (default 20) of zoom-token.log beside .env, one line
#                each in local time (make history); with --json, the log's
#                own lines (JSON)
#   -h, --help   show this help
#
# Exit codes:
#   0  more than the threshold remains (--history: the events were shown)
#   1  a refresh is needed (within the threshold, expired or no token)
#   2  usage or configuration error (a bad option or setting, an unreadable .env)
#      (--history: also jq missing)
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

verbose=0
json=0
history=0
history_n=20
threshold_arg=''
threshold_given=0
zoom_opts t '--threshold' "$@"
set -- ${_zargs[@]+"${_zargs[@]}"}
while [ "$#" -gt 0 ]; do
  case $1 in
    -v | --verbose) verbose=1 ;;
    --json) json=1 ;;
    --history)
      history=1
      if [ "$#" -ge 2 ] && zoom_is_uint "$2"; then
        history_n=$((10#$2))
        [ "$history_n" -ge 1 ] || zoom_usage_error "--history needs a number of events of 1 or more (got '$2')"
        shift
      fi
      ;;
    -t | --threshold)
      [ "$#" -ge 2 ] || zoom_usage_error "$1 needs a number of seconds"
      threshold_arg=$2 threshold_given=1
      shift
      ;;
    -h | --help) zoom_usage; exit 0 ;;
    *) zoom_usage_error "unknown option: $1" ;;
  esac
  shift
done

zoom_load_env

if [ "$history" = 1 ]; then
  zoom_require_cmd jq tail
  # shellcheck source=lib/history.sh source-path=SCRIPTDIR
  . "$ZOOM_SCRIPTS_DIR/lib/history.sh"
  zoom_history_path
  zoom_history_on || zoom_warn "the history is off (ZOOM_HISTORY=0): nothing new is added to $_zhlog"
  if [ ! -e "$_zhlog" ] && [ ! -e "$_zhlog.1" ]; then
    [ "$json" = 1 ] || printf 'No refresh history yet (%s).\n' "$_zhlog"
    exit 0
  fi
  if [ "$json" = 1 ]; then
    zoom_history_lines "$history_n"
  else
    zoom_history_show "$history_n"
  fi
  exit 0
fi

zoom_threshold "$threshold_given" "$threshold_arg"

zoom_token_expiry
zoom_now
zoom_status "$_zexp" "$_znow"

if [ "$json" = 1 ]; then
  if [ "$_zstate" = missing ]; then
    printf '{"state":"missing","expires_at":null,"seconds_left":null}\n'
  else
    printf '{"state":"%s","expires_at":%s,"seconds_left":%s}\n' "$_zstate" "$_zexp" "$_zleft"
  fi
else
  printf '%s\n' "$_zline"
  if [ "$verbose" = 1 ]; then
    zoom_mask "${ZOOM_ACCESS_TOKEN:-}"
    printf '   Token:      %s\n' "$_zmask"
    if [ -n "$_zexp" ]; then
      printf '   Expires at: %s (from %s)\n' "$_zexp" "$_zexp_src"
    fi
    printf '   Threshold:  %ss\n' "$threshold"
    printf '   Env file:   %s\n' "$ZOOM_ENV_FILE"
  fi
fi

[ "$_zstate" != missing ] && [ "$_zleft" -gt "$threshold" ]
