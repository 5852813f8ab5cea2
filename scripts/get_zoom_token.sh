#!/usr/bin/env bash
# Usage: get_zoom_token.sh [-f] [-t SECONDS] [-q]
#
# Fetch a Zoom Server-to-Server OAuth access token and store it in .env as
# ZOOM_ACCESS_TOKEN and ZOOM_TOKEN_EXPIRES_AT (epoch seconds). Without -f,
# nothing is requested while the token in .env has more than the threshold left
# (only .env's token counts, as the server reads .env: not one in the environment).
#
#   -f, --force     fetch a new token whatever the state of the one in .env
#   -t SECONDS      the threshold for this run (default: ZOOM_TOKEN_THRESHOLD, 60)
#   -q, --quiet     print errors only
#   -h, --help      show this help
#
# Settings, from the environment first, then .env: ZOOM_ENV_FILE (default:
# .env at the project root; relative paths are taken from the project root),
# ZOOM_ACCOUNT_ID, ZOOM_CLIENT_ID, ZOOM_CLIENT_SECRET, ZOOM_OAUTH_URL
# (https://zoom.us/oauth/token), ZOOM_TOKEN_THRESHOLD (60), ZOOM_HTTP_TIMEOUT
# (15 seconds for the whole request).
#
# Each run adds what it did to the refresh history, zoom-token.log beside .env
# (check_zoom_token.sh --history shows it; ZOOM_HISTORY=0 turns it off).
#
# Exit codes:
#   0  token ok (fetched, or still valid)
#   1  the request failed (refused, timeout, 5xx, malformed or empty answer);
#      .env is untouched
#   2  usage or configuration error (e.g. missing credentials)
#   3  credentials rejected by Zoom (invalid_client), with Zoom's reason
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
# shellcheck source=lib/dotenv_write.sh source-path=SCRIPTDIR
. "${zoom_self%/*}/lib/dotenv_write.sh"

zoom_token_file_only=1 # the decision and the "old" token come from .env alone

force=0
threshold_arg=''
threshold_given=0
zoom_opts t '--threshold' "$@"
set -- ${_zargs[@]+"${_zargs[@]}"}
while [ "$#" -gt 0 ]; do
  case $1 in
    -f | --force) force=1 ;;
    -q | --quiet) ZOOM_QUIET=1 ;;
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
zoom_on_exit

# --- the history ----------------------------------------------------------------
# From the moment a request is due, a run that fails logs fetch_failed at exit,
# whatever ended it (exit 1, 2 or 3, a signal): its exit code, its reason in a
# few words (hist_reason, else the first ERROR line) and what stays in use.
hist_phase=''
hist_reason=''
hist_on_exit() {
  local rc=$1 reason left=null
  [ "$hist_phase" = fetch ] && [ "$rc" != 0 ] || return 0
  hist_phase=logged
  reason=${hist_reason:-$_zoom_first_error}
  [ "$rc" -le 128 ] || reason="interrupted (signal $((rc - 128)))"
  zoom_token_expiry
  if [ -n "$_zexp" ]; then
    zoom_now
    left=$((_zexp - _znow))
  fi
  zoom_history fetch_failed "exit:=$rc" "reason=${reason:-exit code $rc}" "token_left_s:=$left"
}
ZOOM_EXIT_HOOK=hist_on_exit

zoom_threshold "$threshold_given" "$threshold_arg"
timeout=${ZOOM_HTTP_TIMEOUT:-15}
case $timeout in
  *[!0-9.]* | '' | *.*.* | .* | *.) zoom_die 2 "ZOOM_HTTP_TIMEOUT must be a number of seconds (got '$timeout')" ;;
esac
case ${timeout//[0.]/} in '') zoom_die 2 "ZOOM_HTTP_TIMEOUT must be more than 0" ;; esac
oauth_url=${ZOOM_OAUTH_URL:-https://zoom.us/oauth/token}
# The URL as messages show it: without user:password@ or a query, which could
# hold a secret.
shown_url=$oauth_url
case $shown_url in
  *://*@*)
    url_rest=${shown_url#*://}
    url_host=${url_rest%%/*}
    case $url_host in *@*) shown_url=${shown_url%%://*}://${url_host##*@}${url_rest#"$url_host"} ;; esac
    ;;
esac
case $shown_url in *\?* | *\#*) shown_url="${shown_url%%[?#]*}?..." ;; esac

# Prints "still valid" (and logs it) and returns 0 when no request is needed.
token_still_valid() {
  zoom_token_expiry
  [ -n "$_zexp" ] || return 1
  zoom_now
  [ $((_zexp - _znow)) -gt "$threshold" ] || return 1
  zoom_duration $((_zexp - _znow))
  zoom_say "✅ Token still valid for $_zdur; no request made"
  zoom_history token_valid "token_left_s:=$((_zexp - _znow))"
}

if [ "$force" = 0 ] && token_still_valid; then
  exit 0
fi
hist_phase=fetch

missing=''
[ -n "${ZOOM_ACCOUNT_ID:-}" ] || missing="$missing ZOOM_ACCOUNT_ID"
[ -n "${ZOOM_CLIENT_ID:-}" ] || missing="$missing ZOOM_CLIENT_ID"
[ -n "${ZOOM_CLIENT_SECRET:-}" ] || missing="$missing ZOOM_CLIENT_SECRET"
if [ -n "$missing" ]; then
  missing=${missing# }
  hist_reason="missing credentials: ${missing// /, }"
  zoom_die 2 "missing credentials: ${missing// /, } (set them in $ZOOM_ENV_FILE or the environment)"
fi
zoom_require_cmd curl jq mktemp mv
zoom_resolve_symlink "$ZOOM_ENV_FILE"
env_target=$_zres
zoom_dirname "$env_target"
[ -d "$_zdir" ] && [ -w "$_zdir" ] || zoom_die 2 "cannot write beside $ZOOM_ENV_FILE (folder $_zdir missing or read-only)"

# One refresh at a time; the others wait, then find the fresh token.
lock_wait=${ZOOM_LOCK_TIMEOUT:-$((${timeout%%.*} * 2 + 30))}
zoom_is_uint "$lock_wait" || zoom_die 2 "ZOOM_LOCK_TIMEOUT must be a whole number of seconds (got '$lock_wait')"
if ! zoom_lock "$ZOOM_ENV_FILE.lock" "$lock_wait"; then
  hist_reason="another refresh held the lock for ${lock_wait} s"
  zoom_err "another refresh still holds $ZOOM_ENV_FILE.lock after ${lock_wait}s; .env unchanged"
  zoom_die 1 "try again once it has finished (or raise ZOOM_LOCK_TIMEOUT)"
fi
zoom_tmp_sweep "$env_target"
zoom_reload_token
# A .env the rewrite could not keep intact is refused now, before a request.
[ ! -e "$env_target" ] || zoom_env_refuse_nul "$env_target"
if [ "$force" = 0 ] && token_still_valid; then
  hist_phase=''
  exit 0
fi
old_token=${ZOOM_ACCESS_TOKEN:-}
zoom_token_expiry
old_left=null
if [ -n "$_zexp" ]; then
  zoom_now
  old_left=$((_zexp - _znow))
fi
if [ "$force" = 1 ]; then forced=true; else forced=false; fi
zoom_history fetch_started "forced:=$forced" "token_left_s:=$old_left"

# Exit 1, the request failed: what failed, then what to do and what it means
# meanwhile. True in every case: nothing was written, the old token stands.
# REASON is the history's: a few words on one line.
request_failed() { # request_failed REASON WHAT HINT
  local left meanwhile
  hist_reason=$1
  shift
  zoom_err "$1; .env unchanged"
  zoom_token_expiry
  if [ -z "$old_token" ]; then
    meanwhile="there is no token yet, so Zoom calls fail until a fetch succeeds"
  elif [ -z "$_zexp" ]; then
    meanwhile="the current token stays in use"
  else
    zoom_now
    left=$((_zexp - _znow))
    zoom_duration "$left"
    if [ "$left" -gt 0 ]; then
      meanwhile="the current token stays in use (valid for $_zdur)"
    else
      meanwhile="the current token expired $_zdur ago, so Zoom calls fail until a fetch succeeds"
    fi
  fi
  zoom_die 1 "$2; $meanwhile"
}
hint_network="try again later, or check ZOOM_OAUTH_URL and your network (proxy, firewall, VPN)"
hint_answer="try again later; if it persists, check that ZOOM_OAUTH_URL is Zoom's token endpoint (https://zoom.us/oauth/token) and that no proxy alters the answer"
hint_4xx="check ZOOM_OAUTH_URL ($shown_url; Zoom's is https://zoom.us/oauth/token) and that the app is an activated Server-to-Server OAuth app, then try again"

# --- the request ------------------------------------------------------------
# Credentials go to curl as a config on stdin (-K -), never on its command
# line, so ps never shows them. Values are quoted for curl's config syntax.
curl_quote() { # -> _zcq
  local v=$1 out='' c i=0
  case $v in
    *[\\\"$'\n\r\t']*) ;;
    *) _zcq=$v; return 0 ;; # the usual case: nothing to escape
  esac
  while [ "$i" -lt "${#v}" ]; do
    c=${v:i:1}
    case $c in
      \\) c=\\\\ ;;
      \") c='\"' ;;
      $'\n') c='\n' ;;
      $'\r') c='\r' ;;
      $'\t') c='\t' ;;
    esac
    out=$out$c
    i=$((i + 1))
  done
  _zcq=$out
}
cfg=''
curl_quote "$oauth_url"
cfg="${cfg}url = \"$_zcq\""$'\n'
curl_quote "$ZOOM_CLIENT_ID:$ZOOM_CLIENT_SECRET"
cfg="${cfg}user = \"$_zcq\""$'\n'
cfg="${cfg}data = \"grant_type=account_credentials\""$'\n'
curl_quote "account_id=$ZOOM_ACCOUNT_ID"
cfg="${cfg}data-urlencode = \"$_zcq\""$'\n'

connect_timeout=$timeout
[ "${timeout%%.*}" -le 10 ] 2>/dev/null || connect_timeout=10
# The body (or, when curl fails, its error message) then the HTTP status and
# the request's duration on the last line; nothing touches the disk. -sS:
# errors only on failure.
# -q first: no ~/.curlrc (an "include" there breaks the answer, a "trace"
# there would write the credentials and the token to a file).
# exec 9>&-: the lock's descriptor is not handed down, so a curl orphaned by a
# kill -9 of this script does not hold the lock until its --max-time.
rc=0
reply=$(
  exec 9>&-
  printf '%s' "$cfg" | curl -q -sS -K - \
    --max-time "$timeout" --connect-timeout "$connect_timeout" \
    --proto '=http,https' -H 'Accept: application/json' \
    -w '\n%{http_code} %{time_total}' 2>&1
) || rc=$?
cfg=''
code=${reply##*$'\n'}
body=${reply%$'\n'*}
[ "$code" != "$reply" ] || body=''
elapsed=null # seconds, for the history (curl's own clock: bash 3.2 has no finer one than SECONDS)
case $code in
  *' '*)
    elapsed=${code#* }
    code=${code%% *}
    case $elapsed in '' | *[!0-9.]* | *.*.* | .* | *.) elapsed=null ;; esac
    ;;
esac

if [ "$rc" != 0 ]; then
  msg=${body%%$'\n'*}
  case $rc in
    28) request_failed "timeout after $timeout s" "the token request to $shown_url timed out after ${timeout}s (ZOOM_HTTP_TIMEOUT)" \
      "try again later, or check ZOOM_OAUTH_URL and your network; on a slow link raise ZOOM_HTTP_TIMEOUT" ;;
    7) request_failed "connection refused" "could not connect to $shown_url (connection refused)" \
      "check ZOOM_OAUTH_URL and your network (proxy, firewall, VPN), then try again" ;;
    *) request_failed "${msg:-curl exit code $rc}" "the token request to $shown_url failed: ${msg:-curl exit code $rc}" "$hint_network" ;;
  esac
fi

# Zoom's error and reason from a JSON error body (empty when there are none).
zoom_error_fields() {
  local f
  f=$(printf '%s' "$body" | jq -r 9>&- 'if type == "object" then
        [(.error // "" | tostring), (.reason // .message // .error_description // "" | tostring)]
        | map(gsub("[\t\n\r]"; " ")) | join("\t") else "" end' 2>/dev/null) || f=''
  err_code=${f%%$'\t'*}
  err_reason=''
  case $f in *$'\t'*) err_reason=${f#*$'\t'} ;; esac
}

case $code in
  200) ;;
  400 | 401)
    zoom_error_fields
    if [ "$code" = 401 ] || [ "$err_code" = invalid_client ] || [ "$err_code" = invalid_request ]; then
      hist_reason="credentials rejected: HTTP $code${err_code:+ $err_code}${err_reason:+: $err_reason}"
      zoom_err "Zoom rejected the credentials (HTTP $code${err_code:+ $err_code}): ${err_reason:-no reason given}"
      zoom_die 3 "check ZOOM_ACCOUNT_ID, ZOOM_CLIENT_ID and ZOOM_CLIENT_SECRET (in $ZOOM_ENV_FILE or the environment); .env unchanged"
    fi
    request_failed "HTTP $code${err_code:+ $err_code}${err_reason:+: $err_reason}" \
      "the token request failed: HTTP $code${err_code:+ $err_code}${err_reason:+: $err_reason}" "$hint_4xx"
    ;;
  *)
    zoom_error_fields
    case $code in
      429) hint="too many token requests: wait a minute, then try again" ;;
      5??) hint="the token service failed on its side: try again in a few minutes" ;;
      000) hint=$hint_network ;; # no HTTP answer at all
      *) hint=$hint_4xx ;;
    esac
    request_failed "HTTP $code${err_code:+ $err_code}${err_reason:+: $err_reason}" \
      "the token request failed: HTTP $code${err_code:+ $err_code}${err_reason:+: $err_reason}" "$hint"
    ;;
esac

# Validate before writing anything: a non-empty access_token, an integer expires_in > 0.
answer=$(printf '%s' "$body" | jq -r 9>&- '
  if type != "object" then error("not a JSON object") else . end
  | (.access_token | if type == "string" then . else "" end) as $t
  | (.expires_in | if type == "number" and . == floor then tostring
                   elif type == "string" and test("^[0-9]+$") then . else "" end) as $e
  | "\($e) \($t)"' 2>/dev/null) ||
  request_failed "malformed answer: not a JSON object" "malformed answer from $shown_url (HTTP 200 but not a JSON object)" "$hint_answer"
[ -n "$answer" ] || request_failed "malformed answer: empty body" "malformed answer from $shown_url (HTTP 200 with an empty body)" "$hint_answer"
expires_in=${answer%% *}
new_token=${answer#* }
[ -n "$new_token" ] || request_failed "malformed answer: empty access_token" "the answer from $shown_url has an empty access_token" "$hint_answer"
case $new_token in
  *[!A-Za-z0-9._~+/=-]*) request_failed "malformed answer: bad access_token" "the answer from $shown_url has a malformed access_token" "$hint_answer" ;;
esac
if ! zoom_is_uint "$expires_in" || [ "${#expires_in}" -gt 9 ] || [ "$((10#$expires_in))" -le 0 ]; then
  request_failed "malformed answer: no valid expires_in" "the answer from $shown_url has no valid expires_in" "$hint_answer"
fi

zoom_now
expires_at=$((_znow + 10#$expires_in))
zoom_env_rewrite "$ZOOM_ENV_FILE" ZOOM_ACCESS_TOKEN "$new_token" ZOOM_TOKEN_EXPIRES_AT "$expires_at"
zoom_unlock

zoom_mask "$old_token"
old_masked=$_zmask
zoom_mask "$new_token"
hist_phase=logged
zoom_history fetch_succeeded "duration_s:=$elapsed" "expires_at:=$expires_at" "old=$old_masked" "new=$_zmask"
zoom_say "📋 Token fetched successfully"
zoom_say "🔄 $old_masked → $_zmask"
zoom_status "$expires_at" "$_znow"
zoom_say "$_zline"
